#include "domain/billing_center/tariff/penalty.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace gridledger::billing::tariff {

int32_t DailyRatePpm(v1::CustomerCategory category, int64_t arrears_year, int64_t year) {
  if (category == v1::CUSTOMER_CATEGORY_RESIDENTIAL) return kResidentialPpm;
  return year <= arrears_year ? kCurrentYearPpm : kEarlierYearsPpm;
}

PenaltyAccrual AccrueDays(int64_t unpaid_fen, absl::CivilDay after, absl::CivilDay through,
                          v1::CustomerCategory category, int64_t arrears_year) {
  PenaltyAccrual accrual;
  for (absl::CivilDay from = after + 1; from <= through;) {
    const absl::CivilDay year_end(from.year(), 12, 31);
    const absl::CivilDay to = std::min(through, year_end);
    PenaltyDays segment;
    segment.from = from;
    segment.to = to;
    segment.days = static_cast<int32_t>(to - from + 1);
    segment.rate_ppm_per_day = DailyRatePpm(category, arrears_year, from.year());
    accrual.days += segment.days;
    accrual.exact_micro_fen +=
        static_cast<Int128>(unpaid_fen) * segment.rate_ppm_per_day * segment.days;
    accrual.segments.push_back(segment);
    from = to + 1;
  }
  return accrual;
}

int64_t TotalPenaltyFen(Int128 exact_micro_fen, bool any_day) {
  if (!any_day) return 0;
  return std::max<int64_t>(kMinimumPenaltyFen, RoundHalfAwayFromZero(exact_micro_fen, 1'000'000));
}

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
  const PenaltyAccrual accrual = AccrueDays(unpaid_fen, due_date, paid_on, category,
                                            arrears_year != 0 ? arrears_year : due_date.year());
  penalty.days = accrual.days;
  for (const PenaltyDays& segment : accrual.segments) {
    if (segment.rate_ppm_per_day == kEarlierYearsPpm) {
      penalty.days_earlier_years += segment.days;
    } else {
      penalty.days_current_year += segment.days;
    }
  }
  penalty.amount_fen = TotalPenaltyFen(accrual.exact_micro_fen, accrual.days > 0);
  return penalty;
}

}  // namespace gridledger::billing::tariff
