// The supervision view: the engine that raises and resolves alerts by the
// Marketing Department's rules (domain/marketing_department/supervision_rules.h),
// and the record of every alert for SupervisionQuery.
//
// Time comes only from recorded ClockTicked events. Each tick lists every
// partition's end when it was recorded (`covers`); the view judges it once
// everything before `covers` is applied (View::Settle), and judges each
// subject on its facts as of exactly those events: facts folded from later
// events wait in the subject's `pending` list. So a tick's findings depend on
// the log alone, never on how partitions interleaved while reading, and every
// run — live, after kill -9, a rebuild, a replay — decides the same alerts.
//
// Decisions go to an AlertSink as commands with ids derived from the alert
// id (EngineAlertId: rule, subject, sequence): the store's command dedup
// makes a decision repeated after a crash, by a rebuild or by a second
// engine the same append. With no sink (replay) the view only records what
// it decided.
//
// Line loss is folded per node and month from many streams, so its pending
// entries are additive deltas (supervision_rules.h, LineLossDelta): a tick
// adds every covered one, whatever partition it came from.
//
// Keys:
//   s/<subject>                  SupervisedSubject
//   a/<subject>                  "" while the subject must be judged at ticks
//   p/<account>/<payment id>     PaymentPosted: the principal it paid per bill
//   t/<unit>|<rule number>       SupervisedThreshold;  ta/… "" while one is pending
//   k                            PendingTicks
//   L/…                          the supply topology (line_loss_memory.h)
//   d/<alert id>                 AlertRecord the engine decided (state only)
//   r/<alert id>                 AlertRecord as its events recorded it
//   i/<hex of BE64 ~micros raised>/<alert id>  "" (alerts newest first; text,
//                                     so a key is a page token)
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_SUPERVISION_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_SUPERVISION_VIEW_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridledger/v1/query_service.pb.h"
#include "gridledger/v1/view_records.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

// One decision of the engine, to be appended through the command path.
struct AlertAction {
  bool raise = false;                     // else resolve
  v1::SupervisionAlertRaised raised;      // when raise
  v1::SupervisionAlertResolved resolved;  // when resolve
  std::string org_unit;                   // the alert's (the subject's) unit
  absl::Time at;                          // the tick's time: the command's business time
  std::string command_id;                 // "supervision/<alert id>/raise|resolve"
};

// Records a tick's decisions; OK once each is in the log (or was already).
// An error makes the view retry the whole chunk (UNAVAILABLE) or stop.
using AlertSink = std::function<absl::Status(const std::vector<AlertAction>&)>;

class SupervisionView final : public View {
 public:
  // No sink: decide and record only (replay).
  explicit SupervisionView(AlertSink sink = nullptr) : sink_(std::move(sink)) {}

  std::string name() const override { return "supervision"; }
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
  absl::Status Settle(const v1::Checkpoint& applied, ViewTxn& txn) override;

 private:
  absl::Status ApplyFacts(const v1::EventEnvelope& event, ViewTxn& txn);
  absl::Status ApplyAlertEvent(const v1::EventEnvelope& event, ViewTxn& txn);
  absl::Status JudgeTick(absl::Time at, const v1::PendingTicks& ticks, ViewTxn& txn,
                         std::vector<AlertAction>* actions);

  AlertSink sink_;
};

// Alerts for SupervisionQuery: of `org_unit` and the units under it,
// filtered as the request says, newest first, paged.
absl::StatusOr<v1::AlertPage> ListAlerts(const ViewReader& reader, const std::string& org_unit,
                                         const v1::ListAlertsRequest& request);
// NOT_FOUND for an unknown alert.
absl::StatusOr<v1::AlertRecord> GetAlert(const ViewReader& reader, const std::string& alert_id);
// What the engine decided (d/ keys), by alert id: each alert as raised, and
// its state (open or resolved). With a sink these are the log's engine
// alerts once appended; without one (replay) they are what it would append.
absl::StatusOr<std::vector<v1::AlertRecord>> EngineDecisions(const ViewReader& reader);
// The latest clock time the view judged at (0 before any tick).
absl::StatusOr<absl::Time> LatestTick(const ViewReader& reader);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_SUPERVISION_VIEW_H_
