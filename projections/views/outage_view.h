// Outage plans as the planning view keeps them (planning_view.h hosts
// them): customers' maintenance plans, the grid's outage plans and the
// decisions on them, by org unit, for OutageQuery.ProposeCoordination.
//
// Keys (in the planning view's RocksDB):
//   oc/<unit>/|<plan id>   CustomerMaintenancePlanned (until decided)
//   og/<unit>/|<plan id>   GridOutagePlanned
//   od/<unit>/|<plan id>   OutageCoordinated (the customer plan's decision)
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_OUTAGE_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_OUTAGE_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

// Stages an outage stream's event (other events: nothing).
absl::Status ApplyOutageEvent(const v1::EventEnvelope& event, ViewTxn& txn);

// The undecided pairs of `org_unit` and below that can be coordinated within
// `within`, and the decisions recorded there.
absl::StatusOr<v1::CoordinationProposals> ReadCoordinationProposals(const ViewReader& reader,
                                                                    const std::string& org_unit,
                                                                    absl::Duration within);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_OUTAGE_VIEW_H_
