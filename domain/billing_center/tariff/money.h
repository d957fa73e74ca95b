// Exact money arithmetic for the tariff engine. Amounts are integer fen,
// energy integer Wh, prices integer 1e-6 CNY per unit; an amount is computed
// as an exact fraction and rounded once, half away from zero, to the fen.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_MONEY_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_MONEY_H_

#include <cstdint>

namespace gridledger::billing::tariff {

using Int128 = __int128;

// numerator / denominator rounded half away from zero. denominator > 0.
int64_t RoundHalfAwayFromZero(Int128 numerator, Int128 denominator);

// The fen charged for `energy_wh` at `price_micro_cny_per_kwh`:
// Wh × 1e-6 CNY/kWh = Wh × price / 1e9 CNY = Wh × price / 1e7 fen.
int64_t EnergyChargeFen(int64_t energy_wh, int64_t price_micro_cny_per_kwh);

// `amount_fen` × `basis_points` / 10,000, rounded once.
int64_t ApplyBasisPoints(int64_t amount_fen, int64_t basis_points);

}  // namespace gridledger::billing::tariff

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_MONEY_H_
