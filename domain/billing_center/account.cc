#include "domain/billing_center/account.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/penalty.h"
#include "domain/billing_center/tariff/tariff_engine.h"
#include "domain/common/validation.h"

namespace gridledger::billing {
namespace {

using domain::CheckRegisters;

int PeriodKey(const v1::Period& p) { return p.year() * 100 + p.month(); }

std::string PeriodText(const v1::Period& p) {
  return absl::StrCat(p.year(), "-", p.month() < 10 ? "0" : "", p.month());
}

absl::Status CheckPeriod(const std::string& field, const v1::Period& p) {
  if (p.year() < 1990 || p.year() > 2200 || p.month() < 1 || p.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a year 1990-2200 and month 1-12"));
  }
  return absl::OkStatus();
}

absl::Status CheckDate(const std::string& field, const v1::Date& d) {
  if (d.year() < 1990 || d.year() > 2200 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
      d.day() > 31) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a valid date"));
  }
  return absl::OkStatus();
}

absl::Status NotOpen(const Account& account) {
  return absl::NotFoundError("account_id: the account is not open");
}

// Consumption between two accepted reads, × multiplier; earlier periods'
// consumptions (most recent first, up to `count`).
std::vector<int64_t> RecentConsumptions(const Account& account, const v1::Period& before,
                                        size_t count) {
  std::vector<const Read*> accepted;
  for (const Read& r : account.reads) {
    if (r.accepted() && PeriodKey(r.period) < PeriodKey(before)) accepted.push_back(&r);
  }
  std::sort(accepted.begin(), accepted.end(), [](const Read* a, const Read* b) {
    return PeriodKey(a->period) < PeriodKey(b->period);
  });
  std::vector<int64_t> out;
  for (size_t i = accepted.size(); i >= 2 && out.size() < count; --i) {
    out.push_back((accepted[i - 1]->registers.total_wh() - accepted[i - 2]->registers.total_wh()) *
                  accepted[i - 1]->multiplier);
  }
  return out;
}

int64_t Average(const std::vector<int64_t>& values) {
  if (values.empty()) return 0;
  int64_t sum = 0;
  for (int64_t v : values) sum += v;
  return sum / static_cast<int64_t>(values.size());
}

}  // namespace

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

const Read* Account::AcceptedReadOf(const v1::Period& period) const {
  const Read* found = nullptr;
  for (const Read& r : reads) {
    if (r.accepted() && PeriodKey(r.period) == PeriodKey(period)) found = &r;
  }
  return found;
}

const Read* Account::AcceptedReadBefore(const v1::Period& period) const {
  const Read* found = nullptr;
  for (const Read& r : reads) {
    if (r.accepted() && PeriodKey(r.period) < PeriodKey(period) &&
        (found == nullptr || PeriodKey(r.period) >= PeriodKey(found->period))) {
      found = &r;
    }
  }
  return found;
}

namespace {

Read* FindRead(Account& account, const std::string& id) {
  for (Read& r : account.reads) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Bill* FindBill(Account& account, const std::string& id) {
  for (Bill& b : account.bills) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

void ApplyReadDecision(const v1::ReadCheckDecided& decided, Account& account) {
  Read* r = FindRead(account, decided.read_id());
  if (r == nullptr) return;
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

void ApplyBillIssued(const v1::BillIssued& issued, Account& account) {
  Bill bill;
  bill.id = issued.bill_id();
  bill.period = issued.period();
  bill.total_fen = issued.total_fen();
  bill.energy_wh = issued.energy_wh();
  bill.due_date = issued.due_date();
  account.bills.push_back(std::move(bill));
}

void ApplyPaymentPosted(const v1::PaymentPosted& posted, Account& account) {
  Payment payment;
  payment.id = posted.payment_id();
  payment.amount_fen = posted.amount_fen();
  for (const auto& allocation : posted.allocations()) {
    if (Bill* b = FindBill(account, allocation.bill_id())) b->paid_fen += allocation.amount_fen();
    payment.allocations.emplace_back(allocation.bill_id(), allocation.amount_fen());
  }
  payment.credit_fen = posted.credit_fen();
  account.credit_fen += payment.credit_fen;
  account.payments.push_back(std::move(payment));
}

void ApplyPaymentReversed(const v1::PaymentReversed& reversed, Account& account) {
  for (Payment& payment : account.payments) {
    if (payment.id != reversed.payment_id() || payment.reversed) continue;
    payment.reversed = true;
    for (const auto& [bill_id, amount] : payment.allocations) {
      if (Bill* b = FindBill(account, bill_id)) b->paid_fen -= amount;
    }
    account.credit_fen -= payment.credit_fen;
  }
}

void ApplyBackBilling(const v1::BackBillingIssued& issued, Account& account) {
  for (Inspection& i : account.inspections) {
    if (i.id == issued.inspection_id()) i.back_billed = true;
  }
  Bill bill;
  bill.id = issued.bill_id();
  bill.period = issued.to_period();
  bill.total_fen = issued.amount_fen() + issued.penalty_fen();
  bill.back_billing = true;
  account.bills.push_back(std::move(bill));
}

// One step of FoldAccount.
void ApplyAccountEvent(const v1::EventEnvelope& envelope, Account& account) {
  account.version = envelope.stream_version();
  const v1::DomainEvent& e = envelope.payload();
  switch (e.event_case()) {
    case v1::DomainEvent::kAccountOpened:
      account.opened = true;
      account.terms = e.account_opened();
      break;
    case v1::DomainEvent::kMeterReadRecorded: {
      const auto& r = e.meter_read_recorded();
      account.reads.push_back(Read{r.read_id(), r.period(), r.registers(), r.reader(),
                                   std::max(1, r.multiplier()), ReadState::kRecorded, ""});
      break;
    }
    case v1::DomainEvent::kMeterReadChecked:
      if (Read* r = FindRead(account, e.meter_read_checked().read_id())) {
        r->state = e.meter_read_checked().passed() ? ReadState::kPassed : ReadState::kFlagged;
        r->checker = e.meter_read_checked().checker();
      }
      break;
    case v1::DomainEvent::kReadCheckDecided:
      ApplyReadDecision(e.read_check_decided(), account);
      break;
    case v1::DomainEvent::kBillIssued:
      ApplyBillIssued(e.bill_issued(), account);
      break;
    case v1::DomainEvent::kBillChecked:
      if (Bill* b = FindBill(account, e.bill_checked().bill_id())) {
        b->checker = e.bill_checked().checker();
      }
      break;
    case v1::DomainEvent::kBillReversed:
      if (Bill* b = FindBill(account, e.bill_reversed().bill_id())) b->reversed = true;
      break;
    case v1::DomainEvent::kPaymentPosted:
      ApplyPaymentPosted(e.payment_posted(), account);
      break;
    case v1::DomainEvent::kPaymentReversed:
      ApplyPaymentReversed(e.payment_reversed(), account);
      break;
    case v1::DomainEvent::kPenaltyAccrued:
      if (Bill* b = FindBill(account, e.penalty_accrued().bill_id())) {
        b->penalty_fen += e.penalty_accrued().amount_fen();
        b->penalty_through = e.penalty_accrued().to_date();
      }
      break;
    case v1::DomainEvent::kInspectionRecorded:
      account.inspections.push_back(
          Inspection{e.inspection_recorded().inspection_id(), e.inspection_recorded().finding()});
      break;
    case v1::DomainEvent::kBackBillingIssued:
      ApplyBackBilling(e.back_billing_issued(), account);
      break;
    default:
      break;
  }
}

}  // namespace

Account FoldAccount(const std::vector<v1::EventEnvelope>& history) {
  Account account;
  for (const v1::EventEnvelope& envelope : history) ApplyAccountEvent(envelope, account);
  return account;
}

absl::StatusOr<v1::DomainEvent> DecideOpenAccount(const Account& account,
                                                  const v1::AccountOpened& opened,
                                                  int64_t tariff_versions) {
  if (absl::Status s = CheckId("account.account_id", opened.account_id()); !s.ok()) return s;
  if (opened.customer_name().empty()) {
    return absl::InvalidArgumentError("account.customer_name: must not be empty");
  }
  if (opened.category() == v1::CUSTOMER_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("account.category: must be set");
  }
  if (opened.voltage_class() == v1::VOLTAGE_CLASS_UNSPECIFIED) {
    return absl::InvalidArgumentError("account.voltage_class: must be set");
  }
  if (opened.org_unit().empty()) {
    return absl::InvalidArgumentError("account.org_unit: must not be empty");
  }
  if (opened.contracted_capacity_kva() < 0 || opened.contracted_demand_w() < 0) {
    return absl::InvalidArgumentError("account.contracted_*: must not be negative");
  }
  if (opened.basic_charge_mode() == v1::BASIC_CHARGE_MODE_CAPACITY &&
      opened.contracted_capacity_kva() <= 0) {
    return absl::InvalidArgumentError(
        "account.contracted_capacity_kva: a basic charge by capacity needs it");
  }
  if (opened.basic_charge_mode() == v1::BASIC_CHARGE_MODE_DEMAND &&
      opened.contracted_demand_w() <= 0) {
    return absl::InvalidArgumentError(
        "account.contracted_demand_w: a basic charge by demand needs it");
  }
  if (absl::Status s = CheckId("account.tariff_id", opened.tariff_id()); !s.ok()) return s;
  if (tariff_versions == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "account.tariff_id: tariff ", opened.tariff_id(), " has no published version"));
  }
  if (account.opened) {
    return absl::AlreadyExistsError(
        absl::StrCat("account ", opened.account_id(), " is already open"));
  }
  v1::DomainEvent event;
  *event.mutable_account_opened() = opened;
  return event;
}

absl::StatusOr<v1::DomainEvent> DecidePublishTariff(
    int64_t current_versions, const v1::TariffScheduleVersionPublished& version) {
  if (absl::Status s = CheckId("version.tariff_id", version.tariff_id()); !s.ok()) return s;
  if (absl::Status s = CheckDate("version.effective_from", version.effective_from()); !s.ok()) {
    return s;
  }
  if (version.category() == v1::CUSTOMER_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("version.category: must be set");
  }
  if (version.flat_price_micro_cny_per_kwh() <= 0) {
    return absl::InvalidArgumentError("version.flat_price_micro_cny_per_kwh: must be positive");
  }
  for (const auto* tiers : {&version.tiers(), &version.summer_tiers()}) {
    for (int i = 1; i < tiers->size(); ++i) {
      if ((*tiers)[i].threshold_wh() <= (*tiers)[i - 1].threshold_wh()) {
        return absl::InvalidArgumentError("version.tiers: thresholds must rise");
      }
    }
  }
  if (version.version() != current_versions + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version.version: tariff ", version.tariff_id(), " has ", current_versions,
        " versions; the next must be ", current_versions + 1, ", got ", version.version()));
  }
  v1::DomainEvent event;
  *event.mutable_tariff_schedule_version_published() = version;
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideRecordRead(const Account& account, v1::MeterReadRecorded read,
                                                 const std::string& reader) {
  if (absl::Status s = CheckId("read.read_id", read.read_id()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("read.period", read.period()); !s.ok()) return s;
  if (absl::Status s = CheckRegisters("read.registers", read.registers()); !s.ok()) return s;
  if (read.multiplier() < 0) return absl::InvalidArgumentError("read.multiplier: must be ≥ 1");
  if (read.multiplier() == 0) read.set_multiplier(1);
  if (!account.opened) return NotOpen(account);
  if (account.FindRead(read.read_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("read.read_id: ", read.read_id(), " exists"));
  }
  for (const Read& r : account.reads) {
    if (PeriodKey(r.period) == PeriodKey(read.period()) && r.state != ReadState::kReread) {
      return absl::AlreadyExistsError(absl::StrCat("duplicate read: read ", r.id, " for ",
                                                   PeriodText(read.period()),
                                                   " is already recorded"));
    }
  }
  read.set_reader(reader);
  if (read.source() == v1::READ_SOURCE_UNSPECIFIED) read.set_source(v1::READ_SOURCE_MANUAL);
  v1::DomainEvent event;
  *event.mutable_meter_read_recorded() = std::move(read);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideCheckRead(const Account& account, const std::string& read_id,
                                                const std::string& checker) {
  if (absl::Status s = CheckId("read_id", read_id); !s.ok()) return s;
  if (!account.opened) return NotOpen(account);
  const Read* read = account.FindRead(read_id);
  if (read == nullptr)
    return absl::NotFoundError(absl::StrCat("read_id: ", read_id, " is unknown"));
  if (read->reader == checker) {
    return absl::PermissionDeniedError(absl::StrCat("separation of duties (抄核分离): ", checker,
                                                    " read ", read_id, " and cannot check it"));
  }
  if (read->state != ReadState::kRecorded) {
    return absl::FailedPreconditionError(absl::StrCat("read ", read_id, " is already checked"));
  }
  std::vector<v1::ReadFlag> flags;
  std::vector<std::string> details;
  const v1::Registers& r = read->registers;
  const int64_t period_sum = r.sharp_wh() + r.peak_wh() + r.flat_wh() + r.valley_wh();
  if (account.terms.time_of_use() || period_sum != 0) {
    const int64_t tolerance = std::max<int64_t>(1000, r.total_wh() / 1000);
    if (std::llabs(period_sum - r.total_wh()) > tolerance) {
      flags.push_back(v1::READ_FLAG_PERIOD_SUM_MISMATCH);
      details.push_back(absl::StrCat("period registers sum to ", period_sum, " Wh, total is ",
                                     r.total_wh(), " Wh"));
    }
  }
  int64_t consumption = 0;
  if (const Read* prev = account.AcceptedReadBefore(read->period)) {
    const v1::Registers& p = prev->registers;
    if (r.total_wh() < p.total_wh() || r.sharp_wh() < p.sharp_wh() || r.peak_wh() < p.peak_wh() ||
        r.flat_wh() < p.flat_wh() || r.valley_wh() < p.valley_wh() ||
        r.reactive_varh() < p.reactive_varh()) {
      flags.push_back(v1::READ_FLAG_REGISTER_WENT_BACKWARDS);
      details.push_back(absl::StrCat("registers below read ", prev->id));
    }
    consumption = (r.total_wh() - p.total_wh()) * read->multiplier;
    const int64_t average = Average(RecentConsumptions(account, read->period, 3));
    if (consumption == 0) {
      flags.push_back(v1::READ_FLAG_ZERO_CONSUMPTION);
      details.push_back("no consumption on an active account");
    } else if (average > 0 && consumption > 3 * average) {
      flags.push_back(v1::READ_FLAG_CONSUMPTION_HIGH);
      details.push_back(absl::StrCat(consumption, " Wh is over 3× the average ", average, " Wh"));
    } else if (average > 0 && consumption > 0 && 3 * consumption < average) {
      flags.push_back(v1::READ_FLAG_CONSUMPTION_LOW);
      details.push_back(
          absl::StrCat(consumption, " Wh is under ⅓ of the average ", average, " Wh"));
    }
  }
  v1::DomainEvent event;
  auto* checked = event.mutable_meter_read_checked();
  checked->set_read_id(read_id);
  checked->set_passed(flags.empty());
  for (v1::ReadFlag flag : flags) checked->add_flags(flag);
  checked->set_detail(absl::StrJoin(details, "; "));
  checked->set_checker(checker);
  checked->set_consumption_wh(consumption);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideReadDecision(const Account& account,
                                                   const v1::DecideReadRequest& request,
                                                   const std::string& checker) {
  if (absl::Status s = CheckId("read_id", request.read_id()); !s.ok()) return s;
  if (request.decision() == v1::READ_DECISION_UNSPECIFIED) {
    return absl::InvalidArgumentError("decision: must be ACCEPT, REREAD or ESTIMATE");
  }
  if (!account.opened) return NotOpen(account);
  const Read* read = account.FindRead(request.read_id());
  if (read == nullptr) {
    return absl::NotFoundError(absl::StrCat("read_id: ", request.read_id(), " is unknown"));
  }
  if (read->reader == checker) {
    return absl::PermissionDeniedError(absl::StrCat("separation of duties (抄核分离): ", checker,
                                                    " read ", read->id,
                                                    " and cannot decide on it"));
  }
  if (read->state != ReadState::kFlagged) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", read->id, " is not flagged: only flagged reads need a decision"));
  }
  v1::DomainEvent event;
  auto* decided = event.mutable_read_check_decided();
  decided->set_read_id(read->id);
  decided->set_decision(request.decision());
  decided->set_checker(checker);
  decided->set_reason(request.reason());
  if (request.decision() == v1::READ_DECISION_ESTIMATE) {
    if (request.has_estimated_registers()) {
      if (absl::Status s = CheckRegisters("estimated_registers", request.estimated_registers());
          !s.ok()) {
        return s;
      }
      *decided->mutable_estimated_registers() = request.estimated_registers();
    } else {
      const Read* prev = account.AcceptedReadBefore(read->period);
      const int64_t average = Average(RecentConsumptions(account, read->period, 3));
      if (prev == nullptr || account.terms.time_of_use()) {
        return absl::FailedPreconditionError(
            "estimated_registers: no history to estimate from (or a TOU account); give them");
      }
      *decided->mutable_estimated_registers() = prev->registers;
      decided->mutable_estimated_registers()->set_total_wh(prev->registers.total_wh() +
                                                           average / read->multiplier);
    }
  }
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideIssueBill(
    const Account& account, const v1::IssueBillRequest& request,
    const std::vector<v1::TariffScheduleVersionPublished>& tariff_versions) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("period", request.period()); !s.ok()) return s;
  if (absl::Status s = CheckDate("due_date", request.due_date()); !s.ok()) return s;
  if (!account.opened) return NotOpen(account);
  if (account.FindBill(request.bill_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("bill_id: ", request.bill_id(), " exists"));
  }
  if (!request.replaces_bill_id().empty()) {
    const Bill* replaced = account.FindBill(request.replaces_bill_id());
    if (replaced == nullptr || !replaced->reversed ||
        PeriodKey(replaced->period) != PeriodKey(request.period())) {
      return absl::FailedPreconditionError(
          absl::StrCat("replaces_bill_id: ", request.replaces_bill_id(),
                       " must be a reversed bill of the same period"));
    }
  }
  for (const Bill& b : account.bills) {
    if (!b.reversed && PeriodKey(b.period) == PeriodKey(request.period())) {
      return absl::AlreadyExistsError(
          absl::StrCat("bill ", b.id, " already covers ", PeriodText(request.period())));
    }
  }
  const Read* read = account.AcceptedReadOf(request.period());
  if (read == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no accepted read for ", PeriodText(request.period())));
  }
  const Read* prev = account.AcceptedReadBefore(request.period());
  if (prev == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no accepted read before ",
                                                      PeriodText(request.period()),
                                                      ": the first read is the baseline"));
  }
  const int64_t m = read->multiplier;
  const v1::Registers& a = read->registers;
  const v1::Registers& b = prev->registers;
  tariff::BillInput input;
  input.usage.total_wh = (a.total_wh() - b.total_wh()) * m;
  input.usage.sharp_wh = (a.sharp_wh() - b.sharp_wh()) * m;
  input.usage.peak_wh = (a.peak_wh() - b.peak_wh()) * m;
  input.usage.flat_wh = (a.flat_wh() - b.flat_wh()) * m;
  input.usage.valley_wh = (a.valley_wh() - b.valley_wh()) * m;
  input.usage.reactive_varh = (a.reactive_varh() - b.reactive_varh()) * m;
  input.usage.max_demand_w = a.max_demand_w() * m;
  const v1::AccountOpened& t = account.terms;
  input.terms = {t.category(),
                 t.pf_standard(),
                 t.basic_charge_mode(),
                 t.contracted_capacity_kva(),
                 t.contracted_demand_w(),
                 t.time_of_use()};
  input.period = request.period();
  for (const Bill& bill : account.bills) {
    if (!bill.reversed && bill.period.year() == request.period().year() &&
        bill.period.month() < request.period().month()) {
      input.year_to_date_wh_before += bill.energy_wh;
    }
  }
  absl::StatusOr<const v1::TariffScheduleVersionPublished*> version =
      tariff::VersionInForce(tariff_versions, request.period());
  if (!version.ok()) return absl::FailedPreconditionError(version.status().message());
  input.schedule = *version;
  absl::StatusOr<tariff::BillCalculation> calculated = tariff::CalculateBill(input);
  if (!calculated.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the reads cannot be billed: ", calculated.status().message()));
  }
  v1::DomainEvent event;
  auto* issued = event.mutable_bill_issued();
  issued->set_bill_id(request.bill_id());
  issued->set_account_id(t.account_id());
  *issued->mutable_period() = request.period();
  issued->set_tariff_id((*version)->tariff_id());
  issued->set_tariff_version((*version)->version());
  issued->add_read_ids(prev->id);
  issued->add_read_ids(read->id);
  for (v1::BillLine& line : calculated->lines) *issued->add_lines() = std::move(line);
  issued->set_total_fen(calculated->total_fen);
  *issued->mutable_due_date() = request.due_date();
  issued->set_energy_wh(calculated->energy_wh);
  issued->set_power_factor_hundredths(calculated->power_factor_hundredths);
  issued->set_replaces_bill_id(request.replaces_bill_id());
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideCheckBill(const Account& account, const std::string& bill_id,
                                                const std::string& checker) {
  if (absl::Status s = CheckId("bill_id", bill_id); !s.ok()) return s;
  if (!account.opened) return NotOpen(account);
  const Bill* bill = account.FindBill(bill_id);
  if (bill == nullptr)
    return absl::NotFoundError(absl::StrCat("bill_id: ", bill_id, " is unknown"));
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

absl::StatusOr<v1::DomainEvent> DecidePostPayment(const Account& account,
                                                  const v1::PostPaymentRequest& request,
                                                  const std::string& collector) {
  if (absl::Status s = CheckId("payment_id", request.payment_id()); !s.ok()) return s;
  if (account.FindPayment(request.payment_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("payment_id: ", request.payment_id(), " exists"));
  }
  if (request.amount_fen() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount_fen: must be positive, got ", request.amount_fen()));
  }
  if (!account.opened) return NotOpen(account);
  v1::DomainEvent event;
  auto* posted = event.mutable_payment_posted();
  posted->set_payment_id(request.payment_id());
  posted->set_account_id(account.terms.account_id());
  posted->set_amount_fen(request.amount_fen());
  posted->set_method(request.method() == v1::PAYMENT_METHOD_UNSPECIFIED ? v1::PAYMENT_METHOD_COUNTER
                                                                        : request.method());
  posted->set_collector(collector);
  int64_t remaining = request.amount_fen();
  for (const Bill& bill : account.bills) {  // issued order: oldest first
    const int64_t outstanding = bill.total_fen + bill.penalty_fen - bill.paid_fen;
    if (bill.reversed || outstanding <= 0 || remaining == 0) continue;
    if (bill.checker == collector) {
      return absl::PermissionDeniedError(
          absl::StrCat("separation of duties (核收分离): ", collector, " checked bill ", bill.id,
                       " and cannot post its payment"));
    }
    const int64_t applied = std::min(remaining, outstanding);
    auto* allocation = posted->add_allocations();
    allocation->set_bill_id(bill.id);
    allocation->set_amount_fen(applied);
    remaining -= applied;
  }
  posted->set_credit_fen(remaining);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideReverseBill(const Account& account,
                                                  const v1::ReverseBillRequest& request) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (!account.opened) return NotOpen(account);
  const Bill* bill = account.FindBill(request.bill_id());
  if (bill == nullptr) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", request.bill_id(), " is unknown"));
  }
  if (bill->reversed) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill->id, " is already reversed"));
  }
  if (bill->paid_fen != 0) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill->id, " has ", bill->paid_fen,
                                                      " fen paid; reverse those payments first"));
  }
  v1::DomainEvent event;
  auto* reversed = event.mutable_bill_reversed();
  reversed->set_bill_id(bill->id);
  reversed->set_reversed_amount_fen(bill->total_fen + bill->penalty_fen);
  reversed->set_reason(request.reason());
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideReversePayment(const Account& account,
                                                     const v1::ReversePaymentRequest& request) {
  if (absl::Status s = CheckId("payment_id", request.payment_id()); !s.ok()) return s;
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (!account.opened) return NotOpen(account);
  const Payment* payment = account.FindPayment(request.payment_id());
  if (payment == nullptr) {
    return absl::NotFoundError(absl::StrCat("payment_id: ", request.payment_id(), " is unknown"));
  }
  if (payment->reversed) {
    return absl::FailedPreconditionError(
        absl::StrCat("payment ", payment->id, " is already reversed"));
  }
  v1::DomainEvent event;
  auto* reversed = event.mutable_payment_reversed();
  reversed->set_payment_id(payment->id);
  reversed->set_account_id(account.terms.account_id());
  reversed->set_amount_fen(payment->amount_fen);
  reversed->set_reason(request.reason());
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideAccruePenalty(const Account& account,
                                                    const v1::AccruePenaltyRequest& request) {
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (absl::Status s = CheckDate("as_of", request.as_of()); !s.ok()) return s;
  if (!account.opened) return NotOpen(account);
  const Bill* bill = account.FindBill(request.bill_id());
  if (bill == nullptr) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", request.bill_id(), " is unknown"));
  }
  if (bill->reversed || bill->back_billing) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bill ", bill->id, " takes no late-payment penalty (reversed or back-billing)"));
  }
  const int64_t unpaid = bill->total_fen - std::min(bill->paid_fen, bill->total_fen);
  if (unpaid <= 0) {
    return absl::FailedPreconditionError(absl::StrCat("bill ", bill->id, " is paid"));
  }
  const v1::Date& start =
      bill->penalty_through.year() != 0 ? bill->penalty_through : bill->due_date;
  const absl::CivilDay from(start.year(), start.month(), start.day());
  const absl::CivilDay as_of(request.as_of().year(), request.as_of().month(),
                             request.as_of().day());
  if (as_of <= from) {
    return absl::FailedPreconditionError(absl::StrCat("as_of: bill ", bill->id,
                                                      " is not late after ", start.year(), "-",
                                                      start.month(), "-", start.day()));
  }
  absl::StatusOr<tariff::PenaltyCalculation> penalty = tariff::CalculatePenalty(
      unpaid, from, as_of, account.terms.category(), bill->due_date.year());
  if (!penalty.ok()) return penalty.status();
  v1::DomainEvent event;
  auto* accrued = event.mutable_penalty_accrued();
  accrued->set_account_id(account.terms.account_id());
  accrued->set_bill_id(bill->id);
  accrued->set_unpaid_fen(unpaid);
  const absl::CivilDay first = from + 1;
  accrued->mutable_from_date()->set_year(static_cast<int32_t>(first.year()));
  accrued->mutable_from_date()->set_month(first.month());
  accrued->mutable_from_date()->set_day(first.day());
  *accrued->mutable_to_date() = request.as_of();
  accrued->set_days(penalty->days);
  accrued->set_rate_ppm_per_day(account.terms.category() == v1::CUSTOMER_CATEGORY_RESIDENTIAL ? 1000
                                : penalty->days_earlier_years > 0                             ? 3000
                                                                  : 2000);
  accrued->set_amount_fen(penalty->amount_fen);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideRecordInspection(const Account& account,
                                                       v1::InspectionRecorded inspection,
                                                       const std::string& inspector) {
  if (absl::Status s = CheckId("inspection.inspection_id", inspection.inspection_id()); !s.ok()) {
    return s;
  }
  if (inspection.finding() == v1::INSPECTION_FINDING_UNSPECIFIED) {
    return absl::InvalidArgumentError("inspection.finding: must be set");
  }
  if (!account.opened) return NotOpen(account);
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

absl::StatusOr<v1::DomainEvent> DecideBackBilling(const Account& account,
                                                  const v1::IssueBackBillingRequest& request,
                                                  int64_t flat_price_micro_cny_per_kwh) {
  if (absl::Status s = CheckId("inspection_id", request.inspection_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("bill_id", request.bill_id()); !s.ok()) return s;
  if (request.energy_wh() <= 0) return absl::InvalidArgumentError("energy_wh: must be positive");
  if (absl::Status s = CheckPeriod("from_period", request.from_period()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("to_period", request.to_period()); !s.ok()) return s;
  if (PeriodKey(request.from_period()) > PeriodKey(request.to_period())) {
    return absl::InvalidArgumentError("from_period: must not be after to_period");
  }
  if (request.breach_penalty_fen() < 0) {
    return absl::InvalidArgumentError("breach_penalty_fen: must not be negative");
  }
  if (!account.opened) return NotOpen(account);
  const Inspection* inspection = account.FindInspection(request.inspection_id());
  if (inspection == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("inspection_id: ", request.inspection_id(), " is unknown"));
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
  if (account.FindBill(request.bill_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("bill_id: ", request.bill_id(), " exists"));
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

v1::AccountView ViewOf(const Account& account) {
  v1::AccountView view;
  *view.mutable_account() = account.terms;
  for (const Bill& bill : account.bills) {
    auto* summary = view.add_bills();
    summary->set_bill_id(bill.id);
    *summary->mutable_period() = bill.period;
    summary->set_total_fen(bill.total_fen);
    summary->set_paid_fen(bill.paid_fen);
    summary->set_reversed(bill.reversed);
    summary->set_checker(bill.checker);
    *summary->mutable_due_date() = bill.due_date;
    summary->set_penalty_fen(bill.penalty_fen);
    summary->set_back_billing(bill.back_billing);
    if (!bill.reversed) {
      view.set_outstanding_fen(view.outstanding_fen() + bill.total_fen + bill.penalty_fen -
                               bill.paid_fen);
    }
  }
  view.set_credit_fen(account.credit_fen);
  view.set_version(account.version);
  return view;
}

}  // namespace gridledger::billing
