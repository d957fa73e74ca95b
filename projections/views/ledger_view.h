// The billing-ledger view: per account the statement in order (bills with
// their lines, reversals, payments and their reversals, penalties,
// back-billing) with its running balance; open bills for balance and arrears
// by age; per org unit and period billed, collected and outstanding.
//
// Keys (account and bill ids contain no '/', see domain/common/validation.h):
//   la/<account>                LedgerAccount
//   lb/<account>/<bill>         LedgerBill
//   lp/<account>/<payment>      LedgerPayment
//   lo/<unit>/|<account>/<bill> LedgerBill, while it has something unpaid
//   lt/<unit>/|<yyyymm>         PeriodTotals, for the unit and each above it
//   le/<account>/<sequence>     StatementEntry (the ledger view only)
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_LEDGER_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_LEDGER_VIEW_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

// Stages one event of an "account-" stream: everything above but statement
// entries unless `with_statement`, and returns the account as it now is.
// Also used by the KPI view. DATA_LOSS when the event does not follow the
// account's last applied version.
absl::StatusOr<v1::LedgerAccount> ApplyLedgerEvent(const v1::EventEnvelope& event, ViewTxn& txn,
                                                   bool with_statement);

class LedgerView final : public View {
 public:
  std::string name() const override { return "ledger"; }
  eventstore::SubscriptionFilter filter() const override;
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override {
    return ApplyLedgerEvent(event, txn, /*with_statement=*/true).status();
  }
};

// What a bill still owes: principal and penalty, nothing once reversed.
int64_t Unpaid(const v1::LedgerBill& bill);
// Adds `bill`'s unpaid amount to its age bucket on `as_of`.
void AddToArrears(const v1::LedgerBill& bill, const v1::Date& as_of, v1::ArrearsBuckets* arrears);

// Every open bill of `org_unit` and the units under it.
absl::Status ForEachOpenBill(const ViewReader& reader, const std::string& org_unit,
                             const std::function<void(const v1::LedgerBill&)>& visit);

// NOT_FOUND for an unknown account; INVALID_ARGUMENT for a bad page token.
absl::StatusOr<v1::Statement> ReadStatement(const ViewReader& reader, const std::string& account_id,
                                            int page_size, const std::string& page_token);
// Accounts matching every criterion of `request` (LedgerQuery.SearchAccounts)
// for which `visible` is true, one page; INVALID_ARGUMENT naming the field
// for no criterion, a bad org unit or a page token not from here.
absl::StatusOr<v1::AccountSearchReply> SearchAccounts(
    const ViewReader& reader, const v1::SearchAccountsRequest& request,
    const std::function<bool(const v1::LedgerAccount&)>& visible);
absl::StatusOr<v1::AccountBalance> ReadBalance(const ViewReader& reader,
                                               const std::string& account_id,
                                               const v1::Date& as_of);
absl::StatusOr<v1::PeriodTotalsReply> ReadPeriodTotals(const ViewReader& reader,
                                                       const std::string& org_unit,
                                                       const v1::Period& from,
                                                       const v1::Period& to);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_LEDGER_VIEW_H_
