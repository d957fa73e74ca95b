#include "domain/billing_center/tariff/money.h"

#include "gtest/gtest.h"

namespace gridledger::billing::tariff {
namespace {

TEST(RoundHalfAwayFromZeroTest, RoundsHalvesAwayFromZero) {
  EXPECT_EQ(RoundHalfAwayFromZero(5, 10), 1);    // 0.5 → 1
  EXPECT_EQ(RoundHalfAwayFromZero(4, 10), 0);    // 0.4 → 0
  EXPECT_EQ(RoundHalfAwayFromZero(15, 10), 2);   // 1.5 → 2
  EXPECT_EQ(RoundHalfAwayFromZero(25, 10), 3);   // 2.5 → 3 (not banker's 2)
  EXPECT_EQ(RoundHalfAwayFromZero(-5, 10), -1);  // -0.5 → -1
  EXPECT_EQ(RoundHalfAwayFromZero(-4, 10), 0);
  EXPECT_EQ(RoundHalfAwayFromZero(-25, 10), -3);
  EXPECT_EQ(RoundHalfAwayFromZero(0, 7), 0);
}

TEST(EnergyChargeFenTest, PricesWattHoursToTheFen) {
  // 1 kWh at 0.56 CNY/kWh = 56 fen.
  EXPECT_EQ(EnergyChargeFen(1000, 560000), 56);
  // 1 Wh at 0.56 CNY/kWh = 0.056 fen → 0.
  EXPECT_EQ(EnergyChargeFen(1, 560000), 0);
  // 9 Wh = 0.504 fen → 1 (half away from zero at .5 only: 0.504 rounds to 1).
  EXPECT_EQ(EnergyChargeFen(9, 560000), 1);
  // 125 Wh at 0.4 CNY/kWh = 5 fen exactly; 12.5 Wh is not representable, so
  // test the half: 1 kWh at 0.005 CNY = 0.5 fen → 1.
  EXPECT_EQ(EnergyChargeFen(1000, 5000), 1);
  // A large industrial month: 12,345,678 kWh at 0.6543 CNY/kWh
  // = 8,077,777.1154 CNY = 807,777,711.54 fen → 807,777,712.
  EXPECT_EQ(EnergyChargeFen(12'345'678'000, 654300), 807'777'712);
  // No overflow at a terawatt-hour and a high price.
  EXPECT_EQ(EnergyChargeFen(1'000'000'000'000, 9'999'999), 999'999'900'000);
}

TEST(ApplyBasisPointsTest, RoundsOnce) {
  EXPECT_EQ(ApplyBasisPoints(10000, -75), -75);  // -0.75 % of 100 CNY
  EXPECT_EQ(ApplyBasisPoints(333, 50), 2);       // 1.665 → 2
  EXPECT_EQ(ApplyBasisPoints(333, -50), -2);     // -1.665 → -2
  EXPECT_EQ(ApplyBasisPoints(100, 50), 1);       // 0.5 → 1
  EXPECT_EQ(ApplyBasisPoints(100, -50), -1);     // -0.5 → -1
}

}  // namespace
}  // namespace gridledger::billing::tariff
