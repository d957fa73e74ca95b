// Billing each kWh once, in period order (C-CHAIN, C-COVERED, C-PENDING,
// C-UNBILLED, C-BASELINE, C-REVERSE-ORDER, C-REISSUE, C-TERMS-IN-FORCE) and
// annual tiers from consumption in period order (T-TIER-ANNUAL).
#include "domain/billing_center/account.h"
#include "domain/billing_center/account_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing {
namespace {

using testing::AccountLog;
using testing::Day;
using ::testing::ElementsAre;
using testing::kKwh;
using testing::Month;
using testing::ReadOf;

MATCHER_P2(Refused, code, part, "") {
  *result_listener << "status is " << arg;
  return arg.code() == code && std::string(arg.message()).find(part) != std::string::npos;
}

constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;

class BillRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(log_.Open(testing::ResidentialAccount()).ok()); }
  int64_t StandingEnergy() const {
    int64_t sum = 0;
    for (const Bill& b : log_.state().bills) {
      if (!b.reversed) sum += b.energy_wh;
    }
    return sum;
  }
  AccountLog log_;
};

TEST_F(BillRulesTest, ReadCheckBillWithTheBillsInterval) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  EXPECT_THAT(log_.Bill("b10", Month(2026, 10)),
              Refused(kPrecondition, "not after 2026-10: the account is billed from read r10"));
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1200).ok());
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11), "issuer").ok());
  const v1::BillIssued bill = log_.last().bill_issued();
  EXPECT_EQ(bill.energy_wh(), 200 * kKwh);
  EXPECT_EQ(bill.total_fen(), 9966);  // 200 × 0.4983
  EXPECT_THAT(bill.read_ids(), ElementsAre("r10", "r11"));
  EXPECT_EQ(bill.start_read_id(), "r10");
  EXPECT_EQ(bill.end_read_id(), "r11");
  EXPECT_EQ(bill.months(), 1);
  EXPECT_EQ(bill.covers_from().month(), 11);
  EXPECT_EQ(bill.issued_by(), "issuer");
  EXPECT_EQ(bill.tariff_version(), 1);
  EXPECT_EQ(log_.history().back().schema_version(), 2);
  EXPECT_THAT(bill.lines(0).read_ids(), ElementsAre("r10", "r11"));
  EXPECT_THAT(
      log_.Bill("b11-again", Month(2026, 11)),
      Refused(kPrecondition, "2026-11 is already billed: bill b11 covers 2026-11..2026-11"));
  EXPECT_EQ(ViewOf(log_.state()).billed_through_read_id(), "r11");
  EXPECT_EQ(ViewOf(log_.state()).baseline_read_id(), "r10");
}

TEST_F(BillRulesTest, ABillNeedsAnAcceptedReadAndABaseline) {
  EXPECT_THAT(log_.Bill("b10", Month(2026, 10)),
              Refused(kPrecondition, "no accepted read for 2026-10"));
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.Record(ReadOf("r11", Month(2026, 11), 1100)).ok());
  EXPECT_THAT(log_.Bill("b11", Month(2026, 11)), Refused(kPrecondition, "read r11 is pending"));
}

// The issue's first case: Nov's read left unchecked, Dec billed (over both
// months), then Nov checked and billed: Nov's energy twice. Refused now.
TEST_F(BillRulesTest, AnUncheckedEarlierReadStopsTheLaterBill) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.Record(ReadOf("r11", Month(2026, 11), 1200)).ok());
  ASSERT_TRUE(log_.ReadAndPass("r12", Month(2026, 12), 1500).ok());
  const absl::Status pending = log_.Bill("b12", Month(2026, 12));
  EXPECT_THAT(pending, Refused(kPrecondition, "2026-11's read r11 is pending (not checked)"));
  EXPECT_THAT(pending, Refused(kPrecondition, "C-PENDING"));
  ASSERT_TRUE(log_.Check("r11").ok());
  EXPECT_THAT(log_.Bill("b12", Month(2026, 12)),
              Refused(kPrecondition, "bill 2026-11 before 2026-12 (C-UNBILLED)"));
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  ASSERT_TRUE(log_.Bill("b12", Month(2026, 12)).ok());
  EXPECT_EQ(log_.last().bill_issued().energy_wh(), 300 * kKwh);
  EXPECT_THAT(log_.Bill("b11-again", Month(2026, 11)), Refused(kPrecondition, "C-COVERED"));
  EXPECT_EQ(StandingEnergy(), 500 * kKwh) << "r10 → r12, each kWh once";
}

// A month without a read falls into the next bill; a late read of it cannot
// bill it again.
TEST_F(BillRulesTest, AMonthWithoutAReadIsCoveredByTheNextBill) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r12", Month(2026, 12), 1400).ok());
  ASSERT_TRUE(log_.Bill("b12", Month(2026, 12)).ok());
  EXPECT_EQ(log_.last().bill_issued().months(), 2);
  EXPECT_EQ(log_.last().bill_issued().covers_from().month(), 11);
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1150).ok());  // the late read is a fact
  EXPECT_THAT(log_.Bill("b11", Month(2026, 11)),
              Refused(kPrecondition, "bill b12 covers 2026-11..2026-12"));
  EXPECT_EQ(StandingEnergy(), 400 * kKwh);
}

// A re-read that was ordered and never came stops later bills.
TEST_F(BillRulesTest, AnOrderedReReadIsPending) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1100).ok());
  ASSERT_TRUE(log_.Record(ReadOf("r12", Month(2026, 12), 9000)).ok());
  ASSERT_TRUE(log_.Check("r12").ok());
  ASSERT_TRUE(log_.Decide("r12", v1::READ_DECISION_REREAD).ok());
  ASSERT_TRUE(log_.ReadAndPass("r1", Month(2027, 1), 1300).ok());
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  EXPECT_THAT(log_.Bill("b1", Month(2027, 1)),
              Refused(kPrecondition, "a re-read of 2026-12 was ordered (read r12)"));
}

// C-REVERSE-ORDER and C-REISSUE.
TEST_F(BillRulesTest, ReversedLatestFirstReissuedInPeriodOrder) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1200).ok());
  ASSERT_TRUE(log_.ReadAndPass("r12", Month(2026, 12), 1300).ok());
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  ASSERT_TRUE(log_.Bill("b12", Month(2026, 12)).ok());
  EXPECT_THAT(log_.Reverse("b11"),
              Refused(kPrecondition, "is followed by bill b12 (2026-12..2026-12)"));
  ASSERT_TRUE(log_.Reverse("b12").ok());
  ASSERT_TRUE(log_.Reverse("b11").ok());
  EXPECT_EQ(log_.last().bill_reversed().reversed_amount_fen(), 9966);
  EXPECT_THAT(log_.Bill("b12-2", Month(2026, 12)), Refused(kPrecondition, "C-UNBILLED"));
  EXPECT_THAT(log_.Bill("b11-2", Month(2026, 11), "checker", "b12"),
              Refused(kPrecondition, "must be a reversed bill of the same period"));
  ASSERT_TRUE(log_.Bill("b11-2", Month(2026, 11), "checker", "b11").ok());
  EXPECT_EQ(log_.last().bill_issued().start_read_id(), "r10") << "the baseline stays";
  ASSERT_TRUE(log_.Reverse("b11-2").ok());
  EXPECT_THAT(log_.Bill("b11-3", Month(2026, 11), "checker", "b11"),
              Refused(kPrecondition, "already replaced by bill b11-2"));
  ASSERT_TRUE(log_.Bill("b11-3", Month(2026, 11), "checker", "b11-2").ok());
  ASSERT_TRUE(log_.Bill("b12-2", Month(2026, 12), "checker", "b12").ok());
  EXPECT_EQ(StandingEnergy(), 300 * kKwh);
  EXPECT_EQ(ViewOf(log_.state()).bills(0).replaced_by(), "b11-2");
}

int64_t TierWh(const v1::BillIssued& bill, int tier) {
  int64_t wh = 0;
  for (const auto& line : bill.lines()) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER && line.tier() == tier) wh += line.quantity();
  }
  return wh;
}

// The issue's second case: annual tiers count the year's consumption in
// period order, whatever the order bills are asked for; a correction to an
// earlier month re-rates the later bills through reversal and reissue.
TEST_F(BillRulesTest, AnnualTiersFollowPeriodOrder) {
  ASSERT_TRUE(log_.ReadAndPass("r0", Month(2025, 12), 0).ok());
  for (int month = 1; month <= 6; ++month) {  // 400 kWh a month
    ASSERT_TRUE(
        log_.ReadAndPass(absl::StrCat("r", month), Month(2026, month), int64_t{400} * month).ok());
  }
  for (int month = 1; month <= 4; ++month) {
    ASSERT_TRUE(log_.Bill(absl::StrCat("b", month), Month(2026, month)).ok());
  }
  // June before May is refused, not billed without the year's markup.
  EXPECT_THAT(log_.Bill("b6", Month(2026, 6)),
              Refused(kPrecondition, "bill 2026-05 before 2026-06"));
  ASSERT_TRUE(log_.Bill("b5", Month(2026, 5)).ok());
  ASSERT_TRUE(log_.Bill("b6", Month(2026, 6)).ok());
  v1::BillIssued june = log_.last().bill_issued();
  EXPECT_EQ(june.year_to_date_wh_before(), 2000 * kKwh);
  EXPECT_EQ(TierWh(june, 2), 240 * kKwh);  // 2,000 → 2,400 kWh crosses 2,160
  for (const auto& line : june.lines()) {
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER) {
      EXPECT_EQ(line.year_to_date_wh_before(), 2000 * kKwh);
      EXPECT_EQ(line.rule(), "T-TIER-ANNUAL");
    }
  }
  // May's read was 200 kWh short: reverse June then May, correct, reissue.
  EXPECT_THAT(log_.Reverse("b5"), Refused(kPrecondition, "followed by bill b6"));
  ASSERT_TRUE(log_.Reverse("b6").ok());
  ASSERT_TRUE(log_.Reverse("b5").ok());
  v1::MeterReadRecorded fix = ReadOf("r5c", Month(2026, 5), 2200);
  fix.set_supersedes_read_id("r5");
  ASSERT_TRUE(log_.Record(fix).ok());
  ASSERT_TRUE(log_.Check("r5c").ok());
  ASSERT_TRUE(log_.Bill("b5-2", Month(2026, 5), "checker", "b5").ok());
  EXPECT_EQ(TierWh(log_.last().bill_issued(), 2), 40 * kKwh);  // 1,600 → 2,200
  ASSERT_TRUE(log_.Bill("b6-2", Month(2026, 6), "checker", "b6").ok());
  june = log_.last().bill_issued();
  EXPECT_EQ(june.year_to_date_wh_before(), 2200 * kKwh) << "re-rated with the corrected May";
  EXPECT_EQ(june.energy_wh(), 200 * kKwh);
  EXPECT_EQ(TierWh(june, 2), 200 * kKwh);
}

// The year's consumption restarts with January's bill (the year of its period).
TEST_F(BillRulesTest, ABillBelongsToTheYearOfItsPeriod) {
  ASSERT_TRUE(log_.ReadAndPass("r0", Month(2025, 11), 0).ok());
  ASSERT_TRUE(log_.ReadAndPass("r1", Month(2025, 12), 3000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r2", Month(2026, 2), 4200).ok());
  ASSERT_TRUE(log_.Bill("b12", Month(2025, 12)).ok());
  ASSERT_TRUE(log_.Bill("b2", Month(2026, 2)).ok());
  EXPECT_EQ(log_.last().bill_issued().year_to_date_wh_before(), 0);
  EXPECT_EQ(TierWh(log_.last().bill_issued(), 2), 0);
}

// C-TERMS-IN-FORCE: a bill uses the terms and tariff of its period.
TEST(BillTermsTest, TermsAndTariffInForceForThePeriod) {
  auto v2 = testing::ResidentialTariff();
  v2.set_version(2);
  *v2.mutable_effective_from() = Day(2026, 12, 1);
  v2.set_flat_price_micro_cny_per_kwh(600000);
  AccountLog log({testing::ResidentialTariff(), v2});
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log.ReadAndPass("r11", Month(2026, 11), 1100).ok());
  ASSERT_TRUE(log.ReadAndPass("r12", Month(2026, 12), 1200).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  EXPECT_EQ(log.last().bill_issued().tariff_version(), 1);
  ASSERT_TRUE(log.Bill("b12", Month(2026, 12)).ok());
  EXPECT_EQ(log.last().bill_issued().tariff_version(), 2);
  EXPECT_EQ(log.last().bill_issued().total_fen(), 6000);
}

TEST(BillTermsTest, ATwoPartBillChargesEachMonthItCovers) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::IndustrialAccount()).ok());
  auto tou = [](const std::string& id, int month, int64_t kwh, int64_t demand_kw) {
    v1::MeterReadRecorded r = ReadOf(id, Month(2026, month), kwh);
    r.mutable_registers()->set_flat_wh(kwh * kKwh);
    r.mutable_registers()->set_reactive_varh(kwh * kKwh / 3);
    r.mutable_registers()->set_max_demand_w(demand_kw * 1000);
    return r;
  };
  ASSERT_TRUE(log.ReadAndPass(tou("r9", 9, 100'000, 0)).ok());
  ASSERT_TRUE(log.ReadAndPass(tou("r11", 11, 500'000, 900)).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  const v1::BillIssued& bill = log.last().bill_issued();
  EXPECT_EQ(bill.months(), 2);
  for (const auto& line : bill.lines()) {
    if (line.kind() == v1::BILL_LINE_KIND_BASIC_DEMAND) {
      EXPECT_EQ(line.amount_fen(), 2 * 3'600'000);  // 1,000 kW × 36 CNY × 2 months
      EXPECT_THAT(line.read_ids(), ElementsAre("r9", "r11"));
    }
  }
}

TEST_F(BillRulesTest, DueDatesFollowThePeriod) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1100).ok());
  v1::IssueBillRequest request;
  request.set_bill_id("b11");
  *request.mutable_period() = Month(2026, 11);
  *request.mutable_due_date() = Day(2026, 11, 30);
  EXPECT_THAT(
      DecideIssueBill(log_.state(), request, log_.tariffs(), "checker", log_.today).status(),
      Refused(absl::StatusCode::kInvalidArgument, "due_date: 2026-11-30 must be after"));
  *request.mutable_period() = Month(2027, 7);
  *request.mutable_due_date() = Day(2027, 8, 20);
  EXPECT_THAT(
      DecideIssueBill(log_.state(), request, log_.tariffs(), "checker", log_.today).status(),
      Refused(absl::StatusCode::kInvalidArgument, "has not begun"));
}

// T-VERSION: a version published later for a past date (a correction)
// reaches bills only through reversal and reissue; issued bills keep theirs.
TEST(BillTermsTest, ARetroactiveVersionReachesBillsThroughReissue) {
  AccountLog log({testing::ResidentialTariff()});
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log.ReadAndPass("r11", Month(2026, 11), 1100).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  EXPECT_EQ(log.last().bill_issued().total_fen(), 4983);
  auto corrected = testing::ResidentialTariff();
  corrected.set_version(2);
  *corrected.mutable_effective_from() = Day(2020, 1, 1);
  corrected.set_flat_price_micro_cny_per_kwh(500000);
  AccountLog relog({testing::ResidentialTariff(), corrected});
  for (const v1::EventEnvelope& e : log.history()) relog.Append(e.payload(), "x", 2);
  EXPECT_EQ(relog.state().FindBill("b11")->total_fen, 4983) << "an issued bill is never edited";
  ASSERT_TRUE(relog.Reverse("b11").ok());
  ASSERT_TRUE(relog.Bill("b11-2", Month(2026, 11), "checker", "b11").ok());
  EXPECT_EQ(relog.last().bill_issued().tariff_version(), 2);
  EXPECT_EQ(relog.last().bill_issued().total_fen(), 5000);
}

// T-BACK-BILLING: theft is back-billed at the flat price with three times as
// penalty; it is owed as issued and takes no late-payment penalty.
TEST_F(BillRulesTest, TheftIsBackBilledWithThreeTimesPenalty) {
  v1::InspectionRecorded inspection;
  inspection.set_inspection_id("I-1");
  inspection.set_finding(v1::INSPECTION_FINDING_THEFT);
  inspection.set_evidence("bypass around the meter");
  ASSERT_TRUE(
      log_.Apply(DecideRecordInspection(log_.state(), inspection, "inspector"), "inspector").ok());
  v1::IssueBackBillingRequest back;
  back.set_inspection_id("I-1");
  back.set_bill_id("BB-1");
  back.set_energy_wh(1000 * kKwh);
  *back.mutable_from_period() = Month(2026, 6);
  *back.mutable_to_period() = Month(2027, 7);
  EXPECT_THAT(DecideBackBilling(log_.state(), back, 498300, log_.today).status(),
              Refused(absl::StatusCode::kInvalidArgument, "to_period: 2027-07 has not begun"));
  *back.mutable_to_period() = Month(2026, 11);
  ASSERT_TRUE(
      log_.Apply(DecideBackBilling(log_.state(), back, 498300, log_.today), "inspector").ok());
  EXPECT_EQ(log_.last().back_billing_issued().amount_fen(), 49830);
  EXPECT_EQ(log_.last().back_billing_issued().penalty_fen(), 3 * 49830);
  EXPECT_EQ(ViewOf(log_.state()).outstanding_fen(), 4 * 49830);
  EXPECT_THAT(DecideBackBilling(log_.state(), back, 498300, log_.today).status(),
              Refused(absl::StatusCode::kAlreadyExists, "bill_id: BB-1 exists"));
  back.set_bill_id("BB-2");
  EXPECT_THAT(DecideBackBilling(log_.state(), back, 498300, log_.today).status(),
              Refused(kPrecondition, "already back-billed"));
  EXPECT_THAT(log_.Accrue("BB-1", Day(2027, 1, 1)), Refused(kPrecondition, "P-BASE"));
  inspection.set_inspection_id("I-2");
  inspection.set_finding(v1::INSPECTION_FINDING_NONE);
  ASSERT_TRUE(
      log_.Apply(DecideRecordInspection(log_.state(), inspection, "inspector"), "inspector").ok());
  back.set_inspection_id("I-2");
  EXPECT_THAT(DecideBackBilling(log_.state(), back, 498300, log_.today).status(),
              Refused(kPrecondition, "found no theft or breach"));
}

}  // namespace
}  // namespace gridledger::billing
