// Collecting: penalties by art. 98 (P-*), payments with their paid-on dates
// and allocations, and separation of duties (S-PREPARE-COLLECT,
// S-COLLECT-ALTER).
#include "domain/billing_center/account.h"
#include "domain/billing_center/account_test_util.h"
#include "domain/billing_center/tariff/penalty.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing {
namespace {

using testing::AccountLog;
using testing::Day;
using testing::kKwh;
using testing::Month;
using testing::ReadOf;

MATCHER_P2(Refused, code, part, "") {
  *result_listener << "status is " << arg;
  return arg.code() == code && std::string(arg.message()).find(part) != std::string::npos;
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;

// A residential account with bill b11: 200 kWh, 9,966 fen, due 2026-12-20.
class CollectionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(testing::ResidentialAccount(), 1000, 1200); }
  void Open(const v1::AccountOpened& account, int64_t from_kwh, int64_t to_kwh) {
    ASSERT_TRUE(log_.Open(account).ok());
    ASSERT_TRUE(log_.ReadAndPass(Read("r10", 10, from_kwh)).ok());
    ASSERT_TRUE(log_.ReadAndPass(Read("r11", 11, to_kwh)).ok());
    ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  }
  v1::MeterReadRecorded Read(const std::string& id, int month, int64_t kwh) const {
    v1::MeterReadRecorded read = ReadOf(id, Month(2026, month), kwh);
    if (log_.state().terms.time_of_use()) read.mutable_registers()->set_flat_wh(kwh * kKwh);
    return read;
  }
  const Bill& BillOf(const std::string& id) const {
    state_ = log_.state();
    return *state_.FindBill(id);
  }
  AccountLog log_;
  mutable Account state_;
};

// P-MINIMUM: 1 CNY on the bill's total penalty, not on each accrual.
TEST_F(CollectionTest, TheMinimumIsOnTheTotal) {
  EXPECT_THAT(log_.Accrue("b11", Day(2026, 12, 20)),
              Refused(kPrecondition, "not late after 2026-12-20"));
  ASSERT_TRUE(log_.Accrue("b11", Day(2026, 12, 30)).ok());  // 10 × 0.1 % × 99.66 = 0.9966
  v1::PenaltyAccrued first = log_.last().penalty_accrued();
  EXPECT_EQ(first.amount_fen(), 100);
  EXPECT_EQ(first.total_penalty_fen(), 100);
  EXPECT_EQ(first.from_date().day(), 21);
  EXPECT_EQ(log_.history().back().schema_version(), 2);
  // Ten more days: the total is 1.9932 → 1.99 CNY; this accrual adds 0.99, not 1.
  ASSERT_TRUE(log_.Accrue("b11", Day(2027, 1, 9)).ok());
  const v1::PenaltyAccrued second = log_.last().penalty_accrued();
  EXPECT_EQ(second.amount_fen(), 99);
  EXPECT_EQ(second.total_penalty_fen(), 199);
  ASSERT_EQ(second.segments_size(), 2);  // 31 Dec, then 1-9 Jan
  EXPECT_EQ(second.segments(0).days(), 1);
  EXPECT_EQ(second.segments(1).days(), 9);
  EXPECT_EQ(second.rate_ppm_per_day(), 1000);
  EXPECT_EQ(BillOf("b11").penalty_fen, 199);
  EXPECT_EQ(ViewOf(log_.state()).outstanding_fen(), 9966 + 199);
}

TEST_F(CollectionTest, NoDayAfterToday) {
  log_.today = Day(2027, 1, 5);
  EXPECT_THAT(log_.Accrue("b11", Day(2027, 1, 6)),
              Refused(kInvalid, "as_of: 2027-01-06 is in the future"));
  EXPECT_THAT(log_.Pay("p1", 100, Day(2027, 1, 6)), Refused(kInvalid, "P-NO-FUTURE"));
  v1::PostPaymentRequest undated;
  undated.set_payment_id("p1");
  undated.set_amount_fen(100);
  EXPECT_THAT(DecidePostPayment(log_.state(), undated, "collector", log_.today).status(),
              Refused(kInvalid, "paid_on: a payment states the day it was paid"));
}

// P-PAID-ON and P-ALLOCATION: a late payment accrues what is due up to the
// day paid in the same command; principal first, then penalty, then credit.
TEST_F(CollectionTest, ALatePaymentAccruesToTheDayPaid) {
  ASSERT_TRUE(log_.Pay("p1", 5000, Day(2026, 12, 30)).ok());
  std::vector<v1::DomainEvent> events = log_.last_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].penalty_accrued().days(), 10);
  EXPECT_EQ(events[0].penalty_accrued().amount_fen(), 100);
  EXPECT_EQ(events[0].penalty_accrued().payment_id(), "p1");
  const v1::PaymentPosted first = events[1].payment_posted();
  EXPECT_EQ(first.paid_on().day(), 30);
  ASSERT_EQ(first.allocations_size(), 1);
  EXPECT_FALSE(first.allocations(0).to_penalty());
  EXPECT_EQ(first.allocations(0).amount_fen(), 5000);
  // Ten days later on the 4,966 left: 0.4966 CNY more, 1.4932 in all.
  ASSERT_TRUE(log_.Pay("p2", 10000, Day(2027, 1, 9)).ok());
  events = log_.last_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].penalty_accrued().unpaid_fen(), 4966);
  EXPECT_EQ(events[0].penalty_accrued().total_penalty_fen(), 149);
  const v1::PaymentPosted second = events[1].payment_posted();
  ASSERT_EQ(second.allocations_size(), 2);
  EXPECT_EQ(second.allocations(0).amount_fen(), 4966);
  EXPECT_TRUE(second.allocations(1).to_penalty());
  EXPECT_EQ(second.allocations(1).amount_fen(), 149);
  EXPECT_EQ(second.credit_fen(), 10000 - 4966 - 149);
  const Bill& bill = BillOf("b11");
  EXPECT_EQ(bill.paid_fen, bill.total_fen) << "paid never exceeds what was charged";
  EXPECT_EQ(bill.penalty_paid_fen, bill.penalty_fen);
  EXPECT_EQ(ViewOf(log_.state()).outstanding_fen(), 0);
  EXPECT_EQ(ViewOf(log_.state()).credit_fen(), 10000 - 4966 - 149);
  // Paid: no more penalty; a later payment is credit.
  EXPECT_THAT(log_.Accrue("b11", Day(2027, 2, 1)), Refused(kPrecondition, "is paid"));
  ASSERT_TRUE(log_.Pay("p3", 700, Day(2027, 2, 1)).ok());
  EXPECT_EQ(log_.last_events().size(), 1u);
  EXPECT_EQ(log_.last().payment_posted().credit_fen(), 700);
}

TEST_F(CollectionTest, OnTimePaymentsAccrueNothing) {
  ASSERT_TRUE(log_.Pay("p1", 9966, Day(2026, 12, 20)).ok());
  EXPECT_EQ(log_.last_events().size(), 1u);
  EXPECT_EQ(BillOf("b11").penalty_fen, 0);
}

// P-BACKDATED.
TEST_F(CollectionTest, APaymentCannotBeDatedBeforeChargedDays) {
  ASSERT_TRUE(log_.Accrue("b11", Day(2027, 1, 9)).ok());
  EXPECT_THAT(log_.Pay("p1", 5000, Day(2027, 1, 5)),
              Refused(kPrecondition, "penalty is accrued through 2027-01-09, after 2027-01-05"));
  EXPECT_TRUE(log_.Pay("p1", 5000, Day(2027, 1, 9)).ok());
}

// P-REVERSAL: a bounced payment's days are charged as if it never came.
TEST_F(CollectionTest, AReversedPaymentsPenaltyDaysAreAccrued) {
  ASSERT_TRUE(log_.Pay("p1", 6000, Day(2026, 12, 25)).ok());  // 5 days on 9,966
  ASSERT_TRUE(log_.Accrue("b11", Day(2027, 2, 3)).ok());      // 40 days on 3,966
  ASSERT_TRUE(log_.Unpay("p1").ok());
  const std::vector<v1::DomainEvent> events = log_.last_events();
  ASSERT_EQ(events.size(), 2u);
  const v1::PenaltyAccrued& catch_up = events[1].penalty_accrued();
  EXPECT_EQ(catch_up.unpaid_fen(), 6000);
  EXPECT_EQ(catch_up.from_date().day(), 26);
  EXPECT_EQ(catch_up.days(), 40);
  EXPECT_EQ(catch_up.reason(), "payment p1 reversed");
  // As if 9,966 fen were unpaid all 45 days: one rounding on the total.
  const auto whole =
      tariff::CalculatePenalty(9966, absl::CivilDay(2026, 12, 20), absl::CivilDay(2027, 2, 3),
                               v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(BillOf("b11").penalty_fen, whole->amount_fen);
  EXPECT_EQ(BillOf("b11").paid_fen, 0);
}

// P-YEAR-SPLIT and P-RATE: arrears carried over 31 December at 0.3 %.
TEST(PenaltyYearsTest, AnAccrualAcrossTheYearRecordsEachYearsRate) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::CommercialAccount()).ok());
  auto read = [](const std::string& id, int month, int64_t kwh) {
    v1::MeterReadRecorded r = ReadOf(id, Month(2026, month), kwh);
    r.mutable_registers()->set_flat_wh(kwh * kKwh);
    return r;
  };
  ASSERT_TRUE(log.ReadAndPass(read("r10", 10, 10'000)).ok());
  ASSERT_TRUE(log.ReadAndPass(read("r11", 11, 30'000)).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  const int64_t total = log.last().bill_issued().total_fen();
  ASSERT_TRUE(log.Accrue("b11", Day(2027, 1, 5)).ok());
  const v1::PenaltyAccrued& accrued = log.last().penalty_accrued();
  ASSERT_EQ(accrued.segments_size(), 2);
  EXPECT_EQ(accrued.segments(0).days(), 11);
  EXPECT_EQ(accrued.segments(0).rate_ppm_per_day(), 2000);
  EXPECT_EQ(accrued.segments(1).days(), 5);
  EXPECT_EQ(accrued.segments(1).rate_ppm_per_day(), 3000);
  EXPECT_EQ(accrued.rate_ppm_per_day(), 0) << "two rates: see the segments";
  EXPECT_EQ(accrued.amount_fen(),
            tariff::RoundHalfAwayFromZero(
                static_cast<tariff::Int128>(total) * (11 * 2000 + 5 * 3000), 1'000'000));
}

// S-PREPARE-COLLECT: the people who read, checked or issued a bill do not
// collect it, whatever roles they hold.
TEST(DutiesTest, WhoPreparedABillDoesNotCollectIt) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.Record(ReadOf("r10", Month(2026, 10), 1000), "ann").ok());
  ASSERT_TRUE(log.Check("r10", "bob").ok());
  ASSERT_TRUE(log.Record(ReadOf("r11", Month(2026, 11), 1200), "cat").ok());
  ASSERT_TRUE(log.Check("r11", "dan").ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11), "eve").ok());
  ASSERT_TRUE(log.CheckBill("b11", "fay").ok());
  const std::pair<const char*, const char*> preparers[] = {
      {"ann", "read r10"},         {"bob", "checked read r10"}, {"cat", "read r11"},
      {"dan", "checked read r11"}, {"eve", "issued it"},        {"fay", "checked it"}};
  for (const auto& [who, what] : preparers) {
    const absl::Status denied = log.Pay("p1", 100, Day(2026, 12, 1), who);
    EXPECT_THAT(denied, Refused(kDenied, "S-PREPARE-COLLECT")) << who;
    EXPECT_THAT(denied, Refused(kDenied, what)) << who;
  }
  ASSERT_TRUE(log.Pay("p1", 100, Day(2026, 12, 1), "gus").ok());
  EXPECT_THAT(log.Unpay("p1", "eve"), Refused(kDenied, "issued it"));
  // S-COLLECT-ALTER: who collected it does not check, reverse or penalise it.
  EXPECT_THAT(log.Reverse("b11", "gus"), Refused(kDenied, "S-COLLECT-ALTER"));
  EXPECT_THAT(log.Accrue("b11", Day(2027, 1, 1), "gus"), Refused(kDenied, "S-COLLECT-ALTER"));
  ASSERT_TRUE(log.Unpay("p1", "hal").ok());
  EXPECT_THAT(log.Reverse("b11", "hal"), Refused(kDenied, "collected bill b11"));
  EXPECT_TRUE(log.Reverse("b11", "fay").ok());
}

TEST(DutiesTest, TheCollectorOfABillDoesNotCheckIt) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log.ReadAndPass("r11", Month(2026, 11), 1200).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  ASSERT_TRUE(log.Pay("p1", 100, Day(2026, 12, 1), "gus").ok());
  EXPECT_THAT(log.CheckBill("b11", "gus"), Refused(kDenied, "gus collected bill b11"));
  EXPECT_TRUE(log.CheckBill("b11", "fay").ok());
}

}  // namespace
}  // namespace gridledger::billing
