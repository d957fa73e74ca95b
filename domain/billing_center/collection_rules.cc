// Collecting (收): payments and their reversals, late-payment penalties
// (P-*), and who may collect what (S-PREPARE-COLLECT, S-COLLECT-ALTER).
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/billing_util.h"
#include "domain/billing_center/tariff/penalty.h"
#include "domain/billing_center/tariff/rules.h"

namespace gridledger::billing {
namespace {

constexpr int64_t kMaxPaymentFen = 1'000'000'000'000'000;  // 10^13 CNY

// Applies a decided event to `working`, so the command's next decision sees
// it (a command that decides several events).
void Stage(const v1::DomainEvent& event, const std::string& principal, Account& working) {
  v1::EventEnvelope envelope;
  envelope.set_stream_version(working.version + 1);
  envelope.mutable_actor()->set_principal(principal);
  *envelope.mutable_payload() = event;
  ApplyAccountEvent(envelope, working);
}

bool TakesPenalty(const Bill& bill) { return bill.metered() && !bill.reversed; }

// The last day with no penalty still to accrue: the due date, or the last
// day accrued.
absl::CivilDay AccruedThrough(const Bill& bill) {
  const absl::CivilDay due = CivilOf(bill.due_date);
  return IsSet(bill.penalty_through) ? std::max(due, CivilOf(bill.penalty_through)) : due;
}

// P-RATE, P-MINIMUM, P-YEAR-SPLIT: the accrual of `bill`'s days after
// `after` through `through` on `unpaid`; its amount is what it adds to the
// bill's total penalty.
v1::DomainEvent PenaltyEvent(const Account& account, const Bill& bill, int64_t unpaid,
                             absl::CivilDay after, absl::CivilDay through, std::string reason,
                             const std::string& payment_id) {
  const tariff::PenaltyAccrual accrual =
      tariff::AccrueDays(unpaid, after, through, account.terms.category(), bill.due_date.year());
  const int64_t total =
      tariff::TotalPenaltyFen(bill.penalty_exact_micro_fen + accrual.exact_micro_fen,
                              bill.penalty_accrued || accrual.days > 0);
  v1::DomainEvent event;
  auto* accrued = event.mutable_penalty_accrued();
  accrued->set_account_id(account.terms.account_id());
  accrued->set_bill_id(bill.id);
  accrued->set_unpaid_fen(unpaid);
  *accrued->mutable_from_date() = DateOf(after + 1);
  *accrued->mutable_to_date() = DateOf(through);
  accrued->set_days(accrual.days);
  int32_t rate = accrual.segments.empty() ? 0 : accrual.segments.front().rate_ppm_per_day;
  for (const tariff::PenaltyDays& days : accrual.segments) {
    auto* segment = accrued->add_segments();
    *segment->mutable_from_date() = DateOf(days.from);
    *segment->mutable_to_date() = DateOf(days.to);
    segment->set_days(days.days);
    segment->set_rate_ppm_per_day(days.rate_ppm_per_day);
    if (days.rate_ppm_per_day != rate) rate = 0;
  }
  accrued->set_rate_ppm_per_day(rate);
  accrued->set_amount_fen(std::max<int64_t>(0, total - bill.penalty_fen));
  accrued->set_total_penalty_fen(std::max(total, bill.penalty_fen));
  accrued->set_reason(std::move(reason));
  accrued->set_payment_id(payment_id);
  return event;
}

// What `person` did that makes them a preparer of `bill`, for the refusal.
std::string WhatTheyDid(const Account& account, const Bill& bill, const std::string& person) {
  std::vector<std::string> did;
  if (bill.issuer == person) did.push_back("issued it");
  if (bill.checker == person) did.push_back("checked it");
  for (const std::string& id : bill.read_ids) {
    const Read* read = account.FindRead(id);
    if (read == nullptr) continue;
    if (read->reader == person) did.push_back(absl::StrCat("read ", id));
    if (std::find(read->checkers.begin(), read->checkers.end(), person) != read->checkers.end()) {
      did.push_back(absl::StrCat("checked read ", id));
    }
  }
  return absl::StrJoin(did, ", ");
}

// S-PREPARE-COLLECT.
absl::Status CheckMayCollect(const Account& account, const Bill& bill, const std::string& person) {
  if (account.PreparersOf(bill).count(person) == 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "separation of duties (抄核收分离, ", rules::kPreparerNotCollector, "): ", person, " ",
      WhatTheyDid(account, bill, person), " of bill ", bill.id, " and cannot collect it"));
}

absl::Status CheckPaymentInput(const v1::PostPaymentRequest& request, const v1::Date& today) {
  if (absl::Status s = CheckId("payment_id", request.payment_id()); !s.ok()) return s;
  if (request.amount_fen() <= 0 || request.amount_fen() > kMaxPaymentFen) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount_fen: must be 1..", kMaxPaymentFen, ", got ", request.amount_fen()));
  }
  if (!v1::PaymentMethod_IsValid(request.method())) {
    return absl::InvalidArgumentError("method: unknown payment method");
  }
  if (!request.has_paid_on()) {
    return absl::InvalidArgumentError(
        absl::StrCat("paid_on: a payment states the day it was paid (", rules::kPaidOn, ")"));
  }
  if (absl::Status s = CheckDate("paid_on", request.paid_on()); !s.ok()) return s;
  return CheckNotAfterToday("paid_on", request.paid_on(), today);
}

// P-BACKDATED.
absl::Status CheckNotBackdated(const Bill& bill, const v1::Date& paid_on) {
  if (IsSet(bill.penalty_through) && CivilOf(bill.penalty_through) > CivilOf(paid_on)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "paid_on: bill ", bill.id, "'s penalty is accrued through ", DateText(bill.penalty_through),
        ", after ", DateText(paid_on), "; a payment cannot be dated before days already charged (",
        rules::kBackdated, ")"));
  }
  return absl::OkStatus();
}

struct PaymentPlan {
  std::vector<v1::DomainEvent> accruals;
  std::vector<Allocation> allocations;
  int64_t credit_fen = 0;
};

// P-PAID-ON, P-ALLOCATION: oldest bills first; each overdue bill the payment
// reaches accrues its penalty through paid_on, then pays principal, then
// penalty.
absl::StatusOr<PaymentPlan> PlanPayment(Account working, const v1::PostPaymentRequest& request,
                                        const std::string& collector) {
  PaymentPlan plan;
  int64_t remaining = request.amount_fen();
  const absl::CivilDay paid_on = CivilOf(request.paid_on());
  for (Bill& bill : working.bills) {
    if (remaining == 0) break;
    if (bill.reversed) continue;
    if (TakesPenalty(bill) && bill.unpaid_principal() > 0 && AccruedThrough(bill) < paid_on) {
      v1::DomainEvent accrual = PenaltyEvent(
          working, bill, bill.unpaid_principal(), AccruedThrough(bill), paid_on,
          absl::StrCat("to payment ", request.payment_id(), "'s paid_on"), request.payment_id());
      Stage(accrual, collector, working);
      plan.accruals.push_back(std::move(accrual));
    }
    const int64_t principal = std::max<int64_t>(0, bill.unpaid_principal());
    const int64_t penalty = std::max<int64_t>(0, bill.unpaid_penalty());
    if (principal + penalty == 0) continue;
    if (absl::Status s = CheckMayCollect(working, bill, collector); !s.ok()) return s;
    if (absl::Status s = CheckNotBackdated(bill, request.paid_on()); !s.ok()) return s;
    for (const auto& [owed, to_penalty] : {std::pair{principal, false}, {penalty, true}}) {
      const int64_t applied = std::min(remaining, owed);
      if (applied <= 0) continue;
      plan.allocations.push_back({bill.id, applied, to_penalty});
      remaining -= applied;
    }
  }
  plan.credit_fen = remaining;
  return plan;
}

}  // namespace

absl::StatusOr<std::vector<v1::DomainEvent>> DecidePostPayment(
    const Account& account, const v1::PostPaymentRequest& request, const std::string& collector,
    const v1::Date& today) {
  if (absl::Status s = CheckPaymentInput(request, today); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  if (account.FindPayment(request.payment_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("payment_id: ", request.payment_id(), " exists"));
  }
  absl::StatusOr<PaymentPlan> plan = PlanPayment(account, request, collector);
  if (!plan.ok()) return plan.status();
  std::vector<v1::DomainEvent> events = std::move(plan->accruals);
  v1::DomainEvent& event = events.emplace_back();
  auto* posted = event.mutable_payment_posted();
  posted->set_payment_id(request.payment_id());
  posted->set_account_id(account.terms.account_id());
  posted->set_amount_fen(request.amount_fen());
  posted->set_method(request.method() == v1::PAYMENT_METHOD_UNSPECIFIED ? v1::PAYMENT_METHOD_COUNTER
                                                                        : request.method());
  posted->set_collector(collector);
  *posted->mutable_paid_on() = request.paid_on();
  for (const Allocation& allocation : plan->allocations) {
    auto* a = posted->add_allocations();
    a->set_bill_id(allocation.bill_id);
    a->set_amount_fen(allocation.amount_fen);
    a->set_to_penalty(allocation.to_penalty);
  }
  posted->set_credit_fen(plan->credit_fen);
  return events;
}

namespace {

// P-REVERSAL: principal each standing metered bill got from `payment`.
std::vector<std::pair<std::string, int64_t>> PrincipalPaidBy(const Account& account,
                                                             const Payment& payment) {
  std::vector<std::pair<std::string, int64_t>> paid;
  for (const Allocation& a : payment.allocations) {
    const Bill* bill = account.FindBill(a.bill_id);
    if (a.to_penalty || bill == nullptr || !TakesPenalty(*bill)) continue;
    auto it =
        std::find_if(paid.begin(), paid.end(), [&](const auto& p) { return p.first == a.bill_id; });
    if (it == paid.end()) {
      paid.emplace_back(a.bill_id, a.amount_fen);
    } else {
      it->second += a.amount_fen;
    }
  }
  return paid;
}

}  // namespace

absl::StatusOr<std::vector<v1::DomainEvent>> DecideReversePayment(
    const Account& account, const v1::ReversePaymentRequest& request,
    const std::string& principal) {
  if (absl::Status s = CheckId("payment_id", request.payment_id()); !s.ok()) return s;
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (!account.opened) return AccountNotOpen();
  const Payment* payment = account.FindPayment(request.payment_id());
  if (payment == nullptr) {
    return absl::NotFoundError(absl::StrCat("payment_id: ", request.payment_id(), " is unknown"));
  }
  for (const Allocation& a : payment->allocations) {
    if (const Bill* bill = account.FindBill(a.bill_id)) {
      if (absl::Status s = CheckMayCollect(account, *bill, principal); !s.ok()) return s;
    }
  }
  if (payment->reversed) {
    return absl::FailedPreconditionError(
        absl::StrCat("payment ", payment->id, " is already reversed"));
  }
  std::vector<v1::DomainEvent> events;
  v1::DomainEvent& event = events.emplace_back();
  auto* reversed = event.mutable_payment_reversed();
  reversed->set_payment_id(payment->id);
  reversed->set_account_id(account.terms.account_id());
  reversed->set_amount_fen(payment->amount_fen);
  reversed->set_reason(request.reason());
  if (!IsSet(payment->paid_on)) return events;  // v1: the day paid is unknown
  Account working = account;
  Stage(event, principal, working);
  for (const auto& [bill_id, amount] : PrincipalPaidBy(account, *payment)) {
    const Bill& bill = *working.FindBill(bill_id);
    if (!IsSet(bill.penalty_through)) continue;
    const absl::CivilDay after = std::max(CivilOf(payment->paid_on), CivilOf(bill.due_date));
    const absl::CivilDay through = CivilOf(bill.penalty_through);
    if (through <= after) continue;
    v1::DomainEvent accrual =
        PenaltyEvent(working, bill, amount, after, through,
                     absl::StrCat("payment ", payment->id, " reversed"), payment->id);
    Stage(accrual, principal, working);
    events.push_back(std::move(accrual));
  }
  return events;
}

absl::StatusOr<v1::DomainEvent> DecideAccruePenalty(const Account& account,
                                                    const v1::AccruePenaltyRequest& request,
                                                    const std::string& principal,
                                                    const v1::Date& today) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (absl::Status s = CheckDate("as_of", request.as_of()); !s.ok()) return s;
  if (absl::Status s = CheckNotAfterToday("as_of", request.as_of(), today); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  const Bill* bill = account.FindBill(request.bill_id());
  if (bill == nullptr) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", request.bill_id(), " is unknown"));
  }
  if (bill->collectors.count(principal) > 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("separation of duties (", rules::kCollectorNotAlterer, "): ", principal,
                     " collected bill ", bill->id, " and cannot charge it a penalty"));
  }
  if (!TakesPenalty(*bill)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bill ", bill->id, " takes no late-payment penalty (reversed or back-billing; ",
        rules::kPenaltyBase, ")"));
  }
  if (bill->unpaid_principal() <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bill ", bill->id, " is paid: no penalty accrues on it (", rules::kPenaltyBase, ")"));
  }
  const absl::CivilDay after = AccruedThrough(*bill);
  if (CivilOf(request.as_of()) <= after) {
    return absl::FailedPreconditionError(
        absl::StrCat("as_of: bill ", bill->id, " is not late after ", DateText(DateOf(after)),
                     " (its due date or last accrual)"));
  }
  return PenaltyEvent(account, *bill, bill->unpaid_principal(), after, CivilOf(request.as_of()),
                      absl::StrCat("accrued to ", DateText(request.as_of())), "");
}

}  // namespace gridledger::billing
