// C-METER-ON-ACCOUNT: a read is of a meter the Metering Centre installed on
// the account, read while it was there. The meter's own stream (its
// MeterInstalled and MeterRemoved events) is the record of where it hangs;
// the Billing Centre checks each read against it before appending.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_METER_ON_ACCOUNT_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_METER_ON_ACCOUNT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::billing {

// OK when `meter_history` (the meter's stream, oldest first) installs the
// meter on `account_id` on or before the day of `read_at` and removes it
// from there on or after that day, or not at all (days in the utility's
// zone; an installation or removal without its own time counts at its
// event's occurred_at). FAILED_PRECONDITION naming read.meter_bar_code, the
// meter's account or state and the rule otherwise (NOT_FOUND-free: a meter
// with no stream is "never installed").
absl::Status CheckMeterOnAccount(const std::vector<v1::EventEnvelope>& meter_history,
                                 const std::string& bar_code, const std::string& account_id,
                                 absl::Time read_at);

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_METER_ON_ACCOUNT_H_
