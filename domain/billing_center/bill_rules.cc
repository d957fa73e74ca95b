// Billing (核): each kWh once, in period order (C-*), priced by the tariff
// engine; checking and reversing bills; inspections and back-billing.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/billing_util.h"
#include "domain/billing_center/read_sequence.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/rules.h"
#include "domain/billing_center/tariff/tariff_engine.h"

namespace gridledger::billing {
namespace {

using Tariff = v1::TariffScheduleVersionPublished;

// A bill of 10^13 CNY is a misread; bounding it keeps its penalties, over
// centuries of days, within int64 fen.
constexpr int64_t kMaxBillFen = 1'000'000'000'000'000;

std::string Span(const Bill& bill) {
  return absl::StrCat(PeriodText(bill.covers_from), "..", PeriodText(bill.period));
}

absl::Status CheckIssueInput(const v1::IssueBillRequest& request, const v1::Date& today) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("period", request.period()); !s.ok()) return s;
  if (MonthIndex(request.period()) > MonthIndex(PeriodOfDate(today))) {
    return absl::InvalidArgumentError(absl::StrCat("period: ", PeriodText(request.period()),
                                                   " has not begun (today is ", DateText(today),
                                                   "; ", rules::kNoFutureDates, ")"));
  }
  if (absl::Status s = CheckDate("due_date", request.due_date()); !s.ok()) return s;
  if (CivilOf(request.due_date()) <= CivilOf(LastDayOf(request.period()))) {
    return absl::InvalidArgumentError(absl::StrCat("due_date: ", DateText(request.due_date()),
                                                   " must be after the period ",
                                                   PeriodText(request.period()), " ends"));
  }
  if (!request.replaces_bill_id().empty()) {
    return CheckId("replaces_bill_id", request.replaces_bill_id());
  }
  return absl::OkStatus();
}

// C-REISSUE.
absl::Status CheckReplaces(const Account& account, const v1::IssueBillRequest& request) {
  if (request.replaces_bill_id().empty()) return absl::OkStatus();
  const Bill* replaced = account.FindBill(request.replaces_bill_id());
  if (replaced == nullptr || !replaced->reversed || !replaced->metered() ||
      MonthIndex(replaced->period) != MonthIndex(request.period())) {
    return absl::FailedPreconditionError(
        absl::StrCat("replaces_bill_id: ", request.replaces_bill_id(),
                     " must be a reversed bill of the same period (", rules::kReissue, ")"));
  }
  if (!replaced->replaced_by.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("replaces_bill_id: ", replaced->id, " is already replaced by bill ",
                     replaced->replaced_by, " (", rules::kReissue, ")"));
  }
  return absl::OkStatus();
}

// C-COVERED: the period is after the one the account is billed through.
absl::Status CheckNotCovered(const Account& account, const v1::Period& period,
                             const Read& through) {
  for (const Bill& b : account.bills) {
    if (b.reversed || !b.metered()) continue;
    if (MonthIndex(b.covers_from) <= MonthIndex(period) &&
        MonthIndex(period) <= MonthIndex(b.period)) {
      return absl::FailedPreconditionError(
          absl::StrCat(PeriodText(period), " is already billed: bill ", b.id, " covers ", Span(b),
                       " (", rules::kCovered, ")"));
    }
  }
  if (MonthIndex(period) <= MonthIndex(through.period)) {
    const Bill* last = account.LastMeteredBill();
    return absl::FailedPreconditionError(absl::StrCat(
        PeriodText(period), " is not after ", PeriodText(through.period), ": the account is ",
        last != nullptr
            ? absl::StrCat("billed through it (bill ", last->id, ", ", Span(*last), "; ",
                           rules::kCovered, ")")
            : absl::StrCat("billed from read ", through.id, " of it (", rules::kBaseline, ")")));
  }
  return absl::OkStatus();
}

// C-PENDING and C-UNBILLED: no periodic read of a period between the start
// and the bill's period is pending or accepted, and none waits for a re-read.
absl::Status CheckNothingBetween(const Account& account, const Read& start,
                                 const v1::Period& period) {
  for (int month = MonthIndex(start.period) + 1; month < MonthIndex(period); ++month) {
    const v1::Period between = PeriodOfIndex(month);
    if (const Read* r = account.LivePeriodicReadOf(between)) {
      if (r->accepted()) {
        return absl::FailedPreconditionError(absl::StrCat(
            PeriodText(between), " has accepted read ", r->id, " that is not billed: bill ",
            PeriodText(between), " before ", PeriodText(period), " (", rules::kUnbilled, ")"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          PeriodText(between), "'s read ", r->id, " is pending (",
          r->state == ReadState::kFlagged ? "flagged" : "not checked",
          "): check or decide it before billing ", PeriodText(period), " (", rules::kPending, ")"));
    }
    for (const Read& r : account.reads) {
      if (r.state == ReadState::kReread && MonthIndex(r.period) == month) {
        return absl::FailedPreconditionError(
            absl::StrCat("a re-read of ", PeriodText(between), " was ordered (read ", r.id,
                         ") and is not recorded: record it before billing ", PeriodText(period),
                         " (", rules::kPending, ")"));
      }
    }
  }
  return absl::OkStatus();
}

// The period's accepted periodic read, or why there is none.
absl::StatusOr<const Read*> EndRead(const Account& account, const v1::Period& period) {
  const Read* read = account.LivePeriodicReadOf(period);
  if (read != nullptr && read->accepted()) return read;
  if (read != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no accepted read for ", PeriodText(period),
                                                      ": read ", read->id, " is pending (",
                                                      rules::kPending, ")"));
  }
  return absl::FailedPreconditionError(absl::StrCat("no accepted read for ", PeriodText(period)));
}

struct Billable {
  const Read* start = nullptr;
  const Read* end = nullptr;
  Interval interval;
  int32_t months = 1;
};

// C-CHAIN: from the read the account is billed through (or its baseline) to
// the period's accepted read, with nothing billable or pending in between.
absl::StatusOr<Billable> FindBillable(const Account& account, const v1::Period& period) {
  Billable billable;
  billable.start = BilledThrough(account);
  if (billable.start == nullptr) {
    absl::StatusOr<const Read*> end = EndRead(account, period);
    if (!end.ok()) return end.status();
    return absl::FailedPreconditionError(
        absl::StrCat("no accepted read before ", PeriodText(period),
                     ": the first read is the baseline (", rules::kBaseline, ")"));
  }
  if (absl::Status s = CheckNotCovered(account, period, *billable.start); !s.ok()) return s;
  if (absl::Status s = CheckNothingBetween(account, *billable.start, period); !s.ok()) return s;
  absl::StatusOr<const Read*> end = EndRead(account, period);
  if (!end.ok()) return end.status();
  billable.end = *end;
  absl::StatusOr<Interval> interval = IntervalBetween(account, *billable.start, *billable.end);
  if (!interval.ok()) return interval.status();
  billable.interval = *std::move(interval);
  billable.months = MonthIndex(period) - MonthIndex(billable.start->period);
  return billable;
}

// T-TIER-ANNUAL: the year's consumption on standing metered bills of earlier
// periods (all of them are before this one: bills follow period order).
int64_t YearToDateBefore(const Account& account, const v1::Period& period) {
  tariff::Int128 sum = 0;
  for (const Bill& b : account.bills) {
    if (!b.reversed && b.metered() && b.period.year() == period.year() &&
        MonthIndex(b.period) < MonthIndex(period)) {
      sum += b.energy_wh;
    }
  }
  return static_cast<int64_t>(std::min<tariff::Int128>(sum, INT64_MAX));
}

tariff::BillInput InputOf(const Account& account, const Billable& billable,
                          const v1::Period& period) {
  const v1::AccountOpened t = account.TermsFor(period);
  tariff::BillInput input;
  const v1::Registers& u = billable.interval.usage;
  input.usage = {u.total_wh(),  u.sharp_wh(),      u.peak_wh(),     u.flat_wh(),
                 u.valley_wh(), u.reactive_varh(), u.max_demand_w()};
  input.terms = {t.category(),
                 t.pf_standard(),
                 t.basic_charge_mode(),
                 t.contracted_capacity_kva(),
                 t.contracted_demand_w(),
                 t.time_of_use()};
  input.period = period;
  input.months = billable.months;
  input.year_to_date_wh_before = YearToDateBefore(account, period);
  return input;
}

v1::DomainEvent BillEvent(const Account& account, const v1::IssueBillRequest& request,
                          const Billable& billable, const tariff::BillInput& input,
                          tariff::BillCalculation calculated, const std::string& issuer) {
  v1::DomainEvent event;
  auto* issued = event.mutable_bill_issued();
  issued->set_bill_id(request.bill_id());
  issued->set_account_id(account.terms.account_id());
  *issued->mutable_period() = request.period();
  issued->set_tariff_id(input.schedule->tariff_id());
  issued->set_tariff_version(input.schedule->version());
  std::vector<std::string> read_ids;
  for (const Read* read : billable.interval.reads) read_ids.push_back(read->id);
  for (const std::string& id : read_ids) issued->add_read_ids(id);
  for (v1::BillLine& line : calculated.lines) {
    if (line.registers_size() > 0) {
      for (const std::string& id : read_ids) line.add_read_ids(id);
    }
    *issued->add_lines() = std::move(line);
  }
  issued->set_total_fen(calculated.total_fen);
  *issued->mutable_due_date() = request.due_date();
  issued->set_energy_wh(calculated.energy_wh);
  issued->set_power_factor_hundredths(calculated.power_factor_hundredths);
  issued->set_replaces_bill_id(request.replaces_bill_id());
  issued->set_start_read_id(billable.start->id);
  issued->set_end_read_id(billable.end->id);
  *issued->mutable_covers_from() =
      PeriodOfIndex(MonthIndex(request.period()) - billable.months + 1);
  issued->set_months(billable.months);
  *issued->mutable_usage() = billable.interval.usage;
  issued->set_year_to_date_wh_before(input.year_to_date_wh_before);
  issued->set_issued_by(issuer);
  return event;
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideIssueBill(const Account& account,
                                                const v1::IssueBillRequest& request,
                                                const std::vector<Tariff>& tariff_versions,
                                                const std::string& issuer, const v1::Date& today) {
  if (absl::Status s = CheckIssueInput(request, today); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  if (account.FindBill(request.bill_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("bill_id: ", request.bill_id(), " exists"));
  }
  if (absl::Status s = CheckReplaces(account, request); !s.ok()) return s;
  absl::StatusOr<Billable> billable = FindBillable(account, request.period());
  if (!billable.ok()) return billable.status();
  tariff::BillInput input = InputOf(account, *billable, request.period());
  const v1::AccountOpened terms = account.TermsFor(request.period());
  std::vector<Tariff> versions;
  for (const Tariff& v : tariff_versions) {
    if (v.tariff_id() == terms.tariff_id()) versions.push_back(v);
  }
  absl::StatusOr<const Tariff*> version = tariff::VersionInForce(versions, request.period());
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("tariff ", terms.tariff_id(), ": ",
                                                      version.status().message(), " (",
                                                      rules::kVersionInForce, ")"));
  }
  input.schedule = *version;
  absl::StatusOr<tariff::BillCalculation> calculated = tariff::CalculateBill(input);
  if (!calculated.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the reads cannot be billed: ", calculated.status().message()));
  }
  if (calculated->total_fen > kMaxBillFen || calculated->total_fen < -kMaxBillFen) {
    return absl::FailedPreconditionError(
        absl::StrCat("the reads cannot be billed: a total of ", calculated->total_fen,
                     " fen is beyond 10^15 fen; check the reads ", billable->start->id, " and ",
                     billable->end->id));
  }
  return BillEvent(account, request, *billable, input, *std::move(calculated), issuer);
}

absl::StatusOr<v1::DomainEvent> DecideCheckBill(const Account& account, const std::string& bill_id,
                                                const std::string& checker) {
  if (absl::Status s = CheckId("bill_id", bill_id); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  const Bill* bill = account.FindBill(bill_id);
  if (bill == nullptr) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", bill_id, " is unknown"));
  }
  if (bill->collectors.count(checker) > 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("separation of duties (", rules::kCollectorNotAlterer, "): ", checker,
                     " collected bill ", bill_id, " and cannot check it"));
  }
  if (bill->reversed) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill_id, " is reversed"));
  }
  if (!bill->checker.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("bill ", bill_id, " was already checked by ", bill->checker));
  }
  v1::DomainEvent event;
  event.mutable_bill_checked()->set_bill_id(bill_id);
  event.mutable_bill_checked()->set_checker(checker);
  return event;
}

namespace {

// C-REVERSE-ORDER: no standing metered bill of a later period.
absl::Status CheckLatestFirst(const Account& account, const Bill& bill) {
  if (!bill.metered()) return absl::OkStatus();
  for (const Bill& later : account.bills) {
    if (later.reversed || !later.metered() || MonthIndex(later.period) <= MonthIndex(bill.period)) {
      continue;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "bill ", bill.id, " (", Span(bill), ") is followed by bill ", later.id, " (", Span(later),
        "): reverse the later bills first, latest first, and reissue them in "
        "period order (",
        rules::kReverseOrder, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideReverseBill(const Account& account,
                                                  const v1::ReverseBillRequest& request,
                                                  const std::string& principal) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (!account.opened) return AccountNotOpen();
  const Bill* bill = account.FindBill(request.bill_id());
  if (bill == nullptr) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", request.bill_id(), " is unknown"));
  }
  if (bill->collectors.count(principal) > 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("separation of duties (", rules::kCollectorNotAlterer, "): ", principal,
                     " collected bill ", bill->id, " and cannot reverse it"));
  }
  if (bill->reversed) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill->id, " is already reversed"));
  }
  if (bill->paid_fen != 0 || bill->penalty_paid_fen != 0) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill->id, " has ",
                                                      bill->paid_fen + bill->penalty_paid_fen,
                                                      " fen paid; reverse those payments first"));
  }
  if (absl::Status s = CheckLatestFirst(account, *bill); !s.ok()) return s;
  v1::DomainEvent event;
  auto* reversed = event.mutable_bill_reversed();
  reversed->set_bill_id(bill->id);
  reversed->set_reversed_amount_fen(bill->total_fen + bill->penalty_fen);
  reversed->set_reason(request.reason());
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideRecordInspection(const Account& account,
                                                       v1::InspectionRecorded inspection,
                                                       const std::string& inspector) {
  if (absl::Status s = CheckId("inspection.inspection_id", inspection.inspection_id()); !s.ok()) {
    return s;
  }
  if (inspection.finding() == v1::INSPECTION_FINDING_UNSPECIFIED ||
      !v1::InspectionFinding_IsValid(inspection.finding())) {
    return absl::InvalidArgumentError("inspection.finding: must be set");
  }
  if (!account.opened) return AccountNotOpen();
  if (account.FindInspection(inspection.inspection_id()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("inspection ", inspection.inspection_id(), " exists"));
  }
  inspection.set_account_id(account.terms.account_id());
  inspection.set_inspector(inspector);
  v1::DomainEvent event;
  *event.mutable_inspection_recorded() = std::move(inspection);
  return event;
}

namespace {

absl::Status CheckBackBillingInput(const v1::IssueBackBillingRequest& request,
                                   const v1::Date& today) {
  if (absl::Status s = CheckId("inspection_id", request.inspection_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (request.energy_wh() <= 0 || request.energy_wh() > 1'000'000'000'000'000) {
    return absl::InvalidArgumentError("energy_wh: must be positive (at most 10^15)");
  }
  if (absl::Status s = CheckPeriod("from_period", request.from_period()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("to_period", request.to_period()); !s.ok()) return s;
  if (MonthIndex(request.from_period()) > MonthIndex(request.to_period())) {
    return absl::InvalidArgumentError("from_period: must not be after to_period");
  }
  if (MonthIndex(request.to_period()) > MonthIndex(PeriodOfDate(today))) {
    return absl::InvalidArgumentError(absl::StrCat("to_period: ", PeriodText(request.to_period()),
                                                   " has not begun (", rules::kNoFutureDates, ")"));
  }
  if (request.breach_penalty_fen() < 0 || request.breach_penalty_fen() > 1'000'000'000'000'000) {
    return absl::InvalidArgumentError("breach_penalty_fen: must be 0..10^15");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideBackBilling(const Account& account,
                                                  const v1::IssueBackBillingRequest& request,
                                                  int64_t flat_price_micro_cny_per_kwh,
                                                  const v1::Date& today) {
  if (absl::Status s = CheckBackBillingInput(request, today); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  const Inspection* inspection = account.FindInspection(request.inspection_id());
  if (inspection == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("inspection_id: ", request.inspection_id(), " is unknown"));
  }
  if (account.FindBill(request.bill_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("bill_id: ", request.bill_id(), " exists"));
  }
  if (inspection->finding != v1::INSPECTION_FINDING_THEFT &&
      inspection->finding != v1::INSPECTION_FINDING_BREACH_OF_CONTRACT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "inspection ", inspection->id, " found no theft or breach: nothing to back-bill"));
  }
  if (inspection->back_billed) {
    return absl::FailedPreconditionError(
        absl::StrCat("inspection ", inspection->id, " is already back-billed"));
  }
  const int64_t amount = tariff::EnergyChargeFen(request.energy_wh(), flat_price_micro_cny_per_kwh);
  v1::DomainEvent event;
  auto* bb = event.mutable_back_billing_issued();
  bb->set_inspection_id(inspection->id);
  bb->set_account_id(account.terms.account_id());
  bb->set_bill_id(request.bill_id());
  bb->set_energy_wh(request.energy_wh());
  bb->set_amount_fen(amount);
  bb->set_penalty_fen(inspection->finding == v1::INSPECTION_FINDING_THEFT
                          ? 3 * amount
                          : request.breach_penalty_fen());
  *bb->mutable_from_period() = request.from_period();
  *bb->mutable_to_period() = request.to_period();
  return event;
}

}  // namespace gridledger::billing
