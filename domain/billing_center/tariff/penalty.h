// Late-payment penalty (电费违约金), Power Supply Business Rules art. 98:
// charged from the day after the due date to the day paid, on the unpaid
// amount, per day: residential 0.1 %; other customers 0.2 % for arrears of the
// current year and 0.3 % for arrears carried over from earlier years; at least
// 1 CNY. "Current year" is the calendar year of the bill's due date: days of
// lateness in that year are at 0.2 %, days in later years at 0.3 %. Rounded
// once, half away from zero, to the fen. Pure and thread-safe.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::billing::tariff {

inline constexpr int64_t kMinimumPenaltyFen = 100;

struct PenaltyCalculation {
  int32_t days = 0;                // days late, all rates
  int32_t days_current_year = 0;   // at the current-year (or residential) rate
  int32_t days_earlier_years = 0;  // at the earlier-years rate (non-residential)
  int64_t amount_fen = 0;          // 0 when not late
};

// INVALID_ARGUMENT for a negative unpaid amount. Not late (paid on or before
// the due date) is a zero penalty, not an error. `arrears_year` is the year
// whose arrears count as current (the original due date's year); 0 means
// due_date's year. Pass it when accruing again from an earlier accrual's end.
absl::StatusOr<PenaltyCalculation> CalculatePenalty(int64_t unpaid_fen, absl::CivilDay due_date,
                                                    absl::CivilDay paid_on,
                                                    v1::CustomerCategory category,
                                                    int64_t arrears_year = 0);

}  // namespace gridledger::billing::tariff

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_
