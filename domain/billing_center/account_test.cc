// An account's terms (A-*), tariff versions (TV-*), reads, checks and meter
// exchanges (C-SEQUENCE, C-METER-EXCHANGE, C-MONOTONE, C-READ-CORRECTION,
// V-*, S-READ-CHECK).
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

// Matches a status of `code` whose message has every one of `parts`.
MATCHER_P2(Refused, code, part, "") {
  *result_listener << "status is " << arg;
  return arg.code() == code && std::string(arg.message()).find(part) != std::string::npos;
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;

TEST(OpenAccountTest, NeedsATariffAndHappensOnce) {
  AccountLog log;
  EXPECT_THAT(DecideOpenAccount(log.state(), testing::ResidentialAccount(), {}).status(),
              Refused(kPrecondition, "has no published version"));
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  EXPECT_EQ(log.Open(testing::ResidentialAccount()).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(AccountLog().Open(testing::CommercialAccount()).ok());
  EXPECT_TRUE(AccountLog().Open(testing::IndustrialAccount()).ok());
}

// A-TARIFF-MATCH: the tariff is for the account's category, voltage and TOU.
TEST(OpenAccountTest, TheTariffMustFitTheAccount) {
  v1::AccountOpened a = testing::ResidentialAccount();
  a.set_tariff_id("sn-gc");
  EXPECT_THAT(AccountLog().Open(a), Refused(kPrecondition, "A-TARIFF-MATCH"));
  auto tariff = testing::ResidentialTariff();
  tariff.set_voltage_class(v1::VOLTAGE_CLASS_LV_380V);
  EXPECT_THAT(AccountLog({tariff}).Open(testing::ResidentialAccount()),
              Refused(kPrecondition, "VOLTAGE_CLASS_LV_380V"));
  a = testing::ResidentialAccount();
  a.set_time_of_use(true);
  EXPECT_THAT(AccountLog().Open(a), Refused(kPrecondition, "no time-of-use adjustments"));
}

// A-TWO-PART, A-DEMAND, A-LOW-VOLTAGE, A-PF-STANDARD.
TEST(OpenAccountTest, TermsMustBePlausible) {
  auto open = [](const v1::AccountOpened& a) { return AccountLog().Open(a); };
  v1::AccountOpened a = testing::IndustrialAccount();
  a.set_contracted_capacity_kva(1);  // a 1 kVA large-industrial account
  EXPECT_THAT(open(a), Refused(kInvalid, "A-TWO-PART"));
  a = testing::IndustrialAccount();
  a.set_basic_charge_mode(v1::BASIC_CHARGE_MODE_UNSPECIFIED);
  EXPECT_THAT(open(a), Refused(kInvalid, "a large-industrial account is two-part"));
  a = testing::IndustrialAccount();
  a.set_contracted_demand_w(400'000);  // 32 % of 1,250 kVA
  EXPECT_THAT(open(a), Refused(kInvalid, "A-DEMAND"));
  a.set_contracted_demand_w(1'300'000);  // over the capacity
  EXPECT_THAT(open(a), Refused(kInvalid, "at most the capacity"));
  a = testing::ResidentialAccount();
  a.set_contracted_capacity_kva(40);
  EXPECT_THAT(open(a), Refused(kInvalid, "A-LOW-VOLTAGE"));
  a = testing::ResidentialAccount();
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_085);
  EXPECT_THAT(open(a), Refused(kInvalid, "A-PF-STANDARD"));
  a = testing::CommercialAccount();
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_NONE);
  EXPECT_THAT(open(a), Refused(kInvalid, "is assessed"));
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_080);
  EXPECT_THAT(open(a), Refused(kInvalid, "0.80 is for agricultural"));
  a = testing::CommercialAccount();
  a.set_voltage_class(v1::VOLTAGE_CLASS_LV_380V);
  a.set_contracted_capacity_kva(80);
  EXPECT_THAT(open(a), Refused(kInvalid, "assessed from 100 kVA"));
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_NONE);
  EXPECT_TRUE(open(a).ok());
  a = testing::ResidentialAccount();
  a.set_contracted_demand_w(5000);
  EXPECT_THAT(open(a), Refused(kInvalid, "only a two-part account by demand"));
}

// A two-part account needs a two-part tariff.
TEST(OpenAccountTest, ATwoPartAccountNeedsTheTariffsPrice) {
  auto tariff = testing::IndustrialTariff();
  tariff.clear_demand_price_fen_per_kw_month();
  EXPECT_THAT(AccountLog({tariff}).Open(testing::IndustrialAccount()),
              Refused(kPrecondition, "has no demand price"));
  v1::AccountOpened by_capacity = testing::IndustrialAccount();
  by_capacity.set_basic_charge_mode(v1::BASIC_CHARGE_MODE_CAPACITY);
  by_capacity.clear_contracted_demand_w();
  EXPECT_TRUE(AccountLog({tariff}).Open(by_capacity).ok());
}

// A-TERMS-CHANGE: from the first of a month that is not billed, checked.
TEST(ChangeTermsTest, FromAnUnbilledMonthAndCheckedAsAtOpening) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::IndustrialAccount()).ok());
  v1::AccountTermsChanged change;
  change.set_account_id(testing::kAccountId);
  change.add_changed_fields("contracted_demand_w");
  change.set_contracted_demand_w(800'000);
  *change.mutable_effective_from() = Day(2026, 12, 15);
  const auto versions = log.TariffVersions("sn-li");
  EXPECT_THAT(DecideChangeTerms(log.state(), change, versions).status(),
              Refused(kInvalid, "first day of a month"));
  *change.mutable_effective_from() = Day(2026, 12, 1);
  change.set_contracted_demand_w(100'000);
  EXPECT_THAT(DecideChangeTerms(log.state(), change, versions).status(),
              Refused(kInvalid, "A-DEMAND"));
  change.set_contracted_demand_w(800'000);
  ASSERT_TRUE(log.Apply(DecideChangeTerms(log.state(), change, versions), "clerk").ok());
  EXPECT_EQ(log.state().TermsFor(Month(2026, 11)).contracted_demand_w(), 1'000'000);
  EXPECT_EQ(log.state().TermsFor(Month(2026, 12)).contracted_demand_w(), 800'000);
  change.clear_changed_fields();
  change.add_changed_fields("category");
  EXPECT_THAT(DecideChangeTerms(log.state(), change, versions).status(),
              Refused(kInvalid, "not a changeable term"));
}

TEST(ChangeTermsTest, NotForAPeriodAlreadyBilled) {
  AccountLog log;
  ASSERT_TRUE(log.Open(testing::ResidentialAccount()).ok());
  ASSERT_TRUE(log.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log.ReadAndPass("r11", Month(2026, 11), 1200).ok());
  ASSERT_TRUE(log.Bill("b11", Month(2026, 11)).ok());
  v1::AccountTermsChanged change;
  change.set_account_id(testing::kAccountId);
  change.add_changed_fields("tariff_id");
  change.set_tariff_id("sn-res");
  *change.mutable_effective_from() = Day(2026, 11, 1);
  EXPECT_THAT(DecideChangeTerms(log.state(), change, log.TariffVersions("sn-res")).status(),
              Refused(kPrecondition, "billed through 2026-11 (bill b11)"));
  *change.mutable_effective_from() = Day(2026, 12, 1);
  EXPECT_TRUE(DecideChangeTerms(log.state(), change, log.TariffVersions("sn-res")).ok());
}

// TV-NUMBER: the server numbers versions; the caller's number is expected.
TEST(TariffVersionTest, TheServerNumbersVersions) {
  auto v = testing::ResidentialTariff();
  v.set_version(0);
  absl::StatusOr<v1::DomainEvent> first = DecidePublishTariff({}, v);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->tariff_schedule_version_published().version(), 1);
  const std::vector<v1::TariffScheduleVersionPublished> one = {
      first->tariff_schedule_version_published()};
  EXPECT_EQ(DecidePublishTariff(one, v)->tariff_schedule_version_published().version(), 2);
  v.set_version(2);
  EXPECT_TRUE(DecidePublishTariff(one, v).ok());
  v.set_version(1);  // a caller who has not seen version 1
  EXPECT_THAT(DecidePublishTariff(one, v).status(),
              Refused(kPrecondition, "tariff sn-res is at version 1; the expected version 1"));
}

// TV-FIELDS and TV-SHAPE.
TEST(TariffVersionTest, FieldsAndShape) {
  auto v = testing::ResidentialTariff();
  v.set_tier_scope(v1::TIER_SCOPE_UNSPECIFIED);
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "version.tier_scope"));
  v = testing::ResidentialTariff();
  v.mutable_tiers(1)->set_threshold_wh(100);
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "thresholds must"));
  v = testing::CommercialTariff();
  *v.add_tiers() = testing::ResidentialTariff().tiers(0);
  v.set_tier_scope(v1::TIER_SCOPE_ANNUAL);
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "residential tariffs"));
  v = testing::IndustrialTariff();
  v.clear_capacity_price_fen_per_kva_month();
  v.clear_demand_price_fen_per_kw_month();
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "two-part"));
  v = testing::CommercialTariff();
  v.set_valley_adjust_bp(-10'000);
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "adjust_bp"));
  v = testing::CommercialTariff();
  v.add_funds()->set_price_micro_cny_per_kwh(100);
  EXPECT_THAT(DecidePublishTariff({}, v).status(), Refused(kInvalid, "funds.code"));
  // A later version keeps the category and the two-part prices.
  const std::vector<v1::TariffScheduleVersionPublished> industrial = {testing::IndustrialTariff()};
  v = testing::IndustrialTariff();
  v.set_version(0);
  v.clear_demand_price_fen_per_kw_month();
  EXPECT_THAT(DecidePublishTariff(industrial, v).status(), Refused(kPrecondition, "TV-SHAPE"));
  v = testing::IndustrialTariff();
  v.set_version(0);
  v.set_category(v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  EXPECT_THAT(DecidePublishTariff(industrial, v).status(), Refused(kPrecondition, "TV-SHAPE"));
}

class ReadsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(log_.Open(testing::ResidentialAccount()).ok()); }
  AccountLog log_;
};

TEST_F(ReadsTest, TheReaderCannotCheckOrDecideTheirRead) {
  ASSERT_TRUE(log_.Record(ReadOf("r1", Month(2026, 10), 10)).ok());
  EXPECT_THAT(log_.Check("r1", "reader"), Refused(kDenied, "S-READ-CHECK"));
}

TEST_F(ReadsTest, DuplicatesAndPeriodsNotBegunAreRefused) {
  ASSERT_TRUE(log_.Record(ReadOf("r1", Month(2026, 10), 10)).ok());
  EXPECT_THAT(log_.Record(ReadOf("r2", Month(2026, 10), 11)),
              Refused(absl::StatusCode::kAlreadyExists, "duplicate read"));
  EXPECT_EQ(log_.Record(ReadOf("r1", Month(2026, 11), 11)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(log_.Record(ReadOf("r9", Month(2027, 7), 11)), Refused(kInvalid, "P-NO-FUTURE"));
  v1::MeterReadRecorded huge = ReadOf("r8", Month(2026, 9), 0);
  huge.mutable_registers()->set_total_wh(int64_t{1} << 60);
  EXPECT_THAT(log_.Record(huge), Refused(kInvalid, "a register is at most"));
}

TEST_F(ReadsTest, VeeFlagsAndDecisions) {
  ASSERT_TRUE(log_.ReadAndPass("r7", Month(2026, 7), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r8", Month(2026, 8), 1100).ok());
  ASSERT_TRUE(log_.ReadAndPass("r9", Month(2026, 9), 1200).ok());
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1300).ok());  // 100 kWh a month
  // Far above the average: flagged high, then sent for a re-read.
  ASSERT_TRUE(log_.Record(ReadOf("r11", Month(2026, 11), 1800)).ok());
  ASSERT_TRUE(log_.Check("r11").ok());
  EXPECT_THAT(log_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_CONSUMPTION_HIGH));
  EXPECT_EQ(log_.Check("r11").code(), kPrecondition);
  ASSERT_TRUE(log_.Decide("r11", v1::READ_DECISION_REREAD).ok());
  // The re-read went backwards: it cannot be accepted (C-MONOTONE) …
  ASSERT_TRUE(log_.Record(ReadOf("r11b", Month(2026, 11), 1250)).ok());
  ASSERT_TRUE(log_.Check("r11b").ok());
  EXPECT_THAT(log_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_REGISTER_WENT_BACKWARDS));
  EXPECT_THAT(log_.Decide("r11b", v1::READ_DECISION_ACCEPT), Refused(kPrecondition, "C-MONOTONE"));
  // … nor estimated below the read before it; the history estimate is.
  v1::Registers low;
  low.set_total_wh(1299 * kKwh);
  EXPECT_THAT(log_.Decide("r11b", v1::READ_DECISION_ESTIMATE, "checker", &low),
              Refused(kPrecondition, "below accepted read r10"));
  ASSERT_TRUE(log_.Decide("r11b", v1::READ_DECISION_ESTIMATE).ok());
  EXPECT_EQ(log_.last().read_check_decided().estimated_registers().total_wh(), 1400 * kKwh);
  EXPECT_EQ(log_.state().AcceptedReadOf(Month(2026, 11))->registers.total_wh(), 1400 * kKwh);
  // Zero consumption is flagged.
  ASSERT_TRUE(log_.Record(ReadOf("r12", Month(2026, 12), 1400)).ok());
  ASSERT_TRUE(log_.Check("r12").ok());
  EXPECT_THAT(log_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_ZERO_CONSUMPTION));
}

// V-ABOVE-LATER: a late read is checked against the read after it too.
TEST_F(ReadsTest, ALateReadAboveALaterOneIsFlagged) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r12", Month(2026, 12), 1200).ok());
  ASSERT_TRUE(log_.Record(ReadOf("r11", Month(2026, 11), 1250)).ok());
  ASSERT_TRUE(log_.Check("r11").ok());
  EXPECT_THAT(log_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_REGISTER_ABOVE_LATER_READ));
  EXPECT_THAT(log_.Decide("r11", v1::READ_DECISION_ACCEPT),
              Refused(kPrecondition, "above the later"));
}

TEST_F(ReadsTest, PeriodRegistersMustAddUp) {
  v1::MeterReadRecorded read = ReadOf("r1", Month(2026, 10), 1000);
  read.mutable_registers()->set_peak_wh(400 * kKwh);
  read.mutable_registers()->set_valley_wh(500 * kKwh);  // sums to 900 of 1,000 kWh
  ASSERT_TRUE(log_.Record(read).ok());
  ASSERT_TRUE(log_.Check("r1").ok());
  EXPECT_THAT(log_.last().meter_read_checked().flags(),
              ElementsAre(v1::READ_FLAG_PERIOD_SUM_MISMATCH));
}

v1::MeterReadRecorded Exchange(const std::string& id, const v1::Period& period, int64_t kwh,
                               v1::ReadPurpose purpose, const std::string& meter) {
  v1::MeterReadRecorded read = ReadOf(id, period, kwh);
  read.set_purpose(purpose);
  read.set_meter_bar_code(meter);
  return read;
}

// C-METER-EXCHANGE: the consumption across an exchange is the old meter's
// last stretch and the new meter's first, each once.
TEST_F(ReadsTest, AMeterExchangeKeepsTheAdvance) {
  v1::MeterReadRecorded first = ReadOf("r10", Month(2026, 10), 5000);
  first.set_meter_bar_code("M1");
  ASSERT_TRUE(log_.ReadAndPass(first).ok());
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 5300).ok());
  EXPECT_EQ(log_.state().FindRead("r11")->meter, "M1") << "the meter in place is filled in";
  const v1::Period dec = Month(2026, 12);
  ASSERT_TRUE(log_.Record(Exchange("x1", dec, 5450, v1::READ_PURPOSE_METER_REMOVED, "")).ok());
  EXPECT_THAT(log_.Record(ReadOf("r12", dec, 100)), Refused(kPrecondition, "was removed"));
  EXPECT_THAT(log_.Record(Exchange("x2", dec, 10, v1::READ_PURPOSE_METER_INSTALLED, "")),
              Refused(kInvalid, "names the new meter"));
  EXPECT_THAT(log_.Record(Exchange("x2", dec, 10, v1::READ_PURPOSE_METER_INSTALLED, "M1")),
              Refused(kPrecondition, "the one removed"));
  ASSERT_TRUE(log_.Record(Exchange("x2", dec, 10, v1::READ_PURPOSE_METER_INSTALLED, "M2")).ok());
  v1::MeterReadRecorded wrong_meter = ReadOf("r12", dec, 210);
  wrong_meter.set_meter_bar_code("M1");
  EXPECT_THAT(log_.Record(wrong_meter), Refused(kPrecondition, "not the meter in place, M2"));
  v1::MeterReadRecorded ct = ReadOf("r12", dec, 210);
  ct.set_multiplier(40);
  EXPECT_THAT(log_.Record(ct), Refused(kPrecondition, "a CT/VT change is a meter exchange"));
  ASSERT_TRUE(log_.Record(ReadOf("r12", dec, 210)).ok());
  EXPECT_THAT(log_.Record(Exchange("x3", dec, 210, v1::READ_PURPOSE_METER_REMOVED, "")),
              Refused(kPrecondition, "a meter exchange is recorded before the period's read"));
  for (const char* id : {"x1", "x2", "r12"}) {
    ASSERT_TRUE(log_.Check(id).ok());
    EXPECT_TRUE(log_.last().meter_read_checked().passed())
        << id << " " << log_.last().DebugString();
  }
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  ASSERT_TRUE(log_.Bill("b12", dec).ok());
  const v1::BillIssued& bill = log_.last().bill_issued();
  EXPECT_EQ(bill.energy_wh(), (150 + 200) * kKwh);  // 5,300 → 5,450 on M1, 10 → 210 on M2
  EXPECT_EQ(bill.usage().total_wh(), 350 * kKwh);
  EXPECT_THAT(bill.read_ids(), ElementsAre("r11", "x1", "x2", "r12"));
}

TEST_F(ReadsTest, AnExchangeReadIsNeverReread) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 5000).ok());
  ASSERT_TRUE(
      log_.Record(Exchange("x1", Month(2026, 11), 4990, v1::READ_PURPOSE_METER_REMOVED, "")).ok());
  ASSERT_TRUE(log_.Check("x1").ok());
  EXPECT_FALSE(log_.last().meter_read_checked().passed());
  EXPECT_THAT(log_.Decide("x1", v1::READ_DECISION_REREAD),
              Refused(kPrecondition, "cannot be read again"));
  v1::Registers removed;
  removed.set_total_wh(5080 * kKwh);
  EXPECT_TRUE(log_.Decide("x1", v1::READ_DECISION_ESTIMATE, "checker", &removed).ok());
}

// C-READ-CORRECTION: an accepted read no standing bill priced may be
// corrected; one a bill priced only after the bill is reversed.
TEST_F(ReadsTest, ACorrectionSupersedesAnUnbilledRead) {
  ASSERT_TRUE(log_.ReadAndPass("r10", Month(2026, 10), 1000).ok());
  ASSERT_TRUE(log_.ReadAndPass("r11", Month(2026, 11), 1200).ok());
  ASSERT_TRUE(log_.Bill("b11", Month(2026, 11)).ok());
  v1::MeterReadRecorded fix = ReadOf("r11c", Month(2026, 11), 1150);
  fix.set_supersedes_read_id("r11");
  EXPECT_THAT(log_.Record(fix), Refused(kPrecondition, "bill b11 (2026-11..2026-11) priced"));
  fix.set_supersedes_read_id("r10");
  *fix.mutable_period() = Month(2026, 10);
  EXPECT_THAT(log_.Record(fix), Refused(kPrecondition, "baseline"));
  ASSERT_TRUE(log_.Reverse("b11").ok());
  fix.set_supersedes_read_id("r11");
  *fix.mutable_period() = Month(2026, 11);
  ASSERT_TRUE(log_.Record(fix).ok());
  EXPECT_EQ(log_.state().FindRead("r11")->state, ReadState::kSuperseded);
  EXPECT_THAT(log_.Bill("b11x", Month(2026, 11)), Refused(kPrecondition, "r11c is pending"));
  ASSERT_TRUE(log_.Check("r11c").ok());
  ASSERT_TRUE(log_.Bill("b11x", Month(2026, 11), "checker", "b11").ok());
  EXPECT_EQ(log_.last().bill_issued().energy_wh(), 150 * kKwh);
}

}  // namespace
}  // namespace gridledger::billing
