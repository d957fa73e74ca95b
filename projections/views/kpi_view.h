// The KPI view: every KPI the Marketing Department is judged by, per org unit
// (rolled up province → city → county) and period, beside the targets it
// set. docs/KPIS.md defines each numerator, denominator and period. Money
// KPIs come from the same ledger state as the billing-ledger view
// (ApplyLedgerEvent), kept in this view's own RocksDB.
//
// Keys, besides the ledger's (ledger_view.h, without statements):
//   kc/<unit>/|<yyyymm>            KpiCounters, for the unit and each above it
//   ka/<unit>/|<yyyymm>/<type/vc>  ApplicationCounters, likewise
//   kh/<unit>/|<yyyymm>/a/<type/vc>/<days>  applications closed in that many
//                                  working days (a decimal count), likewise
//   kh/<unit>/|<yyyymm>/t/<minutes>         tickets on site after that many
//                                  minutes, likewise
//   ks/<app|ticket|meter>/<id>     KpiSubject
//   kr/<account>/<yyyymm>          "" once a read of that period arrived
//   kd/<account>/<read id>         the read's period, "yyyymm"
//   kv/<unit>/|<yyyymmdd>|<bar>    a meter in service due for verification then
//   kt/<unit>/|<yyyymm>/<kpi>      KpiTargetSet
//   kl/<county>/|<yyyymm>/<feeder|area>/<node>  LineLossCounters of a node
//   kL/<unit>/|<yyyymm>            LineLossCounters of the unit's feeders
//   kn/…                           the topology (line_loss_memory.h)
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_KPI_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_KPI_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class KpiView final : public View {
 public:
  std::string name() const override { return "kpi"; }
  eventstore::SubscriptionFilter filter() const override;
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
};

// The report for `org_unit` (and the units under it) and `period`; arrears
// and overdue meters as of `as_of`.
absl::StatusOr<v1::KpiReport> ReadKpis(const ViewReader& reader, const std::string& org_unit,
                                       const v1::Period& period, const v1::Date& as_of);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_KPI_VIEW_H_
