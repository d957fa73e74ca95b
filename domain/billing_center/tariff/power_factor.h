// Power-factor adjustment (功率因数调整电费), after the 1983 rules: the
// period's power factor from active and reactive energy, and the percentage
// the account's standard (0.90, 0.85 or 0.80) adds or takes off.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_POWER_FACTOR_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_POWER_FACTOR_H_

#include <cstdint>
#include <optional>

#include "gridledger/v1/billing_events.pb.h"

namespace gridledger::billing::tariff {

// PF = P / sqrt(P² + Q²) rounded half up to two decimals, as hundredths
// (0.92 → 92), computed exactly in integers. nullopt when both are zero (no
// consumption: nothing to adjust). Both must be ≥ 0.
std::optional<int32_t> PowerFactorHundredths(int64_t active_wh, int64_t reactive_varh);

// The adjustment in basis points of (basic + energy charge) for a power
// factor under a standard: negative is a reduction, positive a surcharge.
// POWER_FACTOR_STANDARD_NONE gives 0.
//   0.90: −15 bp per 0.01 above 0.90, capped at −75 (PF ≥ 0.95); +50 bp per
//         0.01 below 0.90 to 0.70 (+1000); +100 per 0.01 to 0.65 (+1500);
//         +200 per 0.01 below 0.65.
//   0.85: −10 bp per 0.01 from 0.86 to 0.90 (−50), then −15 per 0.01, capped
//         at −110 (PF ≥ 0.94); +50 per 0.01 below 0.85 to 0.65 (+1000); +100
//         per 0.01 to 0.60 (+1500); +200 per 0.01 below 0.60.
//   0.80: −10 bp per 0.01 from 0.81 to 0.90 (−100), then −15 per 0.01, capped
//         at −130 (PF ≥ 0.92); +50 per 0.01 below 0.80 to 0.60 (+1000); +100
//         per 0.01 to 0.55 (+1500); +200 per 0.01 below 0.55.
int32_t PowerFactorAdjustmentBp(v1::PowerFactorStandard standard, int32_t pf_hundredths);

}  // namespace gridledger::billing::tariff

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_POWER_FACTOR_H_
