// The tariff engine: a bill's lines from an account's terms, its metered
// consumption for one billing period and the tariff schedule version in force.
// Pure: no I/O, no clock, no floating point. Thread-safe.
//
// Lines, each rounded once (half away from zero) to the fen; each line's
// quantity is in the unit of its price (kWh, kVA·month, kW·month: see BillLine
// in billing_events.proto) and its `rule` is a rule id of docs/TARIFF.md
// (rules.h):
//   ENERGY            T-ENERGY: non-TOU consumption × flat price
//   ENERGY_TOU        T-TOU: each TOU register × flat price × (1 + its
//                     adjustment)
//   ENERGY_TIER       T-TIER-ANNUAL / T-TIER-MONTHLY (T-TIER-SUMMER): tier
//                     2/3 markup × the energy in that tier; annual thresholds
//                     count the year's earlier consumption in period order
//                     (BillInput::year_to_date_wh_before), monthly ones count
//                     this bill, scaled by the months it covers; summer
//                     thresholds replace them in the schedule's summer months
//   BASIC_CAPACITY    T-BASIC-CAPACITY: kVA × months × price per kVA·month
//   BASIC_DEMAND      T-BASIC-DEMAND: the contracted demand × months, or 105 %
//                     of it when the metered maximum exceeds 105 %…
//   BASIC_DEMAND_EXCESS T-BASIC-DEMAND-EXCESS: …and the part above 105 % at
//                     double price
//   POWER_FACTOR      T-POWER-FACTOR: (energy + tier + basic lines) × the
//                     standard's percentage, in the line's power_factor
//   GOVERNMENT_FUND   T-FUND: per fund, total consumption × its per-kWh
//                     amount; funds are outside the power-factor base
// Lines that price registers name them (BillLine.registers); the caller adds
// the reads.
//
// Example:
//   BillInput input{.terms = terms, .usage = usage, .period = period,
//                   .schedule = &version};
//   GL_ASSIGN_OR_RETURN(BillCalculation bill, CalculateBill(input));
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_TARIFF_ENGINE_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_TARIFF_ENGINE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/billing_events.pb.h"

namespace gridledger::billing::tariff {

// The account's terms that pricing depends on.
struct AccountTerms {
  v1::CustomerCategory category = v1::CUSTOMER_CATEGORY_UNSPECIFIED;
  v1::PowerFactorStandard pf_standard = v1::POWER_FACTOR_STANDARD_NONE;
  v1::BasicChargeMode basic_charge_mode = v1::BASIC_CHARGE_MODE_UNSPECIFIED;
  int64_t contracted_capacity_kva = 0;
  int64_t contracted_demand_w = 0;
  bool time_of_use = false;
};

// Metered consumption in the period (register differences × multiplier).
struct Usage {
  int64_t total_wh = 0;
  int64_t sharp_wh = 0;
  int64_t peak_wh = 0;
  int64_t flat_wh = 0;
  int64_t valley_wh = 0;
  int64_t reactive_varh = 0;
  int64_t max_demand_w = 0;
};

struct BillInput {
  AccountTerms terms;
  Usage usage;
  v1::Period period;
  // The billing periods the consumption covers (1 for a monthly read; more
  // when earlier months had no read): basic charges and monthly tier
  // thresholds count per month.
  int32_t months = 1;
  // Residential annual tiers: the year's consumption billed before this
  // bill, in period order.
  int64_t year_to_date_wh_before = 0;
  const v1::TariffScheduleVersionPublished* schedule = nullptr;
};

struct BillCalculation {
  std::vector<v1::BillLine> lines;
  int64_t total_fen = 0;
  int64_t energy_wh = 0;
  int32_t power_factor_hundredths = 0;  // 0 when not assessed
};

// INVALID_ARGUMENT naming the field for negative quantities, TOU registers that
// do not add up to total_wh, months outside 1..1200, a missing schedule, a
// two-part account whose schedule has no basic-charge price, or amounts
// beyond int64 fen.
absl::StatusOr<BillCalculation> CalculateBill(const BillInput& input);

// The version in force for `period`: the one with the latest effective_from on
// or before the period's first day (the highest version among equals).
// NOT_FOUND when none is.
absl::StatusOr<const v1::TariffScheduleVersionPublished*> VersionInForce(
    const std::vector<v1::TariffScheduleVersionPublished>& versions, const v1::Period& period);

}  // namespace gridledger::billing::tariff

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_TARIFF_ENGINE_H_
