// The Metering Centre through gRPC, against a real `gridledger serve` process
// on each backend: a meter's whole life, and every kind of refusal.
#include <grpcpp/grpcpp.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

class MeteringE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedger(
        GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
        {{"tech", "metering_technician"}, {"reader", "meter_reader"}, {"crew", "field_crew"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    tech_token_ = served_.tokens["tech"];
    reader_token_ = served_.tokens["reader"];
    address_ = served_.address;
    stub_ = v1::MeteringCenter::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    stub_.reset();
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return testing::CallAs(token);
  }

  v1::ReceiveMeterRequest Receive(const std::string& bar_code) {
    return testing::NewMeterRequest(bar_code, v1::STORE_TIER_PROVINCE, "sn-central");
  }

  v1::RecordCalibrationRequest Calibrate(const std::string& bar_code, bool passed, int error_ppm) {
    v1::RecordCalibrationRequest request;
    request.set_command_id(NewUuid());
    auto* c = request.mutable_calibration();
    c->set_bar_code(bar_code);
    c->set_passed(passed);
    c->set_certificate_no("JD-1");
    c->set_verifier("verifier-3");
    *c->mutable_verified_on() = domain::UtilityToday();  // not before the meter arrived
    auto* point = c->add_load_points();
    point->set_load_permille_of_ib(1000);
    point->set_power_factor_hundredths(100);
    point->set_error_ppm(error_ppm);
    return request;
  }

  v1::MeterLifecycleState StateOf(const std::string& bar_code) {
    v1::GetMeterRequest request;
    request.set_bar_code(bar_code);
    v1::MeterState state;
    grpc::Status status = stub_->GetMeter(As(tech_token_).get(), request, &state);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return state.state();
  }

  testing::TempDir dir_;
  std::string tech_token_, reader_token_, address_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::MeteringCenter::Stub> stub_;
};

TEST_P(MeteringE2eTest, AMetersWholeLife) {
  v1::CommandReply reply;
  v1::ReceiveMeterRequest receive = Receive("E2E-1");
  ASSERT_TRUE(stub_->ReceiveMeter(As(tech_token_).get(), receive, &reply).ok());
  EXPECT_EQ(reply.stream_id(), "meter-E2E-1");
  EXPECT_EQ(reply.first_version(), 1);
  ASSERT_EQ(reply.positions_size(), 1);
  // The same command again: the first reply, nothing appended.
  v1::CommandReply again;
  ASSERT_TRUE(stub_->ReceiveMeter(As(tech_token_).get(), receive, &again).ok());
  EXPECT_TRUE(again.deduplicated());
  EXPECT_EQ(again.positions(0).offset(), reply.positions(0).offset());

  ASSERT_TRUE(
      stub_->RecordCalibration(As(tech_token_).get(), Calibrate("E2E-1", true, 1200), &reply).ok());
  EXPECT_EQ(StateOf("E2E-1"), v1::METER_LIFECYCLE_STATE_VERIFIED);
  v1::MoveMeterRequest move;
  move.set_command_id(NewUuid());
  move.set_bar_code("E2E-1");
  move.set_to_tier(v1::STORE_TIER_COUNTY);
  move.set_to_store_id("huyi");
  ASSERT_TRUE(stub_->MoveMeter(As(tech_token_).get(), move, &reply).ok());
  v1::DispatchMeterRequest dispatch;
  dispatch.set_command_id(NewUuid());
  dispatch.mutable_dispatch()->set_bar_code("E2E-1");
  dispatch.mutable_dispatch()->set_work_order("WO-9");
  ASSERT_TRUE(stub_->DispatchMeter(As(tech_token_).get(), dispatch, &reply).ok());
  v1::InstallMeterRequest install;
  install.set_command_id(NewUuid());
  install.mutable_installation()->set_bar_code("E2E-1");
  install.mutable_installation()->set_account_id("6101000123");
  install.mutable_installation()->set_metering_class(3);
  ASSERT_TRUE(stub_->InstallMeter(As(tech_token_).get(), install, &reply).ok());
  EXPECT_EQ(StateOf("E2E-1"), v1::METER_LIFECYCLE_STATE_INSTALLED);
  v1::RemoveMeterRequest remove;
  remove.set_command_id(NewUuid());
  remove.mutable_removal()->set_bar_code("E2E-1");
  remove.mutable_removal()->set_reason(v1::REMOVAL_REASON_FAULT);
  remove.mutable_removal()->mutable_final_registers()->set_total_wh(77000);
  ASSERT_TRUE(stub_->RemoveMeter(As(tech_token_).get(), remove, &reply).ok());
  v1::RequestReverificationRequest reverify;
  reverify.set_command_id(NewUuid());
  reverify.set_bar_code("E2E-1");
  reverify.set_reason("fault");
  ASSERT_TRUE(stub_->RequestReverification(As(tech_token_).get(), reverify, &reply).ok());
  ASSERT_TRUE(
      stub_->RecordCalibration(As(tech_token_).get(), Calibrate("E2E-1", false, 40000), &reply)
          .ok());
  v1::ScrapMeterRequest scrap;
  scrap.set_command_id(NewUuid());
  scrap.set_bar_code("E2E-1");
  scrap.set_reason("failed re-verification");
  ASSERT_TRUE(stub_->ScrapMeter(As(tech_token_).get(), scrap, &reply).ok());
  EXPECT_EQ(reply.last_version(), 9);
  EXPECT_EQ(StateOf("E2E-1"), v1::METER_LIFECYCLE_STATE_SCRAPPED);
}

// A work voucher for removing a meter, step by step through gRPC, with each
// refusal: the wrong role, the wrong meter scanned, the wrong state, the work
// not yet shown by the meter's own events; nothing refused is written.
TEST_P(MeteringE2eTest, AWorkVoucherAndItsRefusals) {
  v1::CommandReply reply;
  const std::string crew = served_.tokens["crew"];
  ASSERT_TRUE(stub_->ReceiveMeter(As(tech_token_).get(), Receive("WV-1"), &reply).ok());
  ASSERT_TRUE(
      stub_->RecordCalibration(As(tech_token_).get(), Calibrate("WV-1", true, 1200), &reply).ok());
  v1::DispatchMeterRequest dispatch_meter;
  dispatch_meter.set_command_id(NewUuid());
  dispatch_meter.mutable_dispatch()->set_bar_code("WV-1");
  dispatch_meter.mutable_dispatch()->set_work_order("WO-1");
  ASSERT_TRUE(stub_->DispatchMeter(As(tech_token_).get(), dispatch_meter, &reply).ok());
  v1::InstallMeterRequest install;
  install.set_command_id(NewUuid());
  install.mutable_installation()->set_bar_code("WV-1");
  install.mutable_installation()->set_account_id("6101000123");
  install.mutable_installation()->set_metering_class(3);
  ASSERT_TRUE(stub_->InstallMeter(As(tech_token_).get(), install, &reply).ok());

  v1::IssueWorkVoucherRequest issue;
  issue.set_command_id(NewUuid());
  v1::WorkVoucherIssued* v = issue.mutable_voucher();
  v->set_voucher_id("V-1");
  v->set_work(v1::VOUCHER_WORK_REMOVE);
  v->set_meter_bar_code("WV-1");
  *v->mutable_due_on() = domain::UtilityToday();
  EXPECT_EQ(stub_->IssueWorkVoucher(As(crew).get(), issue, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status = stub_->IssueWorkVoucher(As(tech_token_).get(), issue, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.stream_id(), "voucher-V-1");

  v1::RecordVoucherOnSiteRequest scan;
  scan.set_command_id(NewUuid());
  scan.mutable_on_site()->set_voucher_id("V-1");
  scan.mutable_on_site()->set_scanned_bar_code("WV-1");
  status = stub_->RecordVoucherOnSite(As(crew).get(), scan, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "not dispatched yet";
  v1::DispatchWorkVoucherRequest dispatch;
  dispatch.set_command_id(NewUuid());
  dispatch.mutable_dispatch()->set_voucher_id("V-1");
  dispatch.mutable_dispatch()->set_crew("crew-7");
  ASSERT_TRUE(stub_->DispatchWorkVoucher(As(tech_token_).get(), dispatch, &reply).ok());
  EXPECT_EQ(reply.last_version(), 2);

  scan.set_command_id(NewUuid());
  scan.mutable_on_site()->set_scanned_bar_code("WV-2");
  status = stub_->RecordVoucherOnSite(As(crew).get(), scan, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("wrong meter"));
  scan.set_command_id(NewUuid());
  scan.mutable_on_site()->set_scanned_bar_code("WV-1");
  EXPECT_EQ(stub_->RecordVoucherOnSite(As(tech_token_).get(), scan, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = stub_->RecordVoucherOnSite(As(crew).get(), scan, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.last_version(), 3) << "the refused scans wrote nothing";

  v1::CompleteWorkVoucherRequest complete;
  complete.set_command_id(NewUuid());
  complete.mutable_completion()->set_voucher_id("V-1");
  complete.mutable_completion()->set_result("meter taken out");
  status = stub_->CompleteWorkVoucher(As(crew).get(), complete, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "the meter's own stream does not show it removed yet";
  v1::RemoveMeterRequest remove;
  remove.set_command_id(NewUuid());
  remove.mutable_removal()->set_bar_code("WV-1");
  remove.mutable_removal()->set_reason(v1::REMOVAL_REASON_FAULT);
  remove.mutable_removal()->mutable_final_registers()->set_total_wh(5000);
  ASSERT_TRUE(stub_->RemoveMeter(As(tech_token_).get(), remove, &reply).ok());
  complete.set_command_id(NewUuid());
  status = stub_->CompleteWorkVoucher(As(crew).get(), complete, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::VerifyWorkVoucherRequest verify;
  verify.set_command_id(NewUuid());
  verify.mutable_verification()->set_voucher_id("V-1");
  verify.mutable_verification()->set_accepted(false);
  status = stub_->VerifyWorkVoucher(As(tech_token_).get(), verify, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("verification.reason"));
  verify.mutable_verification()->set_accepted(true);
  EXPECT_EQ(stub_->VerifyWorkVoucher(As(crew).get(), verify, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->VerifyWorkVoucher(As(tech_token_).get(), verify, &reply).ok());
  EXPECT_EQ(reply.last_version(), 5);
  dispatch.set_command_id(NewUuid());
  status = stub_->DispatchWorkVoucher(As(tech_token_).get(), dispatch, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(MeteringE2eTest, RefusalsCarryTheRightCodeAndReason) {
  v1::CommandReply reply;
  ASSERT_TRUE(stub_->ReceiveMeter(As(tech_token_).get(), Receive("E2E-2"), &reply).ok());

  // No token, a wrong token, the wrong role.
  grpc::Status status = stub_->ReceiveMeter(As("").get(), Receive("E2E-3"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  status = stub_->ReceiveMeter(As("not-a-token").get(), Receive("E2E-3"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  status = stub_->ReceiveMeter(As(reader_token_).get(), Receive("E2E-3"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("metering_technician"));

  // A bad field, named.
  v1::ReceiveMeterRequest bad = Receive("E2E 3");
  status = stub_->ReceiveMeter(As(tech_token_).get(), bad, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("meter.bar_code"));
  bad = Receive("E2E-3");
  bad.clear_command_id();
  status = stub_->ReceiveMeter(As(tech_token_).get(), bad, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("command_id"));

  // Wrong state, named; and a pass over the class limit.
  v1::DispatchMeterRequest dispatch;
  dispatch.set_command_id(NewUuid());
  dispatch.mutable_dispatch()->set_bar_code("E2E-2");
  dispatch.mutable_dispatch()->set_work_order("WO-1");
  status = stub_->DispatchMeter(As(tech_token_).get(), dispatch, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("is RECEIVED"));
  status = stub_->RecordCalibration(As(tech_token_).get(), Calibrate("E2E-2", true, 20001), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("exceeds the limit 20000 ppm"));
  status = stub_->ReceiveMeter(As(tech_token_).get(), Receive("E2E-2"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // Nothing half-written: the refused commands left the meter as it was.
  v1::GetMeterRequest get;
  get.set_bar_code("E2E-2");
  v1::MeterState state;
  ASSERT_TRUE(stub_->GetMeter(As(tech_token_).get(), get, &state).ok());
  EXPECT_EQ(state.version(), 1);
  get.set_bar_code("E2E-3");
  EXPECT_EQ(stub_->GetMeter(As(tech_token_).get(), get, &state).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(MeteringE2eTest, GrpcurlUsesTheServiceByReflectionAlone) {
  const char* grpcurl = std::getenv("GRIDLEDGER_GRPCURL");
  ASSERT_NE(grpcurl, nullptr) << "run through ctest after scripts/deps --test";
  const std::string auth = absl::StrCat(" -H 'authorization: Bearer ", tech_token_, "' ");
  const std::string described = testing::RunCommand(
      absl::StrCat(grpcurl, " -plaintext ", address_, " describe gridledger.v1.MeteringCenter"));
  EXPECT_THAT(described, HasSubstr("rpc RecordCalibration"));
  const std::string received = testing::RunCommand(
      absl::StrCat(grpcurl, " -plaintext", auth, "-d '{\"command_id\":\"grpcurl-1\",\"meter\":{",
                   "\"bar_code\":\"CLI-1\",\"asset_kind\":\"ASSET_KIND_METER\",",
                   "\"accuracy_class\":{\"class_tenths\":20},\"manufacturer\":\"Linyang\",",
                   "\"store_tier\":\"STORE_TIER_CITY\",\"store_id\":\"xa\"}}' ", address_,
                   " gridledger.v1.MeteringCenter/ReceiveMeter"));
  EXPECT_THAT(received, HasSubstr("\"stream_id\": \"meter-CLI-1\""));
  const std::string state = testing::RunCommand(
      absl::StrCat(grpcurl, " -plaintext", auth, "-d '{\"bar_code\":\"CLI-1\"}' ", address_,
                   " gridledger.v1.MeteringCenter/GetMeter"));
  EXPECT_THAT(state, HasSubstr("METER_LIFECYCLE_STATE_RECEIVED"));
}

INSTANTIATE_TEST_SUITE_P(Backends, MeteringE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
