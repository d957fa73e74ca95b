// The account's state: lookups, the terms in force, and the fold of its
// events (both schema versions).
#include "domain/billing_center/account.h"

#include <algorithm>
#include <limits>

#include "domain/billing_center/billing_util.h"

namespace gridledger::billing {

const Read* Account::FindRead(const std::string& id) const {
  for (const Read& r : reads) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const Bill* Account::FindBill(const std::string& id) const {
  for (const Bill& b : bills) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

const Payment* Account::FindPayment(const std::string& id) const {
  for (const Payment& p : payments) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const Inspection* Account::FindInspection(const std::string& id) const {
  for (const Inspection& i : inspections) {
    if (i.id == id) return &i;
  }
  return nullptr;
}

Read* Account::MutableRead(const std::string& id) { return const_cast<Read*>(FindRead(id)); }

Bill* Account::MutableBill(const std::string& id) { return const_cast<Bill*>(FindBill(id)); }

const Read* Account::LivePeriodicReadOf(const v1::Period& period) const {
  for (const Read& r : reads) {
    if (r.live() && r.periodic() && MonthIndex(r.period) == MonthIndex(period)) return &r;
  }
  return nullptr;
}

const Read* Account::AcceptedReadOf(const v1::Period& period) const {
  const Read* read = LivePeriodicReadOf(period);
  return read != nullptr && read->accepted() ? read : nullptr;
}

namespace {

void ApplyTermsChange(const v1::AccountTermsChanged& change, v1::AccountOpened& terms) {
  for (const std::string& field : change.changed_fields()) {
    if (field == "contracted_capacity_kva") {
      terms.set_contracted_capacity_kva(change.contracted_capacity_kva());
    } else if (field == "contracted_demand_w") {
      terms.set_contracted_demand_w(change.contracted_demand_w());
    } else if (field == "basic_charge_mode") {
      terms.set_basic_charge_mode(change.basic_charge_mode());
    } else if (field == "pf_standard") {
      terms.set_pf_standard(change.pf_standard());
    } else if (field == "time_of_use") {
      terms.set_time_of_use(change.time_of_use());
    } else if (field == "tariff_id") {
      terms.set_tariff_id(change.tariff_id());
    }
  }
}

// The first period a change applies to: its month when it starts on the
// 1st, else the next month (like a tariff version effective mid-month).
int FirstMonthOf(const v1::AccountTermsChanged& change) {
  const int month = MonthIndex(PeriodOfDate(change.effective_from()));
  return change.effective_from().day() <= 1 ? month : month + 1;
}

// The terms as opened with every change whose first month is at most `month`.
v1::AccountOpened TermsThrough(const Account& account, int month) {
  std::vector<const v1::AccountTermsChanged*> in_force;
  for (const v1::AccountTermsChanged& change : account.terms_changes) {
    if (FirstMonthOf(change) <= month) in_force.push_back(&change);
  }
  std::stable_sort(in_force.begin(), in_force.end(), [](const auto* a, const auto* b) {
    return CivilOf(a->effective_from()) < CivilOf(b->effective_from());
  });
  v1::AccountOpened result = account.terms;
  for (const auto* change : in_force) ApplyTermsChange(*change, result);
  return result;
}

}  // namespace

v1::AccountOpened Account::TermsFor(const v1::Period& period) const {
  return TermsThrough(*this, MonthIndex(period));
}

v1::AccountOpened Account::TermsNow() const {
  return TermsThrough(*this, std::numeric_limits<int>::max());
}

const Bill* Account::LastMeteredBill() const {
  const Bill* last = nullptr;
  for (const Bill& b : bills) {
    if (b.metered() && !b.reversed &&
        (last == nullptr || MonthIndex(b.period) >= MonthIndex(last->period))) {
      last = &b;
    }
  }
  return last;
}

std::set<std::string> Account::PreparersOf(const Bill& bill) const {
  std::set<std::string> people;
  if (!bill.issuer.empty()) people.insert(bill.issuer);
  if (!bill.checker.empty()) people.insert(bill.checker);
  for (const std::string& id : bill.read_ids) {
    if (const Read* read = FindRead(id)) {
      if (!read->reader.empty()) people.insert(read->reader);
      people.insert(read->checkers.begin(), read->checkers.end());
    }
  }
  return people;
}

namespace {

void ApplyReadRecorded(const v1::MeterReadRecorded& recorded, Account& account) {
  Read read;
  read.id = recorded.read_id();
  read.period = recorded.period();
  read.purpose = recorded.purpose();
  read.meter = recorded.meter_bar_code();
  read.registers = recorded.registers();
  read.reader = recorded.reader();
  read.multiplier = std::max(1, recorded.multiplier());
  read.order = static_cast<int64_t>(account.reads.size());
  if (!recorded.supersedes_read_id().empty()) {
    if (Read* old = account.MutableRead(recorded.supersedes_read_id())) {
      old->state = ReadState::kSuperseded;
    }
  }
  account.reads.push_back(std::move(read));
}

void ApplyReadDecision(const v1::ReadCheckDecided& decided, Account& account) {
  Read* r = account.MutableRead(decided.read_id());
  if (r == nullptr) return;
  r->checkers.push_back(decided.checker());
  switch (decided.decision()) {
    case v1::READ_DECISION_ACCEPT:
      r->state = ReadState::kAccepted;
      break;
    case v1::READ_DECISION_REREAD:
      r->state = ReadState::kReread;
      break;
    case v1::READ_DECISION_ESTIMATE:
      r->state = ReadState::kEstimated;
      r->registers = decided.estimated_registers();
      break;
    default:
      break;
  }
}

// A v1 bill names [start read, end read] and covers the months after the
// start read's period; a v2 bill says so itself.
void ApplyBillIssued(const v1::EventEnvelope& envelope, Account& account) {
  const v1::BillIssued& issued = envelope.payload().bill_issued();
  Bill bill;
  bill.id = issued.bill_id();
  bill.period = issued.period();
  bill.total_fen = issued.total_fen();
  bill.energy_wh = issued.energy_wh();
  bill.due_date = issued.due_date();
  bill.read_ids.assign(issued.read_ids().begin(), issued.read_ids().end());
  bill.usage = issued.usage();
  bill.issuer = !issued.issued_by().empty() ? issued.issued_by() : envelope.actor().principal();
  if (!issued.end_read_id().empty()) {
    bill.start_read_id = issued.start_read_id();
    bill.end_read_id = issued.end_read_id();
    bill.covers_from = issued.covers_from();
    bill.months = std::max(1, issued.months());
  } else if (issued.read_ids_size() >= 2) {
    bill.start_read_id = issued.read_ids(0);
    bill.end_read_id = issued.read_ids(issued.read_ids_size() - 1);
    const Read* start = account.FindRead(bill.start_read_id);
    const int first = start != nullptr ? MonthIndex(start->period) + 1 : MonthIndex(bill.period);
    bill.covers_from = PeriodOfIndex(std::min(first, MonthIndex(bill.period)));
    bill.months = MonthIndex(bill.period) - MonthIndex(bill.covers_from) + 1;
  } else {
    bill.covers_from = bill.period;
  }
  if (account.baseline_read_id.empty()) account.baseline_read_id = bill.start_read_id;
  if (Bill* replaced = account.MutableBill(issued.replaces_bill_id())) {
    replaced->replaced_by = bill.id;
  }
  account.bills.push_back(std::move(bill));
}

// P-ALLOCATION: an allocation not marked to_penalty pays the principal up to
// what is unpaid and the penalty with the rest (the v1 reading; v2
// allocations never exceed the principal).
std::vector<Allocation> Normalize(const v1::PaymentAllocation& allocation, const Bill& bill) {
  if (allocation.to_penalty()) return {{allocation.bill_id(), allocation.amount_fen(), true}};
  const int64_t principal =
      std::min(allocation.amount_fen(), std::max<int64_t>(0, bill.unpaid_principal()));
  std::vector<Allocation> parts;
  if (principal > 0) parts.push_back({allocation.bill_id(), principal, false});
  if (allocation.amount_fen() > principal) {
    parts.push_back({allocation.bill_id(), allocation.amount_fen() - principal, true});
  }
  return parts;
}

void Allocate(const Allocation& allocation, int sign, const std::string& collector,
              Account& account) {
  Bill* bill = account.MutableBill(allocation.bill_id);
  if (bill == nullptr) return;
  (allocation.to_penalty ? bill->penalty_paid_fen : bill->paid_fen) += sign * allocation.amount_fen;
  if (!collector.empty()) bill->collectors.insert(collector);
}

void ApplyPaymentPosted(const v1::EventEnvelope& envelope, Account& account) {
  const v1::PaymentPosted& posted = envelope.payload().payment_posted();
  Payment payment;
  payment.id = posted.payment_id();
  payment.amount_fen = posted.amount_fen();
  payment.paid_on = posted.paid_on();
  payment.collector =
      !posted.collector().empty() ? posted.collector() : envelope.actor().principal();
  for (const v1::PaymentAllocation& allocation : posted.allocations()) {
    const Bill* bill = account.FindBill(allocation.bill_id());
    if (bill == nullptr) continue;
    for (const Allocation& part : Normalize(allocation, *bill)) {
      Allocate(part, +1, payment.collector, account);
      payment.allocations.push_back(part);
    }
  }
  payment.credit_fen = posted.credit_fen();
  account.credit_fen += payment.credit_fen;
  account.payments.push_back(std::move(payment));
}

void ApplyPaymentReversed(const v1::EventEnvelope& envelope, Account& account) {
  const v1::PaymentReversed& reversed = envelope.payload().payment_reversed();
  for (Payment& payment : account.payments) {
    if (payment.id != reversed.payment_id() || payment.reversed) continue;
    payment.reversed = true;
    for (const Allocation& allocation : payment.allocations) {
      Allocate(allocation, -1, envelope.actor().principal(), account);
    }
    account.credit_fen -= payment.credit_fen;
  }
}

// v2 accruals carry the exact sum of their segments; a v1 accrual counts as
// exactly the amount it recorded.
void ApplyPenalty(const v1::PenaltyAccrued& accrued, Account& account) {
  Bill* bill = account.MutableBill(accrued.bill_id());
  if (bill == nullptr) return;
  bill->penalty_fen += accrued.amount_fen();
  if (accrued.segments_size() > 0) {
    for (const v1::PenaltySegment& segment : accrued.segments()) {
      bill->penalty_exact_micro_fen += static_cast<tariff::Int128>(accrued.unpaid_fen()) *
                                       segment.rate_ppm_per_day() * segment.days();
    }
  } else {
    bill->penalty_exact_micro_fen += static_cast<tariff::Int128>(accrued.amount_fen()) * 1'000'000;
  }
  if (accrued.days() > 0 || accrued.amount_fen() > 0) bill->penalty_accrued = true;
  if (!IsSet(bill->penalty_through) ||
      CivilOf(accrued.to_date()) > CivilOf(bill->penalty_through)) {
    bill->penalty_through = accrued.to_date();
  }
}

void ApplyBackBilling(const v1::EventEnvelope& envelope, Account& account) {
  const v1::BackBillingIssued& issued = envelope.payload().back_billing_issued();
  for (Inspection& i : account.inspections) {
    if (i.id == issued.inspection_id()) i.back_billed = true;
  }
  Bill bill;
  bill.id = issued.bill_id();
  bill.period = issued.to_period();
  bill.covers_from = issued.from_period();
  bill.total_fen = issued.amount_fen() + issued.penalty_fen();
  bill.energy_wh = issued.energy_wh();
  bill.back_billing = true;
  bill.issuer = envelope.actor().principal();
  account.bills.push_back(std::move(bill));
}

void ApplyReadChecked(const v1::MeterReadChecked& checked, Account& account) {
  if (Read* r = account.MutableRead(checked.read_id())) {
    r->state = checked.passed() ? ReadState::kPassed : ReadState::kFlagged;
    r->checkers.push_back(checked.checker());
  }
}

void ApplyBillChecked(const v1::BillChecked& checked, Account& account) {
  if (Bill* b = account.MutableBill(checked.bill_id())) b->checker = checked.checker();
}

void ApplyBillReversed(const v1::BillReversed& reversed, Account& account) {
  if (Bill* b = account.MutableBill(reversed.bill_id())) b->reversed = true;
}

}  // namespace

void ApplyAccountEvent(const v1::EventEnvelope& envelope, Account& account) {
  account.version = envelope.stream_version();
  const v1::DomainEvent& e = envelope.payload();
  switch (e.event_case()) {
    case v1::DomainEvent::kAccountOpened:
      account.opened = true;
      account.terms = e.account_opened();
      break;
    case v1::DomainEvent::kAccountTermsChanged:
      account.terms_changes.push_back(e.account_terms_changed());
      break;
    case v1::DomainEvent::kMeterReadRecorded:
      ApplyReadRecorded(e.meter_read_recorded(), account);
      break;
    case v1::DomainEvent::kMeterReadChecked:
      ApplyReadChecked(e.meter_read_checked(), account);
      break;
    case v1::DomainEvent::kReadCheckDecided:
      ApplyReadDecision(e.read_check_decided(), account);
      break;
    case v1::DomainEvent::kBillIssued:
      ApplyBillIssued(envelope, account);
      break;
    case v1::DomainEvent::kBillChecked:
      ApplyBillChecked(e.bill_checked(), account);
      break;
    case v1::DomainEvent::kBillReversed:
      ApplyBillReversed(e.bill_reversed(), account);
      break;
    case v1::DomainEvent::kPaymentPosted:
      ApplyPaymentPosted(envelope, account);
      break;
    case v1::DomainEvent::kPaymentReversed:
      ApplyPaymentReversed(envelope, account);
      break;
    case v1::DomainEvent::kPenaltyAccrued:
      ApplyPenalty(e.penalty_accrued(), account);
      break;
    case v1::DomainEvent::kInspectionRecorded:
      account.inspections.push_back(
          Inspection{e.inspection_recorded().inspection_id(), e.inspection_recorded().finding()});
      break;
    case v1::DomainEvent::kBackBillingIssued:
      ApplyBackBilling(envelope, account);
      break;
    default:
      break;
  }
}

Account FoldAccount(const std::vector<v1::EventEnvelope>& history) {
  Account account;
  for (const v1::EventEnvelope& envelope : history) ApplyAccountEvent(envelope, account);
  return account;
}

namespace {

void Summarize(const Bill& bill, v1::BillSummary* summary) {
  summary->set_bill_id(bill.id);
  *summary->mutable_period() = bill.period;
  summary->set_total_fen(bill.total_fen);
  summary->set_paid_fen(bill.paid_fen);
  summary->set_reversed(bill.reversed);
  summary->set_checker(bill.checker);
  *summary->mutable_due_date() = bill.due_date;
  summary->set_penalty_fen(bill.penalty_fen);
  summary->set_back_billing(bill.back_billing);
  summary->set_penalty_paid_fen(bill.penalty_paid_fen);
  if (IsSet(bill.penalty_through)) *summary->mutable_penalty_through() = bill.penalty_through;
  *summary->mutable_covers_from() = bill.covers_from;
  summary->set_issued_by(bill.issuer);
  summary->set_replaced_by(bill.replaced_by);
  summary->set_start_read_id(bill.start_read_id);
  summary->set_end_read_id(bill.end_read_id);
}

}  // namespace

v1::AccountView ViewOf(const Account& account) {
  v1::AccountView view;
  *view.mutable_account() = account.TermsNow();
  for (const Bill& bill : account.bills) {
    Summarize(bill, view.add_bills());
    if (!bill.reversed) {
      view.set_outstanding_fen(view.outstanding_fen() + bill.unpaid_principal() +
                               bill.unpaid_penalty());
    }
  }
  view.set_credit_fen(account.credit_fen);
  view.set_version(account.version);
  view.set_baseline_read_id(account.baseline_read_id);
  if (const Bill* last = account.LastMeteredBill()) {
    view.set_billed_through_read_id(last->end_read_id);
  }
  return view;
}

}  // namespace gridledger::billing
