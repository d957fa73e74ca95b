// The rules of a billing account (reading, checking, billing, collecting:
// 抄、核、收), as pure functions: fold the account's events into its state and
// decide each command's events or refuse it. No I/O, no clock (the caller
// passes today's date); thread-safe. Every rule has an id that
// docs/TARIFF.md defines with its source; refusals name it.
//
// Refusals, in this order for every command: INVALID_ARGUMENT naming the
// field and the rule (bad input, including dates after `today`); NOT_FOUND /
// ALREADY_EXISTS naming the id; PERMISSION_DENIED naming the separation-of-
// duties rule (S-*: about what the principal did on this account, never the
// roles they hold); FAILED_PRECONDITION naming the state, the bills and the
// periods (the other rules). A refused command decides no event.
//
// Events of schema version 1 (written before these rules) still fold: a v1
// bill priced [read_ids[0], read_ids[1]], a v1 payment's allocation pays the
// bill's principal first and its penalty with the rest, a v1 penalty counts
// with the amount it recorded.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/common/validation.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::billing {

enum class ReadState {
  kRecorded,    // not yet checked
  kPassed,      // checked, no flag
  kFlagged,     // checked, waiting for a checker's decision
  kAccepted,    // flagged, accepted as read
  kReread,      // flagged, sent for a re-read: no longer live
  kEstimated,   // flagged, replaced by an estimate
  kSuperseded,  // corrected by a later read (C-READ-CORRECTION): no longer live
};

struct Read {
  std::string id;
  v1::Period period;
  v1::ReadPurpose purpose = v1::READ_PURPOSE_PERIODIC;
  std::string meter;        // bar code; empty for v1 reads of the account's one meter
  v1::Registers registers;  // the estimate, once a read is estimated
  std::string reader;
  int32_t multiplier = 1;
  ReadState state = ReadState::kRecorded;
  std::vector<std::string> checkers;  // who checked it, and who decided on it
  int64_t order = 0;                  // 0, 1, … in the order recorded

  bool accepted() const {
    return state == ReadState::kPassed || state == ReadState::kAccepted ||
           state == ReadState::kEstimated;
  }
  bool live() const { return state != ReadState::kReread && state != ReadState::kSuperseded; }
  bool pending() const { return state == ReadState::kRecorded || state == ReadState::kFlagged; }
  bool periodic() const { return purpose == v1::READ_PURPOSE_PERIODIC; }
};

struct Bill {
  std::string id;
  v1::Period period;       // the last period billed
  v1::Period covers_from;  // metered bills: the first period billed
  int32_t months = 1;
  std::string start_read_id;  // metered bills: the interval (C-CHAIN)
  std::string end_read_id;
  std::vector<std::string> read_ids;  // every read priced
  v1::Registers usage;
  int64_t energy_wh = 0;
  int64_t total_fen = 0;
  int64_t paid_fen = 0;  // principal paid
  int64_t penalty_fen = 0;
  int64_t penalty_paid_fen = 0;
  tariff::Int128 penalty_exact_micro_fen = 0;  // Σ unpaid × rate × days (P-MINIMUM)
  bool penalty_accrued = false;                // any late day accrued
  v1::Date penalty_through;                    // last day accrued; unset before the first
  v1::Date due_date;
  bool back_billing = false;
  bool reversed = false;
  std::string replaced_by;
  std::string issuer;
  std::string checker;
  std::set<std::string> collectors;  // posted or reversed a payment allocated to it

  bool metered() const { return !back_billing; }
  int64_t unpaid_principal() const { return total_fen - paid_fen; }
  int64_t unpaid_penalty() const { return penalty_fen - penalty_paid_fen; }
};

struct Allocation {
  std::string bill_id;
  int64_t amount_fen = 0;
  bool to_penalty = false;
};

struct Payment {
  std::string id;
  int64_t amount_fen = 0;
  v1::Date paid_on;  // unset for v1 payments
  std::vector<Allocation> allocations;
  int64_t credit_fen = 0;
  std::string collector;
  bool reversed = false;
};

struct Inspection {
  std::string id;
  v1::InspectionFinding finding = v1::INSPECTION_FINDING_UNSPECIFIED;
  bool back_billed = false;
};

struct Account {
  bool opened = false;
  v1::AccountOpened terms;                             // as opened
  std::vector<v1::AccountTermsChanged> terms_changes;  // in the order recorded
  std::vector<Read> reads;                             // in the order recorded
  std::vector<Bill> bills;                             // in the order issued (back-billing too)
  std::vector<Payment> payments;
  std::vector<Inspection> inspections;
  std::string baseline_read_id;  // the first metered bill's start read (C-BASELINE)
  int64_t credit_fen = 0;
  int64_t version = 0;

  const Read* FindRead(const std::string& id) const;
  const Bill* FindBill(const std::string& id) const;
  const Payment* FindPayment(const std::string& id) const;
  const Inspection* FindInspection(const std::string& id) const;
  Read* MutableRead(const std::string& id);
  Bill* MutableBill(const std::string& id);

  // The live periodic read of `period` (pending or accepted), and the latest
  // accepted one.
  const Read* LivePeriodicReadOf(const v1::Period& period) const;
  const Read* AcceptedReadOf(const v1::Period& period) const;
  // C-TERMS-IN-FORCE: the terms as opened with every change effective on or
  // before the period's first day; TermsNow with every change.
  v1::AccountOpened TermsFor(const v1::Period& period) const;
  v1::AccountOpened TermsNow() const;
  // The standing metered bill of the latest period: where the account is
  // billed through. nullptr when there is none.
  const Bill* LastMeteredBill() const;
  // S-PREPARE-COLLECT: whoever read or checked the reads `bill` priced,
  // issued it or checked it.
  std::set<std::string> PreparersOf(const Bill& bill) const;
};

// One event's effect on the account: FoldAccount's step, also used to stage
// the events of a command that decides several.
void ApplyAccountEvent(const v1::EventEnvelope& envelope, Account& account);
Account FoldAccount(const std::vector<v1::EventEnvelope>& history);

using domain::CheckId;  // domain/common/validation.h

// A-* rules: the terms, and against the tariff's latest version (its
// category and voltage class, two-part prices; tariff_versions empty: the
// tariff does not exist, FAILED_PRECONDITION).
absl::StatusOr<v1::DomainEvent> DecideOpenAccount(
    const Account& account, const v1::AccountOpened& opened,
    const std::vector<v1::TariffScheduleVersionPublished>& tariff_versions);

// A-TERMS-CHANGE: from the first day of a month after the last period billed,
// the changed terms checked as at opening against the (new) tariff's
// versions.
absl::StatusOr<v1::DomainEvent> DecideChangeTerms(
    const Account& account, const v1::AccountTermsChanged& change,
    const std::vector<v1::TariffScheduleVersionPublished>& tariff_versions);

// TV-*: the version numbered by the server (`existing` are the tariff's
// versions so far); a non-zero version.version must be that number.
absl::StatusOr<v1::DomainEvent> DecidePublishTariff(
    const std::vector<v1::TariffScheduleVersionPublished>& existing,
    const v1::TariffScheduleVersionPublished& version);

// C-SEQUENCE, C-METER-EXCHANGE, C-READ-CORRECTION, V-DUPLICATE: a read for a
// period that has begun by `today`, on the meter in place.
absl::StatusOr<v1::DomainEvent> DecideRecordRead(const Account& account, v1::MeterReadRecorded read,
                                                 const std::string& reader, const v1::Date& today);

// The VEE rules (V-*): registers never below the previous accepted read of
// the meter nor above a later one, TOU registers add up to the total,
// consumption far above (> 3×) or below (< ⅓) the average of up to three
// earlier periods, zero consumption on an active account. S-READ-CHECK.
absl::StatusOr<v1::DomainEvent> DecideCheckRead(const Account& account, const std::string& read_id,
                                                const std::string& checker);

// Accept, re-read or estimate a flagged read; accepted and estimated
// registers keep C-MONOTONE. S-READ-CHECK.
absl::StatusOr<v1::DomainEvent> DecideReadDecision(const Account& account,
                                                   const v1::DecideReadRequest& request,
                                                   const std::string& checker);

// C-*: the consumption from the read the account is billed through (or its
// baseline) to the period's accepted read, each kWh once and in period order,
// priced by the terms and tariff version in force for the period
// (tariff_engine.h); annual tiers from the year's earlier bills in period
// order.
absl::StatusOr<v1::DomainEvent> DecideIssueBill(
    const Account& account, const v1::IssueBillRequest& request,
    const std::vector<v1::TariffScheduleVersionPublished>& tariff_versions,
    const std::string& issuer, const v1::Date& today);

// S-COLLECT-ALTER: who collected the bill does not check it.
absl::StatusOr<v1::DomainEvent> DecideCheckBill(const Account& account, const std::string& bill_id,
                                                const std::string& checker);

// P-PAID-ON, P-ALLOCATION, P-BACKDATED, S-PREPARE-COLLECT: penalties due up
// to paid_on on the bills the payment reaches, then the payment: oldest bills
// first, principal then penalty, the rest as credit.
absl::StatusOr<std::vector<v1::DomainEvent>> DecidePostPayment(
    const Account& account, const v1::PostPaymentRequest& request, const std::string& collector,
    const v1::Date& today);

// C-REVERSE-ORDER, S-COLLECT-ALTER: a wrong bill is reversed, never edited;
// not while payments are applied, and metered bills latest first.
absl::StatusOr<v1::DomainEvent> DecideReverseBill(const Account& account,
                                                  const v1::ReverseBillRequest& request,
                                                  const std::string& principal);

// P-REVERSAL, S-PREPARE-COLLECT: the payment undone, and the penalty days it
// had stopped accrued on what it no longer pays.
absl::StatusOr<std::vector<v1::DomainEvent>> DecideReversePayment(
    const Account& account, const v1::ReversePaymentRequest& request, const std::string& principal);

// P-*: the penalty on the bill's unpaid principal from the day after its due
// date, or after the last accrual, through as_of (not after today).
// S-COLLECT-ALTER.
absl::StatusOr<v1::DomainEvent> DecideAccruePenalty(const Account& account,
                                                    const v1::AccruePenaltyRequest& request,
                                                    const std::string& principal,
                                                    const v1::Date& today);

absl::StatusOr<v1::DomainEvent> DecideRecordInspection(const Account& account,
                                                       v1::InspectionRecorded inspection,
                                                       const std::string& inspector);

// T-BACK-BILLING. `flat_price` is the flat price in force for to_period,
// which has begun by `today`.
absl::StatusOr<v1::DomainEvent> DecideBackBilling(const Account& account,
                                                  const v1::IssueBackBillingRequest& request,
                                                  int64_t flat_price_micro_cny_per_kwh,
                                                  const v1::Date& today);

v1::AccountView ViewOf(const Account& account);

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_
