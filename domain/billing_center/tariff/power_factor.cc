#include "domain/billing_center/tariff/power_factor.h"

#include <algorithm>

#include "domain/billing_center/tariff/money.h"

namespace gridledger::billing::tariff {
namespace {

// One standard's table, all in hundredths of PF and basis points.
struct PowerFactorTable {
  int32_t standard;            // 90, 85, 80
  int32_t cap_at;              // PF from which the reduction stops growing
  int32_t steep_from;          // above this the reduction is 15 bp per 0.01
  int32_t reduction_to_steep;  // bp reduction reached at steep_from
  int32_t half_down_to;        // +50 bp per 0.01 down to here (+1000)
  int32_t one_down_to;         // then +100 bp per 0.01 down to here (+1500)
};

constexpr PowerFactorTable kTable90{90, 95, 90, 0, 70, 65};
constexpr PowerFactorTable kTable85{85, 94, 90, 50, 65, 60};
constexpr PowerFactorTable kTable80{80, 92, 90, 100, 60, 55};

int32_t Adjust(const PowerFactorTable& t, int32_t pf) {
  if (pf >= t.standard) {
    const int32_t capped = std::min(pf, t.cap_at);
    if (capped <= t.steep_from) return -10 * (capped - t.standard);
    return -t.reduction_to_steep - 15 * (capped - t.steep_from);
  }
  if (pf >= t.half_down_to) return 50 * (t.standard - pf);
  if (pf >= t.one_down_to) return 1000 + 100 * (t.half_down_to - pf);
  return 1500 + 200 * (t.one_down_to - pf);
}

}  // namespace

std::optional<int32_t> PowerFactorHundredths(int64_t active_wh, int64_t reactive_varh) {
  if (active_wh == 0 && reactive_varh == 0) return std::nullopt;
  const Int128 p = active_wh;
  const Int128 sum_of_squares = p * p + static_cast<Int128>(reactive_varh) * reactive_varh;
  // The largest h with h − 0.5 ≤ 100·P/√S, i.e. (200·P)² ≥ (2h − 1)²·S.
  const Int128 lhs = (200 * p) * (200 * p);
  int32_t h = 100;
  while (h > 0) {
    const Int128 odd = 2 * h - 1;
    if (lhs >= odd * odd * sum_of_squares) break;
    --h;
  }
  return h;
}

int32_t PowerFactorAdjustmentBp(v1::PowerFactorStandard standard, int32_t pf) {
  switch (standard) {
    case v1::POWER_FACTOR_STANDARD_090:
      return Adjust(kTable90, pf);
    case v1::POWER_FACTOR_STANDARD_085:
      return Adjust(kTable85, pf);
    case v1::POWER_FACTOR_STANDARD_080:
      return Adjust(kTable80, pf);
    default:
      return 0;
  }
}

}  // namespace gridledger::billing::tariff
