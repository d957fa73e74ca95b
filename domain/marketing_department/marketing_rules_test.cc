#include "domain/marketing_department/marketing_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::marketing {
namespace {

using ::testing::HasSubstr;

v1::KpiTargetSet Target() {
  v1::KpiTargetSet target;
  target.set_org_unit("sn/xa/huyi");
  target.mutable_period()->set_year(2026);
  target.mutable_period()->set_month(11);
  target.set_kpi(v1::KPI_FEE_RECOVERY_RATE);
  target.set_target_value(9950);
  target.set_target_unit("bp");
  return target;
}

v1::EventEnvelope Envelope(v1::DomainEvent event) {
  v1::EventEnvelope envelope;
  *envelope.mutable_payload() = std::move(event);
  return envelope;
}

customer::Application WaitingForBay() {
  customer::Application application;
  application.exists = true;
  application.step = v1::APPLICATION_STEP_SUPPLY_PLAN;
  application.needs_bay_approval = true;
  return application;
}

TEST(KpiTargetTest, AcceptsAValidRateAndStatesItAsGiven) {
  ASSERT_TRUE(CheckKpiTarget(Target()).ok());
  const v1::DomainEvent event = DecideKpiTarget(Target());
  ASSERT_TRUE(event.has_kpi_target_set());
  EXPECT_EQ(event.kpi_target_set().target_value(), 9950);
  EXPECT_EQ(event.kpi_target_set().org_unit(), "sn/xa/huyi");
}

TEST(KpiTargetTest, RefusesEachBrokenFieldByName) {
  v1::KpiTargetSet target = Target();
  target.set_org_unit("sn xa");
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("target.org_unit"));
  target = Target();
  target.set_kpi(v1::KPI_UNSPECIFIED);
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("target.kpi"));
  target = Target();
  target.mutable_period()->set_month(13);
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("target.period"));
  target = Target();
  target.set_target_unit("percent");
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("target.target_unit"));
  target = Target();
  target.set_target_value(10001);
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("0..10000 bp"));
  target.set_target_unit("fen");  // a rate is in basis points
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("KPI_FEE_RECOVERY_RATE is in bp"));
  target.set_kpi(v1::KPI_ARREARS);  // an amount has no 10,000 ceiling
  EXPECT_TRUE(CheckKpiTarget(target).ok());
  target.set_target_value(-5);
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("0 or more"));
  target.set_target_value(10001);
  target.set_kpi(static_cast<v1::Kpi>(99));
  EXPECT_THAT(CheckKpiTarget(target).message(), HasSubstr("target.kpi"));
}

TEST(BayApprovalTest, GrantsOnlyAnApplicationWaitingForIt) {
  absl::StatusOr<v1::DomainEvent> granted =
      DecideBayApproval(WaitingForBay(), {}, "A-1", true, "", "mm-1");
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_EQ(granted->bay_approval_granted().application_id(), "A-1");
  EXPECT_EQ(granted->bay_approval_granted().approver(), "mm-1");

  customer::Application unknown;
  EXPECT_EQ(DecideBayApproval(unknown, {}, "A-1", true, "", "mm-1").status().code(),
            absl::StatusCode::kNotFound);
  customer::Application no_bay = WaitingForBay();
  no_bay.needs_bay_approval = false;
  EXPECT_EQ(DecideBayApproval(no_bay, {}, "A-1", true, "", "mm-1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  customer::Application ended = WaitingForBay();
  ended.ended = true;
  EXPECT_EQ(DecideBayApproval(ended, {}, "A-1", true, "", "mm-1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(BayApprovalTest, ADenialNeedsAReasonAndAGrantIsFinal) {
  EXPECT_THAT(CheckBayDecision("A-1", false, "").message(), HasSubstr("reason"));
  EXPECT_TRUE(CheckBayDecision("A-1", false, "no spare bay").ok());
  EXPECT_THAT(CheckBayDecision("A 1", true, "").message(), HasSubstr("application_id"));

  absl::StatusOr<v1::DomainEvent> denied =
      DecideBayApproval(WaitingForBay(), {}, "A-1", false, "no spare bay", "mm-1");
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->bay_approval_denied().reason(), "no spare bay");
  // A denial may be followed by a grant; a grant by nothing.
  const History after_denial = {Envelope(*denied)};
  absl::StatusOr<v1::DomainEvent> granted =
      DecideBayApproval(WaitingForBay(), after_denial, "A-1", true, "", "mm-1");
  ASSERT_TRUE(granted.ok());
  const History after_grant = {Envelope(*denied), Envelope(*granted)};
  EXPECT_THAT(
      DecideBayApproval(WaitingForBay(), after_grant, "A-1", true, "", "mm-1").status().message(),
      HasSubstr("already approved"));
}

TEST(AlertTest, RaisedOnceResolvedOnce) {
  v1::SupervisionAlertRaised alert;
  alert.set_alert_id("AL-1");
  EXPECT_THAT(CheckAlert(alert).message(), HasSubstr("alert.kind"));
  alert.set_kind(v1::ALERT_KIND_ARREARS_HIGH);
  ASSERT_TRUE(CheckAlert(alert).ok());

  absl::StatusOr<v1::DomainEvent> raised = DecideRaiseAlert({}, alert);
  ASSERT_TRUE(raised.ok());
  History history = {Envelope(*raised)};
  EXPECT_EQ(DecideRaiseAlert(history, alert).status().code(), absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(DecideResolveAlert({}, "AL-1", "fixed").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(CheckResolution("AL-1", "").message(), HasSubstr("resolution"));
  absl::StatusOr<v1::DomainEvent> resolved = DecideResolveAlert(history, "AL-1", "fixed");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->supervision_alert_resolved().resolution(), "fixed");
  history.push_back(Envelope(*resolved));
  EXPECT_EQ(DecideResolveAlert(history, "AL-1", "again").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridledger::marketing
