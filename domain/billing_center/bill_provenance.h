// The provenance of one bill, from the account's events and its tariff's
// (EventGateway.ExplainBill): the bill, the reads it priced with their checks
// and decisions, the tariff version, each line with the reads and registers
// it priced, its year-to-date input and the rule (an id docs/TARIFF.md
// defines, with its title), every penalty with its days and rates per year,
// and what followed. Reads both event versions: a v1 line's "DOMAIN tariff
// rule N" is mapped to its rule id, its reads and registers follow from its
// kind and the bill's reads, and its year-to-date input is what v1 used (the
// year's bills issued before it). Pure.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_BILL_PROVENANCE_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_BILL_PROVENANCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/event_gateway.pb.h"

namespace gridledger::billing {

// The bill (BillIssued or BackBillingIssued) `bill_id` in `account_history`:
// its tariff id and version, for the caller to read the tariff's events.
// NOT_FOUND when the account has no such bill.
struct BillRef {
  std::string tariff_id;  // empty for back-billing
  int32_t tariff_version = 0;
};
absl::StatusOr<BillRef> FindBillRef(const std::vector<v1::EventEnvelope>& account_history,
                                    const std::string& bill_id);

// `tariff_history` is the bill's tariff stream (empty for back-billing).
absl::StatusOr<v1::BillExplanation> ExplainBill(
    const std::vector<v1::EventEnvelope>& account_history,
    const std::vector<v1::EventEnvelope>& tariff_history, const std::string& bill_id);

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_BILL_PROVENANCE_H_
