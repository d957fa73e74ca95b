#include "domain/billing_center/tariff/penalty.h"

#include "gtest/gtest.h"

namespace gridledger::billing::tariff {
namespace {

using absl::CivilDay;

TEST(PenaltyTest, OnTimeIsNoPenalty) {
  auto p = CalculatePenalty(100000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 20),
                            v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->days, 0);
  EXPECT_EQ(p->amount_fen, 0);
  p = CalculatePenalty(100000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 1),
                       v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  EXPECT_EQ(p->amount_fen, 0);
}

TEST(PenaltyTest, ResidentialIsOnePerMillePerDay) {
  // 1,000 CNY, 10 days late: 1,000 × 0.1 % × 10 = 10 CNY.
  auto p = CalculatePenalty(100000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 30),
                            v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->days, 10);
  EXPECT_EQ(p->amount_fen, 1000);
}

TEST(PenaltyTest, OtherCustomersCurrentYearIsTwoPerMille) {
  // 50,000 CNY, 7 days late: 50,000 × 0.2 % × 7 = 700 CNY.
  auto p = CalculatePenalty(5'000'000, CivilDay(2026, 3, 15), CivilDay(2026, 3, 22),
                            v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->days_current_year, 7);
  EXPECT_EQ(p->days_earlier_years, 0);
  EXPECT_EQ(p->amount_fen, 70000);
}

TEST(PenaltyTest, DaysAfterTheYearBoundaryAreThreePerMille) {
  // Due 2025-12-29, paid 2026-01-03: 30th, 31st at 0.2 %; 1st–3rd at 0.3 %.
  // 10,000 CNY × (2 × 0.2 % + 3 × 0.3 %) = 10,000 × 1.3 % = 130 CNY.
  auto p = CalculatePenalty(1'000'000, CivilDay(2025, 12, 29), CivilDay(2026, 1, 3),
                            v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->days, 5);
  EXPECT_EQ(p->days_current_year, 2);
  EXPECT_EQ(p->days_earlier_years, 3);
  EXPECT_EQ(p->amount_fen, 13000);
  // Due on 31 December: every late day is in the next year.
  p = CalculatePenalty(1'000'000, CivilDay(2025, 12, 31), CivilDay(2026, 1, 2),
                       v1::CUSTOMER_CATEGORY_AGRICULTURAL);
  EXPECT_EQ(p->days_current_year, 0);
  EXPECT_EQ(p->days_earlier_years, 2);
  EXPECT_EQ(p->amount_fen, 6000);
  // Residential customers have one rate across the boundary.
  p = CalculatePenalty(1'000'000, CivilDay(2025, 12, 29), CivilDay(2026, 1, 3),
                       v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(p->amount_fen, 5000);
}

TEST(PenaltyTest, AccruingAgainAfterTheYearBoundaryStaysAtTheEarlierYearsRate) {
  // A 2025 bill accrued through 2026-01-10, then again through 2026-01-20:
  // all ten new days are arrears of an earlier year.
  auto p = CalculatePenalty(1'000'000, CivilDay(2026, 1, 10), CivilDay(2026, 1, 20),
                            v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL, /*arrears_year=*/2025);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->days_current_year, 0);
  EXPECT_EQ(p->days_earlier_years, 10);
  EXPECT_EQ(p->amount_fen, 30000);
}

TEST(PenaltyTest, AtLeastOneYuan) {
  // 50 CNY, 1 day, residential: 0.05 CNY → raised to 1 CNY.
  auto p = CalculatePenalty(5000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 21),
                            v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->amount_fen, kMinimumPenaltyFen);
  // Exactly 1 CNY computed stays 1 CNY; just above stays computed.
  p = CalculatePenalty(100000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 21),
                       v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(p->amount_fen, 100);
  p = CalculatePenalty(100100, CivilDay(2026, 5, 20), CivilDay(2026, 5, 21),
                       v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(p->amount_fen, 100);  // 100.1 fen → 100
  p = CalculatePenalty(100500, CivilDay(2026, 5, 20), CivilDay(2026, 5, 21),
                       v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(p->amount_fen, 101);  // 100.5 fen → 101, half away from zero
}

TEST(PenaltyTest, NegativeUnpaidIsRefused) {
  auto p = CalculatePenalty(-1, CivilDay(2026, 5, 20), CivilDay(2026, 5, 21),
                            v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(p.status().message()).find("unpaid_fen"), std::string::npos);
}

// P-YEAR-SPLIT: an accrual across 31 December records each year's days and
// rate, and its exact sum is what they make.
TEST(AccrueDaysTest, SplitsByCalendarYearWithEachYearsRate) {
  const PenaltyAccrual a = AccrueDays(1'000'000, CivilDay(2025, 12, 20), CivilDay(2027, 1, 2),
                                      v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL, 2025);
  ASSERT_EQ(a.segments.size(), 3u);
  EXPECT_EQ(a.segments[0].from, CivilDay(2025, 12, 21));
  EXPECT_EQ(a.segments[0].to, CivilDay(2025, 12, 31));
  EXPECT_EQ(a.segments[0].days, 11);
  EXPECT_EQ(a.segments[0].rate_ppm_per_day, kCurrentYearPpm);
  EXPECT_EQ(a.segments[1].days, 365);
  EXPECT_EQ(a.segments[1].rate_ppm_per_day, kEarlierYearsPpm);
  EXPECT_EQ(a.segments[2].from, CivilDay(2027, 1, 1));
  EXPECT_EQ(a.segments[2].days, 2);
  EXPECT_EQ(a.days, 378);
  EXPECT_EQ(a.exact_micro_fen,
            static_cast<Int128>(1'000'000) * (11 * 2000 + 365 * 3000 + 2 * 3000));
  // Residential: one rate, still one segment per year.
  const PenaltyAccrual r = AccrueDays(1000, CivilDay(2025, 12, 30), CivilDay(2026, 1, 1),
                                      v1::CUSTOMER_CATEGORY_RESIDENTIAL, 2025);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].rate_ppm_per_day, kResidentialPpm);
  EXPECT_EQ(r.segments[1].rate_ppm_per_day, kResidentialPpm);
  EXPECT_TRUE(AccrueDays(1000, CivilDay(2026, 1, 5), CivilDay(2026, 1, 5),
                         v1::CUSTOMER_CATEGORY_RESIDENTIAL, 2026)
                  .segments.empty());
}

// P-MINIMUM: the 1 CNY minimum is on the total, rounded once.
TEST(TotalPenaltyTest, MinimumOnTheTotalNotEachAccrual) {
  EXPECT_EQ(TotalPenaltyFen(0, false), 0);
  EXPECT_EQ(TotalPenaltyFen(0, true), kMinimumPenaltyFen);  // a late day on 0.00 CNY due
  EXPECT_EQ(TotalPenaltyFen(30'000'000, true), 100);        // 30 fen → 1 CNY
  EXPECT_EQ(TotalPenaltyFen(150'400'000, true), 150);       // 150.4 fen
  EXPECT_EQ(TotalPenaltyFen(150'500'000, true), 151);       // 150.5 fen, half away from zero
  // Two accruals of 0.3 CNY each: 1 CNY in total, not 2.
  const Int128 one = AccrueDays(3000, CivilDay(2026, 5, 20), CivilDay(2026, 5, 30),
                                v1::CUSTOMER_CATEGORY_RESIDENTIAL, 2026)
                         .exact_micro_fen;
  EXPECT_EQ(TotalPenaltyFen(one, true), 100);
  EXPECT_EQ(TotalPenaltyFen(one + one, true), 100);
}

}  // namespace
}  // namespace gridledger::billing::tariff
