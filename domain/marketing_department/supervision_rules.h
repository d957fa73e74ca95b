// The supervision rules of the Marketing Department (可控在控): which facts of
// the stream each rule watches, its threshold's unit, default and bounds,
// and when it holds. Pure and deterministic: a rule is judged on a subject's
// facts at a clock time that is given (a recorded ClockTicked), never read.
// docs/ARCHITECTURE.md ("Supervision") lists the rules; supervision_view.h
// (projections/views) runs them.
//
//   v1::SupervisedFacts facts = …;  // folded by FoldSupervisedEvent
//   for (const SupervisionRuleSpec& rule : RulesOfKind(facts.kind())) {
//     RuleFinding finding = JudgeRule(rule, facts, tick_time, threshold);
//   }
#ifndef GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_SUPERVISION_RULES_H_
#define GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_SUPERVISION_RULES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "domain/metering_center/line_loss.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/marketing_events.pb.h"
#include "gridledger/v1/view_records.pb.h"

namespace gridledger::marketing {

// Subject kinds (SupervisedFacts.kind).
inline constexpr absl::string_view kSubjectApplication = "application";
inline constexpr absl::string_view kSubjectRead = "read";
inline constexpr absl::string_view kSubjectBill = "bill";
inline constexpr absl::string_view kSubjectMeter = "meter";
inline constexpr absl::string_view kSubjectTicket = "ticket";
inline constexpr absl::string_view kSubjectVoucher = "voucher";
// A supply node's line loss in one month ("feeder-loss/<node>/<yyyymm>").
inline constexpr absl::string_view kSubjectFeederLoss = "feeder-loss";
inline constexpr absl::string_view kSubjectAreaLoss = "area-loss";
// A KPI of a unit and period ("kpi/<unit>/<yyyymm>/<kpi number>").
inline constexpr absl::string_view kSubjectKpi = "kpi";
// A month's line loss is judged from this day of the next month on.
inline constexpr int kLineLossJudgedFromDay = 10;
// What a line-loss alert observes when energy was billed but none entered
// (no gateway read): the rate is unbounded; −10000 bp stands for it.
inline constexpr int64_t kNoEnergyInObserved = -10000;

struct SupervisionRuleSpec {
  v1::SupervisionRule rule;
  v1::AlertKind kind;
  absl::string_view name;          // "bill-unpaid-1": part of the engine's alert ids
  absl::string_view subject_kind;  // which subjects it is judged on
  absl::string_view unit;          // the threshold's: "days", "working days", "minutes", "hours"
  int64_t default_threshold;       // where no unit above sets one
  int64_t max_threshold;           // thresholds are 0..max
};

// Every rule, in the enum's order.
absl::Span<const SupervisionRuleSpec> SupervisionRules();
// nullptr for an unknown or unspecified rule.
const SupervisionRuleSpec* FindSupervisionRule(v1::SupervisionRule rule);
// The rules judged on subjects of `kind` (none for an unknown kind).
const std::vector<const SupervisionRuleSpec*>& RulesOfKind(absl::string_view kind);

// A threshold the Marketing Department sets: a well-formed org unit, a known
// rule, a value within 0..the rule's maximum. INVALID_ARGUMENT naming the
// field ("threshold.value") and the bound otherwise.
absl::Status CheckSupervisionThreshold(const v1::SupervisionThresholdSet& threshold);

// A rule judged on one subject at one time.
struct RuleFinding {
  bool holds = false;
  int64_t observed = 0;  // in the rule's unit: how late, or days left before due
  std::string detail;    // one sentence for people
};
RuleFinding JudgeRule(const SupervisionRuleSpec& rule, const v1::SupervisedFacts& facts,
                      absl::Time now, int64_t threshold);

// Whether any rule could hold on these facts at some time after `now`
// without a further event (a bill paid in full: no; a meter in service:
// yes, its verification falls due; a month's line loss: only before its
// judging day). A subject that cannot need not be judged.
bool CanStillAlert(const v1::SupervisedFacts& facts, absl::Time now);

// Line-loss subjects are folded from many streams (gateway reads, bills of
// many accounts), so their facts are kept as additive deltas, one per
// event (LineLossDelta), summed into the judged facts as ticks cover them
// (AddLineLossDelta) in any order.
bool IsLineLossKind(absl::string_view kind);
v1::SupervisedFacts LineLossDelta(const metering::EnergyShare& share,
                                  const v1::EventEnvelope& event);
void AddLineLossDelta(const v1::SupervisedFacts& delta, v1::SupervisedFacts* judged);

// The stream an alert on `facts` is about: the subject's own (a line-loss
// subject's is its node's, "supply-<node>"; its facts' stream_id is that of
// the last event folded, the evidence).
std::string SubjectStreamId(const v1::SupervisedFacts& facts);

// Why an open alert of `rule` on `facts` is resolved, for people.
std::string ResolvedBecause(const SupervisionRuleSpec& rule, const v1::SupervisedFacts& facts,
                            int64_t threshold);

// The subjects `event` changes and their facts after it, `known(subject)`
// giving their facts before (nullopt for none). A payment's principal per
// bill comes from `payment_lookup(account, payment_id)` on a reversal, and is
// returned through `payment_posted` so the caller can keep it.
struct SupervisedChanges {
  std::vector<v1::SupervisedFacts> subjects;
  // A payment to remember: (account, payment id) and each bill's principal.
  std::optional<v1::PaymentPosted> payment_posted;
};
using FactsLookup =
    std::function<std::optional<v1::SupervisedFacts>(const std::string& subject_key)>;
using PaymentLookup = std::function<std::optional<v1::PaymentPosted>(
    const std::string& account_id, const std::string& payment_id)>;
SupervisedChanges FoldSupervisedEvent(const v1::EventEnvelope& event, const FactsLookup& known,
                                      const PaymentLookup& payment_lookup);

// The alert id the engine gives the `sequence`th alert (1, 2, …) of `rule`
// on `subject_key`: "sv.<rule name>.<16 hex of SHA-256(subject)>.<sequence>",
// the same in every run, so a repeated raise is the same command.
std::string EngineAlertId(const SupervisionRuleSpec& rule, absl::string_view subject_key,
                          int32_t sequence);

}  // namespace gridledger::marketing

#endif  // GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_SUPERVISION_RULES_H_
