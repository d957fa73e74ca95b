// Outage coordination (停电计划协调), as pure rules: a large customer's planned
// maintenance and the grid's planned outages of a feeder, which pairs the
// system proposes to coordinate, and the decision. Streams "outage-<plan
// id>"; the decision goes on the customer plan's. No I/O, no clock.
//
// Coordinating a customer plan C with a grid plan G of the same feeder moves
// C's maintenance into G's outage, so the customer is interrupted once, not
// twice:
//
//   eligible        same feeder; the windows overlap or the gap between them
//                   is at most `within` (default 14 days)
//   window          starts with G; lasts max(duration C, duration G)
//   energy saved    C.load_w × min(duration C, duration G), in Wh (half up)
//
// Refusals: INVALID_ARGUMENT naming the request field; NOT_FOUND for an
// unknown plan, account or feeder; ALREADY_EXISTS for a plan id used
// before; FAILED_PRECONDITION for a pair on different feeders, too far
// apart, or a customer plan decided before.
#ifndef GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_OUTAGE_COORDINATION_H_
#define GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_OUTAGE_COORDINATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/marketing_service.pb.h"
#include "gridledger/v1/query_service.pb.h"

namespace gridledger::marketing {

inline constexpr int kDefaultCoordinationDays = 14;
inline constexpr int kMaxCoordinationDays = 90;
inline constexpr absl::Duration kMaxOutageWindow = absl::Hours(24 * 30);

// An outage plan's stream folded: the plan (one of the two kinds) and the
// decision on it, if any.
struct OutagePlanState {
  std::optional<v1::CustomerMaintenancePlanned> customer;
  std::optional<v1::GridOutagePlanned> grid;
  std::optional<v1::OutageCoordinated> decision;
};
OutagePlanState FoldOutagePlan(const std::vector<v1::EventEnvelope>& history);

// Field checks ("plan.…"): plan_id an id; account_id (customer) or
// feeder_id (grid) an id; starts_at before ends_at, at most 30 days apart;
// load_w 1..10^10 (customer); reason text (at most 2,000 bytes).
absl::Status CheckCustomerMaintenance(const v1::CustomerMaintenancePlanned& plan);
absl::Status CheckGridOutage(const v1::GridOutagePlanned& plan);

// A customer's plan: `existing` is the plan's stream, `account_history` the
// account's (open; connected to a transformer area, whose feeder the plan
// takes along with the account's org unit; a feeder_id or org_unit the plan
// names must be those). Its window must end after `now`, the command's
// business time (FAILED_PRECONDITION).
absl::StatusOr<v1::DomainEvent> DecideCustomerMaintenance(
    const OutagePlanState& existing, const std::vector<v1::EventEnvelope>& account_history,
    v1::CustomerMaintenancePlanned plan, absl::Time now);

// The grid's plan: `feeder` is the feeder's registration, if any (it must
// be a feeder); the plan takes its org unit (one it names must be that).
// Its window must end after `now`.
absl::StatusOr<v1::DomainEvent> DecideGridOutage(
    const OutagePlanState& existing, const std::optional<v1::SupplyNodeRegistered>& feeder,
    v1::GridOutagePlanned plan, absl::Time now);

// The coordinated window for a pair, or nullopt when they are on different
// feeders or further apart than `within`.
std::optional<v1::CoordinationProposal> Coordinate(const v1::CustomerMaintenancePlanned& customer,
                                                   const v1::GridOutagePlanned& grid,
                                                   absl::Duration within);

// Every eligible pair of undecided customer plans and grid plans, by
// feeder, then customer plan id, then grid plan id.
std::vector<v1::CoordinationProposal> ProposeCoordinations(
    const std::vector<v1::CustomerMaintenancePlanned>& customer_plans,
    const std::vector<v1::GridOutagePlanned>& grid_plans, absl::Duration within);

// within_days of a request: 0 means the default; 1..90.
absl::StatusOr<absl::Duration> CoordinationWithin(int32_t within_days);

// The decision on `customer` (its stream folded) and `grid`: an undecided
// customer plan, a grid plan; accepting needs an eligible pair, declining
// a reason. decided_by is `principal`.
absl::StatusOr<v1::DomainEvent> DecideCoordination(const OutagePlanState& customer,
                                                   const OutagePlanState& grid,
                                                   const v1::CoordinateOutageRequest& request,
                                                   const std::string& principal);

}  // namespace gridledger::marketing

#endif  // GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_OUTAGE_COORDINATION_H_
