// The planning view: market demand for grid planning (the Marketing
// Department feeds it to grid planning). Capacity applied for — new
// connections and capacity increases; reductions, transfers and terminations
// release or move capacity and are not demand — by org unit (rolled up to
// each unit above), month of application (the submission's business date)
// and voltage class, with how much was accepted, energised, ended unsupplied
// (rejected or withdrawn before energisation) and is still pending. It also
// keeps the outage plans grid planning coordinates (outage_view.h).
//
// Keys:
//   pa/<application id>                       PlanningApplication
//   pd/<unit>/|<yyyymm>/<voltage class>       DemandRow (pending not stored)
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_PLANNING_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_PLANNING_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class PlanningView final : public View {
 public:
  std::string name() const override { return "planning"; }
  eventstore::SubscriptionFilter filter() const override;
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
};

// The demand of `org_unit` and the units under it for the months from..to
// (inclusive; the caller checks them).
absl::StatusOr<v1::DemandReport> ReadDemand(const ViewReader& reader, const std::string& org_unit,
                                            const v1::Period& from, const v1::Period& to);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_PLANNING_VIEW_H_
