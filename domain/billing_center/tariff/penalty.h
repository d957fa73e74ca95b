// Late-payment penalty (电费违约金), Power Supply Business Rules art. 98:
// charged from the day after the due date to the day paid, on the unpaid
// amount, per day: residential 0.1 %; other customers 0.2 % for arrears of the
// current year and 0.3 % for arrears carried over from earlier years; the
// total, accrued day by day, at least 1 CNY. "Current year" is the calendar
// year of the bill's due date: days of lateness in that year are at 0.2 %,
// days in later years at 0.3 %. A bill's total is rounded once, half away
// from zero, to the fen (rules P-RATE, P-MINIMUM, P-YEAR-SPLIT in
// docs/TARIFF.md). Pure and thread-safe.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "domain/billing_center/tariff/money.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::billing::tariff {

inline constexpr int64_t kMinimumPenaltyFen = 100;
inline constexpr int32_t kResidentialPpm = 1000;   // 0.1 % a day
inline constexpr int32_t kCurrentYearPpm = 2000;   // 0.2 % a day
inline constexpr int32_t kEarlierYearsPpm = 3000;  // 0.3 % a day

// The daily rate in ppm for a late day in `year` of arrears that fell due
// in `arrears_year`.
int32_t DailyRatePpm(v1::CustomerCategory category, int64_t arrears_year, int64_t year);

// Late days in one calendar year, at one rate; from and to inclusive.
struct PenaltyDays {
  absl::CivilDay from;
  absl::CivilDay to;
  int32_t days = 0;
  int32_t rate_ppm_per_day = 0;
};

struct PenaltyAccrual {
  std::vector<PenaltyDays> segments;  // one per calendar year, in order
  int32_t days = 0;
  Int128 exact_micro_fen = 0;  // Σ unpaid × rate × days: fen × 10^-6, not rounded
};

// The days after `after` through `through` on `unpaid_fen` (≥ 0), split per
// calendar year at that year's rate. Empty when through ≤ after.
PenaltyAccrual AccrueDays(int64_t unpaid_fen, absl::CivilDay after, absl::CivilDay through,
                          v1::CustomerCategory category, int64_t arrears_year);

// A bill's total penalty for its exact sum so far (P-MINIMUM): 0 when no day
// was ever accrued, else max(1 CNY, the sum rounded once to the fen).
int64_t TotalPenaltyFen(Int128 exact_micro_fen, bool any_day);

struct PenaltyCalculation {
  int32_t days = 0;                // days late, all rates
  int32_t days_current_year = 0;   // at the current-year (or residential) rate
  int32_t days_earlier_years = 0;  // at the earlier-years rate (non-residential)
  int64_t amount_fen = 0;          // 0 when not late
};

// The whole penalty of one unpaid amount from due_date to paid_on.
// INVALID_ARGUMENT for a negative unpaid amount. Not late (paid on or before
// the due date) is a zero penalty, not an error. `arrears_year` is the year
// whose arrears count as current (the original due date's year); 0 means
// due_date's year.
absl::StatusOr<PenaltyCalculation> CalculatePenalty(int64_t unpaid_fen, absl::CivilDay due_date,
                                                    absl::CivilDay paid_on,
                                                    v1::CustomerCategory category,
                                                    int64_t arrears_year = 0);

}  // namespace gridledger::billing::tariff

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_PENALTY_H_
