// Version 1 events still fold and explain (no history rewritten), and
// ExplainBill gives each line's reads, registers, year-to-date input, tariff
// version and rule, and each penalty's days and rates per year.
#include "domain/billing_center/bill_provenance.h"

#include "domain/billing_center/account.h"
#include "domain/billing_center/account_test_util.h"
#include "domain/billing_center/tariff/rules.h"
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

// An account written before schema version 2: a v1 bill, a v1 penalty and a
// v1 payment whose one allocation paid principal and penalty together.
class VersionOneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::DomainEvent e;
    *e.mutable_account_opened() = testing::ResidentialAccount();
    log_.Append(e, "clerk");
    for (const auto& [id, month, kwh] :
         {std::tuple{"r10", 10, 1000}, std::tuple{"r11", 11, 1200}}) {
      e.Clear();
      *e.mutable_meter_read_recorded() = ReadOf(id, Month(2026, month), kwh);
      e.mutable_meter_read_recorded()->set_reader("reader");
      log_.Append(e, "reader");
      e.Clear();
      e.mutable_meter_read_checked()->set_read_id(id);
      e.mutable_meter_read_checked()->set_passed(true);
      e.mutable_meter_read_checked()->set_checker("checker");
      log_.Append(e, "checker");
    }
    e.Clear();
    v1::BillIssued* bill = e.mutable_bill_issued();
    bill->set_bill_id("b11");
    bill->set_account_id(testing::kAccountId);
    *bill->mutable_period() = Month(2026, 11);
    bill->set_tariff_id("sn-res");
    bill->set_tariff_version(1);
    bill->add_read_ids("r10");
    bill->add_read_ids("r11");
    v1::BillLine* line = bill->add_lines();
    line->set_kind(v1::BILL_LINE_KIND_ENERGY);
    line->set_quantity(200 * kKwh);
    line->set_quantity_unit("Wh");
    line->set_unit_price_micro_cny(498300);
    line->set_amount_fen(9966);
    line->set_rule("DOMAIN tariff rule 1");
    bill->set_total_fen(9966);
    bill->set_energy_wh(200 * kKwh);
    *bill->mutable_due_date() = Day(2026, 12, 20);
    log_.Append(e, "issuer");
    e.Clear();
    v1::PenaltyAccrued* penalty = e.mutable_penalty_accrued();
    penalty->set_bill_id("b11");
    penalty->set_unpaid_fen(9966);
    *penalty->mutable_from_date() = Day(2026, 12, 21);
    *penalty->mutable_to_date() = Day(2026, 12, 30);
    penalty->set_days(10);
    penalty->set_rate_ppm_per_day(1000);
    penalty->set_amount_fen(100);
    log_.Append(e, "checker");
  }
  AccountLog log_;
};

TEST_F(VersionOneTest, AVersionOneAllocationPaysPrincipalThenPenalty) {
  v1::DomainEvent e;
  v1::PaymentPosted* paid = e.mutable_payment_posted();
  paid->set_payment_id("p1");
  paid->set_amount_fen(10066);
  paid->set_collector("collector");
  auto* allocation = paid->add_allocations();
  allocation->set_bill_id("b11");
  allocation->set_amount_fen(10066);  // v1: principal and penalty in one
  log_.Append(e, "collector");
  const Account account = log_.state();
  const Bill& bill = *account.FindBill("b11");
  EXPECT_EQ(bill.paid_fen, 9966);
  EXPECT_EQ(bill.penalty_paid_fen, 100);
  EXPECT_EQ(bill.issuer, "issuer") << "a v1 bill's issuer is its event's actor";
  EXPECT_EQ(ViewOf(account).outstanding_fen(), 0);
  ASSERT_EQ(account.payments[0].allocations.size(), 2u);
  EXPECT_TRUE(account.payments[0].allocations[1].to_penalty);
}

// The chain continues from a v1 bill's end read; a v1 penalty counts with
// its amount, so the next v2 accrual adds to a total of at least 1 CNY.
TEST_F(VersionOneTest, NewRulesContinueFromVersionOneHistory) {
  EXPECT_EQ(log_.state().baseline_read_id, "r10");
  ASSERT_TRUE(log_.ReadAndPass("r12", Month(2026, 12), 1500).ok());
  EXPECT_EQ(log_.Bill("b11b", Month(2026, 11)).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(log_.Bill("b12", Month(2026, 12)).ok());
  EXPECT_EQ(log_.last().bill_issued().start_read_id(), "r11");
  EXPECT_EQ(log_.last().bill_issued().energy_wh(), 300 * kKwh);
  // The v1 accrual's 1 CNY (its own minimum) counts as charged: 10 more days
  // make 1.9966 CNY in all.
  ASSERT_TRUE(log_.Accrue("b11", Day(2027, 1, 9)).ok());
  EXPECT_EQ(log_.last().penalty_accrued().amount_fen(), 100);
  EXPECT_EQ(log_.state().FindBill("b11")->penalty_fen, 200);
}

TEST_F(VersionOneTest, AVersionOneBillIsExplained) {
  std::vector<v1::EventEnvelope> tariff(1);
  *tariff[0].mutable_payload()->mutable_tariff_schedule_version_published() =
      testing::ResidentialTariff();
  absl::StatusOr<v1::BillExplanation> explained = ExplainBill(log_.history(), tariff, "b11");
  ASSERT_TRUE(explained.ok()) << explained.status();
  ASSERT_EQ(explained->lines_size(), 1);
  const v1::ExplainedLine& line = explained->lines(0);
  EXPECT_EQ(line.rule(), rules::kEnergy);
  EXPECT_FALSE(line.rule_title().empty());
  EXPECT_THAT(line.read_ids(), ElementsAre("r10", "r11"));
  EXPECT_THAT(line.registers(), ElementsAre("total_wh"));
  EXPECT_EQ(line.tariff_version(), 1);
  EXPECT_EQ(explained->reads_size(), 2);
  EXPECT_EQ(explained->checks_size(), 2);
  ASSERT_EQ(explained->penalties_size(), 1);
  ASSERT_EQ(explained->penalties(0).segments_size(), 1);
  EXPECT_EQ(explained->penalties(0).segments(0).days(), 10);
  EXPECT_EQ(explained->penalties(0).segments(0).rate_ppm_per_day(), 1000);
  EXPECT_EQ(explained->tariff_version().payload().tariff_schedule_version_published().version(), 1);
  EXPECT_EQ(ExplainBill(log_.history(), tariff, "nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExplainTest, EachLineItsReadsRegistersYearToDateAndRule) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.ReadAndPass("r0", Month(2025, 12), 0).ok());
  ASSERT_TRUE(log.ReadAndPass("r1", Month(2026, 1), 2000).ok());
  ASSERT_TRUE(log.ReadAndPass("r2", Month(2026, 2), 2800).ok());
  ASSERT_TRUE(log.Bill("b1", Month(2026, 1)).ok());
  ASSERT_TRUE(log.Bill("b2", Month(2026, 2)).ok());
  ASSERT_TRUE(log.Accrue("b2", Day(2026, 4, 1)).ok());
  std::vector<v1::EventEnvelope> tariff(1);
  *tariff[0].mutable_payload()->mutable_tariff_schedule_version_published() =
      testing::ResidentialTariff();
  absl::StatusOr<v1::BillExplanation> explained = ExplainBill(log.history(), tariff, "b2");
  ASSERT_TRUE(explained.ok()) << explained.status();
  bool tier_line = false;
  for (const v1::ExplainedLine& line : explained->lines()) {
    EXPECT_EQ(line.rule(), line.line().rule());
    EXPECT_THAT(line.read_ids(), ElementsAre("r1", "r2"));
    EXPECT_THAT(line.registers(), ElementsAre("total_wh"));
    if (line.line().kind() == v1::BILL_LINE_KIND_ENERGY_TIER) {
      tier_line = true;
      EXPECT_EQ(line.rule(), rules::kTierAnnual);
      EXPECT_EQ(line.year_to_date_wh_before(), 2000 * kKwh);
    }
  }
  EXPECT_TRUE(tier_line);
  ASSERT_EQ(explained->penalties_size(), 1);
  EXPECT_EQ(explained->penalties(0).segments(0).days(), 12);  // 21 March – 1 April
}

}  // namespace
}  // namespace gridledger::billing
