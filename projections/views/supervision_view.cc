#include "projections/views/supervision_view.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/marketing_department/supervision_rules.h"
#include "domain/metering_center/line_loss.h"
#include "projections/views/line_loss_memory.h"

namespace gridledger::projections {
namespace {

using marketing::SupervisionRuleSpec;

constexpr char kTicksKey[] = "k";

std::string SubjectKey(absl::string_view subject) { return absl::StrCat("s/", subject); }
std::string ActiveKey(absl::string_view subject) { return absl::StrCat("a/", subject); }
std::string PaymentKey(absl::string_view account, absl::string_view payment) {
  return absl::StrCat("p/", account, "/", payment);
}
std::string ThresholdKey(absl::string_view unit, v1::SupervisionRule rule) {
  return absl::StrCat("t/", unit, "|", static_cast<int>(rule));
}
std::string DecisionKey(absl::string_view alert_id) { return absl::StrCat("d/", alert_id); }
std::string RecordKey(absl::string_view alert_id) { return absl::StrCat("r/", alert_id); }
// Newest first: the complement of the raise time's microseconds, in hex
// (text, so the key can be a page token; hex of big-endian bytes sorts as
// the bytes do).
std::string IndexKey(const google::protobuf::Timestamp& raised_at, absl::string_view alert_id) {
  const int64_t micros = absl::ToUnixMicros(domain::FromTimestamp(raised_at));
  return absl::StrCat("i/",
                      HexEncode(BigEndian64(~static_cast<uint64_t>(std::max<int64_t>(0, micros)))),
                      "/", alert_id);
}

int64_t NextOffset(const google::protobuf::RepeatedPtrField<v1::PartitionMark>& marks,
                   absl::string_view partition) {
  for (const v1::PartitionMark& m : marks) {
    if (m.partition() == partition) return m.next_offset();
  }
  return 0;
}

int64_t AppliedOffset(const v1::Checkpoint& applied, absl::string_view partition) {
  for (const v1::Position& p : applied.next()) {
    if (p.partition() == partition) return p.offset();
  }
  return 0;
}

// Whether an event at partition@offset is among those a tick covers.
bool Covered(const v1::PendingTicks& ticks, absl::string_view partition, int64_t offset) {
  return offset < NextOffset(ticks.covered(), partition);
}

// `into` becomes the larger of itself and `marks`, partition by partition.
void MergeMarks(const google::protobuf::RepeatedPtrField<v1::PartitionMark>& marks,
                google::protobuf::RepeatedPtrField<v1::PartitionMark>* into) {
  for (const v1::PartitionMark& m : marks) {
    auto it = std::find_if(into->begin(), into->end(), [&](const v1::PartitionMark& have) {
      return have.partition() == m.partition();
    });
    if (it == into->end()) {
      *into->Add() = m;
    } else {
      it->set_next_offset(std::max(it->next_offset(), m.next_offset()));
    }
  }
}

bool Ready(const v1::ClockTicked& tick, const v1::Checkpoint& applied) {
  for (const v1::PartitionMark& m : tick.covers()) {
    if (AppliedOffset(applied, m.partition()) < m.next_offset()) return false;
  }
  return true;
}

v1::AlertEvidence EvidenceOf(const v1::SupervisedFacts& facts) {
  v1::AlertEvidence evidence;
  evidence.set_stream_id(facts.stream_id());
  evidence.set_stream_version(facts.stream_version());
  evidence.set_partition(facts.partition());
  evidence.set_offset(facts.offset());
  return evidence;
}

// Thresholds in force at a tick, looked up once per (unit, rule).
class Thresholds {
 public:
  explicit Thresholds(ViewTxn& txn) : txn_(txn) {}
  absl::StatusOr<int64_t> Of(const std::string& org_unit, const SupervisionRuleSpec& rule) {
    auto it = cache_.find(std::make_pair(org_unit, rule.rule));
    if (it != cache_.end()) return it->second;
    int64_t value = rule.default_threshold;
    for (std::string unit = org_unit; !unit.empty(); unit = domain::ParentOrgUnit(unit)) {
      v1::SupervisedThreshold threshold;
      GL_ASSIGN_OR_RETURN(bool found, txn_.GetProto(ThresholdKey(unit, rule.rule), &threshold));
      if (found && threshold.has_judged()) {
        value = threshold.judged().value();
        break;
      }
    }
    cache_[std::make_pair(org_unit, rule.rule)] = value;
    return value;
  }

 private:
  ViewTxn& txn_;
  std::map<std::pair<std::string, v1::SupervisionRule>, int64_t> cache_;
};

// Moves the pending facts `ticks` cover into the subject's judged facts:
// snapshots of one stream in order (the last covered one wins), or a
// line-loss month's deltas from many partitions (each covered one added, in
// any order). Whether anything moved.
bool FoldCovered(const v1::PendingTicks& ticks, v1::SupervisedSubject* stored) {
  if (stored->pending().empty()) return false;
  if (marketing::IsLineLossKind(stored->pending(0).kind())) {
    bool changed = false;
    google::protobuf::RepeatedPtrField<v1::SupervisedFacts> waiting;
    for (v1::SupervisedFacts& delta : *stored->mutable_pending()) {
      if (Covered(ticks, delta.partition(), delta.offset())) {
        marketing::AddLineLossDelta(delta, stored->mutable_judged());
        changed = true;
      } else {
        *waiting.Add() = std::move(delta);
      }
    }
    stored->mutable_pending()->Swap(&waiting);
    return changed;
  }
  int covered = 0;
  while (covered < stored->pending_size() &&
         Covered(ticks, stored->pending(covered).partition(), stored->pending(covered).offset())) {
    ++covered;
  }
  if (covered == 0) return false;
  *stored->mutable_judged() = stored->pending(covered - 1);
  stored->mutable_pending()->DeleteSubrange(0, covered);
  return true;
}

// A threshold of a line-loss rule now in force: every month of a node in its
// unit and below is judged again at this tick (a judged month leaves the
// scan, but a lower threshold can make it hold).
absl::Status ReactivateForThreshold(const v1::SupervisionThresholdSet& set, ViewTxn& txn) {
  // Only a line-loss month leaves the judged set while a threshold could
  // still make it hold (every other subject that leaves can alert no more).
  const SupervisionRuleSpec* rule = marketing::FindSupervisionRule(set.rule());
  if (rule == nullptr || !marketing::IsLineLossKind(rule->subject_kind)) {
    return absl::OkStatus();
  }
  GL_ASSIGN_OR_RETURN(std::vector<std::string> subjects,
                      txn.Keys(SubjectKey(absl::StrCat(rule->subject_kind, "/"))));
  for (const std::string& key : subjects) {
    v1::SupervisedSubject stored;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &stored).status());
    if (domain::OrgUnitContains(set.org_unit(), stored.judged().org_unit())) {
      txn.Put(ActiveKey(key.substr(2)), "");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SupervisionView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_clock_ticked()) {
    v1::PendingTicks ticks;
    GL_RETURN_IF_ERROR(txn.GetProto(kTicksKey, &ticks).status());
    *ticks.add_ticks() = payload.clock_ticked();
    txn.PutProto(kTicksKey, ticks);
    return absl::OkStatus();
  }
  if (payload.has_supervision_threshold_set()) {
    const v1::SupervisionThresholdSet& set = payload.supervision_threshold_set();
    const std::string key = ThresholdKey(set.org_unit(), set.rule());
    v1::SupervisedThreshold threshold;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &threshold).status());
    v1::SupervisedThresholdChange* change = threshold.add_pending();
    *change->mutable_set() = set;
    change->set_partition(event.position().partition());
    change->set_offset(event.position().offset());
    txn.PutProto(key, threshold);
    txn.Put(absl::StrCat("ta/", key), "");
    return absl::OkStatus();
  }
  if (payload.has_supervision_alert_raised() || payload.has_supervision_alert_resolved()) {
    return ApplyAlertEvent(event, txn);
  }
  return ApplyFacts(event, txn);
}

absl::Status SupervisionView::ApplyFacts(const v1::EventEnvelope& event, ViewTxn& txn) {
  // The latest facts of a subject: its last pending snapshot, else judged.
  absl::Status lookup_error;
  auto known = [&](const std::string& subject) -> std::optional<v1::SupervisedFacts> {
    v1::SupervisedSubject stored;
    absl::StatusOr<bool> found = txn.GetProto(SubjectKey(subject), &stored);
    if (!found.ok()) {
      lookup_error = found.status();
      return std::nullopt;
    }
    if (!*found) return std::nullopt;
    if (stored.pending_size() > 0) return stored.pending(stored.pending_size() - 1);
    if (stored.judged().kind().empty()) return std::nullopt;
    return stored.judged();
  };
  auto payment = [&](const std::string& account,
                     const std::string& payment_id) -> std::optional<v1::PaymentPosted> {
    v1::PaymentPosted paid;
    absl::StatusOr<bool> found = txn.GetProto(PaymentKey(account, payment_id), &paid);
    if (!found.ok()) {
      lookup_error = found.status();
      return std::nullopt;
    }
    if (!*found) return std::nullopt;
    return paid;
  };
  marketing::SupervisedChanges changes = marketing::FoldSupervisedEvent(event, known, payment);
  GL_RETURN_IF_ERROR(lookup_error);
  if (changes.payment_posted) {
    txn.PutProto(
        PaymentKey(changes.payment_posted->account_id(), changes.payment_posted->payment_id()),
        *changes.payment_posted);
  }
  if (metering::AffectsLineLoss(event.payload())) {
    TxnLineLossMemory memory(txn, "L/");
    GL_ASSIGN_OR_RETURN(std::vector<metering::EnergyShare> shares,
                        metering::FoldLineLoss(event, memory));
    for (const metering::EnergyShare& share : shares) {
      changes.subjects.push_back(marketing::LineLossDelta(share, event));
    }
  }
  for (v1::SupervisedFacts& facts : changes.subjects) {
    v1::SupervisedSubject stored;
    GL_RETURN_IF_ERROR(txn.GetProto(SubjectKey(facts.subject()), &stored).status());
    const std::string subject = facts.subject();
    *stored.add_pending() = std::move(facts);
    txn.PutProto(SubjectKey(subject), stored);
    txn.Put(ActiveKey(subject), "");
  }
  return absl::OkStatus();
}

absl::Status SupervisionView::ApplyAlertEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_supervision_alert_raised()) {
    const v1::SupervisionAlertRaised& raised = payload.supervision_alert_raised();
    v1::AlertRecord record;
    *record.mutable_raised() = raised;
    record.set_state(v1::ALERT_STATE_OPEN);
    *record.mutable_raised_position() = event.position();
    *record.mutable_raised_at() = event.occurred_at();
    record.set_raised_by(event.actor().principal());
    txn.PutProto(RecordKey(raised.alert_id()), record);
    txn.Put(IndexKey(event.occurred_at(), raised.alert_id()), "");
    return absl::OkStatus();
  }
  const v1::SupervisionAlertResolved& resolved = payload.supervision_alert_resolved();
  v1::AlertRecord record;
  GL_ASSIGN_OR_RETURN(bool found, txn.GetProto(RecordKey(resolved.alert_id()), &record));
  if (!found) return absl::OkStatus();  // the store's rules make this impossible
  record.set_state(v1::ALERT_STATE_RESOLVED);
  *record.mutable_resolved() = resolved;
  *record.mutable_resolved_position() = event.position();
  *record.mutable_resolved_at() = event.occurred_at();
  record.set_resolved_by(event.actor().principal());
  txn.PutProto(RecordKey(resolved.alert_id()), record);
  return absl::OkStatus();
}

absl::Status SupervisionView::Settle(const v1::Checkpoint& applied, ViewTxn& txn) {
  v1::PendingTicks ticks;
  GL_ASSIGN_OR_RETURN(bool found, txn.GetProto(kTicksKey, &ticks));
  if (!found || ticks.ticks().empty()) return absl::OkStatus();
  int judged = 0;
  std::vector<AlertAction> actions;
  for (const v1::ClockTicked& tick : ticks.ticks()) {
    if (!Ready(tick, applied)) break;
    // Time never goes back, and what a tick covers only grows.
    absl::Time at = domain::FromTimestamp(tick.at());
    if (ticks.has_latest()) at = std::max(at, domain::FromTimestamp(ticks.latest()));
    *ticks.mutable_latest() = domain::ToTimestamp(at);
    MergeMarks(tick.covers(), ticks.mutable_covered());
    GL_RETURN_IF_ERROR(JudgeTick(at, ticks, txn, &actions));
    ++judged;
  }
  if (judged == 0) return absl::OkStatus();
  if (sink_ && !actions.empty()) GL_RETURN_IF_ERROR(sink_(actions));
  ticks.mutable_ticks()->DeleteSubrange(0, judged);
  txn.PutProto(kTicksKey, ticks);
  return absl::OkStatus();
}

absl::Status SupervisionView::JudgeTick(absl::Time at, const v1::PendingTicks& ticks, ViewTxn& txn,
                                        std::vector<AlertAction>* actions) {
  // Thresholds first: those set by events the tick covers take effect.
  GL_ASSIGN_OR_RETURN(std::vector<std::string> pending_thresholds, txn.Keys("ta/"));
  for (const std::string& marker : pending_thresholds) {
    const std::string key = marker.substr(3);
    v1::SupervisedThreshold threshold;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &threshold).status());
    int covered = 0;
    while (covered < threshold.pending_size() &&
           Covered(ticks, threshold.pending(covered).partition(),
                   threshold.pending(covered).offset())) {
      *threshold.mutable_judged() = threshold.pending(covered).set();
      ++covered;
    }
    if (covered == 0) continue;
    threshold.mutable_pending()->DeleteSubrange(0, covered);
    txn.PutProto(key, threshold);
    if (threshold.pending().empty()) txn.Delete(marker);
    GL_RETURN_IF_ERROR(ReactivateForThreshold(threshold.judged(), txn));
  }

  Thresholds thresholds(txn);
  GL_ASSIGN_OR_RETURN(std::vector<std::string> active, txn.Keys("a/"));
  for (const std::string& marker : active) {
    const std::string subject = marker.substr(2);
    v1::SupervisedSubject stored;
    GL_RETURN_IF_ERROR(txn.GetProto(SubjectKey(subject), &stored).status());
    bool changed = FoldCovered(ticks, &stored);
    const v1::SupervisedFacts& facts = stored.judged();
    bool any_open = false;
    if (!facts.kind().empty()) {
      for (const SupervisionRuleSpec* rule : marketing::RulesOfKind(facts.kind())) {
        GL_ASSIGN_OR_RETURN(const int64_t threshold, thresholds.Of(facts.org_unit(), *rule));
        const marketing::RuleFinding finding = marketing::JudgeRule(*rule, facts, at, threshold);
        auto it = std::find_if(stored.mutable_alerts()->begin(), stored.mutable_alerts()->end(),
                               [&](const v1::RuleAlerts& a) { return a.rule() == rule->rule; });
        v1::RuleAlerts* alerts = it != stored.mutable_alerts()->end() ? &*it : nullptr;
        const bool open = alerts != nullptr && !alerts->open_alert_id().empty();
        if (finding.holds && !open) {
          if (alerts == nullptr) {
            alerts = stored.add_alerts();
            alerts->set_rule(rule->rule);
          }
          alerts->set_raised(alerts->raised() + 1);
          alerts->set_open_alert_id(marketing::EngineAlertId(*rule, subject, alerts->raised()));
          alerts->set_threshold(threshold);
          AlertAction& action = actions->emplace_back();
          action.raise = true;
          v1::SupervisionAlertRaised& raised = action.raised;
          raised.set_alert_id(alerts->open_alert_id());
          raised.set_kind(rule->kind);
          raised.set_subject_stream_id(marketing::SubjectStreamId(facts));
          raised.set_org_unit(facts.org_unit());
          raised.set_detail(finding.detail);
          raised.set_rule(rule->rule);
          raised.set_threshold(threshold);
          raised.set_observed(finding.observed);
          *raised.add_evidence() = EvidenceOf(facts);
          *raised.mutable_found_at() = domain::ToTimestamp(at);
          action.org_unit = facts.org_unit();
          action.at = at;
          action.command_id = absl::StrCat("supervision/", raised.alert_id(), "/raise");
          v1::AlertRecord decision;
          *decision.mutable_raised() = raised;
          decision.set_state(v1::ALERT_STATE_OPEN);
          txn.PutProto(DecisionKey(raised.alert_id()), decision);
          changed = true;
        } else if (!finding.holds && open) {
          AlertAction& action = actions->emplace_back();
          v1::SupervisionAlertResolved& resolved = action.resolved;
          resolved.set_alert_id(alerts->open_alert_id());
          resolved.set_resolution(marketing::ResolvedBecause(*rule, facts, threshold));
          *resolved.add_evidence() = EvidenceOf(facts);
          *resolved.mutable_found_at() = domain::ToTimestamp(at);
          action.org_unit = facts.org_unit();
          action.at = at;
          action.command_id = absl::StrCat("supervision/", resolved.alert_id(), "/resolve");
          v1::AlertRecord decision;
          GL_RETURN_IF_ERROR(txn.GetProto(DecisionKey(resolved.alert_id()), &decision).status());
          decision.set_state(v1::ALERT_STATE_RESOLVED);
          *decision.mutable_resolved() = resolved;
          txn.PutProto(DecisionKey(resolved.alert_id()), decision);
          alerts->clear_open_alert_id();
          changed = true;
        }
        if (alerts != nullptr && !alerts->open_alert_id().empty()) any_open = true;
      }
    }
    // A subject nothing can alert on any more leaves the judged set; one
    // whose process ended is forgotten.
    if (stored.pending().empty() && !any_open && !marketing::CanStillAlert(facts, at)) {
      txn.Delete(marker);
      if (facts.ended()) {
        txn.Delete(SubjectKey(subject));
        continue;
      }
    }
    if (changed) txn.PutProto(SubjectKey(subject), stored);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AlertPage> ListAlerts(const ViewReader& reader, const std::string& org_unit,
                                         const v1::ListAlertsRequest& request) {
  const int32_t page_size =
      request.page_size() <= 0 ? 100 : std::min<int32_t>(request.page_size(), 1000);
  absl::Time now = domain::FromTimestamp(request.now());
  if (!request.has_now()) {
    GL_ASSIGN_OR_RETURN(now, LatestTick(reader));
  }
  v1::AlertPage page;
  absl::Status error;
  GL_RETURN_IF_ERROR(
      reader.Scan("i/", request.page_token(), [&](absl::string_view key, absl::string_view) {
        if (page.alerts_size() == page_size) {
          page.set_next_page_token(std::string(key));
          return false;
        }
        const size_t slash = key.rfind('/');
        v1::AlertRecord record;
        absl::StatusOr<bool> found = reader.GetProto(RecordKey(key.substr(slash + 1)), &record);
        if (!found.ok()) {
          error = found.status();
          return false;
        }
        if (!*found) return true;
        const v1::SupervisionAlertRaised& raised = record.raised();
        if (!domain::OrgUnitContains(org_unit, raised.org_unit())) return true;
        if (request.rule() != v1::SUPERVISION_RULE_UNSPECIFIED && raised.rule() != request.rule()) {
          return true;
        }
        if (request.state() != v1::ALERT_STATE_UNSPECIFIED && record.state() != request.state()) {
          return true;
        }
        if (request.min_age_s() > 0 &&
            now - domain::FromTimestamp(record.raised_at()) < absl::Seconds(request.min_age_s())) {
          return true;
        }
        *page.add_alerts() = std::move(record);
        return true;
      }));
  GL_RETURN_IF_ERROR(error);
  *page.mutable_reflects() = reader.reflects();
  return page;
}

absl::StatusOr<v1::AlertRecord> GetAlert(const ViewReader& reader, const std::string& alert_id) {
  v1::AlertRecord record;
  GL_ASSIGN_OR_RETURN(bool found, reader.GetProto(RecordKey(alert_id), &record));
  if (!found) return absl::NotFoundError(absl::StrCat("alert_id: no alert ", alert_id));
  *record.mutable_reflects() = reader.reflects();
  return record;
}

absl::StatusOr<std::vector<v1::AlertRecord>> EngineDecisions(const ViewReader& reader) {
  std::vector<v1::AlertRecord> decisions;
  absl::Status error;
  GL_RETURN_IF_ERROR(reader.Scan("d/", "", [&](absl::string_view key, absl::string_view value) {
    v1::AlertRecord& record = decisions.emplace_back();
    if (!record.ParseFromString(std::string(value))) {
      error = absl::DataLossError(absl::StrCat("view record ", key, " does not parse"));
      return false;
    }
    return true;
  }));
  GL_RETURN_IF_ERROR(error);
  return decisions;
}

absl::StatusOr<absl::Time> LatestTick(const ViewReader& reader) {
  v1::PendingTicks ticks;
  GL_ASSIGN_OR_RETURN(bool found, reader.GetProto(kTicksKey, &ticks));
  if (!found || !ticks.has_latest()) return absl::UnixEpoch();
  return domain::FromTimestamp(ticks.latest());
}

}  // namespace gridledger::projections
