#include "domain/billing_center/tariff/tariff_engine.h"

#include <map>
#include <set>

#include "domain/billing_center/tariff/money.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing::tariff {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kKwh = 1000;  // Wh

v1::Period Month(int year, int month) {
  v1::Period period;
  period.set_year(year);
  period.set_month(month);
  return period;
}

// Residential, 0.4983 CNY/kWh, annual tiers at 2,160 and 4,200 kWh (+0.05,
// +0.30), summer (Jul/Aug) monthly thresholds 260/600 kWh, one fund.
v1::TariffScheduleVersionPublished Residential(v1::TierScope scope = v1::TIER_SCOPE_ANNUAL) {
  v1::TariffScheduleVersionPublished s;
  s.set_tariff_id("sn-residential");
  s.set_version(3);
  s.set_flat_price_micro_cny_per_kwh(498300);
  s.set_tier_scope(scope);
  auto* t2 = s.add_tiers();
  t2->set_threshold_wh(2160 * kKwh);
  t2->set_markup_micro_cny_per_kwh(50000);
  auto* t3 = s.add_tiers();
  t3->set_threshold_wh(4200 * kKwh);
  t3->set_markup_micro_cny_per_kwh(300000);
  auto* fund = s.add_funds();
  fund->set_code("REN");
  fund->set_name("renewable energy surcharge");
  fund->set_price_micro_cny_per_kwh(19000);
  return s;
}

// Industry: 0.60 CNY/kWh flat; TOU sharp +90 %, peak +70 %, valley −70 %;
// 24 CNY/kVA·month, 36 CNY/kW·month; two funds.
v1::TariffScheduleVersionPublished Industry() {
  v1::TariffScheduleVersionPublished s;
  s.set_tariff_id("sn-large-industry");
  s.set_version(1);
  s.set_flat_price_micro_cny_per_kwh(600000);
  s.set_sharp_adjust_bp(9000);
  s.set_peak_adjust_bp(7000);
  s.set_valley_adjust_bp(-7000);
  s.set_capacity_price_fen_per_kva_month(2400);
  s.set_demand_price_fen_per_kw_month(3600);
  auto* ren = s.add_funds();
  ren->set_code("REN");
  ren->set_name("renewable energy surcharge");
  ren->set_price_micro_cny_per_kwh(19000);
  auto* res = s.add_funds();
  res->set_code("RES");
  res->set_name("reservoir fund");
  res->set_price_micro_cny_per_kwh(6200);
  return s;
}

int64_t AmountOf(const BillCalculation& bill, v1::BillLineKind kind, int tier = 0) {
  int64_t sum = 0;
  for (const auto& line : bill.lines) {
    if (line.kind() == kind && (tier == 0 || line.tier() == tier)) sum += line.amount_fen();
  }
  return sum;
}

BillCalculation Calculate(const BillInput& input) {
  absl::StatusOr<BillCalculation> bill = CalculateBill(input);
  EXPECT_TRUE(bill.ok()) << bill.status();
  int64_t sum = 0;
  for (const auto& line : bill->lines) {
    EXPECT_FALSE(line.rule().empty()) << line.DebugString();
    sum += line.amount_fen();
  }
  EXPECT_EQ(bill->total_fen, sum) << "the total is the sum of the lines";
  return *bill;
}

BillInput ResidentialInput(const v1::TariffScheduleVersionPublished& schedule, int64_t kwh,
                           int64_t ytd_kwh, int month = 5) {
  BillInput input;
  input.terms.category = v1::CUSTOMER_CATEGORY_RESIDENTIAL;
  input.usage.total_wh = kwh * kKwh;
  input.year_to_date_wh_before = ytd_kwh * kKwh;
  input.period = Month(2026, month);
  input.schedule = &schedule;
  return input;
}

TEST(ResidentialTest, BelowTheFirstThresholdEnergyAndFundOnly) {
  const auto s = Residential();
  BillCalculation bill = Calculate(ResidentialInput(s, 200, 0));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY), 9966);  // 200 × 0.4983 = 99.66
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER), 0);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_GOVERNMENT_FUND), 380);  // 200 × 0.019
  EXPECT_EQ(bill.total_fen, 10346);
  EXPECT_EQ(bill.energy_wh, 200 * kKwh);
}

TEST(ResidentialTest, ThresholdCrossedInsideOneBill) {
  const auto s = Residential();
  // 2,100 kWh billed before; this bill's 200 kWh ends at 2,300: 140 kWh in tier 2.
  BillCalculation bill = Calculate(ResidentialInput(s, 200, 2100));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 700);  // 140 × 0.05
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 0);
  for (const auto& line : bill.lines) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER) {
      EXPECT_EQ(line.quantity(), 140 * kKwh);
    }
  }
}

TEST(ResidentialTest, AcrossBillsOfTheYear) {
  const auto s = Residential();
  // Exactly at the threshold before: all of this bill is tier 2.
  BillCalculation bill = Calculate(ResidentialInput(s, 100, 2160));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 500);
  // One kWh short of it: 99 kWh in tier 2.
  bill = Calculate(ResidentialInput(s, 100, 2159));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 495);
  // Ending one kWh over it: 1 kWh in tier 2.
  bill = Calculate(ResidentialInput(s, 100, 2061));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 5);
  // Ending exactly on it: nothing in tier 2.
  bill = Calculate(ResidentialInput(s, 100, 2060));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 0);
  // Across the second threshold: 100 kWh tier 2, 200 kWh tier 3.
  bill = Calculate(ResidentialInput(s, 300, 4100));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 500);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 6000);
  // Both thresholds inside one bill: 2,040 kWh tier 2 and 300 kWh tier 3.
  bill = Calculate(ResidentialInput(s, 2500, 2000));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 10200);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 9000);
  // Already in tier 3: all of it is tier 3.
  bill = Calculate(ResidentialInput(s, 10, 5000));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 0);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 300);
}

TEST(ResidentialTest, MonthlyScopeIgnoresTheYearSoFar) {
  auto s = Residential(v1::TIER_SCOPE_MONTHLY);
  s.mutable_tiers(0)->set_threshold_wh(180 * kKwh);
  s.mutable_tiers(1)->set_threshold_wh(350 * kKwh);
  BillCalculation bill = Calculate(ResidentialInput(s, 400, 99999));
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 850);   // 170 × 0.05
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 1500);  // 50 × 0.30
}

TEST(ResidentialTest, SummerThresholdsInSummerMonths) {
  auto s = Residential(v1::TIER_SCOPE_MONTHLY);
  s.mutable_tiers(0)->set_threshold_wh(180 * kKwh);
  s.mutable_tiers(1)->set_threshold_wh(350 * kKwh);
  auto* t2 = s.add_summer_tiers();
  t2->set_threshold_wh(260 * kKwh);
  t2->set_markup_micro_cny_per_kwh(50000);
  auto* t3 = s.add_summer_tiers();
  t3->set_threshold_wh(600 * kKwh);
  t3->set_markup_micro_cny_per_kwh(300000);
  s.add_summer_months(7);
  s.add_summer_months(8);
  BillCalculation july = Calculate(ResidentialInput(s, 400, 0, 7));
  EXPECT_EQ(AmountOf(july, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 700);  // 140 × 0.05
  EXPECT_EQ(AmountOf(july, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 0);
  BillCalculation june = Calculate(ResidentialInput(s, 400, 0, 6));
  EXPECT_EQ(AmountOf(june, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 850);
}

BillInput IndustryInput(const v1::TariffScheduleVersionPublished& schedule) {
  BillInput input;
  input.terms.category = v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL;
  input.terms.time_of_use = true;
  input.usage.sharp_wh = 10000 * kKwh;
  input.usage.peak_wh = 30000 * kKwh;
  input.usage.flat_wh = 40000 * kKwh;
  input.usage.valley_wh = 20000 * kKwh;
  input.usage.total_wh = 100000 * kKwh;
  input.period = Month(2026, 11);
  input.schedule = &schedule;
  return input;
}

TEST(TimeOfUseTest, EachRegisterAtItsPrice) {
  const auto s = Industry();
  BillCalculation bill = Calculate(IndustryInput(s));
  std::map<v1::TouPeriod, int64_t> by_period;
  for (const auto& line : bill.lines) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TOU) {
      by_period[line.tou_period()] = line.amount_fen();
    }
  }
  EXPECT_EQ(by_period[v1::TOU_PERIOD_SHARP], 1'140'000);  // 10,000 × 0.60 × 1.9
  EXPECT_EQ(by_period[v1::TOU_PERIOD_PEAK], 3'060'000);   // 30,000 × 0.60 × 1.7
  EXPECT_EQ(by_period[v1::TOU_PERIOD_FLAT], 2'400'000);   // 40,000 × 0.60
  EXPECT_EQ(by_period[v1::TOU_PERIOD_VALLEY], 360'000);   // 20,000 × 0.60 × 0.3
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_GOVERNMENT_FUND), 190'000 + 62'000);
}

// T-TOU: the total register is what was consumed; the flat line prices the
// rest, so registers that do not add up exactly bill each kWh once.
TEST(TimeOfUseTest, FlatIsTheTotalLessTheOtherPeriods) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.usage.flat_wh -= 700;  // the registers' rounding: 0.7 kWh short of the total
  BillCalculation bill = Calculate(input);
  int64_t priced = 0;
  for (const auto& line : bill.lines) {
    if (line.kind() != v1::BILL_LINE_KIND_ENERGY_TOU) continue;
    priced += line.quantity();
    if (line.tou_period() == v1::TOU_PERIOD_FLAT) {
      EXPECT_EQ(line.quantity(), 40000 * kKwh);
      EXPECT_THAT(line.registers(),
                  ::testing::ElementsAre("total_wh", "sharp_wh", "peak_wh", "valley_wh"));
    }
  }
  EXPECT_EQ(priced, input.usage.total_wh);
}

TEST(TimeOfUseTest, RoundsOncePerLineNotPerPrice) {
  auto s = Industry();
  s.set_flat_price_micro_cny_per_kwh(333333);  // 0.333333 CNY/kWh
  BillInput input = IndustryInput(s);
  input.usage = {};
  input.usage.peak_wh = 3;       // 3 Wh × 0.333333 × 1.7 = 0.0017 CNY = 0.17 fen → 0
  input.usage.valley_wh = 3000;  // 3 kWh × 0.333333 × 0.3 = 0.2999997 CNY = 29.99997 → 30
  input.usage.total_wh = 3003;
  BillCalculation bill = Calculate(input);
  for (const auto& line : bill.lines) {
    if (line.tou_period() == v1::TOU_PERIOD_PEAK) {
      EXPECT_EQ(line.amount_fen(), 0);
    }
    if (line.tou_period() == v1::TOU_PERIOD_VALLEY) {
      EXPECT_EQ(line.amount_fen(), 30);
    }
  }
}

TEST(TwoPartTest, BasicChargeByCapacity) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_CAPACITY;
  input.terms.contracted_capacity_kva = 1000;
  BillCalculation bill = Calculate(input);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_BASIC_CAPACITY), 2'400'000);  // 1,000 × 24
}

int64_t DemandCharge(int64_t metered_w, int64_t* excess_fen) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  input.terms.contracted_demand_w = 1'000'000;  // 1,000 kW
  input.usage.max_demand_w = metered_w;
  BillCalculation bill = Calculate(input);
  *excess_fen = AmountOf(bill, v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS);
  return AmountOf(bill, v1::BILL_LINE_KIND_BASIC_DEMAND);
}

TEST(TwoPartTest, DemandBelowContractPaysTheContract) {
  int64_t excess = -1;
  EXPECT_EQ(DemandCharge(900'000, &excess), 3'600'000);  // 1,000 kW × 36, not 900
  EXPECT_EQ(excess, 0);
  EXPECT_EQ(DemandCharge(1'030'000, &excess), 3'600'000);  // within 105 %: contract value
  EXPECT_EQ(excess, 0);
}

TEST(TwoPartTest, TheOneHundredFivePercentEdge) {
  int64_t excess = -1;
  // Exactly 105 % does not exceed it.
  EXPECT_EQ(DemandCharge(1'050'000, &excess), 3'600'000);
  EXPECT_EQ(excess, 0);
  // One watt over: 105 % at the price, 1 W at double (7.2 fen → 7).
  EXPECT_EQ(DemandCharge(1'050'001, &excess), 3'780'000);
  EXPECT_EQ(excess, 7);
  // 1,100 kW: 1,050 kW × 36 + 50 kW × 72.
  EXPECT_EQ(DemandCharge(1'100'000, &excess), 3'780'000);
  EXPECT_EQ(excess, 360'000);
}

TEST(PowerFactorTest, AdjustsEnergyAndBasicButNotFunds) {
  auto s = Industry();
  BillInput input = IndustryInput(s);
  input.terms.pf_standard = v1::POWER_FACTOR_STANDARD_090;
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_CAPACITY;
  input.terms.contracted_capacity_kva = 1000;
  input.usage.reactive_varh = 75000 * kKwh;  // P:Q = 4:3 → PF 0.80 → +5 %
  BillCalculation bill = Calculate(input);
  EXPECT_EQ(bill.power_factor_hundredths, 80);
  const int64_t base = AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TOU) +
                       AmountOf(bill, v1::BILL_LINE_KIND_BASIC_CAPACITY);
  EXPECT_EQ(base, 6'960'000 + 2'400'000);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_POWER_FACTOR), 468'000);  // 5 % of 93,600 CNY
  // A good power factor is a reduction, capped at 0.75 %.
  input.usage.reactive_varh = 1000 * kKwh;  // PF 1.00
  bill = Calculate(input);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_POWER_FACTOR), -70'200);  // −0.75 % of 93,600
}

TEST(PowerFactorTest, NoStandardOrNoConsumptionNoLine) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.usage.reactive_varh = 75000 * kKwh;
  EXPECT_EQ(AmountOf(Calculate(input), v1::BILL_LINE_KIND_POWER_FACTOR), 0);
  input.terms.pf_standard = v1::POWER_FACTOR_STANDARD_085;
  input.usage = {};
  BillCalculation bill = Calculate(input);
  EXPECT_EQ(bill.total_fen, 0);
  EXPECT_EQ(bill.power_factor_hundredths, 0);
}

TEST(ValidationTest, NamesTheFieldAndRule) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.usage.peak_wh += input.usage.flat_wh + 1;
  EXPECT_THAT(std::string(CalculateBill(input).status().message()),
              HasSubstr("the sharp, peak and valley registers sum to"));
  input = IndustryInput(s);
  input.usage.reactive_varh = -5;
  EXPECT_THAT(std::string(CalculateBill(input).status().message()),
              HasSubstr("usage.reactive_varh: must not be negative"));
  input = IndustryInput(s);
  input.schedule = nullptr;
  EXPECT_EQ(CalculateBill(input).status().code(), absl::StatusCode::kInvalidArgument);
  auto no_prices = Industry();
  no_prices.clear_demand_price_fen_per_kw_month();
  input = IndustryInput(no_prices);
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  EXPECT_THAT(std::string(CalculateBill(input).status().message()),
              HasSubstr("schedule.demand_price_fen_per_kw_month"));
  input = IndustryInput(s);
  input.period.set_month(13);
  EXPECT_THAT(std::string(CalculateBill(input).status().message()), HasSubstr("period.month"));
}

// T-MONEY and the v2 line format: each line's quantity is in the unit of its
// price, and quantity × price is the amount, rounded once.
TEST(UnitsTest, EveryLinesQuantityIsInTheUnitOfItsPrice) {
  auto s = Industry();
  BillInput input = IndustryInput(s);
  input.terms.pf_standard = v1::POWER_FACTOR_STANDARD_090;
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  input.terms.contracted_demand_w = 1'000'000;
  input.usage.max_demand_w = 1'234'567;  // over 105 %: both demand lines
  input.usage.reactive_varh = 50000 * kKwh;
  input.months = 2;
  BillCalculation bill = Calculate(input);
  int demand_lines = 0;
  for (const auto& line : bill.lines) {
    if (line.kind() == v1::BILL_LINE_KIND_POWER_FACTOR) {
      EXPECT_EQ(line.quantity(), 0);
      EXPECT_EQ(line.unit_price_micro_cny(), 0) << "no ratio in the price field";
      EXPECT_EQ(line.power_factor().standard(), v1::POWER_FACTOR_STANDARD_090);
      EXPECT_EQ(line.power_factor().factor_hundredths(), bill.power_factor_hundredths);
      EXPECT_EQ(line.amount_fen(), ApplyBasisPoints(line.power_factor().base_fen(),
                                                    line.power_factor().adjustment_bp()));
      continue;
    }
    EXPECT_EQ(line.quantity_unit(), line.price_unit()) << line.DebugString();
    EXPECT_FALSE(line.registers().empty() && line.kind() != v1::BILL_LINE_KIND_BASIC_CAPACITY);
    Int128 denominator = 10'000;
    for (int i = 0; i < line.quantity_scale(); ++i) denominator *= 10;
    Int128 numerator = static_cast<Int128>(line.quantity()) * line.unit_price_micro_cny();
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TOU) {  // the exact price: flat × (1 + bp)
      numerator = static_cast<Int128>(line.quantity()) * s.flat_price_micro_cny_per_kwh() *
                  (10'000 + line.tou_adjust_bp());
      denominator *= 10'000;
    }
    EXPECT_EQ(line.amount_fen(), RoundHalfAwayFromZero(numerator, denominator))
        << line.DebugString();
    if (line.kind() == v1::BILL_LINE_KIND_BASIC_DEMAND ||
        line.kind() == v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS) {
      ++demand_lines;
      EXPECT_EQ(line.quantity_unit(), "kW·month");
      EXPECT_EQ(line.months(), 2);
      EXPECT_THAT(line.registers(), ::testing::ElementsAre("max_demand_w"));
    }
  }
  EXPECT_EQ(demand_lines, 2);
}

TEST(UnitsTest, LinesNameTheirRuleIds) {
  auto s = Residential();
  BillCalculation bill = Calculate(ResidentialInput(s, 300, 2100));
  std::set<std::string> ids;
  for (const auto& line : bill.lines) ids.insert(line.rule());
  EXPECT_EQ(ids, (std::set<std::string>{"T-ENERGY", "T-TIER-ANNUAL", "T-FUND"}));
  for (const auto& line : bill.lines) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER) {
      EXPECT_EQ(line.year_to_date_wh_before(), 2100 * kKwh);
      EXPECT_EQ(line.tier_threshold_wh(), 2160 * kKwh);
    }
  }
}

// Basic charges and monthly thresholds count per month a bill covers.
TEST(MonthsTest, BasicChargesAndMonthlyTiersScaleWithTheMonthsCovered) {
  const auto s = Industry();
  BillInput input = IndustryInput(s);
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_CAPACITY;
  input.terms.contracted_capacity_kva = 1000;
  input.months = 3;
  EXPECT_EQ(AmountOf(Calculate(input), v1::BILL_LINE_KIND_BASIC_CAPACITY), 3 * 2'400'000);
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  input.terms.contracted_demand_w = 1'000'000;
  input.usage.max_demand_w = 1'100'000;  // 1,050 kW × 36 + 50 kW × 72, each month
  BillCalculation bill = Calculate(input);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_BASIC_DEMAND), 3 * 3'780'000);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS), 3 * 360'000);

  auto monthly = Residential(v1::TIER_SCOPE_MONTHLY);
  monthly.mutable_tiers(0)->set_threshold_wh(180 * kKwh);
  monthly.mutable_tiers(1)->set_threshold_wh(350 * kKwh);
  BillInput two_months = ResidentialInput(monthly, 400, 0);
  two_months.months = 2;  // thresholds 360 and 700 kWh
  bill = Calculate(two_months);
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 2), 200);  // 40 × 0.05
  EXPECT_EQ(AmountOf(bill, v1::BILL_LINE_KIND_ENERGY_TIER, 3), 0);
  for (const auto& line : bill.lines) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER) {
      EXPECT_EQ(line.rule(), "T-TIER-MONTHLY");
    }
  }
  two_months.months = 0;
  EXPECT_THAT(std::string(CalculateBill(two_months).status().message()), HasSubstr("months"));
}

TEST(ValidationTest, AmountsStayWithinInt64) {
  auto s = Industry();
  BillInput input = IndustryInput(s);
  input.usage = {};
  input.usage.total_wh = 1'000'000'000'000'001;  // over a terawatt-hour
  input.usage.flat_wh = input.usage.total_wh;
  EXPECT_THAT(std::string(CalculateBill(input).status().message()),
              HasSubstr("usage.total_wh: at most"));
  s.set_flat_price_micro_cny_per_kwh(int64_t{1} << 62);
  input = IndustryInput(s);
  EXPECT_THAT(std::string(CalculateBill(input).status().message()),
              HasSubstr("schedule.flat_price_micro_cny_per_kwh"));
}

TEST(VersionInForceTest, NewestEffectiveOnOrBeforeThePeriodsFirstDay) {
  std::vector<v1::TariffScheduleVersionPublished> versions(3);
  auto set = [](v1::TariffScheduleVersionPublished& v, int version, int y, int m, int d) {
    v.set_version(version);
    v.mutable_effective_from()->set_year(y);
    v.mutable_effective_from()->set_month(m);
    v.mutable_effective_from()->set_day(d);
  };
  set(versions[0], 1, 2025, 1, 1);
  set(versions[1], 2, 2026, 7, 1);
  set(versions[2], 3, 2026, 8, 15);  // mid-month: in force from September's bill
  EXPECT_EQ((*VersionInForce(versions, Month(2026, 6)))->version(), 1);
  EXPECT_EQ((*VersionInForce(versions, Month(2026, 7)))->version(), 2);
  EXPECT_EQ((*VersionInForce(versions, Month(2026, 8)))->version(), 2);
  EXPECT_EQ((*VersionInForce(versions, Month(2026, 9)))->version(), 3);
  EXPECT_EQ(VersionInForce(versions, Month(2024, 12)).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gridledger::billing::tariff
