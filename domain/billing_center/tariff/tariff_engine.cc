#include "domain/billing_center/tariff/tariff_engine.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/power_factor.h"

namespace gridledger::billing::tariff {
namespace {

v1::BillLine Line(v1::BillLineKind kind, std::string description, int64_t quantity,
                  std::string unit, int64_t unit_price_micro_cny, int64_t amount_fen,
                  std::string rule) {
  v1::BillLine line;
  line.set_kind(kind);
  line.set_description(std::move(description));
  line.set_quantity(quantity);
  line.set_quantity_unit(std::move(unit));
  line.set_unit_price_micro_cny(unit_price_micro_cny);
  line.set_amount_fen(amount_fen);
  line.set_rule(std::move(rule));
  return line;
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
    if (value < 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must not be negative, got ", value));
    }
  }
  if (input.terms.time_of_use && u.sharp_wh + u.peak_wh + u.flat_wh + u.valley_wh != u.total_wh) {
    return absl::InvalidArgumentError(absl::StrCat("usage: TOU registers sum to ",
                                                   u.sharp_wh + u.peak_wh + u.flat_wh + u.valley_wh,
                                                   " Wh but total_wh is ", u.total_wh));
  }
  if (input.period.month() < 1 || input.period.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("period.month: must be 1..12, got ", input.period.month()));
  }
  return absl::OkStatus();
}

void AddEnergyLines(const BillInput& input, BillCalculation* bill) {
  const auto& s = *input.schedule;
  const Usage& u = input.usage;
  const int64_t flat = s.flat_price_micro_cny_per_kwh();
  if (!input.terms.time_of_use) {
    bill->lines.push_back(Line(v1::BILL_LINE_KIND_ENERGY, "energy", u.total_wh, "Wh", flat,
                               EnergyChargeFen(u.total_wh, flat), "DOMAIN tariff rule 1"));
    return;
  }
  struct Register {
    v1::TouPeriod period;
    const char* name;
    int64_t wh;
    int32_t adjust_bp;
  };
  const Register registers[] = {
      {v1::TOU_PERIOD_SHARP, "sharp", u.sharp_wh, s.sharp_adjust_bp()},
      {v1::TOU_PERIOD_PEAK, "peak", u.peak_wh, s.peak_adjust_bp()},
      {v1::TOU_PERIOD_FLAT, "flat", u.flat_wh, 0},
      {v1::TOU_PERIOD_VALLEY, "valley", u.valley_wh, s.valley_adjust_bp()},
  };
  for (const Register& r : registers) {
    // Price × (1 + bp/10,000), kept exact: the line is rounded once.
    const Int128 numerator = static_cast<Int128>(r.wh) * flat * (10'000 + r.adjust_bp);
    const int64_t amount = RoundHalfAwayFromZero(numerator, Int128{10'000'000} * 10'000);
    const int64_t unit_price =
        RoundHalfAwayFromZero(static_cast<Int128>(flat) * (10'000 + r.adjust_bp), 10'000);
    v1::BillLine line = Line(v1::BILL_LINE_KIND_ENERGY_TOU, absl::StrCat("energy, ", r.name), r.wh,
                             "Wh", unit_price, amount, "DOMAIN tariff rule 3");
    line.set_tou_period(r.period);
    bill->lines.push_back(std::move(line));
  }
}

void AddTierLines(const BillInput& input, BillCalculation* bill) {
  const auto& s = *input.schedule;
  const bool summer = std::find(s.summer_months().begin(), s.summer_months().end(),
                                input.period.month()) != s.summer_months().end();
  const auto& tiers = summer && !s.summer_tiers().empty() ? s.summer_tiers() : s.tiers();
  if (tiers.empty()) return;
  const int64_t start = s.tier_scope() == v1::TIER_SCOPE_ANNUAL ? input.year_to_date_wh_before : 0;
  const int64_t end = start + input.usage.total_wh;
  for (int i = 0; i < tiers.size(); ++i) {
    const int64_t from = tiers[i].threshold_wh();
    const int64_t to = i + 1 < tiers.size() ? tiers[i + 1].threshold_wh() : INT64_MAX;
    const int64_t in_tier = std::max<int64_t>(0, std::min(end, to) - std::max(start, from));
    if (in_tier == 0) continue;
    const int64_t markup = tiers[i].markup_micro_cny_per_kwh();
    v1::BillLine line =
        Line(v1::BILL_LINE_KIND_ENERGY_TIER, absl::StrCat("tier ", i + 2, " markup"), in_tier, "Wh",
             markup, EnergyChargeFen(in_tier, markup), "DOMAIN tariff rule 2");
    line.set_tier(i + 2);
    bill->lines.push_back(std::move(line));
  }
}

absl::Status AddBasicLines(const BillInput& input, BillCalculation* bill) {
  const auto& s = *input.schedule;
  const AccountTerms& t = input.terms;
  switch (t.basic_charge_mode) {
    case v1::BASIC_CHARGE_MODE_CAPACITY: {
      if (s.capacity_price_fen_per_kva_month() <= 0) {
        return absl::InvalidArgumentError(
            "schedule.capacity_price_fen_per_kva_month: a two-part account by capacity needs it");
      }
      const int64_t price = s.capacity_price_fen_per_kva_month();
      bill->lines.push_back(Line(v1::BILL_LINE_KIND_BASIC_CAPACITY, "basic charge, capacity",
                                 t.contracted_capacity_kva, "kVA", price * 10'000,
                                 t.contracted_capacity_kva * price, "DOMAIN tariff rule 4"));
      return absl::OkStatus();
    }
    case v1::BASIC_CHARGE_MODE_DEMAND: {
      if (s.demand_price_fen_per_kw_month() <= 0) {
        return absl::InvalidArgumentError(
            "schedule.demand_price_fen_per_kw_month: a two-part account by demand needs it");
      }
      const int64_t price = s.demand_price_fen_per_kw_month();  // fen per kW = per 1000 W
      const int64_t contract = t.contracted_demand_w;
      const int64_t metered = input.usage.max_demand_w;
      // Over 105 % of contract: compare metered × 100 with contract × 105 exactly.
      if (static_cast<Int128>(metered) * 100 <= static_cast<Int128>(contract) * 105) {
        bill->lines.push_back(
            Line(v1::BILL_LINE_KIND_BASIC_DEMAND, "basic charge, contracted demand", contract, "W",
                 price * 10'000, RoundHalfAwayFromZero(static_cast<Int128>(contract) * price, 1000),
                 "DOMAIN tariff rule 4 (at most 105 %: contracted value)"));
        return absl::OkStatus();
      }
      // 105 % of contract at the price, the rest at double price; 105 % of a
      // demand in W is exact in hundredths of a W, so both lines use it.
      const Int128 allowed_centi_w = static_cast<Int128>(contract) * 105;
      const Int128 excess_centi_w = static_cast<Int128>(metered) * 100 - allowed_centi_w;
      bill->lines.push_back(Line(
          v1::BILL_LINE_KIND_BASIC_DEMAND, "basic charge, 105 % of contracted demand",
          RoundHalfAwayFromZero(allowed_centi_w, 100), "W", price * 10'000,
          RoundHalfAwayFromZero(allowed_centi_w * price, 100'000), "DOMAIN tariff rule 4 (105 %)"));
      bill->lines.push_back(
          Line(v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS, "basic charge, demand above 105 % (double)",
               RoundHalfAwayFromZero(excess_centi_w, 100), "W", 2 * price * 10'000,
               RoundHalfAwayFromZero(excess_centi_w * 2 * price, 100'000),
               "DOMAIN tariff rule 4 (above 105 %: double price)"));
      return absl::OkStatus();
    }
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
  v1::BillLine line =
      Line(v1::BILL_LINE_KIND_POWER_FACTOR,
           absl::StrCat("power factor ", *pf / 100, ".", *pf % 100 < 10 ? "0" : "", *pf % 100,
                        " adjustment ", bp, " bp"),
           base, "fen", bp * 100, ApplyBasisPoints(base, bp), "DOMAIN tariff rule 5");
  bill->lines.push_back(std::move(line));
}

void AddFundLines(const BillInput& input, BillCalculation* bill) {
  for (const v1::GovernmentFund& fund : input.schedule->funds()) {
    bill->lines.push_back(
        Line(v1::BILL_LINE_KIND_GOVERNMENT_FUND, fund.name(), input.usage.total_wh, "Wh",
             fund.price_micro_cny_per_kwh(),
             EnergyChargeFen(input.usage.total_wh, fund.price_micro_cny_per_kwh()),
             absl::StrCat("DOMAIN tariff rule 6 (", fund.code(), ")")));
  }
}

}  // namespace

absl::StatusOr<BillCalculation> CalculateBill(const BillInput& input) {
  if (input.schedule == nullptr) return absl::InvalidArgumentError("schedule: must be given");
  if (absl::Status s = CheckUsage(input); !s.ok()) return s;
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
