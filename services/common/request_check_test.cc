#include "services/common/request_check.h"

#include "gmock/gmock.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/metering_service.pb.h"
#include "gtest/gtest.h"

namespace gridledger::service {
namespace {

using ::testing::HasSubstr;

void ExpectRefused(const google::protobuf::Message& request, const std::string& path) {
  const absl::Status s = CheckRequestFields(request);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << request.ShortDebugString();
  EXPECT_THAT(std::string(s.message()), HasSubstr(path + ": ")) << s;
}

TEST(RequestCheck, AnEmptyOrPlainRequestPasses) {
  v1::RecordReadRequest request;
  EXPECT_TRUE(CheckRequestFields(request).ok());
  request.set_command_id("c-1");
  request.mutable_read()->set_account_id("A-1");
  request.mutable_read()->mutable_period()->set_year(2026);
  request.mutable_read()->mutable_period()->set_month(11);
  request.mutable_read()->mutable_registers()->set_total_wh(1'000'000);
  request.mutable_read()->mutable_read_at()->set_seconds(1'764'000'000);
  EXPECT_TRUE(CheckRequestFields(request).ok());
}

TEST(RequestCheck, EachRuleNamesTheFieldPath) {
  v1::RecordReadRequest request;
  request.mutable_read()->set_account_id("A\x01");
  ExpectRefused(request, "read.account_id");
  request.mutable_read()->set_account_id("A\xe2\x80\xae");
  ExpectRefused(request, "read.account_id");
  request.mutable_read()->clear_account_id();
  request.mutable_read()->mutable_registers()->set_total_wh(4'600'000'000'000'000'000);
  ExpectRefused(request, "read.registers.total_wh");
  request.mutable_read()->clear_registers();
  request.mutable_read()->mutable_period()->set_year(2026);
  request.mutable_read()->mutable_period()->set_month(13);
  ExpectRefused(request, "read.period");
  request.mutable_read()->mutable_period()->set_month(1);
  request.mutable_read()->mutable_period()->set_year(9999);
  ExpectRefused(request, "read.period");
  request.mutable_read()->clear_period();
  request.mutable_read()->mutable_read_at()->set_seconds(-62'135'596'800);  // year 1
  ExpectRefused(request, "read.read_at");
  request.mutable_read()->clear_read_at();
  request.mutable_read()->set_source(static_cast<v1::ReadSource>(99));
  ExpectRefused(request, "read.source");
}

TEST(RequestCheck, DatesRepeatedFieldsAndInt32) {
  v1::IssueBillRequest bill;
  bill.mutable_due_date()->set_year(2026);
  bill.mutable_due_date()->set_month(2);
  bill.mutable_due_date()->set_day(30);
  ExpectRefused(bill, "due_date");
  v1::RecordCalibrationRequest calibration;
  calibration.mutable_calibration()->add_load_points()->set_error_ppm(-2'147'483'647 - 1);
  ExpectRefused(calibration, "calibration.load_points.error_ppm");
  v1::ChangeAccountTermsRequest change;
  change.mutable_change()->add_changed_fields("tariff_id\n");
  ExpectRefused(change, "change.changed_fields");
}

}  // namespace
}  // namespace gridledger::service
