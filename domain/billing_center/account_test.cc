#include "domain/billing_center/account.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kKwh = 1000;

// An account's history built by applying decisions, as the service would.
class AccountHistory {
 public:
  Account state() const { return FoldAccount(history_); }
  absl::Status Apply(absl::StatusOr<v1::DomainEvent> event) {
    if (!event.ok()) return event.status();
    v1::EventEnvelope envelope;
    envelope.set_stream_version(static_cast<int64_t>(history_.size()) + 1);
    *envelope.mutable_payload() = *std::move(event);
    history_.push_back(std::move(envelope));
    return absl::OkStatus();
  }
  const v1::DomainEvent& last() const { return history_.back().payload(); }

 private:
  std::vector<v1::EventEnvelope> history_;
};

v1::Period Month(int year, int month) {
  v1::Period p;
  p.set_year(year);
  p.set_month(month);
  return p;
}

v1::TariffScheduleVersionPublished ResidentialTariff() {
  v1::TariffScheduleVersionPublished t;
  t.set_tariff_id("sn-res");
  t.set_version(1);
  t.mutable_effective_from()->set_year(2026);
  t.mutable_effective_from()->set_month(1);
  t.mutable_effective_from()->set_day(1);
  t.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  t.set_flat_price_micro_cny_per_kwh(498300);
  return t;
}

v1::AccountOpened Opened() {
  v1::AccountOpened a;
  a.set_account_id("6101000123");
  a.set_customer_name("Wang Li");
  a.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  a.set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
  a.set_tariff_id("sn-res");
  a.set_org_unit("sn/xa/huyi");
  return a;
}

v1::MeterReadRecorded ReadOf(const std::string& id, int month, int64_t total_kwh) {
  v1::MeterReadRecorded r;
  r.set_read_id(id);
  r.set_account_id("6101000123");
  *r.mutable_period() = Month(2026, month);
  r.mutable_registers()->set_total_wh(total_kwh * kKwh);
  return r;
}

class AccountTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(a_.Apply(DecideOpenAccount(a_.state(), Opened(), 1)).ok()); }
  // Records and checks (passing) a read.
  void ReadAndPass(const std::string& id, int month, int64_t total_kwh) {
    ASSERT_TRUE(
        a_.Apply(DecideRecordRead(a_.state(), ReadOf(id, month, total_kwh), "reader")).ok());
    ASSERT_TRUE(a_.Apply(DecideCheckRead(a_.state(), id, "checker")).ok());
    ASSERT_TRUE(a_.last().meter_read_checked().passed()) << a_.last().DebugString();
  }
  AccountHistory a_;
};

TEST_F(AccountTest, OpeningNeedsATariffAndHappensOnce) {
  AccountHistory fresh;
  EXPECT_EQ(DecideOpenAccount(fresh.state(), Opened(), 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideOpenAccount(a_.state(), Opened(), 1).status().code(),
            absl::StatusCode::kAlreadyExists);
  v1::AccountOpened bad = Opened();
  bad.set_basic_charge_mode(v1::BASIC_CHARGE_MODE_DEMAND);
  EXPECT_THAT(std::string(DecideOpenAccount(fresh.state(), bad, 1).status().message()),
              HasSubstr("account.contracted_demand_w"));
}

TEST_F(AccountTest, TariffVersionsRiseByOne) {
  EXPECT_TRUE(DecidePublishTariff(0, ResidentialTariff()).ok());
  EXPECT_THAT(std::string(DecidePublishTariff(1, ResidentialTariff()).status().message()),
              HasSubstr("the next must be 2"));
  auto bad = ResidentialTariff();
  bad.set_flat_price_micro_cny_per_kwh(0);
  EXPECT_THAT(std::string(DecidePublishTariff(0, bad).status().message()), HasSubstr("flat_price"));
}

TEST_F(AccountTest, ReadCheckBillCollect) {
  ReadAndPass("r10", 10, 1000);  // baseline
  ReadAndPass("r11", 11, 1200);  // 200 kWh
  std::vector<v1::TariffScheduleVersionPublished> tariff = {ResidentialTariff()};
  v1::IssueBillRequest issue;
  issue.set_bill_id("b11");
  *issue.mutable_period() = Month(2026, 11);
  issue.mutable_due_date()->set_year(2026);
  issue.mutable_due_date()->set_month(12);
  issue.mutable_due_date()->set_day(20);
  ASSERT_TRUE(a_.Apply(DecideIssueBill(a_.state(), issue, tariff)).ok());
  const v1::BillIssued bill = a_.last().bill_issued();
  EXPECT_EQ(bill.energy_wh(), 200 * kKwh);
  EXPECT_EQ(bill.total_fen(), 9966);  // 200 × 0.4983
  EXPECT_THAT(bill.read_ids(), ElementsAre("r10", "r11"));
  EXPECT_EQ(bill.tariff_version(), 1);
  // One bill per period.
  issue.set_bill_id("b11-again");
  EXPECT_EQ(DecideIssueBill(a_.state(), issue, tariff).status().code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(a_.Apply(DecideCheckBill(a_.state(), "b11", "checker")).ok());
  v1::PostPaymentRequest pay;
  pay.set_payment_id("p1");
  pay.set_amount_fen(5000);
  // The checker of the bill cannot collect it.
  absl::Status denied = DecidePostPayment(a_.state(), pay, "checker").status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()), HasSubstr("checked bill b11"));
  // A partial payment, then an over-payment carried as credit.
  ASSERT_TRUE(a_.Apply(DecidePostPayment(a_.state(), pay, "collector")).ok());
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 4966);
  pay.set_payment_id("p2");
  pay.set_amount_fen(6000);
  ASSERT_TRUE(a_.Apply(DecidePostPayment(a_.state(), pay, "collector")).ok());
  EXPECT_EQ(a_.last().payment_posted().allocations(0).amount_fen(), 4966);
  EXPECT_EQ(a_.last().payment_posted().credit_fen(), 1034);
  const v1::AccountView view = ViewOf(a_.state());
  EXPECT_EQ(view.outstanding_fen(), 0);
  EXPECT_EQ(view.credit_fen(), 1034);
}

TEST_F(AccountTest, TheReaderCannotCheckTheirRead) {
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), ReadOf("r1", 10, 10), "reader")).ok());
  absl::Status denied = DecideCheckRead(a_.state(), "r1", "reader").status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()), HasSubstr("抄核分离"));
}

TEST_F(AccountTest, DuplicateReadsAreRefusedUnlessSentForReRead) {
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), ReadOf("r1", 10, 10), "reader")).ok());
  EXPECT_THAT(
      std::string(DecideRecordRead(a_.state(), ReadOf("r2", 10, 11), "reader").status().message()),
      HasSubstr("duplicate read"));
  EXPECT_EQ(DecideRecordRead(a_.state(), ReadOf("r1", 11, 11), "reader").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(AccountTest, VeeFlagsAndDecisions) {
  ReadAndPass("r7", 7, 1000);
  ReadAndPass("r8", 8, 1100);
  ReadAndPass("r9", 9, 1200);
  ReadAndPass("r10", 10, 1300);  // 100 kWh a month so far
  // Far above the average: flagged high.
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), ReadOf("r11", 11, 1800), "reader")).ok());
  ASSERT_TRUE(a_.Apply(DecideCheckRead(a_.state(), "r11", "checker")).ok());
  EXPECT_FALSE(a_.last().meter_read_checked().passed());
  EXPECT_THAT(a_.last().meter_read_checked().flags(), ElementsAre(v1::READ_FLAG_CONSUMPTION_HIGH));
  // A checked read cannot be checked again; a flagged one needs a decision.
  EXPECT_EQ(DecideCheckRead(a_.state(), "r11", "checker").status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::DecideReadRequest decide;
  decide.set_read_id("r11");
  decide.set_decision(v1::READ_DECISION_REREAD);
  ASSERT_TRUE(a_.Apply(DecideReadDecision(a_.state(), decide, "checker")).ok());
  // Re-read: a new read for the period is allowed; this one went backwards.
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), ReadOf("r11b", 11, 1250), "reader")).ok());
  ASSERT_TRUE(a_.Apply(DecideCheckRead(a_.state(), "r11b", "checker")).ok());
  EXPECT_THAT(a_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_REGISTER_WENT_BACKWARDS));
  // Estimate it from history: the previous read plus the average use.
  decide.set_read_id("r11b");
  decide.set_decision(v1::READ_DECISION_ESTIMATE);
  ASSERT_TRUE(a_.Apply(DecideReadDecision(a_.state(), decide, "checker")).ok());
  EXPECT_EQ(a_.last().read_check_decided().estimated_registers().total_wh(), 1400 * kKwh);
  EXPECT_EQ(a_.state().AcceptedReadOf(Month(2026, 11))->registers.total_wh(), 1400 * kKwh);
  // Zero consumption is flagged.
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), ReadOf("r12", 12, 1400), "reader")).ok());
  ASSERT_TRUE(a_.Apply(DecideCheckRead(a_.state(), "r12", "checker")).ok());
  EXPECT_THAT(a_.last().meter_read_checked().flags(), ElementsAre(v1::READ_FLAG_ZERO_CONSUMPTION));
}

TEST_F(AccountTest, PeriodRegistersMustAddUp) {
  v1::MeterReadRecorded read = ReadOf("r1", 10, 1000);
  read.mutable_registers()->set_peak_wh(400 * kKwh);
  read.mutable_registers()->set_valley_wh(500 * kKwh);  // sums to 900 of 1,000 kWh
  ASSERT_TRUE(a_.Apply(DecideRecordRead(a_.state(), read, "reader")).ok());
  ASSERT_TRUE(a_.Apply(DecideCheckRead(a_.state(), "r1", "checker")).ok());
  EXPECT_THAT(a_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_PERIOD_SUM_MISMATCH));
}

TEST_F(AccountTest, BillsNeedAnAcceptedReadAndABaseline) {
  std::vector<v1::TariffScheduleVersionPublished> tariff = {ResidentialTariff()};
  v1::IssueBillRequest issue;
  issue.set_bill_id("b10");
  *issue.mutable_period() = Month(2026, 10);
  issue.mutable_due_date()->set_year(2026);
  issue.mutable_due_date()->set_month(11);
  issue.mutable_due_date()->set_day(20);
  EXPECT_THAT(std::string(DecideIssueBill(a_.state(), issue, tariff).status().message()),
              HasSubstr("no accepted read for 2026-10"));
  ReadAndPass("r10", 10, 1000);
  EXPECT_THAT(std::string(DecideIssueBill(a_.state(), issue, tariff).status().message()),
              HasSubstr("the first read is the baseline"));
}

class AccountWithBillTest : public AccountTest {
 protected:
  void SetUp() override {
    AccountTest::SetUp();
    ReadAndPass("r10", 10, 1000);
    ReadAndPass("r11", 11, 1200);
    v1::IssueBillRequest issue;
    issue.set_bill_id("b11");
    *issue.mutable_period() = Month(2026, 11);
    issue.mutable_due_date()->set_year(2026);
    issue.mutable_due_date()->set_month(12);
    issue.mutable_due_date()->set_day(20);
    ASSERT_TRUE(a_.Apply(DecideIssueBill(a_.state(), issue, tariff_)).ok());  // 9,966 fen
  }
  std::vector<v1::TariffScheduleVersionPublished> tariff_ = {ResidentialTariff()};
};

TEST_F(AccountWithBillTest, ReverseAndReissueNeverEdit) {
  v1::PostPaymentRequest pay;
  pay.set_payment_id("p1");
  pay.set_amount_fen(1000);
  ASSERT_TRUE(a_.Apply(DecidePostPayment(a_.state(), pay, "collector")).ok());
  v1::ReverseBillRequest reverse;
  reverse.set_bill_id("b11");
  reverse.set_reason("wrong multiplier");
  EXPECT_THAT(std::string(DecideReverseBill(a_.state(), reverse).status().message()),
              HasSubstr("1000 fen paid; reverse those payments first"));
  v1::ReversePaymentRequest unpay;
  unpay.set_payment_id("p1");
  unpay.set_reason("bounced");
  ASSERT_TRUE(a_.Apply(DecideReversePayment(a_.state(), unpay)).ok());
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 9966);
  EXPECT_EQ(DecideReversePayment(a_.state(), unpay).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(a_.Apply(DecideReverseBill(a_.state(), reverse)).ok());
  EXPECT_EQ(a_.last().bill_reversed().reversed_amount_fen(), 9966);
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 0);
  v1::IssueBillRequest reissue;
  reissue.set_bill_id("b11-2");
  reissue.set_replaces_bill_id("b11");
  *reissue.mutable_period() = Month(2026, 11);
  reissue.mutable_due_date()->set_year(2026);
  reissue.mutable_due_date()->set_month(12);
  reissue.mutable_due_date()->set_day(25);
  ASSERT_TRUE(a_.Apply(DecideIssueBill(a_.state(), reissue, tariff_)).ok());
  EXPECT_EQ(a_.last().bill_issued().replaces_bill_id(), "b11");
  reissue.set_bill_id("b11-3");
  reissue.set_replaces_bill_id("b11-2");  // not reversed
  EXPECT_THAT(std::string(DecideIssueBill(a_.state(), reissue, tariff_).status().message()),
              HasSubstr("must be a reversed bill"));
}

TEST_F(AccountWithBillTest, PenaltiesAccrueFromTheDueDateAndAddToWhatIsOwed) {
  v1::AccruePenaltyRequest accrue;
  accrue.set_bill_id("b11");
  accrue.mutable_as_of()->set_year(2026);
  accrue.mutable_as_of()->set_month(12);
  accrue.mutable_as_of()->set_day(20);
  EXPECT_THAT(std::string(DecideAccruePenalty(a_.state(), accrue).status().message()),
              HasSubstr("not late"));
  accrue.mutable_as_of()->set_day(30);  // 10 days × 0.1 % × 99.66 CNY = 0.9966 → at least 1 CNY
  ASSERT_TRUE(a_.Apply(DecideAccruePenalty(a_.state(), accrue)).ok());
  EXPECT_EQ(a_.last().penalty_accrued().days(), 10);
  EXPECT_EQ(a_.last().penalty_accrued().amount_fen(), 100);
  EXPECT_EQ(a_.last().penalty_accrued().from_date().day(), 21);
  // The next accrual starts after the last one.
  accrue.mutable_as_of()->set_year(2027);
  accrue.mutable_as_of()->set_month(1);
  accrue.mutable_as_of()->set_day(9);
  ASSERT_TRUE(a_.Apply(DecideAccruePenalty(a_.state(), accrue)).ok());
  EXPECT_EQ(a_.last().penalty_accrued().from_date().day(), 31);
  EXPECT_EQ(a_.last().penalty_accrued().days(), 10);
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 9966 + 100 + 100);
  // Payments cover penalties too.
  v1::PostPaymentRequest pay;
  pay.set_payment_id("p1");
  pay.set_amount_fen(9966 + 200);
  ASSERT_TRUE(a_.Apply(DecidePostPayment(a_.state(), pay, "collector")).ok());
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 0);
  EXPECT_THAT(std::string(DecideAccruePenalty(a_.state(), accrue).status().message()),
              HasSubstr("is paid"));
}

TEST_F(AccountTest, TheftIsBackBilledWithThreeTimesPenalty) {
  v1::InspectionRecorded inspection;
  inspection.set_inspection_id("I-1");
  inspection.set_finding(v1::INSPECTION_FINDING_THEFT);
  inspection.set_evidence("bypass around the meter");
  ASSERT_TRUE(a_.Apply(DecideRecordInspection(a_.state(), inspection, "inspector-1")).ok());
  v1::IssueBackBillingRequest back;
  back.set_inspection_id("I-1");
  back.set_bill_id("BB-1");
  back.set_energy_wh(1000 * kKwh);
  *back.mutable_from_period() = Month(2026, 6);
  *back.mutable_to_period() = Month(2026, 11);
  ASSERT_TRUE(a_.Apply(DecideBackBilling(a_.state(), back, 498300)).ok());
  EXPECT_EQ(a_.last().back_billing_issued().amount_fen(), 49830);
  EXPECT_EQ(a_.last().back_billing_issued().penalty_fen(), 3 * 49830);
  EXPECT_EQ(ViewOf(a_.state()).outstanding_fen(), 4 * 49830);
  EXPECT_THAT(std::string(DecideBackBilling(a_.state(), back, 498300).status().message()),
              HasSubstr("already back-billed"));
  inspection.set_inspection_id("I-2");
  inspection.set_finding(v1::INSPECTION_FINDING_NONE);
  ASSERT_TRUE(a_.Apply(DecideRecordInspection(a_.state(), inspection, "inspector-1")).ok());
  back.set_inspection_id("I-2");
  back.set_bill_id("BB-2");
  EXPECT_THAT(std::string(DecideBackBilling(a_.state(), back, 498300).status().message()),
              HasSubstr("found no theft or breach"));
}

}  // namespace
}  // namespace gridledger::billing
