#include "projections/views/kpi_view.h"

#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "domain/metering_center/line_loss.h"
#include "gridledger/v1/customer_events.pb.h"
#include "projections/views/ledger_view.h"
#include "projections/views/line_loss_memory.h"
#include "projections/views/view_keys.h"

namespace gridledger::projections {
namespace {

std::string CountersKey(absl::string_view unit, absl::string_view period_key) {
  return absl::StrCat("kc/", UnitKey(unit), period_key);
}
std::string SubjectKey(absl::string_view kind, absl::string_view id) {
  return absl::StrCat("ks/", kind, "/", id);
}
std::string DueKey(absl::string_view unit, const v1::Date& due, absl::string_view bar_code) {
  return absl::StrCat("kv/", UnitKey(unit), DateKey(due), "|", bar_code);
}
std::string TargetKey(absl::string_view unit, const v1::Period& period, v1::Kpi kpi) {
  return absl::StrCat("kt/", UnitKey(unit), PeriodKey(period), "/", static_cast<int>(kpi));
}

// Adds to the counters of `org_unit` and every unit above it.
absl::Status Count(ViewTxn& txn, absl::string_view org_unit, absl::string_view period_key,
                   const std::function<void(v1::KpiCounters&)>& change) {
  for (const std::string& unit : UnitAndAncestors(org_unit)) {
    const std::string key = CountersKey(unit, period_key);
    v1::KpiCounters counters;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &counters).status());
    change(counters);
    txn.PutProto(key, counters);
  }
  return absl::OkStatus();
}

// Adds one to the decimal count under `suffix` of the histogram of `org_unit`
// and every unit above it.
absl::Status CountInHistogram(ViewTxn& txn, absl::string_view org_unit,
                              absl::string_view period_key, absl::string_view suffix) {
  for (const std::string& unit : UnitAndAncestors(org_unit)) {
    const std::string key = absl::StrCat("kh/", UnitKey(unit), period_key, "/", suffix);
    int64_t count = 0;
    absl::StatusOr<std::string> stored = txn.Get(key);
    if (stored.ok()) {
      if (!absl::SimpleAtoi(*stored, &count)) {
        return absl::DataLossError(absl::StrCat("kpi: ", key, " is not a count"));
      }
    } else if (!absl::IsNotFound(stored.status())) {
      return stored.status();
    }
    txn.Put(key, absl::StrCat(count + 1));
  }
  return absl::OkStatus();
}

std::string Bucket(int64_t value) { return absl::StrFormat("%06d", value); }

absl::StatusOr<v1::KpiSubject> LoadSubject(ViewTxn& txn, absl::string_view kind,
                                           absl::string_view id) {
  v1::KpiSubject subject;
  GL_RETURN_IF_ERROR(txn.GetProto(SubjectKey(kind, id), &subject).status());
  return subject;
}

// Line loss: each node's energy in and billed per month, at its county, and
// the unit totals (its feeders') at the county and every unit above.
std::string LineLossNodeKey(absl::string_view county, absl::string_view period_key,
                            v1::SupplyNodeKind kind, absl::string_view node_id) {
  return absl::StrCat("kl/", UnitKey(county), period_key, "/",
                      kind == v1::SUPPLY_NODE_KIND_FEEDER ? "feeder/" : "area/", node_id);
}
std::string LineLossUnitKey(absl::string_view unit, absl::string_view period_key) {
  return absl::StrCat("kL/", UnitKey(unit), period_key);
}

absl::Status AddLineLoss(ViewTxn& txn, const std::string& key, const metering::EnergyShare& share) {
  v1::LineLossCounters counters;
  GL_RETURN_IF_ERROR(txn.GetProto(key, &counters).status());
  counters.set_energy_in_wh(counters.energy_in_wh() + share.in_wh);
  counters.set_energy_billed_wh(counters.energy_billed_wh() + share.billed_wh);
  txn.PutProto(key, counters);
  return absl::OkStatus();
}

absl::Status ApplyLineLoss(const v1::EventEnvelope& event, ViewTxn& txn) {
  if (!metering::AffectsLineLoss(event.payload())) return absl::OkStatus();
  TxnLineLossMemory memory(txn, "kn/");
  GL_ASSIGN_OR_RETURN(std::vector<metering::EnergyShare> shares,
                      metering::FoldLineLoss(event, memory));
  for (const metering::EnergyShare& share : shares) {
    const std::string period = PeriodKey(share.period);
    GL_RETURN_IF_ERROR(AddLineLoss(
        txn, LineLossNodeKey(share.org_unit, period, share.kind, share.node_id), share));
    if (share.kind != v1::SUPPLY_NODE_KIND_FEEDER) continue;
    for (const std::string& unit : UnitAndAncestors(share.org_unit)) {
      GL_RETURN_IF_ERROR(AddLineLoss(txn, LineLossUnitKey(unit, period), share));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyAccountEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  GL_RETURN_IF_ERROR(ApplyLineLoss(event, txn));
  GL_ASSIGN_OR_RETURN(const v1::LedgerAccount account,
                      ApplyLedgerEvent(event, txn, /*with_statement=*/false));
  const std::string& unit = account.org_unit();
  const std::string account_id = std::string(domain::kAccount.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  switch (payload.event_case()) {
    case v1::DomainEvent::kAccountOpened:
      return Count(txn, unit, PeriodKey(PeriodOf(domain::UtilityDate(event.occurred_at()))),
                   [](v1::KpiCounters& c) { c.set_accounts_opened(c.accounts_opened() + 1); });
    case v1::DomainEvent::kAccountClosed:
      return Count(txn, unit, PeriodKey(PeriodOf(domain::UtilityDate(event.occurred_at()))),
                   [](v1::KpiCounters& c) { c.set_accounts_closed(c.accounts_closed() + 1); });
    case v1::DomainEvent::kMeterReadRecorded: {
      const v1::MeterReadRecorded& read = payload.meter_read_recorded();
      const std::string period = PeriodKey(read.period());
      txn.Put(absl::StrCat("kd/", account_id, "/", read.read_id()), period);
      const std::string marker = absl::StrCat("kr/", account_id, "/", period);
      absl::StatusOr<std::string> seen = txn.Get(marker);
      if (seen.ok()) return absl::OkStatus();  // a re-read of a period already counted
      if (!absl::IsNotFound(seen.status())) return seen.status();
      txn.Put(marker, "");
      return Count(txn, unit, period,
                   [](v1::KpiCounters& c) { c.set_reads_received(c.reads_received() + 1); });
    }
    case v1::DomainEvent::kMeterReadChecked:
    case v1::DomainEvent::kReadCheckDecided: {
      const bool checked = payload.has_meter_read_checked();
      const std::string& read_id =
          checked ? payload.meter_read_checked().read_id() : payload.read_check_decided().read_id();
      if (!checked) {
        const v1::ReadDecision decision = payload.read_check_decided().decision();
        if (decision != v1::READ_DECISION_REREAD && decision != v1::READ_DECISION_ESTIMATE) {
          return absl::OkStatus();  // accepted as read: not wrong
        }
      }
      GL_ASSIGN_OR_RETURN(std::string period,
                          txn.Get(absl::StrCat("kd/", account_id, "/", read_id)));
      return Count(txn, unit, period, [checked](v1::KpiCounters& c) {
        if (checked) {
          c.set_reads_checked(c.reads_checked() + 1);
        } else {
          c.set_reads_wrong(c.reads_wrong() + 1);
        }
      });
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status ApplyApplicationEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string id = std::string(domain::kApplication.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_application_submitted()) {
    const v1::ApplicationSubmitted& submitted = payload.application_submitted();
    v1::KpiSubject subject;
    subject.set_org_unit(submitted.org_unit());
    subject.set_application_type(submitted.application_type());
    subject.set_voltage_class(submitted.voltage_class());
    txn.PutProto(SubjectKey("app", id), subject);
    return absl::OkStatus();
  }
  if (!payload.has_application_closed()) return absl::OkStatus();
  const v1::ApplicationClosed& closed = payload.application_closed();
  GL_ASSIGN_OR_RETURN(v1::KpiSubject subject, LoadSubject(txn, "app", id));
  const std::string breakdown =
      absl::StrCat(v1::ApplicationType_Name(subject.application_type()).substr(17), "/",
                   v1::VoltageClass_Name(subject.voltage_class()).substr(14));
  const std::string period = PeriodKey(PeriodOf(domain::UtilityDate(event.occurred_at())));
  for (const std::string& unit : UnitAndAncestors(subject.org_unit())) {
    const std::string key = absl::StrCat("ka/", UnitKey(unit), period, "/", breakdown);
    v1::ApplicationCounters counters;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &counters).status());
    counters.set_closed(counters.closed() + 1);
    if (closed.on_time()) counters.set_on_time(counters.on_time() + 1);
    txn.PutProto(key, counters);
  }
  return CountInHistogram(txn, subject.org_unit(), period,
                          absl::StrCat("a/", breakdown, "/", Bucket(closed.working_days_taken())));
}

absl::Status ApplyTicketEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string id = std::string(domain::kTicket.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_service_ticket_opened()) {
    const v1::ServiceTicketOpened& opened = payload.service_ticket_opened();
    v1::KpiSubject subject;
    subject.set_org_unit(opened.org_unit());
    *subject.mutable_opened_at() =
        opened.has_opened_at() ? opened.opened_at() : event.occurred_at();
    txn.PutProto(SubjectKey("ticket", id), subject);
    return absl::OkStatus();
  }
  if (!payload.has_service_ticket_on_site()) return absl::OkStatus();
  const v1::ServiceTicketOnSite& on_site = payload.service_ticket_on_site();
  GL_ASSIGN_OR_RETURN(v1::KpiSubject subject, LoadSubject(txn, "ticket", id));
  const google::protobuf::Timestamp& arrived =
      on_site.has_arrived_at() ? on_site.arrived_at() : event.occurred_at();
  const int32_t minutes =
      static_cast<int32_t>((arrived.seconds() - subject.opened_at().seconds()) / 60);
  const std::string period = PeriodKey(PeriodOf(domain::UtilityDate(subject.opened_at())));
  GL_RETURN_IF_ERROR(Count(txn, subject.org_unit(), period, [&](v1::KpiCounters& c) {
    c.set_tickets_on_site(c.tickets_on_site() + 1);
    if (on_site.within_limit()) {
      c.set_tickets_on_site_within_limit(c.tickets_on_site_within_limit() + 1);
    }
  }));
  return CountInHistogram(txn, subject.org_unit(), period, absl::StrCat("t/", Bucket(minutes)));
}

// A work voucher counts in the month it is verified: on time when accepted
// and completed by its due day; refused ones are counted apart.
absl::Status ApplyVoucherEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string id = std::string(domain::kVoucher.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  GL_ASSIGN_OR_RETURN(v1::KpiSubject voucher, LoadSubject(txn, "voucher", id));
  switch (payload.event_case()) {
    case v1::DomainEvent::kWorkVoucherIssued:
      voucher.set_org_unit(event.org_unit());
      *voucher.mutable_due_on() = payload.work_voucher_issued().due_on();
      break;
    case v1::DomainEvent::kWorkVoucherCompleted:
      *voucher.mutable_completed_on() = payload.work_voucher_completed().completed_on();
      break;
    case v1::DomainEvent::kWorkVoucherVerified: {
      const bool accepted = payload.work_voucher_verified().accepted();
      const bool on_time =
          accepted && IsSet(voucher.completed_on()) &&
          domain::ToCivilDay(voucher.completed_on()) <= domain::ToCivilDay(voucher.due_on());
      const std::string period = PeriodKey(PeriodOf(domain::UtilityDate(event.occurred_at())));
      GL_RETURN_IF_ERROR(Count(txn, voucher.org_unit(), period, [&](v1::KpiCounters& c) {
        c.set_vouchers_verified(c.vouchers_verified() + 1);
        if (on_time) c.set_vouchers_on_time(c.vouchers_on_time() + 1);
        if (!accepted) c.set_vouchers_refused(c.vouchers_refused() + 1);
      }));
      txn.Delete(SubjectKey("voucher", id));  // nothing follows a verification
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
  txn.PutProto(SubjectKey("voucher", id), voucher);
  return absl::OkStatus();
}

absl::Status ApplyMeterEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string bar_code = std::string(domain::kMeter.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  GL_ASSIGN_OR_RETURN(v1::KpiSubject meter, LoadSubject(txn, "meter", bar_code));
  const v1::KpiSubject before = meter;
  switch (payload.event_case()) {
    case v1::DomainEvent::kMeterReceived:
      meter.set_org_unit(event.actor().org_unit());
      break;
    case v1::DomainEvent::kMeterDispatched:
      if (!payload.meter_dispatched().to_org_unit().empty()) {
        meter.set_org_unit(payload.meter_dispatched().to_org_unit());
      }
      break;
    case v1::DomainEvent::kMeterCalibrated: {
      const v1::MeterCalibrated& calibrated = payload.meter_calibrated();
      *meter.mutable_next_due() = calibrated.next_due();
      if (!calibrated.passed()) meter.clear_next_due();
      if (calibrated.first_verification() && !meter.first_verification_done()) {
        meter.set_first_verification_done(true);
        const v1::Date verified = IsSet(calibrated.verified_on())
                                      ? calibrated.verified_on()
                                      : domain::UtilityDate(event.occurred_at());
        GL_RETURN_IF_ERROR(
            Count(txn, meter.org_unit(), PeriodKey(PeriodOf(verified)), [&](v1::KpiCounters& c) {
              c.set_first_verifications(c.first_verifications() + 1);
              if (calibrated.passed()) {
                c.set_first_verifications_passed(c.first_verifications_passed() + 1);
              }
            }));
      }
      break;
    }
    case v1::DomainEvent::kMeterScrapped:
      meter.set_scrapped(true);
      meter.clear_next_due();
      break;
    default:
      break;
  }
  const bool was_due = IsSet(before.next_due()) && !before.scrapped();
  const bool is_due = IsSet(meter.next_due()) && !meter.scrapped();
  if (was_due) txn.Delete(DueKey(before.org_unit(), before.next_due(), bar_code));
  if (is_due) txn.Put(DueKey(meter.org_unit(), meter.next_due(), bar_code), "");
  txn.PutProto(SubjectKey("meter", bar_code), meter);
  return absl::OkStatus();
}

// Whether higher values of the KPI are better.
bool HigherIsBetter(v1::Kpi kpi) {
  return kpi != v1::KPI_READ_ERROR_RATE && kpi != v1::KPI_ARREARS &&
         kpi != v1::KPI_LINE_LOSS_RATE && kpi != v1::KPI_METERS_OVERDUE_FOR_VERIFICATION &&
         kpi != v1::KPI_VOUCHERS_REFUSED;
}

int64_t RateBp(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return 0;
  return (numerator * 10000 + denominator / 2) / denominator;  // half up, both ≥ 0
}

// The smallest value with at least `permille`/1000 of the count at or below it.
int32_t Percentile(const std::map<int32_t, int64_t>& sorted, int permille) {
  int64_t total = 0;
  for (const auto& [value, count] : sorted) total += count;
  if (total == 0) return 0;
  const int64_t rank = (total * permille + 999) / 1000;  // ceil, ≥ 1
  int64_t seen = 0;
  for (const auto& [value, count] : sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted.rbegin()->first;
}

}  // namespace

eventstore::SubscriptionFilter KpiView::filter() const {
  eventstore::SubscriptionFilter filter;
  filter.stream_prefixes = {
      std::string(domain::kAccount.prefix), std::string(domain::kApplication.prefix),
      std::string(domain::kTicket.prefix),  std::string(domain::kMeter.prefix),
      std::string(domain::kVoucher.prefix), std::string(domain::kKpi.prefix),
      std::string(domain::kSupply.prefix)};
  return filter;
}

absl::Status KpiView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string& stream = event.stream_id();
  if (domain::kAccount.Holds(stream)) return ApplyAccountEvent(event, txn);
  if (domain::kApplication.Holds(stream)) return ApplyApplicationEvent(event, txn);
  if (domain::kTicket.Holds(stream)) return ApplyTicketEvent(event, txn);
  if (domain::kMeter.Holds(stream)) return ApplyMeterEvent(event, txn);
  if (domain::kVoucher.Holds(stream)) return ApplyVoucherEvent(event, txn);
  if (domain::kSupply.Holds(stream)) return ApplyLineLoss(event, txn);
  if (event.payload().has_kpi_target_set()) {
    const v1::KpiTargetSet& target = event.payload().kpi_target_set();
    txn.PutProto(TargetKey(target.org_unit(), target.period(), target.kpi()), target);
  }
  return absl::OkStatus();
}

namespace {

// Builds one org unit's KpiReport for one period from the view, one KPI
// family at a time, in the order the report lists them.
class KpiReportBuilder {
 public:
  KpiReportBuilder(const ViewReader& reader, const std::string& org_unit, const v1::Period& period,
                   const v1::Date& as_of)
      : reader_(reader), org_unit_(org_unit), as_of_(as_of), period_key_(PeriodKey(period)) {
    report_.set_org_unit(org_unit);
    *report_.mutable_period() = period;
    *report_.mutable_as_of() = as_of;
    *report_.mutable_reflects() = reader.reflects();
  }

  absl::StatusOr<v1::KpiReport> Build() {
    GL_RETURN_IF_ERROR(ReadCounters());
    Rate(v1::KPI_READ_COMPLETION_RATE, counters_.reads_received(), planned_reads_);
    Rate(v1::KPI_READ_ERROR_RATE, counters_.reads_wrong(), counters_.reads_checked());
    GL_RETURN_IF_ERROR(AddFeeRecovery());
    GL_RETURN_IF_ERROR(AddArrears());
    GL_RETURN_IF_ERROR(ReadHistograms());
    GL_RETURN_IF_ERROR(AddApplications());
    Rate(v1::KPI_TICKET_ON_SITE_WITHIN_LIMIT_RATE, counters_.tickets_on_site_within_limit(),
         counters_.tickets_on_site());
    Add(v1::KPI_TICKET_ON_SITE_WITHIN_LIMIT_RATE, "median", "", Percentile(histograms_["t"], 500),
        "minutes", 0, counters_.tickets_on_site());
    Rate(v1::KPI_CALIBRATION_PASS_RATE, counters_.first_verifications_passed(),
         counters_.first_verifications());
    GL_RETURN_IF_ERROR(AddOverdueMeters());
    Rate(v1::KPI_VOUCHER_ON_TIME_RATE, counters_.vouchers_on_time(), counters_.vouchers_verified());
    Add(v1::KPI_VOUCHERS_REFUSED, "total", "", counters_.vouchers_refused(), "count", 0, 0);
    GL_RETURN_IF_ERROR(AddLineLoss());
    GL_RETURN_IF_ERROR(AttachTargets());
    return std::move(report_);
  }

 private:
  v1::KpiValue& Add(v1::Kpi kpi, absl::string_view measure, absl::string_view breakdown,
                    int64_t value, absl::string_view unit, int64_t numerator, int64_t denominator) {
    v1::KpiValue& v = *report_.add_values();
    v.set_kpi(kpi);
    v.set_measure(std::string(measure));
    v.set_breakdown(std::string(breakdown));
    v.set_value(value);
    v.set_unit(std::string(unit));
    v.set_numerator(numerator);
    v.set_denominator(denominator);
    return v;
  }
  v1::KpiValue& Rate(v1::Kpi kpi, int64_t numerator, int64_t denominator) {
    return Add(kpi, "rate", "", RateBp(numerator, denominator), "bp", numerator, denominator);
  }

  // Scans `prefix`, parsing each value as a `Message`; DATA_LOSS names a key
  // that does not parse.
  template <typename Message>
  absl::Status ScanProtos(const std::string& prefix,
                          const std::function<bool(absl::string_view key, Message&)>& visit) {
    absl::Status parse_error;
    GL_RETURN_IF_ERROR(
        reader_.Scan(prefix, "", [&](absl::string_view key, absl::string_view value) {
          Message message;
          if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parse_error = absl::DataLossError(absl::StrCat("kpi: ", key, " does not parse"));
            return false;
          }
          return visit(key, message);
        }));
    return parse_error;
  }

  // This period's counters, and the accounts open during it (opened in or
  // before it, not closed before it): the reads planned.
  absl::Status ReadCounters() {
    const std::string prefix = absl::StrCat("kc/", UnitKey(org_unit_));
    return ScanProtos<v1::KpiCounters>(prefix, [&](absl::string_view key, v1::KpiCounters& c) {
      const absl::string_view month = key.substr(prefix.size());
      if (month > period_key_) return false;
      planned_reads_ += c.accounts_opened();
      if (month < period_key_) planned_reads_ -= c.accounts_closed();
      if (month == period_key_) counters_ = std::move(c);
      return true;
    });
  }

  absl::Status AddFeeRecovery() {
    v1::PeriodTotals totals;
    GL_RETURN_IF_ERROR(
        reader_.GetProto(absl::StrCat("lt/", UnitKey(org_unit_), period_key_), &totals).status());
    Rate(v1::KPI_FEE_RECOVERY_RATE, totals.collected_fen(),
         totals.billed_fen() - totals.reversed_fen());
    return absl::OkStatus();
  }

  absl::Status AddArrears() {
    v1::ArrearsBuckets arrears;
    GL_RETURN_IF_ERROR(ForEachOpenBill(reader_, org_unit_, [&](const v1::LedgerBill& bill) {
      AddToArrears(bill, as_of_, &arrears);
    }));
    Add(v1::KPI_ARREARS, "total", "", arrears.total_fen(), "fen", 0, 0);
    const std::pair<const char*, int64_t> buckets[] = {
        {"not_due", arrears.not_due_fen()},         {"1-30", arrears.days_1_to_30_fen()},
        {"31-90", arrears.days_31_to_90_fen()},     {"91-180", arrears.days_91_to_180_fen()},
        {"181-365", arrears.days_181_to_365_fen()}, {"over_365", arrears.over_365_days_fen()}};
    for (const auto& [name, fen] : buckets) {
      Add(v1::KPI_ARREARS, absl::StrCat("bucket:", name), "", fen, "fen", 0, 0);
    }
    return absl::OkStatus();
  }

  // Histograms: "a/<breakdown>" and "t" → value → count.
  absl::Status ReadHistograms() {
    const std::string prefix = absl::StrCat("kh/", UnitKey(org_unit_), period_key_, "/");
    absl::Status parse_error;
    GL_RETURN_IF_ERROR(
        reader_.Scan(prefix, "", [&](absl::string_view key, absl::string_view value) {
          const absl::string_view suffix = key.substr(prefix.size());
          const size_t slash = suffix.rfind('/');
          int32_t bucket = 0;
          int64_t count = 0;
          if (slash == absl::string_view::npos ||
              !absl::SimpleAtoi(suffix.substr(slash + 1), &bucket) ||
              !absl::SimpleAtoi(value, &count)) {
            parse_error = absl::DataLossError(absl::StrCat("kpi: ", key, " is not a count"));
            return false;
          }
          histograms_[std::string(suffix.substr(0, slash))][bucket] += count;
          return true;
        }));
    return parse_error;
  }

  // On-time rate, median and p90 working days per kind of application, then
  // for all of them.
  absl::Status AddApplications() {
    std::map<std::string, v1::ApplicationCounters> by_kind;
    const std::string prefix = absl::StrCat("ka/", UnitKey(org_unit_), period_key_, "/");
    GL_RETURN_IF_ERROR(ScanProtos<v1::ApplicationCounters>(
        prefix, [&](absl::string_view key, v1::ApplicationCounters& a) {
          by_kind[std::string(key.substr(prefix.size()))] = std::move(a);
          return true;
        }));
    v1::ApplicationCounters all;
    std::map<int32_t, int64_t> all_days;
    for (const auto& [breakdown, a] : by_kind) {
      const std::map<int32_t, int64_t>& days = histograms_["a/" + breakdown];
      AddApplicationValues(breakdown, a, days);
      all.set_closed(all.closed() + a.closed());
      all.set_on_time(all.on_time() + a.on_time());
      for (const auto& [taken, n] : days) all_days[taken] += n;
    }
    AddApplicationValues("", all, all_days);
    return absl::OkStatus();
  }

  void AddApplicationValues(const std::string& breakdown, const v1::ApplicationCounters& a,
                            const std::map<int32_t, int64_t>& days) {
    Rate(v1::KPI_APPLICATION_ON_TIME_RATE, a.on_time(), a.closed()).set_breakdown(breakdown);
    Add(v1::KPI_APPLICATION_ON_TIME_RATE, "median", breakdown, Percentile(days, 500),
        "working_days", 0, a.closed());
    Add(v1::KPI_APPLICATION_ON_TIME_RATE, "p90", breakdown, Percentile(days, 900), "working_days",
        0, a.closed());
  }

  absl::Status AddOverdueMeters() {
    int64_t overdue = 0;
    const std::string prefix = absl::StrCat("kv/", UnitPrefix(org_unit_));
    const std::string today = DateKey(as_of_);
    GL_RETURN_IF_ERROR(reader_.Scan(prefix, "", [&](absl::string_view key, absl::string_view) {
      const size_t bar = key.rfind('|');
      const size_t date = key.rfind('|', bar - 1);
      if (key.substr(date + 1, bar - date - 1) < today) ++overdue;
      return true;
    }));
    Add(v1::KPI_METERS_OVERDUE_FOR_VERIFICATION, "total", "", overdue, "count", 0, 0);
    return absl::OkStatus();
  }

  // Targets sit beside the unit-wide value of their KPI.
  // The unit's line loss (its feeders'), then each feeder's and transformer
  // area's in the unit and below: numerator the loss (in − billed, Wh),
  // denominator the energy in; a node or unit with no energy in has rate 0
  // and denominator 0 (see docs/KPIS.md).
  absl::Status AddLineLoss() {
    auto add = [&](absl::string_view breakdown, const v1::LineLossCounters& c) {
      const int64_t loss = c.energy_in_wh() - c.energy_billed_wh();
      Add(v1::KPI_LINE_LOSS_RATE, "rate", breakdown,
          metering::LineLossRateBp(c.energy_in_wh(), c.energy_billed_wh()).value_or(0), "bp", loss,
          c.energy_in_wh());
    };
    v1::LineLossCounters unit;
    GL_RETURN_IF_ERROR(
        reader_.GetProto(absl::StrCat("kL/", UnitKey(org_unit_), period_key_), &unit).status());
    add("", unit);
    const std::string infix = absl::StrCat("/|", period_key_, "/");
    return ScanProtos<v1::LineLossCounters>(
        absl::StrCat("kl/", UnitPrefix(org_unit_)),
        [&](absl::string_view key, v1::LineLossCounters& counters) {
          const size_t at = key.find(infix);
          if (at != absl::string_view::npos) add(key.substr(at + infix.size()), counters);
          return true;
        });
  }

  absl::Status AttachTargets() {
    const std::string prefix = absl::StrCat("kt/", UnitKey(org_unit_), period_key_, "/");
    std::map<int, v1::KpiTargetSet> targets;
    GL_RETURN_IF_ERROR(reader_.Scan(prefix, "", [&](absl::string_view, absl::string_view value) {
      v1::KpiTargetSet target;
      if (target.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        targets[target.kpi()] = target;
      }
      return true;
    }));
    for (v1::KpiValue& v : *report_.mutable_values()) {
      auto it = targets.find(v.kpi());
      if (it == targets.end() || !v.breakdown().empty() ||
          (v.measure() != "rate" && v.measure() != "total")) {
        continue;
      }
      v.set_has_target(true);
      v.set_target_value(it->second.target_value());
      v.set_meets_target(HigherIsBetter(v.kpi()) ? v.value() >= v.target_value()
                                                 : v.value() <= v.target_value());
    }
    return absl::OkStatus();
  }

  const ViewReader& reader_;
  const std::string org_unit_;
  const v1::Date as_of_;
  const std::string period_key_;
  v1::KpiReport report_;
  v1::KpiCounters counters_;
  int64_t planned_reads_ = 0;
  std::map<std::string, std::map<int32_t, int64_t>> histograms_;
};

}  // namespace

absl::StatusOr<v1::KpiReport> ReadKpis(const ViewReader& reader, const std::string& org_unit,
                                       const v1::Period& period, const v1::Date& as_of) {
  return KpiReportBuilder(reader, org_unit, period, as_of).Build();
}

}  // namespace gridledger::projections
