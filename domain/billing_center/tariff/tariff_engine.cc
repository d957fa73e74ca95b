#include "domain/billing_center/tariff/tariff_engine.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/power_factor.h"
#include "domain/billing_center/tariff/rules.h"

namespace gridledger::billing::tariff {
namespace {

// Bounds that keep every product below in 128 bits and every amount in int64
// fen: 10^15 Wh is a terawatt-hour, 10^8 µCNY (100 CNY) per kWh, 10^9 kVA.
constexpr int64_t kMaxEnergy = 1'000'000'000'000'000;
constexpr int64_t kMaxPrice = 100'000'000;
constexpr int64_t kMaxContract = 1'000'000'000'000;  // W or kVA

// A line priced per unit: quantity × 10^-scale `unit`, at `price` µCNY per unit.
struct Priced {
  v1::BillLineKind kind;
  std::string description;
  int64_t quantity;
  int32_t scale;
  const char* unit;
  int64_t price_micro_cny;
  int64_t amount_fen;
  const char* rule;
  std::vector<const char*> registers;
};

v1::BillLine Line(const Priced& p) {
  v1::BillLine line;
  line.set_kind(p.kind);
  line.set_description(p.description);
  line.set_quantity(p.quantity);
  line.set_quantity_scale(p.scale);
  line.set_quantity_unit(p.unit);
  line.set_price_unit(p.unit);
  line.set_unit_price_micro_cny(p.price_micro_cny);
  line.set_amount_fen(p.amount_fen);
  line.set_rule(p.rule);
  for (const char* r : p.registers) line.add_registers(r);
  return line;
}

// 10^-6 CNY × 10^-scale units → fen: quantity × price / (10^4 × 10^scale).
int64_t AmountFen(Int128 quantity, int32_t scale, int64_t price_micro_cny) {
  Int128 denominator = 10'000;
  for (int32_t i = 0; i < scale; ++i) denominator *= 10;
  return RoundHalfAwayFromZero(quantity * price_micro_cny, denominator);
}

absl::Status CheckBounds(const char* field, int64_t value, int64_t max) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be negative, got ", value));
  }
  if (value > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", max, ", got ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckUsage(const BillInput& input) {
  const Usage& u = input.usage;
  const std::pair<const char*, int64_t> fields[] = {
      {"usage.total_wh", u.total_wh},
      {"usage.sharp_wh", u.sharp_wh},
      {"usage.peak_wh", u.peak_wh},
      {"usage.flat_wh", u.flat_wh},
      {"usage.valley_wh", u.valley_wh},
      {"usage.reactive_varh", u.reactive_varh},
      {"usage.max_demand_w", u.max_demand_w},
      {"year_to_date_wh_before", input.year_to_date_wh_before},
  };
  for (const auto& [name, value] : fields) {
    if (absl::Status s = CheckBounds(name, value, kMaxEnergy); !s.ok()) return s;
  }
  if (input.terms.time_of_use && u.sharp_wh + u.peak_wh + u.valley_wh > u.total_wh) {
    return absl::InvalidArgumentError(
        absl::StrCat("usage: the sharp, peak and valley registers sum to ",
                     u.sharp_wh + u.peak_wh + u.valley_wh, " Wh, more than total_wh ", u.total_wh));
  }
  if (input.period.month() < 1 || input.period.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("period.month: must be 1..12, got ", input.period.month()));
  }
  if (input.months < 1 || input.months > 1200) {
    return absl::InvalidArgumentError(absl::StrCat("months: must be 1..1200, got ", input.months));
  }
  if (absl::Status s = CheckBounds("terms.contracted_capacity_kva",
                                   input.terms.contracted_capacity_kva, kMaxContract);
      !s.ok()) {
    return s;
  }
  return CheckBounds("terms.contracted_demand_w", input.terms.contracted_demand_w, kMaxContract);
}

absl::Status CheckSchedulePrices(const v1::TariffScheduleVersionPublished& s) {
  const std::pair<const char*, int64_t> prices[] = {
      {"schedule.flat_price_micro_cny_per_kwh", s.flat_price_micro_cny_per_kwh()},
      {"schedule.capacity_price_fen_per_kva_month", s.capacity_price_fen_per_kva_month()},
      {"schedule.demand_price_fen_per_kw_month", s.demand_price_fen_per_kw_month()},
  };
  for (const auto& [name, value] : prices) {
    if (absl::Status s = CheckBounds(name, value, kMaxPrice); !s.ok()) return s;
  }
  for (const auto& tier : s.tiers()) {
    if (absl::Status st = CheckBounds("schedule.tiers.markup_micro_cny_per_kwh",
                                      tier.markup_micro_cny_per_kwh(), kMaxPrice);
        !st.ok()) {
      return st;
    }
  }
  for (const auto& tier : s.summer_tiers()) {
    if (absl::Status st = CheckBounds("schedule.summer_tiers.markup_micro_cny_per_kwh",
                                      tier.markup_micro_cny_per_kwh(), kMaxPrice);
        !st.ok()) {
      return st;
    }
  }
  for (const auto& fund : s.funds()) {
    if (absl::Status st = CheckBounds("schedule.funds.price_micro_cny_per_kwh",
                                      fund.price_micro_cny_per_kwh(), kMaxPrice);
        !st.ok()) {
      return st;
    }
  }
  for (int32_t bp : {s.sharp_adjust_bp(), s.peak_adjust_bp(), s.valley_adjust_bp()}) {
    if (bp <= -10'000 || bp > 100'000) {
      return absl::InvalidArgumentError("schedule.*_adjust_bp: must be above -10000 (−100 %)");
    }
  }
  return absl::OkStatus();
}

void AddEnergyLines(const BillInput& input, BillCalculation* bill) {
  const auto& s = *input.schedule;
  const Usage& u = input.usage;
  const int64_t flat = s.flat_price_micro_cny_per_kwh();
  if (!input.terms.time_of_use) {
    bill->lines.push_back(Line({v1::BILL_LINE_KIND_ENERGY,
                                "energy",
                                u.total_wh,
                                3,
                                "kWh",
                                flat,
                                EnergyChargeFen(u.total_wh, flat),
                                rules::kEnergy,
                                {"total_wh"}}));
    return;
  }
  struct Register {
    v1::TouPeriod period;
    const char* name;
    const char* register_name;
    int64_t wh;
    int32_t adjust_bp;
  };
  const Register registers[] = {
      {v1::TOU_PERIOD_SHARP, "sharp", "sharp_wh", u.sharp_wh, s.sharp_adjust_bp()},
      {v1::TOU_PERIOD_PEAK, "peak", "peak_wh", u.peak_wh, s.peak_adjust_bp()},
      // T-TOU: the total register is what was consumed; flat is the rest,
      // so rounding between the registers is billed once, as flat.
      {v1::TOU_PERIOD_FLAT, "flat", "total_wh", u.total_wh - u.sharp_wh - u.peak_wh - u.valley_wh,
       0},
      {v1::TOU_PERIOD_VALLEY, "valley", "valley_wh", u.valley_wh, s.valley_adjust_bp()},
  };
  for (const Register& r : registers) {
    // Price × (1 + bp/10,000), kept exact: the line is rounded once.
    const Int128 numerator = static_cast<Int128>(r.wh) * flat * (10'000 + r.adjust_bp);
    const int64_t amount = RoundHalfAwayFromZero(numerator, Int128{10'000'000} * 10'000);
    const int64_t unit_price =
        RoundHalfAwayFromZero(static_cast<Int128>(flat) * (10'000 + r.adjust_bp), 10'000);
    v1::BillLine line = Line({v1::BILL_LINE_KIND_ENERGY_TOU,
                              absl::StrCat("energy, ", r.name),
                              r.wh,
                              3,
                              "kWh",
                              unit_price,
                              amount,
                              rules::kTimeOfUse,
                              {r.register_name}});
    line.set_tou_period(r.period);
    line.set_tou_adjust_bp(r.adjust_bp);
    if (r.period == v1::TOU_PERIOD_FLAT) {
      for (const char* other : {"sharp_wh", "peak_wh", "valley_wh"}) line.add_registers(other);
    }
    bill->lines.push_back(std::move(line));
  }
}

void AddTierLines(const BillInput& input, BillCalculation* bill) {
  const auto& s = *input.schedule;
  const bool summer = std::find(s.summer_months().begin(), s.summer_months().end(),
                                input.period.month()) != s.summer_months().end();
  const bool summer_tiers = summer && !s.summer_tiers().empty();
  const auto& tiers = summer_tiers ? s.summer_tiers() : s.tiers();
  if (tiers.empty()) return;
  const bool annual = s.tier_scope() == v1::TIER_SCOPE_ANNUAL;
  // Annual: where this bill's consumption sits in the year; monthly: this
  // bill alone, against thresholds for as many months as it covers.
  const Int128 start = annual ? input.year_to_date_wh_before : 0;
  const Int128 end = start + input.usage.total_wh;
  const int64_t scale = annual ? 1 : input.months;
  for (int i = 0; i < tiers.size(); ++i) {
    const Int128 from = static_cast<Int128>(tiers[i].threshold_wh()) * scale;
    const Int128 to =
        i + 1 < tiers.size() ? static_cast<Int128>(tiers[i + 1].threshold_wh()) * scale : end;
    const Int128 in_tier = std::max<Int128>(0, std::min(end, to) - std::max(start, from));
    if (in_tier == 0) continue;
    const int64_t markup = tiers[i].markup_micro_cny_per_kwh();
    const int64_t wh = static_cast<int64_t>(in_tier);
    v1::BillLine line = Line({v1::BILL_LINE_KIND_ENERGY_TIER,
                              absl::StrCat("tier ", i + 2, " markup"),
                              wh,
                              3,
                              "kWh",
                              markup,
                              EnergyChargeFen(wh, markup),
                              summer_tiers ? rules::kTierSummer
                              : annual     ? rules::kTierAnnual
                                           : rules::kTierMonthly,
                              {"total_wh"}});
    line.set_tier(i + 2);
    line.set_year_to_date_wh_before(annual ? input.year_to_date_wh_before : 0);
    line.set_tier_threshold_wh(static_cast<int64_t>(from));
    bill->lines.push_back(std::move(line));
  }
}

// Two-part by capacity: kVA·months × price per kVA·month.
absl::Status AddCapacityLine(const BillInput& input, BillCalculation* bill) {
  const int64_t price = input.schedule->capacity_price_fen_per_kva_month();
  if (price <= 0) {
    return absl::InvalidArgumentError(
        "schedule.capacity_price_fen_per_kva_month: a two-part account by capacity needs it");
  }
  const int64_t kva_months = input.terms.contracted_capacity_kva * input.months;
  v1::BillLine line = Line({v1::BILL_LINE_KIND_BASIC_CAPACITY,
                            "basic charge, capacity",
                            kva_months,
                            0,
                            "kVA·month",
                            price * 10'000,
                            AmountFen(kva_months, 0, price * 10'000),
                            rules::kBasicCapacity,
                            {}});
  line.set_months(input.months);
  bill->lines.push_back(std::move(line));
  return absl::OkStatus();
}

// Two-part by demand: up to 105 % of the contract, the contract is charged;
// above it, 105 % at the price and the rest at double price. 105 % of a demand
// in W is exact in hundredths of a W (kW with five decimals).
absl::Status AddDemandLines(const BillInput& input, BillCalculation* bill) {
  const int64_t fen_per_kw = input.schedule->demand_price_fen_per_kw_month();
  if (fen_per_kw <= 0) {
    return absl::InvalidArgumentError(
        "schedule.demand_price_fen_per_kw_month: a two-part account by demand needs it");
  }
  const int64_t price = fen_per_kw * 10'000;  // µCNY per kW·month
  const int64_t months = input.months;
  const int64_t contract = input.terms.contracted_demand_w;
  const int64_t metered = input.usage.max_demand_w;
  if (static_cast<Int128>(metered) * 100 <= static_cast<Int128>(contract) * 105) {
    v1::BillLine line = Line({v1::BILL_LINE_KIND_BASIC_DEMAND,
                              "basic charge, contracted demand",
                              contract * months,
                              3,
                              "kW·month",
                              price,
                              AmountFen(static_cast<Int128>(contract) * months, 3, price),
                              rules::kBasicDemand,
                              {"max_demand_w"}});
    line.set_months(input.months);
    bill->lines.push_back(std::move(line));
    return absl::OkStatus();
  }
  const Int128 allowed_centi_w = static_cast<Int128>(contract) * 105 * months;
  const Int128 excess_centi_w = (static_cast<Int128>(metered) * 100) * months - allowed_centi_w;
  v1::BillLine allowed = Line({v1::BILL_LINE_KIND_BASIC_DEMAND,
                               "basic charge, 105 % of contracted demand",
                               static_cast<int64_t>(allowed_centi_w),
                               5,
                               "kW·month",
                               price,
                               AmountFen(allowed_centi_w, 5, price),
                               rules::kBasicDemand,
                               {"max_demand_w"}});
  allowed.set_months(input.months);
  bill->lines.push_back(std::move(allowed));
  v1::BillLine excess = Line({v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS,
                              "basic charge, demand above 105 % (double)",
                              static_cast<int64_t>(excess_centi_w),
                              5,
                              "kW·month",
                              2 * price,
                              AmountFen(excess_centi_w, 5, 2 * price),
                              rules::kBasicDemandExcess,
                              {"max_demand_w"}});
  excess.set_months(input.months);
  bill->lines.push_back(std::move(excess));
  return absl::OkStatus();
}

absl::Status AddBasicLines(const BillInput& input, BillCalculation* bill) {
  switch (input.terms.basic_charge_mode) {
    case v1::BASIC_CHARGE_MODE_CAPACITY:
      return AddCapacityLine(input, bill);
    case v1::BASIC_CHARGE_MODE_DEMAND:
      return AddDemandLines(input, bill);
    default:
      return absl::OkStatus();
  }
}

void AddPowerFactorLine(const BillInput& input, BillCalculation* bill) {
  if (input.terms.pf_standard == v1::POWER_FACTOR_STANDARD_NONE) return;
  std::optional<int32_t> pf =
      PowerFactorHundredths(input.usage.total_wh, input.usage.reactive_varh);
  if (!pf) return;
  bill->power_factor_hundredths = *pf;
  const int32_t bp = PowerFactorAdjustmentBp(input.terms.pf_standard, *pf);
  int64_t base = 0;
  for (const v1::BillLine& line : bill->lines) base += line.amount_fen();  // energy + basic so far
  v1::BillLine line;
  line.set_kind(v1::BILL_LINE_KIND_POWER_FACTOR);
  line.set_description(absl::StrCat("power factor ", *pf / 100, ".", *pf % 100 < 10 ? "0" : "",
                                    *pf % 100, " adjustment ", bp, " bp"));
  line.set_amount_fen(ApplyBasisPoints(base, bp));
  line.set_rule(rules::kPowerFactor);
  line.add_registers("total_wh");
  line.add_registers("reactive_varh");
  v1::PowerFactorAdjustment* adjustment = line.mutable_power_factor();
  adjustment->set_factor_hundredths(*pf);
  adjustment->set_standard(input.terms.pf_standard);
  adjustment->set_adjustment_bp(bp);
  adjustment->set_base_fen(base);
  bill->lines.push_back(std::move(line));
}

void AddFundLines(const BillInput& input, BillCalculation* bill) {
  for (const v1::GovernmentFund& fund : input.schedule->funds()) {
    bill->lines.push_back(
        Line({v1::BILL_LINE_KIND_GOVERNMENT_FUND,
              absl::StrCat(fund.name(), " (", fund.code(), ")"),
              input.usage.total_wh,
              3,
              "kWh",
              fund.price_micro_cny_per_kwh(),
              EnergyChargeFen(input.usage.total_wh, fund.price_micro_cny_per_kwh()),
              rules::kFund,
              {"total_wh"}}));
  }
}

}  // namespace

absl::StatusOr<BillCalculation> CalculateBill(const BillInput& input) {
  if (input.schedule == nullptr) return absl::InvalidArgumentError("schedule: must be given");
  if (absl::Status s = CheckUsage(input); !s.ok()) return s;
  if (absl::Status s = CheckSchedulePrices(*input.schedule); !s.ok()) return s;
  BillCalculation bill;
  bill.energy_wh = input.usage.total_wh;
  AddEnergyLines(input, &bill);
  AddTierLines(input, &bill);
  if (absl::Status s = AddBasicLines(input, &bill); !s.ok()) return s;
  AddPowerFactorLine(input, &bill);
  AddFundLines(input, &bill);
  for (const v1::BillLine& line : bill.lines) bill.total_fen += line.amount_fen();
  return bill;
}

absl::StatusOr<const v1::TariffScheduleVersionPublished*> VersionInForce(
    const std::vector<v1::TariffScheduleVersionPublished>& versions, const v1::Period& period) {
  auto key = [](const v1::Date& d) { return d.year() * 10'000 + d.month() * 100 + d.day(); };
  const int first_day = period.year() * 10'000 + period.month() * 100 + 1;
  const v1::TariffScheduleVersionPublished* best = nullptr;
  for (const auto& version : versions) {
    if (key(version.effective_from()) > first_day) continue;
    if (best == nullptr || key(version.effective_from()) > key(best->effective_from()) ||
        (key(version.effective_from()) == key(best->effective_from()) &&
         version.version() > best->version())) {
      best = &version;
    }
  }
  if (best == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no tariff version is in force for ", period.year(), "-", period.month()));
  }
  return best;
}

}  // namespace gridledger::billing::tariff
