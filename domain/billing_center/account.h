// The rules of a billing account (DOMAIN.md: reading, checking, collecting;
// tariffs), as pure functions: fold the account's events into its state and
// decide each command's event or refuse it. No I/O; thread-safe.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/common/validation.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::billing {

enum class ReadState { kRecorded, kPassed, kFlagged, kAccepted, kReread, kEstimated };

struct Read {
  std::string id;
  v1::Period period;
  v1::Registers registers;  // the estimate, once a read is estimated
  std::string reader;
  int32_t multiplier = 1;
  ReadState state = ReadState::kRecorded;
  std::string checker;

  bool accepted() const {
    return state == ReadState::kPassed || state == ReadState::kAccepted ||
           state == ReadState::kEstimated;
  }
};

struct Bill {
  std::string id;
  v1::Period period;
  int64_t total_fen = 0;
  int64_t penalty_fen = 0;  // late-payment penalties accrued on it
  int64_t paid_fen = 0;
  bool back_billing = false;
  v1::Date penalty_through;  // last day a penalty covers; unset before the first
  int64_t energy_wh = 0;
  bool reversed = false;
  std::string checker;
  v1::Date due_date;
};

struct Payment {
  std::string id;
  int64_t amount_fen = 0;
  std::vector<std::pair<std::string, int64_t>> allocations;  // bill id → fen
  int64_t credit_fen = 0;
  bool reversed = false;
};

struct Inspection {
  std::string id;
  v1::InspectionFinding finding = v1::INSPECTION_FINDING_UNSPECIFIED;
  bool back_billed = false;
};

struct Account {
  bool opened = false;
  v1::AccountOpened terms;
  std::vector<Read> reads;  // in the order recorded
  std::vector<Bill> bills;  // in the order issued (back-billing included)
  std::vector<Payment> payments;
  std::vector<Inspection> inspections;
  int64_t credit_fen = 0;
  int64_t version = 0;

  const Read* FindRead(const std::string& id) const;
  const Bill* FindBill(const std::string& id) const;
  const Payment* FindPayment(const std::string& id) const;
  const Inspection* FindInspection(const std::string& id) const;
  // The latest accepted read of `period`, and the latest accepted one before it.
  const Read* AcceptedReadOf(const v1::Period& period) const;
  const Read* AcceptedReadBefore(const v1::Period& period) const;
};

Account FoldAccount(const std::vector<v1::EventEnvelope>& history);

using domain::CheckId;  // domain/common/validation.h

// Opening needs the account's tariff to exist (`tariff_versions` > 0).
absl::StatusOr<v1::DomainEvent> DecideOpenAccount(const Account& account,
                                                  const v1::AccountOpened& opened,
                                                  int64_t tariff_versions);

// `current_versions` is how many versions the tariff stream holds.
absl::StatusOr<v1::DomainEvent> DecidePublishTariff(
    int64_t current_versions, const v1::TariffScheduleVersionPublished& version);

absl::StatusOr<v1::DomainEvent> DecideRecordRead(const Account& account, v1::MeterReadRecorded read,
                                                 const std::string& reader);

// The VEE rules: registers never go backwards, period registers add up to the
// total, consumption far above (> 3×) or below (< ⅓) the average of up to
// three earlier periods, zero consumption on an active account. The reader
// cannot check their own read.
absl::StatusOr<v1::DomainEvent> DecideCheckRead(const Account& account, const std::string& read_id,
                                                const std::string& checker);

absl::StatusOr<v1::DomainEvent> DecideReadDecision(const Account& account,
                                                   const v1::DecideReadRequest& request,
                                                   const std::string& checker);

// Usage = (period's accepted read − previous accepted read) × multiplier,
// priced by the tariff version in force (tariff_engine.h).
absl::StatusOr<v1::DomainEvent> DecideIssueBill(
    const Account& account, const v1::IssueBillRequest& request,
    const std::vector<v1::TariffScheduleVersionPublished>& tariff_versions);

absl::StatusOr<v1::DomainEvent> DecideCheckBill(const Account& account, const std::string& bill_id,
                                                const std::string& checker);

// Oldest unpaid bills first; the checker of a bill cannot post its payment.
absl::StatusOr<v1::DomainEvent> DecidePostPayment(const Account& account,
                                                  const v1::PostPaymentRequest& request,
                                                  const std::string& collector);

// A wrong bill is reversed, never edited; not while payments are applied.
absl::StatusOr<v1::DomainEvent> DecideReverseBill(const Account& account,
                                                  const v1::ReverseBillRequest& request);

absl::StatusOr<v1::DomainEvent> DecideReversePayment(const Account& account,
                                                     const v1::ReversePaymentRequest& request);

// The penalty (tariff/penalty.h) on the bill's unpaid amount from the day
// after its due date, or after the last accrual, through as_of.
absl::StatusOr<v1::DomainEvent> DecideAccruePenalty(const Account& account,
                                                    const v1::AccruePenaltyRequest& request);

absl::StatusOr<v1::DomainEvent> DecideRecordInspection(const Account& account,
                                                       v1::InspectionRecorded inspection,
                                                       const std::string& inspector);

// `flat_price` is the flat price in force for the request's to_period.
absl::StatusOr<v1::DomainEvent> DecideBackBilling(const Account& account,
                                                  const v1::IssueBackBillingRequest& request,
                                                  int64_t flat_price_micro_cny_per_kwh);

v1::AccountView ViewOf(const Account& account);

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_H_
