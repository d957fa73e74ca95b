#include "domain/marketing_department/supervision_rules.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/sha256.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/customer_service/application.h"
#include "domain/metering_center/line_loss.h"
#include "domain/metering_center/meter_lifecycle.h"

namespace gridledger::marketing {
namespace {

using domain::FromTimestamp;
using domain::ToCivilDay;
using domain::UtilityDay;

// The defaults: dunning at 0/15/30 days past due; reads checked within 3
// working days; bills checked 5 days before due; 95598 dispatched within 30
// minutes, on site by the limit dispatch set (45 min urban, 90 rural) and
// resolved within 24 hours; vouchers and meters by their due days.
constexpr SupervisionRuleSpec kRules[] = {
    {v1::SUPERVISION_RULE_APPLICATION_STEP_OVERDUE, v1::ALERT_KIND_APPLICATION_OVERDUE,
     "application-overdue", kSubjectApplication, "days", 0, 365},
    {v1::SUPERVISION_RULE_READ_UNCHECKED, v1::ALERT_KIND_READ_OVERDUE, "read-unchecked",
     kSubjectRead, "working days", 3, 60},
    {v1::SUPERVISION_RULE_FLAGGED_READ_UNDECIDED, v1::ALERT_KIND_READ_OVERDUE, "read-undecided",
     kSubjectRead, "working days", 3, 60},
    {v1::SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE, v1::ALERT_KIND_BILL_OVERDUE, "bill-unchecked",
     kSubjectBill, "days", 5, 60},
    {v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, v1::ALERT_KIND_BILL_OVERDUE, "bill-unpaid-1",
     kSubjectBill, "days", 0, 365},
    {v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2, v1::ALERT_KIND_BILL_OVERDUE, "bill-unpaid-2",
     kSubjectBill, "days", 15, 365},
    {v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3, v1::ALERT_KIND_BILL_OVERDUE, "bill-unpaid-3",
     kSubjectBill, "days", 30, 365},
    {v1::SUPERVISION_RULE_METER_VERIFICATION_OVERDUE, v1::ALERT_KIND_METER_OVERDUE,
     "meter-verification", kSubjectMeter, "days", 0, 365},
    {v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, v1::ALERT_KIND_METER_OVERDUE,
     "meter-on-site-test", kSubjectMeter, "days", 0, 365},
    {v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE, v1::ALERT_KIND_TICKET_LATE, "ticket-dispatch",
     kSubjectTicket, "minutes", 30, int64_t{24} * 60},
    {v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE, v1::ALERT_KIND_TICKET_ON_SITE_LATE, "ticket-on-site",
     kSubjectTicket, "minutes", 0, int64_t{24} * 60},
    {v1::SUPERVISION_RULE_TICKET_RESOLUTION_LATE, v1::ALERT_KIND_TICKET_LATE, "ticket-resolution",
     kSubjectTicket, "hours", 24, int64_t{30} * 24},
    {v1::SUPERVISION_RULE_VOUCHER_LATE, v1::ALERT_KIND_VOUCHER_LATE, "voucher-late",
     kSubjectVoucher, "days", 0, 365},
    {v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, v1::ALERT_KIND_LINE_LOSS, "feeder-loss",
     kSubjectFeederLoss, "basis points", 800, 10000},
    {v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, v1::ALERT_KIND_LINE_LOSS, "area-loss",
     kSubjectAreaLoss, "basis points", 1000, 10000},
    {v1::SUPERVISION_RULE_KPI_OFF_TARGET, v1::ALERT_KIND_KPI_OFF_TARGET, "kpi-off-target",
     kSubjectKpi, "days", 0, 60},
};

bool HasDate(const v1::Date& date) { return date.year() != 0; }

// Whole days from `date` to the day of `now` (negative before it).
int64_t DaysPast(const v1::Date& date, absl::Time now) {
  return UtilityDay(now) - ToCivilDay(date);
}

int64_t MinutesSince(const google::protobuf::Timestamp& since, absl::Time now) {
  return absl::ToInt64Minutes(now - FromTimestamp(since));
}

// The detail is written only for a finding that holds (most do not).
template <typename Detail>
RuleFinding Finding(bool holds, int64_t observed, const Detail& detail) {
  return RuleFinding{holds, observed, holds ? detail() : std::string()};
}

// "T-1" for "ticket/T-1", "42/B-1" for "bill/42/B-1": the detail names the
// kind itself.
absl::string_view Named(const v1::SupervisedFacts& f) {
  absl::string_view subject = f.subject();
  const size_t slash = subject.find('/');
  return slash == absl::string_view::npos ? subject : subject.substr(slash + 1);
}

bool BillOpen(const v1::SupervisedFacts& f) { return !f.ended() && f.paid_fen() < f.total_fen(); }

// A node's month out of 0..threshold bp, from its judging day on.
RuleFinding JudgeLineLoss(const SupervisionRuleSpec& rule, const v1::SupervisedFacts& f,
                          absl::Time now, int64_t threshold) {
  if (!HasDate(f.due()) || DaysPast(f.due(), now) < 0) return {};  // the month is not settled
  if (f.energy_in_wh() == 0 && f.energy_billed_wh() == 0) return {};
  const std::string what = absl::StrCat(
      rule.rule == v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE ? "feeder "
                                                                      : "transformer area ",
      Named(f));
  const std::optional<int64_t> rate =
      metering::LineLossRateBp(f.energy_in_wh(), f.energy_billed_wh());
  if (!rate) {
    return Finding(true, kNoEnergyInObserved, [&] {
      return absl::StrCat(what, ": ", f.energy_billed_wh(),
                          " Wh billed with no energy in recorded (no gateway read)");
    });
  }
  return Finding(*rate < 0 || *rate > threshold, *rate, [&] {
    return absl::StrCat(what, ": line loss ", *rate, " bp (in ", f.energy_in_wh(), " Wh, billed ",
                        f.energy_billed_wh(), " Wh), outside 0..", threshold);
  });
}

// A KPI's last measurement short of its target, more than threshold days
// after its period ended; a rate with no data is not judged.
RuleFinding JudgeKpiOffTarget(const v1::SupervisedFacts& f, absl::Time now, int64_t threshold) {
  if (f.ended() || !f.has_measured() || !HasDate(f.due())) return {};
  const v1::KpiMeasurement& m = f.measured();
  if (m.measure() == "rate" && m.denominator() == 0) return {};
  const int64_t days = DaysPast(f.due(), now);
  return Finding(!m.meets_target() && days > threshold, days, [&] {
    return absl::StrCat(v1::Kpi_Name(m.kpi()), " of ", f.org_unit(), " for ", f.period().year(),
                        "-", absl::StrFormat("%02d", f.period().month()), ": ", m.value(), " ",
                        m.unit(), " measured, target ", m.target_value(), " ", m.unit());
  });
}

}  // namespace

absl::Span<const SupervisionRuleSpec> SupervisionRules() { return kRules; }

const SupervisionRuleSpec* FindSupervisionRule(v1::SupervisionRule rule) {
  for (const SupervisionRuleSpec& spec : kRules) {
    if (spec.rule == rule) return &spec;
  }
  return nullptr;
}

const std::vector<const SupervisionRuleSpec*>& RulesOfKind(absl::string_view kind) {
  // Built once: every tick asks for every subject.
  static const auto* const kByKind = [] {
    auto* rules = new std::map<std::string, std::vector<const SupervisionRuleSpec*>, std::less<>>();
    for (const SupervisionRuleSpec& spec : kRules) {
      (*rules)[std::string(spec.subject_kind)].push_back(&spec);
    }
    return rules;
  }();
  static const std::vector<const SupervisionRuleSpec*> kNone;
  auto it = kByKind->find(kind);
  return it == kByKind->end() ? kNone : it->second;
}

absl::Status CheckSupervisionThreshold(const v1::SupervisionThresholdSet& threshold) {
  if (absl::Status s = domain::CheckOrgUnit("threshold.org_unit", threshold.org_unit()); !s.ok()) {
    return s;
  }
  const SupervisionRuleSpec* spec = FindSupervisionRule(threshold.rule());
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold.rule: must be one of the supervision rules, not ",
                     v1::SupervisionRule_Name(threshold.rule()).empty()
                         ? absl::StrCat(static_cast<int>(threshold.rule()))
                         : v1::SupervisionRule_Name(threshold.rule())));
  }
  if (threshold.value() < 0 || threshold.value() > spec->max_threshold) {
    return absl::InvalidArgumentError(absl::StrCat("threshold.value: ", threshold.value(),
                                                   " is outside 0..", spec->max_threshold, " ",
                                                   spec->unit, " for ", spec->name));
  }
  return absl::OkStatus();
}

RuleFinding JudgeRule(const SupervisionRuleSpec& rule, const v1::SupervisedFacts& f, absl::Time now,
                      int64_t threshold) {
  switch (rule.rule) {
    case v1::SUPERVISION_RULE_APPLICATION_STEP_OVERDUE: {
      if (f.ended() || !HasDate(f.due())) return {};
      const int64_t late = DaysPast(f.due(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("application ", Named(f), " is ", late,
                            " days past its committed date");
      });
    }
    case v1::SUPERVISION_RULE_READ_UNCHECKED: {
      if (f.ended() || f.checked() || !f.has_started_at()) return {};
      const int64_t waited =
          customer::WorkingDaysBetween(UtilityDay(FromTimestamp(f.started_at())), UtilityDay(now));
      return Finding(waited > threshold, waited, [&] {
        return absl::StrCat("read ", Named(f), " unchecked for ", waited, " working days");
      });
    }
    case v1::SUPERVISION_RULE_FLAGGED_READ_UNDECIDED: {
      if (f.ended() || !f.flagged() || !f.has_flagged_at()) return {};
      const int64_t waited =
          customer::WorkingDaysBetween(UtilityDay(FromTimestamp(f.flagged_at())), UtilityDay(now));
      return Finding(waited > threshold, waited, [&] {
        return absl::StrCat("flagged read ", Named(f), " undecided for ", waited, " working days");
      });
    }
    case v1::SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE: {
      if (f.ended() || f.checked() || !HasDate(f.due())) return {};
      const int64_t left = -DaysPast(f.due(), now);
      return Finding(left <= threshold, left, [&] {
        return absl::StrCat("bill ", Named(f), " unchecked with ", left,
                            " days left before it is due");
      });
    }
    case v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1:
    case v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2:
    case v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3: {
      if (!BillOpen(f) || !HasDate(f.due())) return {};
      const int64_t late = DaysPast(f.due(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("bill ", Named(f), ": ", f.total_fen() - f.paid_fen(), " fen unpaid ",
                            late, " days after its due date");
      });
    }
    case v1::SUPERVISION_RULE_METER_VERIFICATION_OVERDUE: {
      if (f.ended() || !HasDate(f.due())) return {};
      const int64_t late = DaysPast(f.due(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("meter ", Named(f), " is ", late, " days past its verification date");
      });
    }
    case v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE: {
      if (f.ended() || !f.in_service() || !HasDate(f.on_site_test_due())) return {};
      const int64_t late = DaysPast(f.on_site_test_due(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("metering point of ", Named(f), " is ", late,
                            " days past its on-site test");
      });
    }
    case v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE: {
      if (f.ended() || f.done() || f.dispatched() || !f.has_started_at()) return {};
      const int64_t waited = MinutesSince(f.started_at(), now);
      return Finding(waited > threshold, waited, [&] {
        return absl::StrCat("ticket ", Named(f), " undispatched for ", waited, " minutes");
      });
    }
    case v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE: {
      if (f.ended() || f.done() || !f.dispatched() || f.on_site() || !f.has_on_site_due_by()) {
        return {};
      }
      const int64_t late = MinutesSince(f.on_site_due_by(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("ticket ", Named(f), ": crew not on site ", late,
                            " minutes past the limit");
      });
    }
    case v1::SUPERVISION_RULE_TICKET_RESOLUTION_LATE: {
      if (f.ended() || f.done() || !f.has_started_at()) return {};
      const int64_t hours = MinutesSince(f.started_at(), now) / 60;
      return Finding(hours > threshold, hours, [&] {
        return absl::StrCat("ticket ", Named(f), " unresolved for ", hours, " hours");
      });
    }
    case v1::SUPERVISION_RULE_VOUCHER_LATE: {
      if (f.ended() || f.done() || !HasDate(f.due())) return {};
      const int64_t late = DaysPast(f.due(), now);
      return Finding(late > threshold, late, [&] {
        return absl::StrCat("work voucher ", Named(f), " is ", late, " days past its due day");
      });
    }
    case v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE:
    case v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE:
      return JudgeLineLoss(rule, f, now, threshold);
    case v1::SUPERVISION_RULE_KPI_OFF_TARGET:
      return JudgeKpiOffTarget(f, now, threshold);
    default:
      return {};
  }
}

bool IsLineLossKind(absl::string_view kind) {
  return kind == kSubjectFeederLoss || kind == kSubjectAreaLoss;
}

v1::SupervisedFacts LineLossDelta(const metering::EnergyShare& share,
                                  const v1::EventEnvelope& event) {
  v1::SupervisedFacts f;
  const bool feeder = share.kind == v1::SUPPLY_NODE_KIND_FEEDER;
  f.set_kind(std::string(feeder ? kSubjectFeederLoss : kSubjectAreaLoss));
  const std::string period = absl::StrFormat("%04d%02d", share.period.year(), share.period.month());
  f.set_subject(absl::StrCat(f.kind(), "/", share.node_id, "/", period));
  f.set_stream_id(event.stream_id());  // the evidence: the read's or the bill's stream
  f.set_org_unit(share.org_unit);
  f.set_stream_version(event.stream_version());
  f.set_partition(event.position().partition());
  f.set_offset(event.position().offset());
  *f.mutable_period() = share.period;
  // Judged from the 10th of the next month: bills of a month are issued by then.
  const absl::CivilMonth next = absl::CivilMonth(share.period.year(), share.period.month()) + 1;
  *f.mutable_due() =
      domain::ToDate(absl::CivilDay(next.year(), next.month(), kLineLossJudgedFromDay));
  f.set_energy_in_wh(share.in_wh);
  f.set_energy_billed_wh(share.billed_wh);
  return f;
}

void AddLineLossDelta(const v1::SupervisedFacts& delta, v1::SupervisedFacts* judged) {
  const int64_t in = judged->energy_in_wh() + delta.energy_in_wh();
  const int64_t billed = judged->energy_billed_wh() + delta.energy_billed_wh();
  *judged = delta;  // identity and the evidence: the latest event folded
  judged->set_energy_in_wh(in);
  judged->set_energy_billed_wh(billed);
}

std::string SubjectStreamId(const v1::SupervisedFacts& f) {
  if (!IsLineLossKind(f.kind())) return f.stream_id();
  // "feeder-loss/<node>/<yyyymm>": the node's stream.
  const absl::string_view subject = f.subject();
  const size_t first = subject.find('/');
  const size_t last = subject.rfind('/');
  return domain::kSupply.StreamOf(subject.substr(first + 1, last - first - 1));
}

std::string ResolvedBecause(const SupervisionRuleSpec& rule, const v1::SupervisedFacts& f,
                            int64_t threshold) {
  if (f.ended()) return "the subject's process ended";
  if (rule.rule == v1::SUPERVISION_RULE_KPI_OFF_TARGET) {
    return f.measured().meets_target()
               ? absl::StrCat("measured on target: ", f.measured().value(), " ",
                              f.measured().unit(), " against ", f.measured().target_value())
               : absl::StrCat("the condition no longer holds (threshold ", threshold, " ",
                              rule.unit, ")");
  }
  if (IsLineLossKind(f.kind())) {
    const std::optional<int64_t> rate =
        metering::LineLossRateBp(f.energy_in_wh(), f.energy_billed_wh());
    if (rate) {
      return absl::StrCat("line loss ", *rate, " bp is within 0..", threshold, " (in ",
                          f.energy_in_wh(), " Wh, billed ", f.energy_billed_wh(), " Wh)");
    }
  }
  return absl::StrCat("the condition no longer holds (threshold ", threshold, " ", rule.unit, ")");
}

bool CanStillAlert(const v1::SupervisedFacts& f, absl::Time now) {
  if (f.ended()) return false;
  // A month's line loss changes only with events once it is judged.
  if (IsLineLossKind(f.kind())) return DaysPast(f.due(), now) < 0;
  // A KPI that meets its target changes only with a new measurement.
  if (f.kind() == kSubjectKpi) return !f.measured().meets_target();
  if (f.kind() == kSubjectBill) return BillOpen(f) || !f.checked();
  if (f.kind() == kSubjectRead) return !f.checked() || f.flagged();
  if (f.kind() == kSubjectTicket || f.kind() == kSubjectVoucher) return !f.done();
  return true;  // applications until they end; meters until scrapped
}

namespace {

// Starts or continues the facts of `subject`, stamped with `event`'s place.
class FactsBuilder {
 public:
  FactsBuilder(const v1::EventEnvelope& event, const FactsLookup& known)
      : event_(event), known_(known) {}

  v1::SupervisedFacts& Touch(absl::string_view kind, std::string subject) {
    for (v1::SupervisedFacts& f : out_) {
      if (f.subject() == subject) return f;
    }
    std::optional<v1::SupervisedFacts> before = known_(subject);
    v1::SupervisedFacts& f = out_.emplace_back(before ? *before : v1::SupervisedFacts());
    f.set_kind(std::string(kind));
    f.set_subject(std::move(subject));
    f.set_stream_id(event_.stream_id());
    if (!event_.org_unit().empty()) f.set_org_unit(event_.org_unit());
    f.set_stream_version(event_.stream_version());
    f.set_partition(event_.position().partition());
    f.set_offset(event_.position().offset());
    return f;
  }
  // Like Touch, but only for a subject already known (a check of a read
  // the engine never saw starts nothing).
  v1::SupervisedFacts* TouchKnown(absl::string_view kind, const std::string& subject) {
    for (v1::SupervisedFacts& f : out_) {
      if (f.subject() == subject) return &f;
    }
    if (!known_(subject)) return nullptr;
    return &Touch(kind, subject);
  }
  std::vector<v1::SupervisedFacts> Take() { return std::move(out_); }

 private:
  const v1::EventEnvelope& event_;
  const FactsLookup& known_;
  std::vector<v1::SupervisedFacts> out_;
};

std::string ReadKey(absl::string_view account, absl::string_view read_id) {
  return absl::StrCat(kSubjectRead, "/", account, "/", read_id);
}
std::string BillKey(absl::string_view account, absl::string_view bill_id) {
  return absl::StrCat(kSubjectBill, "/", account, "/", bill_id);
}

// The principal a payment paid per bill (allocations to penalties dropped):
// schema 1 allocations pay the principal up to what was unpaid.
v1::PaymentPosted PrincipalOf(const v1::PaymentPosted& payment, int32_t schema_version,
                              absl::string_view account, const FactsLookup& known) {
  v1::PaymentPosted principal;
  principal.set_payment_id(payment.payment_id());
  principal.set_account_id(std::string(account));
  for (const v1::PaymentAllocation& a : payment.allocations()) {
    if (a.to_penalty()) continue;
    int64_t amount = a.amount_fen();
    if (schema_version < 2) {
      std::optional<v1::SupervisedFacts> bill = known(BillKey(account, a.bill_id()));
      if (bill) {
        amount = std::min(amount, std::max<int64_t>(0, bill->total_fen() - bill->paid_fen()));
      }
    }
    v1::PaymentAllocation* out = principal.add_allocations();
    out->set_bill_id(a.bill_id());
    out->set_amount_fen(amount);
  }
  return principal;
}

}  // namespace

namespace {

// The customer service centre's events: applications and 95598 tickets.
void FoldCustomerEvent(const v1::EventEnvelope& event, FactsBuilder& facts) {
  const v1::DomainEvent& p = event.payload();
  const std::string& stream = event.stream_id();
  // Each event is of one stream: an application's or a ticket's.
  const bool of_ticket = domain::kTicket.Holds(stream);
  const std::string application =
      of_ticket ? "" : absl::StrCat(kSubjectApplication, "/", domain::kApplication.IdOf(stream));
  const std::string ticket =
      of_ticket ? absl::StrCat(kSubjectTicket, "/", domain::kTicket.IdOf(stream)) : "";
  switch (p.event_case()) {
    case v1::DomainEvent::kApplicationSubmitted:
      facts.Touch(kSubjectApplication, application);
      break;
    case v1::DomainEvent::kApplicationAccepted:
      *facts.Touch(kSubjectApplication, application).mutable_due() =
          p.application_accepted().due_date();
      break;
    case v1::DomainEvent::kApplicationClosed:
    case v1::DomainEvent::kApplicationRejected:
    case v1::DomainEvent::kApplicationWithdrawn:
      facts.Touch(kSubjectApplication, application).set_ended(true);
      break;
    case v1::DomainEvent::kServiceTicketOpened: {
      v1::SupervisedFacts& f = facts.Touch(kSubjectTicket, ticket);
      *f.mutable_started_at() = p.service_ticket_opened().opened_at();
      if (!f.has_started_at()) *f.mutable_started_at() = event.occurred_at();
      break;
    }
    case v1::DomainEvent::kServiceTicketDispatched: {
      v1::SupervisedFacts& f = facts.Touch(kSubjectTicket, ticket);
      f.set_dispatched(true);
      *f.mutable_on_site_due_by() = p.service_ticket_dispatched().on_site_due_by();
      break;
    }
    case v1::DomainEvent::kServiceTicketOnSite:
      facts.Touch(kSubjectTicket, ticket).set_on_site(true);
      break;
    case v1::DomainEvent::kServiceTicketResolved:
      facts.Touch(kSubjectTicket, ticket).set_done(true);
      break;
    case v1::DomainEvent::kServiceTicketClosed: {
      v1::SupervisedFacts& f = facts.Touch(kSubjectTicket, ticket);
      f.set_done(true);
      f.set_ended(true);
      break;
    }
    default:
      break;
  }
}

// An account's reads and checks.
void FoldReadEvent(const v1::EventEnvelope& event, FactsBuilder& facts) {
  const v1::DomainEvent& p = event.payload();
  const std::string account(domain::kAccount.IdOf(event.stream_id()));
  switch (p.event_case()) {
    case v1::DomainEvent::kMeterReadRecorded: {
      const v1::MeterReadRecorded& read = p.meter_read_recorded();
      *facts.Touch(kSubjectRead, ReadKey(read.account_id(), read.read_id())).mutable_started_at() =
          event.occurred_at();
      break;
    }
    case v1::DomainEvent::kMeterReadChecked: {
      const v1::MeterReadChecked& check = p.meter_read_checked();
      v1::SupervisedFacts* f = facts.TouchKnown(kSubjectRead, ReadKey(account, check.read_id()));
      if (f == nullptr) break;
      f->set_checked(true);
      if (check.passed()) {
        f->set_ended(true);
      } else {
        f->set_flagged(true);
        *f->mutable_flagged_at() = event.occurred_at();
      }
      break;
    }
    case v1::DomainEvent::kReadCheckDecided: {
      v1::SupervisedFacts* f =
          facts.TouchKnown(kSubjectRead, ReadKey(account, p.read_check_decided().read_id()));
      if (f != nullptr) f->set_ended(true);
      break;
    }
    default:
      break;
  }
}

// An account's bills and the payments to them.
void FoldBillEvent(const v1::EventEnvelope& event, const FactsLookup& known,
                   const PaymentLookup& payment_lookup, FactsBuilder& facts,
                   SupervisedChanges& changes) {
  const v1::DomainEvent& p = event.payload();
  const std::string account(domain::kAccount.IdOf(event.stream_id()));
  switch (p.event_case()) {
    case v1::DomainEvent::kBillIssued: {
      const v1::BillIssued& bill = p.bill_issued();
      v1::SupervisedFacts& f =
          facts.Touch(kSubjectBill, BillKey(bill.account_id(), bill.bill_id()));
      *f.mutable_due() = bill.due_date();
      f.set_total_fen(bill.total_fen());
      break;
    }
    case v1::DomainEvent::kBillChecked: {
      v1::SupervisedFacts* f =
          facts.TouchKnown(kSubjectBill, BillKey(account, p.bill_checked().bill_id()));
      if (f != nullptr) f->set_checked(true);
      break;
    }
    case v1::DomainEvent::kBillReversed: {
      v1::SupervisedFacts* f =
          facts.TouchKnown(kSubjectBill, BillKey(account, p.bill_reversed().bill_id()));
      if (f != nullptr) f->set_ended(true);
      break;
    }
    case v1::DomainEvent::kPaymentPosted: {
      v1::PaymentPosted principal =
          PrincipalOf(p.payment_posted(), event.schema_version(), account, known);
      for (const v1::PaymentAllocation& a : principal.allocations()) {
        v1::SupervisedFacts* f = facts.TouchKnown(kSubjectBill, BillKey(account, a.bill_id()));
        if (f != nullptr) f->set_paid_fen(f->paid_fen() + a.amount_fen());
      }
      changes.payment_posted = std::move(principal);
      break;
    }
    case v1::DomainEvent::kPaymentReversed: {
      std::optional<v1::PaymentPosted> paid =
          payment_lookup(account, p.payment_reversed().payment_id());
      if (!paid) break;
      for (const v1::PaymentAllocation& a : paid->allocations()) {
        v1::SupervisedFacts* f = facts.TouchKnown(kSubjectBill, BillKey(account, a.bill_id()));
        if (f != nullptr) f->set_paid_fen(f->paid_fen() - a.amount_fen());
      }
      break;
    }
    default:
      break;
  }
}

// A meter's verifications, installation, on-site tests and scrapping, and
// work vouchers.
void FoldMeteringEvent(const v1::EventEnvelope& event, FactsBuilder& facts) {
  const v1::DomainEvent& p = event.payload();
  const std::string& stream = event.stream_id();
  // Each event is of one stream: a meter's or a voucher's.
  const bool of_voucher = domain::kVoucher.Holds(stream);
  const std::string meter =
      of_voucher ? "" : absl::StrCat(kSubjectMeter, "/", domain::kMeter.IdOf(stream));
  const std::string voucher =
      of_voucher ? absl::StrCat(kSubjectVoucher, "/", domain::kVoucher.IdOf(stream)) : "";
  switch (p.event_case()) {
    case v1::DomainEvent::kMeterCalibrated:
      if (p.meter_calibrated().passed()) {
        *facts.Touch(kSubjectMeter, meter).mutable_due() = p.meter_calibrated().next_due();
      }
      break;
    case v1::DomainEvent::kMeterInstalled: {
      // The first on-site test falls due the class's interval after it.
      const v1::MeterInstalled& installed = p.meter_installed();
      v1::SupervisedFacts& f = facts.Touch(kSubjectMeter, meter);
      f.set_in_service(true);
      if (metering::OnSiteTestIntervalMonths(installed.metering_class()) > 0) {
        const v1::Date on = domain::UtilityDate(
            installed.has_installed_at() ? installed.installed_at() : event.occurred_at());
        *f.mutable_on_site_test_due() = metering::NextOnSiteTest(on, installed.metering_class());
      } else {
        f.clear_on_site_test_due();
      }
      break;
    }
    case v1::DomainEvent::kMeterRemoved:
      facts.Touch(kSubjectMeter, meter).set_in_service(false);
      break;
    case v1::DomainEvent::kOnSiteTestRecorded:
      *facts.Touch(kSubjectMeter, meter).mutable_on_site_test_due() =
          p.on_site_test_recorded().next_due();
      break;
    case v1::DomainEvent::kMeterScrapped:
      facts.Touch(kSubjectMeter, meter).set_ended(true);
      break;
    case v1::DomainEvent::kWorkVoucherIssued:
      *facts.Touch(kSubjectVoucher, voucher).mutable_due() = p.work_voucher_issued().due_on();
      break;
    case v1::DomainEvent::kWorkVoucherCompleted:
      facts.Touch(kSubjectVoucher, voucher).set_done(true);
      break;
    case v1::DomainEvent::kWorkVoucherVerified: {
      v1::SupervisedFacts& f = facts.Touch(kSubjectVoucher, voucher);
      f.set_done(true);
      f.set_ended(true);
      break;
    }
    default:
      break;
  }
}

}  // namespace

namespace {

// Each measured KPI's facts: the measurement, due on the period's last day.
void FoldKpiMeasured(const v1::KpiMeasured& measured, FactsBuilder& facts) {
  const v1::Period& period = measured.period();
  const absl::CivilDay last_day =
      absl::CivilDay(absl::CivilMonth(period.year(), period.month()) + 1) - 1;
  for (const v1::KpiMeasurement& m : measured.values()) {
    v1::SupervisedFacts& f = facts.Touch(
        kSubjectKpi, absl::StrCat(kSubjectKpi, "/", measured.org_unit(), "/",
                                  absl::StrFormat("%04d%02d", period.year(), period.month()), "/",
                                  static_cast<int>(m.kpi())));
    f.set_org_unit(measured.org_unit());
    *f.mutable_period() = period;
    *f.mutable_due() = domain::ToDate(last_day);
    f.set_kpi(m.kpi());
    *f.mutable_measured() = m;
  }
}

}  // namespace

SupervisedChanges FoldSupervisedEvent(const v1::EventEnvelope& event, const FactsLookup& known,
                                      const PaymentLookup& payment_lookup) {
  SupervisedChanges changes;
  FactsBuilder facts(event, known);
  const std::string& stream = event.stream_id();
  if (domain::kApplication.Holds(stream) || domain::kTicket.Holds(stream)) {
    FoldCustomerEvent(event, facts);
  } else if (domain::kAccount.Holds(stream)) {
    FoldReadEvent(event, facts);
    FoldBillEvent(event, known, payment_lookup, facts, changes);
  } else if (domain::kMeter.Holds(stream) || domain::kVoucher.Holds(stream)) {
    FoldMeteringEvent(event, facts);
  } else if (event.payload().has_kpi_measured()) {
    FoldKpiMeasured(event.payload().kpi_measured(), facts);
  }
  changes.subjects = facts.Take();
  return changes;
}

std::string EngineAlertId(const SupervisionRuleSpec& rule, absl::string_view subject_key,
                          int32_t sequence) {
  return absl::StrCat("sv.", rule.name, ".", HexEncode(Sha256(subject_key)).substr(0, 16), ".",
                      sequence);
}

}  // namespace gridledger::marketing
