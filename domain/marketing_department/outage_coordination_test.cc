#include "domain/marketing_department/outage_coordination.h"

#include <string>
#include <vector>

#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::marketing {
namespace {

using ::testing::HasSubstr;

google::protobuf::Timestamp At(int day, int hour) {
  return domain::ToTimestamp(
      absl::FromCivil(absl::CivilSecond(2027, 3, day, hour, 0, 0), domain::UtilityZone()));
}

absl::Time Before() {
  return absl::FromCivil(absl::CivilSecond(2027, 2, 20, 9, 0, 0), domain::UtilityZone());
}

v1::CustomerMaintenancePlanned Customer(int day, int hours, const std::string& feeder = "F-1") {
  v1::CustomerMaintenancePlanned plan;
  plan.set_plan_id("C-1");
  plan.set_account_id("A-1");
  plan.set_feeder_id(feeder);
  *plan.mutable_starts_at() = At(day, 8);
  *plan.mutable_ends_at() = At(day, 8 + hours);
  plan.set_load_w(2'000'000);  // 2 MW
  return plan;
}

v1::GridOutagePlanned Grid(int day, int hours, const std::string& feeder = "F-1") {
  v1::GridOutagePlanned plan;
  plan.set_plan_id("G-1");
  plan.set_feeder_id(feeder);
  *plan.mutable_starts_at() = At(day, 6);
  *plan.mutable_ends_at() = At(day, 6 + hours);
  return plan;
}

v1::EventEnvelope Envelope(v1::DomainEvent event) {
  v1::EventEnvelope e;
  e.set_stream_version(1);
  *e.mutable_payload() = std::move(event);
  return e;
}

TEST(OutageCoordination, ProposesOneOutageForPlansOfOneFeederWithinTheWindow) {
  // Customer 10 h on the 12th, grid 6 h on the 5th: 7 days apart (≤ 14).
  std::optional<v1::CoordinationProposal> p =
      Coordinate(Customer(12, 10), Grid(5, 6), absl::Hours(24 * 14));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->starts_at().seconds(), At(5, 6).seconds());
  EXPECT_EQ(p->ends_at().seconds(), At(5, 16).seconds());  // the longer: 10 h
  EXPECT_EQ(p->energy_saved_wh(), 12'000'000);             // 2 MW × 6 h
  EXPECT_EQ(p->gap_s(), 7 * 86400 - 4 * 3600);             // 5th 12:00 to 12th 08:00
}

TEST(OutageCoordination, OverlapHasNoGapAndDistantOrOtherFeederIsNotProposed) {
  std::optional<v1::CoordinationProposal> p =
      Coordinate(Customer(5, 4), Grid(5, 8), absl::Hours(24));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->gap_s(), 0);
  EXPECT_EQ(p->energy_saved_wh(), 8'000'000);  // 2 MW × 4 h
  EXPECT_FALSE(Coordinate(Customer(20, 4), Grid(5, 8), absl::Hours(24 * 14)).has_value());
  EXPECT_FALSE(Coordinate(Customer(5, 4, "F-2"), Grid(5, 8), absl::Hours(24)).has_value());
  EXPECT_EQ(
      ProposeCoordinations({Customer(5, 4), Customer(25, 4)}, {Grid(5, 8)}, absl::Hours(24 * 14))
          .size(),
      1u);
}

TEST(OutageCoordination, ChecksWindowsAndLoads) {
  v1::CustomerMaintenancePlanned backwards = Customer(5, 4);
  *backwards.mutable_ends_at() = At(5, 7);
  EXPECT_THAT(CheckCustomerMaintenance(backwards).message(), HasSubstr("plan.ends_at"));
  v1::CustomerMaintenancePlanned no_load = Customer(5, 4);
  no_load.set_load_w(0);
  EXPECT_THAT(CheckCustomerMaintenance(no_load).message(), HasSubstr("plan.load_w"));
  v1::GridOutagePlanned long_outage = Grid(1, 4);
  *long_outage.mutable_ends_at() =
      domain::ToTimestamp(domain::FromTimestamp(At(1, 6)) + absl::Hours(24 * 31));
  EXPECT_THAT(CheckGridOutage(long_outage).message(), HasSubstr("30 days"));
  EXPECT_THAT(CoordinationWithin(91).status().message(), HasSubstr("within_days"));
}

TEST(OutageCoordination, CustomerPlanTakesTheAccountsFeederAndUnit) {
  std::vector<v1::EventEnvelope> account;
  v1::DomainEvent opened;
  opened.mutable_account_opened()->set_account_id("A-1");
  account.push_back(Envelope(opened));
  account.back().set_org_unit("sn/xa/huyi");
  v1::CustomerMaintenancePlanned plan = Customer(5, 4);
  plan.clear_feeder_id();
  EXPECT_EQ(DecideCustomerMaintenance({}, account, plan, Before()).status().code(),
            absl::StatusCode::kFailedPrecondition);  // not connected
  v1::DomainEvent connected;
  connected.mutable_account_connected()->set_feeder_id("F-1");
  account.push_back(Envelope(connected));
  absl::StatusOr<v1::DomainEvent> event = DecideCustomerMaintenance({}, account, plan, Before());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->customer_maintenance_planned().feeder_id(), "F-1");
  EXPECT_EQ(event->customer_maintenance_planned().org_unit(), "sn/xa/huyi");
  EXPECT_EQ(DecideCustomerMaintenance({}, {}, plan, Before()).status().code(),
            absl::StatusCode::kNotFound);
  // A window already over, or a unit other than the account's, is refused.
  EXPECT_THAT(DecideCustomerMaintenance({}, account, plan, domain::FromTimestamp(At(6, 0)))
                  .status()
                  .message(),
              HasSubstr("plan.ends_at"));
  plan.set_org_unit("sn/bj/chencang");
  EXPECT_THAT(DecideCustomerMaintenance({}, account, plan, Before()).status().message(),
              HasSubstr("plan.org_unit"));
}

TEST(OutageCoordination, DecidesOnceWithTheComputedWindow) {
  OutagePlanState customer;
  customer.customer = Customer(12, 10);
  OutagePlanState grid;
  grid.grid = Grid(5, 6);
  v1::CoordinateOutageRequest request;
  request.set_customer_plan_id("C-1");
  request.set_grid_plan_id("G-1");
  request.set_accept(true);
  absl::StatusOr<v1::DomainEvent> decided = DecideCoordination(customer, grid, request, "mm");
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->outage_coordinated().energy_saved_wh(), 12'000'000);
  EXPECT_EQ(decided->outage_coordinated().decided_by(), "mm");

  customer.decision = decided->outage_coordinated();
  EXPECT_EQ(DecideCoordination(customer, grid, request, "mm").status().code(),
            absl::StatusCode::kFailedPrecondition);

  customer.decision.reset();
  request.set_within_days(3);  // 7 days apart
  EXPECT_EQ(DecideCoordination(customer, grid, request, "mm").status().code(),
            absl::StatusCode::kFailedPrecondition);
  request.set_accept(false);
  EXPECT_THAT(DecideCoordination(customer, grid, request, "mm").status().message(),
              HasSubstr("reason"));
  request.set_reason("the customer's plant cannot move its overhaul");
  EXPECT_TRUE(DecideCoordination(customer, grid, request, "mm").ok());
  grid.grid->set_feeder_id("F-2");
  request.set_accept(true);
  request.set_within_days(0);
  EXPECT_THAT(DecideCoordination(customer, grid, request, "mm").status().message(),
              HasSubstr("feeder"));
  EXPECT_EQ(DecideCoordination(customer, OutagePlanState{}, request, "mm").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gridledger::marketing
