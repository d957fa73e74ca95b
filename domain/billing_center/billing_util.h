// Small helpers the account's rules share: periods and dates as keys and
// text, and the field checks every command repeats. Internal to
// domain/billing_center.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_BILLING_UTIL_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_BILLING_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "domain/common/validation.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::billing {

// 2026-11 → 24323: consecutive months are consecutive keys.
int MonthIndex(const v1::Period& period);
v1::Period PeriodOfIndex(int index);
v1::Period PeriodOfDate(const v1::Date& date);

std::string PeriodText(const v1::Period& period);  // "2026-11"
std::string DateText(const v1::Date& date);        // "2026-11-05"
bool IsSet(const v1::Date& date);
absl::CivilDay CivilOf(const v1::Date& date);
v1::Date DateOf(absl::CivilDay day);
v1::Date LastDayOf(const v1::Period& period);

// Month and day checks: domain/common/validation.h.
using domain::CheckDate;
using domain::CheckPeriod;
// P-NO-FUTURE: INVALID_ARGUMENT naming `field` when `date` is after `today`.
absl::Status CheckNotAfterToday(const std::string& field, const v1::Date& date,
                                const v1::Date& today);

absl::Status AccountNotOpen();

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_BILLING_UTIL_H_
