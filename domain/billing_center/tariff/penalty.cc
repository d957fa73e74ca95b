#include "domain/billing_center/tariff/penalty.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/tariff/money.h"

namespace gridledger::billing::tariff {

absl::StatusOr<PenaltyCalculation> CalculatePenalty(int64_t unpaid_fen, absl::CivilDay due_date,
                                                    absl::CivilDay paid_on,
                                                    v1::CustomerCategory category,
                                                    int64_t arrears_year) {
  if (unpaid_fen < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unpaid_fen: must not be negative, got ", unpaid_fen));
  }
  PenaltyCalculation penalty;
  if (paid_on <= due_date || unpaid_fen == 0) return penalty;
  penalty.days = static_cast<int32_t>(paid_on - due_date);
  // Per-day rates in ppm of the unpaid amount.
  constexpr int64_t kResidentialPpm = 1000, kCurrentYearPpm = 2000, kEarlierYearsPpm = 3000;
  Int128 ppm_days = 0;
  if (category == v1::CUSTOMER_CATEGORY_RESIDENTIAL) {
    penalty.days_current_year = penalty.days;
    ppm_days = static_cast<Int128>(kResidentialPpm) * penalty.days;
  } else {
    // Late days run from due_date + 1 to paid_on; those up to 31 December of
    // the due date's year are current-year arrears.
    const absl::CivilDay year_end(arrears_year != 0 ? arrears_year : due_date.year(), 12, 31);
    penalty.days_current_year =
        static_cast<int32_t>(std::max<int64_t>(0, std::min(paid_on, year_end) - due_date));
    penalty.days_earlier_years = penalty.days - penalty.days_current_year;
    ppm_days = static_cast<Int128>(kCurrentYearPpm) * penalty.days_current_year +
               static_cast<Int128>(kEarlierYearsPpm) * penalty.days_earlier_years;
  }
  penalty.amount_fen = std::max<int64_t>(
      kMinimumPenaltyFen,
      RoundHalfAwayFromZero(static_cast<Int128>(unpaid_fen) * ppm_days, 1'000'000));
  return penalty;
}

}  // namespace gridledger::billing::tariff
