#include "projections/views/ledger_view.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "projections/views/view_keys.h"

namespace gridledger::projections {
namespace {

std::string AccountKey(absl::string_view account) { return absl::StrCat("la/", account); }

// Account search: "ls/<index>/<term>\0<account>", one key per account and
// term (names lower-cased; a unit as UnitKey, so a unit's prefix selects its
// subtree; every meter a read of the account named).
constexpr char kByName[] = "name";
constexpr char kByUnit[] = "unit";
constexpr char kByMeter[] = "meter";
std::string SearchPrefix(absl::string_view index, absl::string_view term) {
  return absl::StrCat("ls/", index, "/", term);
}
std::string SearchKey(absl::string_view index, absl::string_view term, absl::string_view account) {
  return absl::StrCat(SearchPrefix(index, term), std::string(1, '\0'), account);
}
std::string SearchText(absl::string_view text) { return absl::AsciiStrToLower(text); }
std::string BillKey(absl::string_view account, absl::string_view bill) {
  return absl::StrCat("lb/", account, "/", bill);
}
std::string PaymentKey(absl::string_view account, absl::string_view payment) {
  return absl::StrCat("lp/", account, "/", payment);
}
std::string OpenBillKey(const v1::LedgerBill& bill) {
  return absl::StrCat("lo/", UnitKey(bill.org_unit()), bill.account_id(), "/", bill.bill_id());
}
std::string TotalsKey(absl::string_view unit, const v1::Period& period) {
  return absl::StrCat("lt/", UnitKey(unit), PeriodKey(period));
}
std::string EntryPrefix(absl::string_view account) { return absl::StrCat("le/", account, "/"); }

// One event's changes to one account, staged together.
class AccountChange {
 public:
  AccountChange(const v1::EventEnvelope& event, ViewTxn& txn, v1::LedgerAccount account,
                bool with_statement)
      : event_(event), txn_(txn), account_(std::move(account)), with_statement_(with_statement) {}

  v1::LedgerAccount& account() { return account_; }

  absl::StatusOr<v1::LedgerBill> LoadBill(const std::string& bill_id) {
    v1::LedgerBill bill;
    GL_ASSIGN_OR_RETURN(bool found, txn_.GetProto(BillKey(account_.account_id(), bill_id), &bill));
    if (!found) {
      return absl::DataLossError(absl::StrCat("ledger: event ", event_.event_id(), " names bill ",
                                              bill_id, " the ledger has not seen"));
    }
    return bill;
  }

  // Writes the bill and keeps the open-bill index in step with it.
  void SaveBill(const v1::LedgerBill& bill) {
    txn_.PutProto(BillKey(bill.account_id(), bill.bill_id()), bill);
    if (Unpaid(bill) > 0) {
      txn_.PutProto(OpenBillKey(bill), bill);
    } else {
      txn_.Delete(OpenBillKey(bill));
    }
  }

  // Adds to the period totals of the account's unit and every unit above it.
  absl::Status AddTotals(const v1::Period& period,
                         const std::function<void(v1::PeriodTotals&)>& change) {
    for (const std::string& unit : UnitAndAncestors(account_.org_unit())) {
      v1::PeriodTotals totals;
      const std::string key = TotalsKey(unit, period);
      GL_ASSIGN_OR_RETURN(bool found, txn_.GetProto(key, &totals));
      if (!found) *totals.mutable_period() = period;
      change(totals);
      txn_.PutProto(key, totals);
    }
    return absl::OkStatus();
  }

  // Moves the balance by `amount_fen` and, for the ledger view, appends the
  // statement entry; returns it for the caller to fill in.
  v1::StatementEntry* Post(v1::StatementEntryKind kind, absl::string_view reference_id,
                           int64_t amount_fen) {
    account_.set_balance_fen(account_.balance_fen() + amount_fen);
    if (!with_statement_) return nullptr;
    account_.set_entries(account_.entries() + 1);
    entry_.set_sequence(account_.entries());
    entry_.set_kind(kind);
    entry_.set_reference_id(std::string(reference_id));
    entry_.set_amount_fen(amount_fen);
    entry_.set_balance_after_fen(account_.balance_fen());
    *entry_.mutable_occurred_at() = event_.occurred_at();
    *entry_.mutable_recorded_at() = event_.recorded_at();
    *entry_.mutable_position() = event_.position();
    has_entry_ = true;
    return &entry_;
  }

  void Commit() {
    account_.set_version(event_.stream_version());
    txn_.PutProto(AccountKey(account_.account_id()), account_);
    if (has_entry_) {
      txn_.PutProto(
          absl::StrCat(EntryPrefix(account_.account_id()), SequenceKey(entry_.sequence())), entry_);
    }
  }

  ViewTxn& txn() { return txn_; }

 private:
  const v1::EventEnvelope& event_;
  ViewTxn& txn_;
  v1::LedgerAccount account_;
  const bool with_statement_;
  v1::StatementEntry entry_;
  bool has_entry_ = false;
};

absl::Status ApplyBillIssued(const v1::BillIssued& issued, AccountChange& change) {
  v1::LedgerBill bill;
  bill.set_bill_id(issued.bill_id());
  bill.set_account_id(change.account().account_id());
  bill.set_org_unit(change.account().org_unit());
  *bill.mutable_period() = issued.period();
  *bill.mutable_due_date() = issued.due_date();
  bill.set_total_fen(issued.total_fen());
  change.SaveBill(bill);
  GL_RETURN_IF_ERROR(change.AddTotals(issued.period(), [&](v1::PeriodTotals& t) {
    t.set_billed_fen(t.billed_fen() + issued.total_fen());
    t.set_bills(t.bills() + 1);
  }));
  if (v1::StatementEntry* entry =
          change.Post(v1::STATEMENT_ENTRY_KIND_BILL, issued.bill_id(), issued.total_fen())) {
    entry->set_bill_id(issued.bill_id());
    *entry->mutable_period() = issued.period();
    *entry->mutable_lines() = issued.lines();
    entry->set_description(issued.replaces_bill_id().empty()
                               ? "bill"
                               : absl::StrCat("bill reissuing ", issued.replaces_bill_id()));
  }
  return absl::OkStatus();
}

absl::Status ApplyBackBilling(const v1::BackBillingIssued& issued, const v1::Date& issued_on,
                              AccountChange& change) {
  const int64_t total = issued.amount_fen() + issued.penalty_fen();
  v1::LedgerBill bill;
  bill.set_bill_id(issued.bill_id());
  bill.set_account_id(change.account().account_id());
  bill.set_org_unit(change.account().org_unit());
  *bill.mutable_period() = issued.to_period();
  *bill.mutable_due_date() = issued_on;  // due when issued
  bill.set_total_fen(total);
  bill.set_back_billing(true);
  change.SaveBill(bill);
  GL_RETURN_IF_ERROR(change.AddTotals(issued.to_period(), [&](v1::PeriodTotals& t) {
    t.set_billed_fen(t.billed_fen() + total);
    t.set_back_billed_fen(t.back_billed_fen() + total);
    t.set_bills(t.bills() + 1);
  }));
  if (v1::StatementEntry* entry =
          change.Post(v1::STATEMENT_ENTRY_KIND_BACK_BILLING, issued.inspection_id(), total)) {
    entry->set_bill_id(issued.bill_id());
    *entry->mutable_period() = issued.to_period();
    entry->set_description(absl::StrCat("back-billing ", issued.energy_wh(), " Wh, penalty ",
                                        issued.penalty_fen(), " fen"));
  }
  return absl::OkStatus();
}

absl::Status ApplyBillReversed(const v1::BillReversed& reversed, AccountChange& change) {
  GL_ASSIGN_OR_RETURN(v1::LedgerBill bill, change.LoadBill(reversed.bill_id()));
  bill.set_reversed(true);
  change.SaveBill(bill);
  GL_RETURN_IF_ERROR(change.AddTotals(bill.period(), [&](v1::PeriodTotals& t) {
    t.set_reversed_fen(t.reversed_fen() + reversed.reversed_amount_fen());
  }));
  if (v1::StatementEntry* entry =
          change.Post(v1::STATEMENT_ENTRY_KIND_BILL_REVERSAL, reversed.bill_id(),
                      -reversed.reversed_amount_fen())) {
    entry->set_bill_id(reversed.bill_id());
    *entry->mutable_period() = bill.period();
    entry->set_description(reversed.reason());
  }
  return absl::OkStatus();
}

// P-ALLOCATION in docs/TARIFF.md: an allocation not marked to_penalty pays
// the bill's principal up to what is unpaid and its penalty with the rest (a
// v1 payment's allocation covered both; v2 ones never exceed the principal).
std::vector<v1::PaymentAllocation> Split(const v1::PaymentAllocation& allocation,
                                         const v1::LedgerBill& bill) {
  if (allocation.to_penalty()) return {allocation};
  const int64_t unpaid = std::max<int64_t>(0, bill.total_fen() - bill.paid_fen());
  const int64_t principal = std::min(allocation.amount_fen(), unpaid);
  std::vector<v1::PaymentAllocation> parts;
  if (principal > 0 || allocation.amount_fen() == 0) {
    v1::PaymentAllocation& part = parts.emplace_back(allocation);
    part.set_amount_fen(principal);
  }
  if (allocation.amount_fen() > principal) {
    v1::PaymentAllocation& part = parts.emplace_back(allocation);
    part.set_amount_fen(allocation.amount_fen() - principal);
    part.set_to_penalty(true);
  }
  return parts;
}

// Applies (sign +1) or undoes (sign −1) allocations already split.
absl::Status Allocate(const v1::PaymentAllocation& allocation, int sign, AccountChange& change) {
  GL_ASSIGN_OR_RETURN(v1::LedgerBill bill, change.LoadBill(allocation.bill_id()));
  const int64_t amount = sign * allocation.amount_fen();
  if (allocation.to_penalty()) {
    bill.set_penalty_paid_fen(bill.penalty_paid_fen() + amount);
  } else {
    bill.set_paid_fen(bill.paid_fen() + amount);
  }
  change.SaveBill(bill);
  return change.AddTotals(bill.period(), [&](v1::PeriodTotals& t) {
    if (allocation.to_penalty()) {
      t.set_penalty_collected_fen(t.penalty_collected_fen() + amount);
    } else {
      t.set_collected_fen(t.collected_fen() + amount);
    }
  });
}

// Applies a payment's allocations as posted; returns them as applied (split).
absl::StatusOr<google::protobuf::RepeatedPtrField<v1::PaymentAllocation>> ApplyAllocations(
    const google::protobuf::RepeatedPtrField<v1::PaymentAllocation>& allocations,
    AccountChange& change) {
  google::protobuf::RepeatedPtrField<v1::PaymentAllocation> applied;
  for (const v1::PaymentAllocation& allocation : allocations) {
    GL_ASSIGN_OR_RETURN(v1::LedgerBill bill, change.LoadBill(allocation.bill_id()));
    for (const v1::PaymentAllocation& part : Split(allocation, bill)) {
      GL_RETURN_IF_ERROR(Allocate(part, +1, change));
      *applied.Add() = part;
    }
  }
  return applied;
}

absl::Status ApplyPaymentPosted(const v1::PaymentPosted& posted, AccountChange& change) {
  GL_ASSIGN_OR_RETURN(auto applied, ApplyAllocations(posted.allocations(), change));
  v1::LedgerPayment payment;
  payment.set_payment_id(posted.payment_id());
  *payment.mutable_allocations() = applied;
  payment.set_credit_fen(posted.credit_fen());
  change.txn().PutProto(PaymentKey(change.account().account_id(), posted.payment_id()), payment);
  change.account().set_credit_fen(change.account().credit_fen() + posted.credit_fen());
  if (v1::StatementEntry* entry = change.Post(v1::STATEMENT_ENTRY_KIND_PAYMENT, posted.payment_id(),
                                              -posted.amount_fen())) {
    *entry->mutable_allocations() = applied;
    entry->set_description(posted.credit_fen() > 0
                               ? absl::StrCat("payment, ", posted.credit_fen(), " fen to credit")
                               : "payment");
  }
  return absl::OkStatus();
}

absl::Status ApplyPaymentReversed(const v1::PaymentReversed& reversed, AccountChange& change) {
  v1::LedgerPayment payment;
  const std::string key = PaymentKey(change.account().account_id(), reversed.payment_id());
  GL_ASSIGN_OR_RETURN(bool found, change.txn().GetProto(key, &payment));
  if (!found || payment.reversed()) {
    return absl::DataLossError(absl::StrCat("ledger: reversal of payment ", reversed.payment_id(),
                                            " that is unknown or already reversed"));
  }
  for (const v1::PaymentAllocation& allocation : payment.allocations()) {
    GL_RETURN_IF_ERROR(Allocate(allocation, -1, change));
  }
  payment.set_reversed(true);
  change.txn().PutProto(key, payment);
  change.account().set_credit_fen(change.account().credit_fen() - payment.credit_fen());
  if (v1::StatementEntry* entry = change.Post(v1::STATEMENT_ENTRY_KIND_PAYMENT_REVERSAL,
                                              reversed.payment_id(), reversed.amount_fen())) {
    entry->set_description(reversed.reason());
  }
  return absl::OkStatus();
}

// "late-payment penalty, 5 days (2 at 2000 ppm/day in 2025, 3 at 3000 in
// 2026) on 10000 fen": v2 accruals per year, v1 at its one rate.
std::string PenaltyDescription(const v1::PenaltyAccrued& penalty) {
  std::string days;
  if (penalty.segments_size() > 1) {
    for (const v1::PenaltySegment& segment : penalty.segments()) {
      absl::StrAppend(&days, days.empty() ? " (" : ", ", segment.days(), " at ",
                      segment.rate_ppm_per_day(), " ppm/day in ", segment.from_date().year());
    }
    days += ")";
  } else {
    days = absl::StrCat(" at ", penalty.rate_ppm_per_day(), " ppm/day");
  }
  return absl::StrCat("late-payment penalty, ", penalty.days(), " days", days, " on ",
                      penalty.unpaid_fen(), " fen",
                      penalty.reason().empty() ? "" : absl::StrCat("; ", penalty.reason()));
}

absl::Status ApplyPenalty(const v1::PenaltyAccrued& penalty, AccountChange& change) {
  GL_ASSIGN_OR_RETURN(v1::LedgerBill bill, change.LoadBill(penalty.bill_id()));
  bill.set_penalty_fen(bill.penalty_fen() + penalty.amount_fen());
  change.SaveBill(bill);
  GL_RETURN_IF_ERROR(change.AddTotals(bill.period(), [&](v1::PeriodTotals& t) {
    t.set_penalty_fen(t.penalty_fen() + penalty.amount_fen());
  }));
  if (v1::StatementEntry* entry =
          change.Post(v1::STATEMENT_ENTRY_KIND_PENALTY, penalty.bill_id(), penalty.amount_fen())) {
    entry->set_bill_id(penalty.bill_id());
    *entry->mutable_period() = bill.period();
    entry->set_description(PenaltyDescription(penalty));
  }
  return absl::OkStatus();
}

}  // namespace

eventstore::SubscriptionFilter LedgerView::filter() const {
  eventstore::SubscriptionFilter filter;
  filter.stream_prefixes = {std::string(domain::kAccount.prefix)};
  return filter;
}

absl::StatusOr<v1::LedgerAccount> ApplyLedgerEvent(const v1::EventEnvelope& event, ViewTxn& txn,
                                                   bool with_statement) {
  const std::string account_id = std::string(domain::kAccount.IdOf(event.stream_id()));
  v1::LedgerAccount account;
  GL_ASSIGN_OR_RETURN(bool found, txn.GetProto(AccountKey(account_id), &account));
  if (event.stream_version() != account.version() + 1) {
    return absl::DataLossError(absl::StrCat("ledger: account ", account_id, " is at version ",
                                            account.version(), " but event ",
                                            event.stream_version(), " arrived"));
  }
  if (!found) account.set_account_id(account_id);
  AccountChange change(event, txn, std::move(account), with_statement);
  const v1::DomainEvent& payload = event.payload();
  switch (payload.event_case()) {
    case v1::DomainEvent::kAccountOpened: {
      const v1::AccountOpened& opened = payload.account_opened();
      v1::LedgerAccount& a = change.account();
      a.set_org_unit(opened.org_unit().empty() ? event.org_unit() : opened.org_unit());
      a.set_customer_name(opened.customer_name());
      a.set_premise_address(opened.premise_address());
      txn.Put(SearchKey(kByName, SearchText(opened.customer_name()), account_id), "");
      txn.Put(SearchKey(kByUnit, UnitKey(a.org_unit()), account_id), "");
      break;
    }
    case v1::DomainEvent::kMeterReadRecorded: {
      const std::string& meter = payload.meter_read_recorded().meter_bar_code();
      if (!meter.empty() && meter != change.account().meter_bar_code()) {
        change.account().set_meter_bar_code(meter);
        txn.Put(SearchKey(kByMeter, meter, account_id), "");
      }
      break;
    }
    case v1::DomainEvent::kAccountClosed:
      change.account().set_closed(true);
      break;
    case v1::DomainEvent::kBillIssued:
      GL_RETURN_IF_ERROR(ApplyBillIssued(payload.bill_issued(), change));
      break;
    case v1::DomainEvent::kBackBillingIssued:
      GL_RETURN_IF_ERROR(ApplyBackBilling(payload.back_billing_issued(),
                                          domain::UtilityDate(event.occurred_at()), change));
      break;
    case v1::DomainEvent::kBillReversed:
      GL_RETURN_IF_ERROR(ApplyBillReversed(payload.bill_reversed(), change));
      break;
    case v1::DomainEvent::kPaymentPosted:
      GL_RETURN_IF_ERROR(ApplyPaymentPosted(payload.payment_posted(), change));
      break;
    case v1::DomainEvent::kPaymentReversed:
      GL_RETURN_IF_ERROR(ApplyPaymentReversed(payload.payment_reversed(), change));
      break;
    case v1::DomainEvent::kPenaltyAccrued:
      GL_RETURN_IF_ERROR(ApplyPenalty(payload.penalty_accrued(), change));
      break;
    default:
      break;  // reads, checks, terms, inspections: no money moves
  }
  change.Commit();
  return change.account();
}

int64_t Unpaid(const v1::LedgerBill& bill) {
  if (bill.reversed()) return 0;
  return (bill.total_fen() - bill.paid_fen()) + (bill.penalty_fen() - bill.penalty_paid_fen());
}

void AddToArrears(const v1::LedgerBill& bill, const v1::Date& as_of, v1::ArrearsBuckets* arrears) {
  const int64_t unpaid = Unpaid(bill);
  if (unpaid <= 0) return;
  const int64_t days_late =
      IsSet(bill.due_date()) ? domain::ToCivilDay(as_of) - domain::ToCivilDay(bill.due_date()) : 0;
  if (days_late <= 0) {
    arrears->set_not_due_fen(arrears->not_due_fen() + unpaid);
  } else if (days_late <= 30) {
    arrears->set_days_1_to_30_fen(arrears->days_1_to_30_fen() + unpaid);
  } else if (days_late <= 90) {
    arrears->set_days_31_to_90_fen(arrears->days_31_to_90_fen() + unpaid);
  } else if (days_late <= 180) {
    arrears->set_days_91_to_180_fen(arrears->days_91_to_180_fen() + unpaid);
  } else if (days_late <= 365) {
    arrears->set_days_181_to_365_fen(arrears->days_181_to_365_fen() + unpaid);
  } else {
    arrears->set_over_365_days_fen(arrears->over_365_days_fen() + unpaid);
  }
  arrears->set_total_fen(arrears->total_fen() + unpaid);
}

absl::Status ForEachOpenBill(const ViewReader& reader, const std::string& org_unit,
                             const std::function<void(const v1::LedgerBill&)>& visit) {
  absl::Status parse_error;
  GL_RETURN_IF_ERROR(reader.Scan(
      absl::StrCat("lo/", UnitPrefix(org_unit)), "",
      [&](absl::string_view key, absl::string_view value) {
        v1::LedgerBill bill;
        if (!bill.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError(absl::StrCat("ledger: ", key, " does not parse"));
          return false;
        }
        visit(bill);
        return true;
      }));
  return parse_error;
}

absl::StatusOr<v1::Statement> ReadStatement(const ViewReader& reader, const std::string& account_id,
                                            int page_size, const std::string& page_token) {
  v1::LedgerAccount account;
  GL_ASSIGN_OR_RETURN(bool found, reader.GetProto(AccountKey(account_id), &account));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("account_id: ", account_id, " is not in the ledger"));
  }
  int64_t from_sequence = 1;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &from_sequence) || from_sequence < 1)) {
    return absl::InvalidArgumentError("page_token: not one this service gave");
  }
  v1::Statement statement;
  statement.set_account_id(account_id);
  statement.set_org_unit(account.org_unit());
  statement.set_balance_fen(account.balance_fen());
  *statement.mutable_reflects() = reader.reflects();
  const std::string prefix = EntryPrefix(account_id);
  absl::Status parse_error;
  GL_RETURN_IF_ERROR(reader.Scan(
      prefix, absl::StrCat(prefix, SequenceKey(from_sequence)),
      [&](absl::string_view key, absl::string_view value) {
        if (statement.entries_size() >= page_size) {
          statement.set_next_page_token(std::string(key.substr(prefix.size())));
          return false;
        }
        if (!statement.add_entries()->ParseFromArray(value.data(),
                                                     static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError(absl::StrCat("ledger: ", key, " does not parse"));
          return false;
        }
        return true;
      }));
  return parse_error.ok() ? absl::StatusOr<v1::Statement>(std::move(statement)) : parse_error;
}

absl::StatusOr<v1::AccountSearchReply> SearchAccounts(
    const ViewReader& reader, const v1::SearchAccountsRequest& request,
    const std::function<bool(const v1::LedgerAccount&)>& visible) {
  if (request.account_id_prefix().empty() && request.name_prefix().empty() &&
      request.meter_bar_code().empty() && request.org_unit().empty()) {
    return absl::InvalidArgumentError(
        "account_id_prefix, name_prefix, meter_bar_code, org_unit: give at least one");
  }
  const std::string name = SearchText(request.name_prefix());
  // The most selective index given; its keys end in the account id.
  std::string prefix;
  bool by_account_key = false;
  if (!request.meter_bar_code().empty()) {
    prefix = SearchPrefix(kByMeter, request.meter_bar_code()) + std::string(1, '\0');
  } else if (!request.account_id_prefix().empty()) {
    prefix = AccountKey(request.account_id_prefix());
    by_account_key = true;
  } else if (!name.empty()) {
    prefix = SearchPrefix(kByName, name);
  } else {
    prefix = SearchPrefix(kByUnit, UnitPrefix(request.org_unit()));
  }
  const std::string& token = request.page_token();
  if (token.size() % 2 != 0 || token.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError("page_token: not one this service gave");
  }
  const std::string start = absl::HexStringToBytes(token);
  const int page_size = request.page_size() <= 0 ? 100 : std::min(request.page_size(), 1000);
  v1::AccountSearchReply reply;
  absl::Status failed;
  GL_RETURN_IF_ERROR(reader.Scan(
      by_account_key ? "la/" : prefix, prefix + start,
      [&](absl::string_view key, absl::string_view) {
        if (!absl::StartsWith(key, prefix)) return false;
        if (reply.accounts_size() >= page_size) {
          reply.set_next_page_token(absl::BytesToHexString(key.substr(prefix.size())));
          return false;
        }
        const absl::string_view account_id =
            by_account_key ? key.substr(3) : key.substr(key.rfind('\0') + 1);
        v1::LedgerAccount account;
        absl::StatusOr<bool> found = reader.GetProto(AccountKey(account_id), &account);
        if (!found.ok()) {
          failed = found.status();
          return false;
        }
        if (!*found || !visible(account)) return true;
        if (!absl::StartsWith(account.account_id(), request.account_id_prefix()) ||
            !absl::StartsWith(SearchText(account.customer_name()), name) ||
            (!request.org_unit().empty() &&
             !absl::StartsWith(UnitKey(account.org_unit()), UnitPrefix(request.org_unit())))) {
          return true;
        }
        v1::AccountMatch* match = reply.add_accounts();
        match->set_account_id(account.account_id());
        match->set_customer_name(account.customer_name());
        match->set_org_unit(account.org_unit());
        match->set_premise_address(account.premise_address());
        match->set_meter_bar_code(account.meter_bar_code());
        match->set_balance_fen(account.balance_fen());
        match->set_closed(account.closed());
        return true;
      }));
  GL_RETURN_IF_ERROR(failed);
  *reply.mutable_reflects() = reader.reflects();
  return reply;
}

absl::StatusOr<v1::AccountBalance> ReadBalance(const ViewReader& reader,
                                               const std::string& account_id,
                                               const v1::Date& as_of) {
  v1::LedgerAccount account;
  GL_ASSIGN_OR_RETURN(bool found, reader.GetProto(AccountKey(account_id), &account));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("account_id: ", account_id, " is not in the ledger"));
  }
  v1::AccountBalance balance;
  balance.set_account_id(account_id);
  balance.set_org_unit(account.org_unit());
  balance.set_balance_fen(account.balance_fen());
  balance.set_credit_fen(account.credit_fen());
  *balance.mutable_as_of() = as_of;
  *balance.mutable_reflects() = reader.reflects();
  balance.mutable_arrears();
  // The account's open bills sit under its own unit's key.
  const std::string prefix = absl::StrCat("lo/", UnitKey(account.org_unit()), account_id, "/");
  absl::Status parse_error;
  GL_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](absl::string_view key, absl::string_view value) {
    v1::LedgerBill* bill = balance.add_open_bills();
    if (!bill->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      parse_error = absl::DataLossError(absl::StrCat("ledger: ", key, " does not parse"));
      return false;
    }
    AddToArrears(*bill, as_of, balance.mutable_arrears());
    return true;
  }));
  return parse_error.ok() ? absl::StatusOr<v1::AccountBalance>(std::move(balance)) : parse_error;
}

absl::StatusOr<v1::PeriodTotalsReply> ReadPeriodTotals(const ViewReader& reader,
                                                       const std::string& org_unit,
                                                       const v1::Period& from,
                                                       const v1::Period& to) {
  v1::PeriodTotalsReply reply;
  reply.set_org_unit(org_unit);
  *reply.mutable_reflects() = reader.reflects();
  v1::PeriodTotals& total = *reply.mutable_total();
  const std::string prefix = absl::StrCat("lt/", UnitKey(org_unit));
  const std::string last = PeriodKey(to);
  absl::Status parse_error;
  GL_RETURN_IF_ERROR(reader.Scan(
      prefix, absl::StrCat(prefix, PeriodKey(from)),
      [&](absl::string_view key, absl::string_view value) {
        if (key.substr(prefix.size()) > last) return false;
        v1::PeriodTotals* t = reply.add_periods();
        if (!t->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError(absl::StrCat("ledger: ", key, " does not parse"));
          return false;
        }
        t->set_outstanding_fen(t->billed_fen() - t->reversed_fen() - t->collected_fen());
        total.set_billed_fen(total.billed_fen() + t->billed_fen());
        total.set_reversed_fen(total.reversed_fen() + t->reversed_fen());
        total.set_collected_fen(total.collected_fen() + t->collected_fen());
        total.set_penalty_fen(total.penalty_fen() + t->penalty_fen());
        total.set_penalty_collected_fen(total.penalty_collected_fen() + t->penalty_collected_fen());
        total.set_back_billed_fen(total.back_billed_fen() + t->back_billed_fen());
        total.set_bills(total.bills() + t->bills());
        total.set_outstanding_fen(total.outstanding_fen() + t->outstanding_fen());
        return true;
      }));
  return parse_error.ok() ? absl::StatusOr<v1::PeriodTotalsReply>(std::move(reply)) : parse_error;
}

}  // namespace gridledger::projections
