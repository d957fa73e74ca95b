#include "domain/billing_center/tariff/power_factor.h"

#include <cmath>

#include "gtest/gtest.h"

namespace gridledger::billing::tariff {
namespace {

TEST(PowerFactorHundredthsTest, RoundsToTwoDecimals) {
  EXPECT_EQ(PowerFactorHundredths(1000, 0), 100);
  EXPECT_EQ(PowerFactorHundredths(0, 1000), 0);
  EXPECT_EQ(PowerFactorHundredths(0, 0), std::nullopt);
  // 3-4-5: PF = 0.6 exactly.
  EXPECT_EQ(PowerFactorHundredths(3000, 4000), 60);
  // P = Q: PF = 0.7071… → 0.71.
  EXPECT_EQ(PowerFactorHundredths(1000000, 1000000), 71);
  // A typical industrial month: 1,200 MWh and 580 Mvarh: 0.9004 → 0.90.
  EXPECT_EQ(PowerFactorHundredths(1'200'000'000, 580'000'000), 90);
}

TEST(PowerFactorHundredthsTest, HalfRoundsUpExactlyAtTheBoundary) {
  // Find Q so that PF straddles 0.945 and check both sides against the exact
  // real-number value, computed here in long double.
  const int64_t p = 945'000'000;
  for (int64_t q = 300'000'000; q < 320'000'000; q += 1'000'000) {
    const long double pf =
        p / std::sqrt(static_cast<long double>(p) * p + static_cast<long double>(q) * q);
    const int expected = static_cast<int>(std::floor(pf * 100 + 0.5L));
    EXPECT_EQ(PowerFactorHundredths(p, q), expected) << "q=" << q << " pf=" << (double)pf;
  }
}

TEST(PowerFactorHundredthsTest, HugeValuesDoNotOverflow) {
  EXPECT_EQ(PowerFactorHundredths(1'000'000'000'000'000, 0), 100);
  EXPECT_EQ(PowerFactorHundredths(1'000'000'000'000'000, 1'000'000'000'000'000), 71);
}

struct Row {
  int pf;
  int bp;
};

void ExpectRows(v1::PowerFactorStandard standard, std::initializer_list<Row> rows) {
  for (const Row& row : rows) {
    EXPECT_EQ(PowerFactorAdjustmentBp(standard, row.pf), row.bp)
        << "standard " << standard << " pf 0." << row.pf;
  }
}

TEST(PowerFactorAdjustmentTest, Standard090EveryRowAndCap) {
  ExpectRows(v1::POWER_FACTOR_STANDARD_090,
             {{100, -75}, {96, -75},  {95, -75},  {94, -60},  {93, -45},  {92, -30},
              {91, -15},  {90, 0},    {89, 50},   {85, 250},  {80, 500},  {75, 750},
              {71, 950},  {70, 1000}, {69, 1100}, {68, 1200}, {66, 1400}, {65, 1500},
              {64, 1700}, {63, 1900}, {60, 2500}, {50, 4500}});
}

TEST(PowerFactorAdjustmentTest, Standard085EveryRowAndCap) {
  ExpectRows(
      v1::POWER_FACTOR_STANDARD_085,
      {{100, -110}, {95, -110}, {94, -110}, {93, -95},  {92, -80},  {91, -65}, {90, -50}, {89, -40},
       {88, -30},   {87, -20},  {86, -10},  {85, 0},    {84, 50},   {80, 250}, {70, 750}, {66, 950},
       {65, 1000},  {64, 1100}, {61, 1400}, {60, 1500}, {59, 1700}, {55, 2500}});
}

TEST(PowerFactorAdjustmentTest, Standard080EveryRowAndCap) {
  ExpectRows(v1::POWER_FACTOR_STANDARD_080, {{100, -130},
                                             {93, -130},
                                             {92, -130},
                                             {91, -115},
                                             {90, -100},
                                             {89, -90},
                                             {85, -50},
                                             {81, -10},
                                             {80, 0},
                                             {79, 50},
                                             {70, 500},
                                             {61, 950},
                                             {60, 1000},
                                             {59, 1100},
                                             {56, 1400},
                                             {55, 1500},
                                             {54, 1700},
                                             {50, 2500}});
}

TEST(PowerFactorAdjustmentTest, NoStandardNoAdjustment) {
  EXPECT_EQ(PowerFactorAdjustmentBp(v1::POWER_FACTOR_STANDARD_NONE, 50), 0);
}

TEST(PowerFactorAdjustmentTest, MonotoneInPowerFactor) {
  for (auto standard : {v1::POWER_FACTOR_STANDARD_090, v1::POWER_FACTOR_STANDARD_085,
                        v1::POWER_FACTOR_STANDARD_080}) {
    for (int pf = 1; pf <= 100; ++pf) {
      EXPECT_LE(PowerFactorAdjustmentBp(standard, pf), PowerFactorAdjustmentBp(standard, pf - 1))
          << "standard " << standard << " pf " << pf;
    }
  }
}

}  // namespace
}  // namespace gridledger::billing::tariff
