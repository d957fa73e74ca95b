#include "domain/billing_center/tariff/money.h"

namespace gridledger::billing::tariff {

int64_t RoundHalfAwayFromZero(Int128 numerator, Int128 denominator) {
  if (numerator >= 0) {
    return static_cast<int64_t>((2 * numerator + denominator) / (2 * denominator));
  }
  return -static_cast<int64_t>((-2 * numerator + denominator) / (2 * denominator));
}

int64_t EnergyChargeFen(int64_t energy_wh, int64_t price_micro_cny_per_kwh) {
  return RoundHalfAwayFromZero(static_cast<Int128>(energy_wh) * price_micro_cny_per_kwh,
                               10'000'000);
}

int64_t ApplyBasisPoints(int64_t amount_fen, int64_t basis_points) {
  return RoundHalfAwayFromZero(static_cast<Int128>(amount_fen) * basis_points, 10'000);
}

}  // namespace gridledger::billing::tariff
