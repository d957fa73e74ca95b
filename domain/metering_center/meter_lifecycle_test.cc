#include "domain/metering_center/meter_lifecycle.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::metering {
namespace {

using ::testing::HasSubstr;

// A meter's history built by applying decisions, as the service would.
class MeterHistory {
 public:
  v1::MeterState state() const { return FoldMeter(history_); }
  const std::vector<v1::EventEnvelope>& history() const { return history_; }
  absl::Status Apply(absl::StatusOr<v1::DomainEvent> event) {
    if (!event.ok()) return event.status();
    v1::EventEnvelope envelope;
    envelope.set_stream_version(static_cast<int64_t>(history_.size()) + 1);
    *envelope.mutable_payload() = *std::move(event);
    history_.push_back(std::move(envelope));
    return absl::OkStatus();
  }

 private:
  std::vector<v1::EventEnvelope> history_;
};

v1::MeterReceived Received(const std::string& bar_code, int class_tenths = 20) {
  v1::MeterReceived m;
  m.set_bar_code(bar_code);
  m.set_asset_kind(v1::ASSET_KIND_METER);
  m.set_meter_type(v1::METER_TYPE_SINGLE_PHASE);
  m.mutable_accuracy_class()->set_class_tenths(class_tenths);
  m.set_manufacturer("Weisheng");
  m.set_batch("2026-B07");
  m.set_store_tier(v1::STORE_TIER_PROVINCE);
  m.set_store_id("sn-central");
  return m;
}

v1::MeterCalibrated Calibration(const std::string& bar_code, bool passed,
                                std::initializer_list<std::pair<int, int>> points) {
  v1::MeterCalibrated c;
  c.set_bar_code(bar_code);
  c.set_passed(passed);
  c.set_certificate_no("JD-2026-0001");
  c.set_verifier("verifier-3");
  c.mutable_verified_on()->set_year(2026);
  c.mutable_verified_on()->set_month(11);
  c.mutable_verified_on()->set_day(2);
  for (const auto& [load, error] : points) {
    auto* p = c.add_load_points();
    p->set_load_permille_of_ib(load);
    p->set_power_factor_hundredths(100);
    p->set_error_ppm(error);
  }
  return c;
}

TEST(ErrorLimitTest, ClassLimitsFromDomain) {
  v1::AccuracyClass class2;
  class2.set_class_tenths(20);
  v1::AccuracyClass class1;
  class1.set_class_tenths(10);
  EXPECT_EQ(*ErrorLimitPpm(class2, 1000), 20000);  // ±2.0 % at Ib
  EXPECT_EQ(*ErrorLimitPpm(class2, 100), 20000);   // 0.1 Ib is in the 2.0 % range
  EXPECT_EQ(*ErrorLimitPpm(class2, 99), 25000);    // ±2.5 % below 0.1 Ib
  EXPECT_EQ(*ErrorLimitPpm(class2, 50), 25000);
  EXPECT_EQ(*ErrorLimitPpm(class1, 1000), 10000);
  EXPECT_EQ(*ErrorLimitPpm(class1, 60), 15000);
  EXPECT_THAT(std::string(ErrorLimitPpm(class2, 49).status().message()), HasSubstr("0.05 Ib"));
  v1::AccuracyClass class05s;
  class05s.set_class_tenths(5);
  class05s.set_s_class(true);
  EXPECT_THAT(std::string(ErrorLimitPpm(class05s, 1000).status().message()),
              HasSubstr("give each load point's limit_ppm"));
}

TEST(MeterLifecycleTest, TheWholeLife) {
  MeterHistory m;
  ASSERT_TRUE(m.Apply(DecideReceive(m.state(), Received("M-1"))).ok());
  EXPECT_EQ(m.state().state(), v1::METER_LIFECYCLE_STATE_RECEIVED);
  ASSERT_TRUE(
      m.Apply(DecideCalibration(m.state(), Calibration("M-1", true, {{1000, 1500}, {50, -24000}})))
          .ok());
  const auto& calibrated = m.history().back().payload().meter_calibrated();
  EXPECT_TRUE(calibrated.first_verification());
  EXPECT_EQ(calibrated.load_points(0).limit_ppm(), 20000);
  EXPECT_EQ(calibrated.load_points(1).limit_ppm(), 25000);
  EXPECT_EQ(calibrated.next_due().year(), 2034) << "8 years (JJG 596-2012)";
  v1::MoveMeterRequest move;
  move.set_bar_code("M-1");
  move.set_to_tier(v1::STORE_TIER_COUNTY);
  move.set_to_store_id("huyi");
  ASSERT_TRUE(m.Apply(DecideMove(m.state(), move)).ok());
  EXPECT_EQ(m.history().back().payload().meter_moved_between_stores().from_store_id(),
            "sn-central");
  EXPECT_EQ(m.state().store_id(), "huyi");
  v1::MeterDispatched dispatch;
  dispatch.set_bar_code("M-1");
  dispatch.set_work_order("WO-77");
  ASSERT_TRUE(m.Apply(DecideDispatch(m.state(), dispatch)).ok());
  v1::MeterInstalled install;
  install.set_bar_code("M-1");
  install.set_account_id("6101000123");
  install.set_metering_class(3);
  install.mutable_initial_registers()->set_total_wh(5000);
  ASSERT_TRUE(m.Apply(DecideInstall(m.state(), install)).ok());
  EXPECT_EQ(m.state().account_id(), "6101000123");
  v1::MeterRemoved removal;
  removal.set_bar_code("M-1");
  removal.set_reason(v1::REMOVAL_REASON_FAULT);
  removal.mutable_final_registers()->set_total_wh(4999);
  EXPECT_THAT(std::string(DecideRemove(m.state(), removal, m.history()).status().message()),
              HasSubstr("registers never go backwards"));
  removal.mutable_final_registers()->set_total_wh(912345);
  ASSERT_TRUE(m.Apply(DecideRemove(m.state(), removal, m.history())).ok());
  EXPECT_EQ(m.history().back().payload().meter_removed().account_id(), "6101000123");
  ASSERT_TRUE(m.Apply(DecideReverification(m.state(), "fault")).ok());
  ASSERT_TRUE(
      m.Apply(DecideCalibration(m.state(), Calibration("M-1", false, {{1000, 31000}}))).ok());
  EXPECT_FALSE(m.history().back().payload().meter_calibrated().first_verification());
  EXPECT_EQ(m.state().state(), v1::METER_LIFECYCLE_STATE_FAILED);
  ASSERT_TRUE(m.Apply(DecideScrap(m.state(), "failed re-verification")).ok());
  EXPECT_EQ(m.state().state(), v1::METER_LIFECYCLE_STATE_SCRAPPED);
}

TEST(MeterLifecycleTest, APassIsRefusedWhenAnErrorExceedsTheClassLimit) {
  MeterHistory m;
  ASSERT_TRUE(m.Apply(DecideReceive(m.state(), Received("M-2"))).ok());
  absl::Status refused =
      DecideCalibration(m.state(), Calibration("M-2", true, {{1000, 1000}, {50, 25001}})).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("load_points[1]: error 25001 ppm exceeds the limit 25000"));
  // Exactly at the limit passes; a negative error is judged by its size.
  EXPECT_TRUE(DecideCalibration(m.state(), Calibration("M-2", true, {{50, -25000}})).ok());
  EXPECT_FALSE(DecideCalibration(m.state(), Calibration("M-2", true, {{100, -20001}})).ok());
  // Recording a failure with such errors is fine.
  EXPECT_TRUE(DecideCalibration(m.state(), Calibration("M-2", false, {{50, 25001}})).ok());
}

TEST(MeterLifecycleTest, InvalidTransitionsNameTheState) {
  MeterHistory m;
  ASSERT_TRUE(m.Apply(DecideReceive(m.state(), Received("M-3"))).ok());
  v1::MeterDispatched dispatch;
  dispatch.set_bar_code("M-3");
  dispatch.set_work_order("WO-1");
  // Unverified: cannot be dispatched (so never installed).
  absl::Status s = DecideDispatch(m.state(), dispatch).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is RECEIVED"));
  // Failed: cannot be dispatched either.
  ASSERT_TRUE(
      m.Apply(DecideCalibration(m.state(), Calibration("M-3", false, {{1000, 40000}}))).ok());
  EXPECT_THAT(std::string(DecideDispatch(m.state(), dispatch).status().message()),
              HasSubstr("is FAILED"));
  v1::MeterInstalled install;
  install.set_bar_code("M-3");
  install.set_account_id("a");
  install.set_metering_class(1);
  EXPECT_THAT(std::string(DecideInstall(m.state(), install).status().message()),
              HasSubstr("only a dispatched meter"));
  EXPECT_EQ(DecideReceive(m.state(), Received("M-3")).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(m.Apply(DecideScrap(m.state(), "failed")).ok());
  // A scrapped meter cannot return.
  EXPECT_THAT(
      std::string(
          DecideCalibration(m.state(), Calibration("M-3", true, {{1000, 0}})).status().message()),
      HasSubstr("is SCRAPPED"));
  EXPECT_THAT(std::string(DecideScrap(m.state(), "again").status().message()),
              HasSubstr("is SCRAPPED"));
  // Unknown meters are NOT_FOUND.
  EXPECT_EQ(DecideScrap(v1::MeterState(), "x").status().code(), absl::StatusCode::kNotFound);
}

TEST(MeterLifecycleTest, FieldsAreValidatedByName) {
  v1::MeterReceived bad = Received("M 4");
  EXPECT_THAT(std::string(DecideReceive(v1::MeterState(), bad).status().message()),
              HasSubstr("meter.bar_code"));
  bad = Received("M-4");
  bad.clear_store_id();
  EXPECT_THAT(std::string(DecideReceive(v1::MeterState(), bad).status().message()),
              HasSubstr("meter.store_tier and meter.store_id"));
  MeterHistory m;
  ASSERT_TRUE(m.Apply(DecideReceive(m.state(), Received("M-4"))).ok());
  auto no_points = Calibration("M-4", true, {});
  EXPECT_THAT(std::string(DecideCalibration(m.state(), no_points).status().message()),
              HasSubstr("calibration.load_points"));
  auto no_certificate = Calibration("M-4", true, {{1000, 0}});
  no_certificate.clear_certificate_no();
  EXPECT_THAT(std::string(DecideCalibration(m.state(), no_certificate).status().message()),
              HasSubstr("certificate_no"));
}

}  // namespace
}  // namespace gridledger::metering
