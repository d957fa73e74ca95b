// The Billing Centre through gRPC against a real `gridledger serve` process on
// each backend: tariff → account → read → check → bill → check → collect, and
// the refusals of docs/TARIFF.md's rules end to end: each kWh once (C-*),
// penalties and payments (P-*), separation of duties by deeds (S-*), terms
// and tariff versions (A-*, TV-*), and ExplainBill's provenance. Periods are
// two years ago, so every date is in the past.
#include <grpcpp/grpcpp.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

constexpr char kAccount[] = "6101000123";

class BillingE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedger(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                       {{"clerk", "customer_service"},
                                        {"pricing", "marketing_manager"},
                                        {"reader", "meter_reader"},
                                        {"checker", "bill_checker"},
                                        {"collector", "collector"},
                                        {"checker-collector", "bill_checker,collector"},
                                        {"supervisor", "admin"},
                                        {"auditor", "auditor"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    token_ = served_.tokens;
    auto channel = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
    stub_ = v1::BillingCenter::NewStub(channel);
    gateway_ = v1::EventGateway::NewStub(channel);
  }

  void TearDown() override {
    stub_.reset();
    gateway_.reset();
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    return testing::CallAs(token_.count(who) ? token_[who] : "");
  }

  static v1::Date Day(int year, int month, int day) {
    v1::Date d;
    d.set_year(year);
    d.set_month(month);
    d.set_day(day);
    return d;
  }
  std::string Month(int month) const { return absl::StrFormat("%04d-%02d", year_, month); }

  grpc::Status Read(const std::string& who, const std::string& read_id, int month,
                    int64_t total_kwh) {
    v1::RecordReadRequest request;
    request.set_command_id(NewUuid());
    auto* read = request.mutable_read();
    read->set_read_id(read_id);
    read->set_account_id(kAccount);
    read->mutable_period()->set_year(year_);
    read->mutable_period()->set_month(month);
    read->mutable_registers()->set_total_wh(total_kwh * 1000);
    read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
    v1::CommandReply reply;
    return stub_->RecordRead(As(who).get(), request, &reply);
  }

  grpc::Status Check(const std::string& who, const std::string& read_id) {
    v1::CheckReadRequest request;
    request.set_command_id(NewUuid());
    request.set_account_id(kAccount);
    request.set_read_id(read_id);
    v1::CheckReadReply reply;
    grpc::Status status = stub_->CheckRead(As(who).get(), request, &reply);
    if (status.ok()) EXPECT_TRUE(reply.check().passed()) << reply.check().detail();
    return status;
  }

  void ReadAndCheck(const std::string& read_id, int month, int64_t total_kwh) {
    ASSERT_TRUE(Read("reader", read_id, month, total_kwh).ok());
    ASSERT_TRUE(Check("checker", read_id).ok());
  }

  // The account's bill for `month`, due the 20th of the month after.
  v1::IssueBillRequest BillFor(const std::string& bill_id, int month) const {
    v1::IssueBillRequest issue;
    issue.set_command_id(NewUuid());
    issue.set_account_id(kAccount);
    issue.set_bill_id(bill_id);
    issue.mutable_period()->set_year(year_);
    issue.mutable_period()->set_month(month);
    *issue.mutable_due_date() = month == 12 ? Day(year_ + 1, 1, 20) : Day(year_, month + 1, 20);
    return issue;
  }

  grpc::Status Issue(const std::string& who, const v1::IssueBillRequest& issue,
                     v1::IssueBillReply* bill = nullptr) {
    v1::IssueBillReply ignored;
    return stub_->IssueBill(As(who).get(), issue, bill != nullptr ? bill : &ignored);
  }

  grpc::Status Pay(const std::string& who, const std::string& payment_id, int64_t fen,
                   const v1::Date& paid_on) {
    v1::PostPaymentRequest pay;
    pay.set_command_id(NewUuid());
    pay.set_account_id(kAccount);
    pay.set_payment_id(payment_id);
    pay.set_amount_fen(fen);
    *pay.mutable_paid_on() = paid_on;
    v1::CommandReply reply;
    return stub_->PostPayment(As(who).get(), pay, &reply);
  }

  grpc::Status Accrue(const std::string& bill_id, const v1::Date& as_of) {
    v1::AccruePenaltyRequest accrue;
    accrue.set_command_id(NewUuid());
    accrue.set_account_id(kAccount);
    accrue.set_bill_id(bill_id);
    *accrue.mutable_as_of() = as_of;
    v1::CommandReply reply;
    return stub_->AccruePenalty(As("checker").get(), accrue, &reply);
  }

  grpc::Status Reverse(const std::string& bill_id) {
    v1::ReverseBillRequest reverse;
    reverse.set_command_id(NewUuid());
    reverse.set_account_id(kAccount);
    reverse.set_bill_id(bill_id);
    reverse.set_reason("re-rate");
    v1::CommandReply reply;
    return stub_->ReverseBill(As("checker").get(), reverse, &reply);
  }

  v1::AccountView Account() {
    v1::GetAccountRequest get;
    get.set_account_id(kAccount);
    v1::AccountView view;
    EXPECT_TRUE(stub_->GetAccount(As("checker").get(), get, &view).ok());
    return view;
  }

  v1::TariffScheduleVersionPublished ResidentialTariff() const {
    v1::TariffScheduleVersionPublished v;
    v.set_tariff_id("sn-res");
    *v.mutable_effective_from() = Day(2020, 1, 1);
    v.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    v.set_flat_price_micro_cny_per_kwh(498300);
    auto* fund = v.add_funds();
    fund->set_code("REN");
    fund->set_name("renewable energy surcharge");
    fund->set_price_micro_cny_per_kwh(19000);
    return v;
  }

  grpc::Status Publish(const v1::TariffScheduleVersionPublished& version, v1::CommandReply* reply) {
    v1::PublishTariffVersionRequest tariff;
    tariff.set_command_id(NewUuid());
    *tariff.mutable_version() = version;
    return stub_->PublishTariffVersion(As("pricing").get(), tariff, reply);
  }

  grpc::Status OpenAccount(const v1::AccountOpened& account) {
    v1::OpenAccountRequest open;
    open.set_command_id(NewUuid());
    *open.mutable_account() = account;
    v1::CommandReply reply;
    // Opened at the start of the test's year: its reads and payments are later.
    std::unique_ptr<grpc::ClientContext> context = As("clerk");
    context->AddMetadata("x-occurred-at", absl::StrFormat("%04d-01-01T09:00:00+08:00", year_));
    return stub_->OpenAccount(context.get(), open, &reply);
  }

  static v1::AccountOpened Residential() {
    v1::AccountOpened a;
    a.set_account_id(kAccount);
    a.set_customer_name("Wang Li");
    a.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    a.set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
    a.set_tariff_id("sn-res");
    a.set_org_unit("sn/xa/huyi");
    return a;
  }

  void OpenResidentialAccount() {
    v1::CommandReply reply;
    grpc::Status status = Publish(ResidentialTariff(), &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.first_version(), 1) << "the server numbers tariff versions";
    status = OpenAccount(Residential());
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  const int year_ = domain::UtilityToday().year() - 2;  // every date well in the past
  testing::TempDir dir_;
  std::map<std::string, std::string> token_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::BillingCenter::Stub> stub_;
  std::unique_ptr<v1::EventGateway::Stub> gateway_;
};

TEST_P(BillingE2eTest, ReadCheckBillCollectWithSeparationOfDuties) {
  OpenResidentialAccount();
  ReadAndCheck("r10", 10, 1000);
  ASSERT_TRUE(Read("reader", "r11", 11, 1200).ok());
  // 抄核分离: whoever read it cannot check it (here: a reader also made checker).
  grpc::Status status = Check("reader", "r11");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Check("checker", "r11").ok());

  v1::IssueBillRequest issue = BillFor("b-11", 11);
  // The preview: the bill, line by line, with nothing appended; a reader
  // may not preview (bill checkers and customer service may).
  const int64_t version_before = Account().version();
  v1::IssueBillReply preview;
  status = stub_->PreviewBill(As("checker").get(), issue, &preview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(preview.has_command());
  EXPECT_EQ(Account().version(), version_before) << "a preview appended something";
  EXPECT_EQ(stub_->PreviewBill(As("reader").get(), issue, &preview).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::IssueBillReply bill;
  status = Issue("checker", issue, &bill);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The issued bill is the preview, line by line (its id and times aside).
  ASSERT_EQ(preview.bill().lines_size(), bill.bill().lines_size());
  for (int i = 0; i < bill.bill().lines_size(); ++i) {
    EXPECT_EQ(preview.bill().lines(i).SerializeAsString(),
              bill.bill().lines(i).SerializeAsString());
  }
  EXPECT_EQ(preview.bill().total_fen(), bill.bill().total_fen());
  // A preview of what cannot be issued says why, as IssueBill does.
  const v1::IssueBillRequest second = BillFor("b-11bis", 11);
  grpc::Status previewed = stub_->PreviewBill(As("checker").get(), second, &preview);
  EXPECT_EQ(previewed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(previewed.error_message(),
            stub_->IssueBill(As("checker").get(), second, &preview).error_message());
  EXPECT_EQ(bill.bill().total_fen(), 9966 + 380);  // 200 kWh × 0.4983, fund 200 × 0.019
  EXPECT_EQ(bill.bill().energy_wh(), 200000);
  EXPECT_EQ(bill.bill().issued_by(), "checker");
  // The retry answers with the same bill.
  v1::IssueBillReply again;
  ASSERT_TRUE(Issue("checker", issue, &again).ok());
  EXPECT_TRUE(again.command().deduplicated());
  EXPECT_EQ(again.bill().total_fen(), bill.bill().total_fen());

  v1::CheckBillRequest check_bill;
  check_bill.set_command_id(NewUuid());
  check_bill.set_account_id(kAccount);
  check_bill.set_bill_id("b-11");
  v1::CommandReply reply;
  ASSERT_TRUE(stub_->CheckBill(As("checker").get(), check_bill, &reply).ok());

  // The checker is not a collector at all; the collector posts it, on time.
  EXPECT_EQ(Pay("checker", "p1", 20000, Day(year_, 12, 1)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Pay("collector", "p1", 20000, Day(year_, 12, 1)).ok());
  const v1::AccountView view = Account();
  EXPECT_EQ(view.outstanding_fen(), 0);
  EXPECT_EQ(view.credit_fen(), 20000 - 10346);
  ASSERT_EQ(view.bills_size(), 1);
  EXPECT_EQ(view.bills(0).checker(), "checker");
  EXPECT_EQ(view.bills(0).penalty_fen(), 0);
}

// S-PREPARE-COLLECT and S-COLLECT-ALTER: about what a principal did, not the
// roles they hold (a checker who also collects may do both jobs, not on the
// same bill).
TEST_P(BillingE2eTest, WhoPreparedABillDoesNotCollectIt) {
  OpenResidentialAccount();
  ReadAndCheck("r10", 10, 1000);
  ReadAndCheck("r11", 11, 1100);
  ASSERT_TRUE(Issue("checker-collector", BillFor("b11", 11)).ok());
  grpc::Status status = Pay("checker-collector", "p1", 100, Day(year_, 12, 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("S-PREPARE-COLLECT"));
  EXPECT_THAT(status.error_message(), HasSubstr("issued it of bill b11"));
  // A supervisor (admin) who checked it may not collect it either.
  v1::CheckBillRequest check_bill;
  check_bill.set_command_id(NewUuid());
  check_bill.set_account_id(kAccount);
  check_bill.set_bill_id("b11");
  v1::CommandReply reply;
  ASSERT_TRUE(stub_->CheckBill(As("supervisor").get(), check_bill, &reply).ok());
  status = Pay("supervisor", "p1", 100, Day(year_, 12, 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("checked it of bill b11"));
  // A collector who did nothing else on it may; 100 kWh = 51.73 CNY in all.
  ASSERT_TRUE(Pay("collector", "p1", 5173, Day(year_, 12, 1)).ok());
  // checker-collector may collect a bill they did not prepare: the next one…
  ReadAndCheck("r12", 12, 1200);
  ASSERT_TRUE(Issue("checker", BillFor("b12", 12)).ok());
  ASSERT_TRUE(Pay("checker-collector", "p2", 20000, Day(year_ + 1, 1, 2)).ok());
  // …and then may not check it (S-COLLECT-ALTER).
  check_bill.set_command_id(NewUuid());
  check_bill.set_bill_id("b12");
  status = stub_->CheckBill(As("checker-collector").get(), check_bill, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("S-COLLECT-ALTER"));
  EXPECT_EQ(Account().outstanding_fen(), 0);
}

// C-PENDING, C-UNBILLED, C-COVERED: the issue's double billing refused,
// naming the periods.
TEST_P(BillingE2eTest, NoKwhIsBilledTwice) {
  OpenResidentialAccount();
  ReadAndCheck("r9", 9, 1000);
  ASSERT_TRUE(Read("reader", "r10", 10, 1200).ok());  // left unchecked
  ReadAndCheck("r11", 11, 1500);
  grpc::Status status = Issue("checker", BillFor("b11", 11));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr(Month(10) + "'s read r10 is pending"));
  EXPECT_THAT(status.error_message(), HasSubstr("C-PENDING"));
  ASSERT_TRUE(Check("checker", "r10").ok());
  status = Issue("checker", BillFor("b11", 11));
  EXPECT_THAT(status.error_message(), HasSubstr("bill " + Month(10) + " before " + Month(11)));
  ASSERT_TRUE(Issue("checker", BillFor("b10", 10)).ok());
  ASSERT_TRUE(Issue("checker", BillFor("b11", 11)).ok());
  status = Issue("checker", BillFor("b10-again", 10));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("bill b10 covers " + Month(10) + ".." + Month(10) + " (C-COVERED)"));
  // Reversed latest first (C-REVERSE-ORDER).
  status = Reverse("b10");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("is followed by bill b11"));
  const v1::AccountView view = Account();
  EXPECT_EQ(view.billed_through_read_id(), "r11");
  EXPECT_EQ(view.baseline_read_id(), "r9");
}

// P-PAID-ON, P-NO-FUTURE, P-BACKDATED, P-MINIMUM through the service.
TEST_P(BillingE2eTest, PenaltiesAndLatePayments) {
  OpenResidentialAccount();
  ReadAndCheck("r10", 10, 1000);
  ReadAndCheck("r11", 11, 1200);
  ASSERT_TRUE(Issue("checker", BillFor("b11", 11)).ok());  // 10,346 fen, due Dec 20
  // A date after today is bad input.
  v1::Date tomorrow = domain::UtilityToday();
  tomorrow.set_day(1);
  tomorrow.set_year(tomorrow.year() + 1);
  grpc::Status status = Accrue("b11", tomorrow);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of"));
  EXPECT_THAT(status.error_message(), HasSubstr("P-NO-FUTURE"));
  status = Pay("collector", "p0", 100, tomorrow);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("paid_on"));
  status = Pay("collector", "p0", 100, v1::Date());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // 10 days late: 10 × 0.1 % × 103.46 = 1.0346 CNY.
  ASSERT_TRUE(Accrue("b11", Day(year_, 12, 30)).ok());
  // A payment dated before the accrued days is refused.
  status = Pay("collector", "p1", 5000, Day(year_, 12, 25));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("P-BACKDATED"));
  // A late payment accrues to the day it was paid, then pays principal first.
  ASSERT_TRUE(Pay("collector", "p1", 5000, Day(year_ + 1, 1, 9)).ok());
  v1::AccountView view = Account();
  ASSERT_EQ(view.bills_size(), 1);
  // 20 days × 0.1 % × 10,346 fen = 206.92 fen → 207; paid 5,000 principal.
  EXPECT_EQ(view.bills(0).penalty_fen(), 207);
  EXPECT_EQ(view.bills(0).paid_fen(), 5000);
  EXPECT_EQ(view.bills(0).penalty_through().day(), 9);
  ASSERT_TRUE(Pay("collector", "p2", 6000, Day(year_ + 1, 1, 9)).ok());
  view = Account();
  EXPECT_EQ(view.bills(0).paid_fen(), 10346);
  EXPECT_EQ(view.bills(0).penalty_paid_fen(), 207);
  EXPECT_EQ(view.outstanding_fen(), 0);
  EXPECT_EQ(view.credit_fen(), 11000 - 10346 - 207);
  // The bill's provenance: each line's reads, registers and rule; the
  // penalties with their days and rates per year.
  v1::ExplainBillRequest explain;
  explain.set_account_id(kAccount);
  explain.set_bill_id("b11");
  v1::BillExplanation explained;
  status = gateway_->ExplainBill(As("auditor").get(), explain, &explained);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(explained.bill().schema_version(), 2) << "BillIssued is written as version 2";
  EXPECT_EQ(explained.penalties(0).event().schema_version(), 2);
  ASSERT_EQ(explained.lines_size(), 2);
  for (const v1::ExplainedLine& line : explained.lines()) {
    EXPECT_THAT(line.read_ids(), ::testing::ElementsAre("r10", "r11"));
    EXPECT_THAT(line.registers(), ::testing::ElementsAre("total_wh"));
    EXPECT_EQ(line.tariff_version(), 1);
    EXPECT_FALSE(line.rule_title().empty());
  }
  EXPECT_EQ(explained.lines(0).rule(), "T-ENERGY");
  EXPECT_EQ(explained.lines(0).line().quantity_unit(), "kWh");
  EXPECT_EQ(explained.lines(1).rule(), "T-FUND");
  ASSERT_EQ(explained.penalties_size(), 2);
  const v1::ExplainedPenalty& across_the_year = explained.penalties(1);
  ASSERT_EQ(across_the_year.segments_size(), 2);  // 31 December, then 1-9 January
  EXPECT_EQ(across_the_year.segments(0).days(), 1);
  EXPECT_EQ(across_the_year.segments(1).days(), 9);
  EXPECT_EQ(across_the_year.segments(1).rate_ppm_per_day(), 1000);
}

// A-* and TV-*: terms and tariff versions that would fail at billing months
// later are refused when they are stated.
TEST_P(BillingE2eTest, TermsAndTariffVersionsAreCheckedWhenStated) {
  OpenResidentialAccount();
  v1::TariffScheduleVersionPublished industry;
  industry.set_tariff_id("sn-li");
  *industry.mutable_effective_from() = Day(2020, 1, 1);
  industry.set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  industry.set_flat_price_micro_cny_per_kwh(560000);
  industry.set_capacity_price_fen_per_kva_month(2400);  // no demand price
  v1::CommandReply reply;
  ASSERT_TRUE(Publish(industry, &reply).ok());
  v1::AccountOpened steel;
  steel.set_account_id("6101000999");
  steel.set_customer_name("Huyi Steel");
  steel.set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  steel.set_voltage_class(v1::VOLTAGE_CLASS_10KV);
  steel.set_tariff_id("sn-li");
  steel.set_org_unit("sn/xa/huyi");
  steel.set_pf_standard(v1::POWER_FACTOR_STANDARD_090);
  steel.set_basic_charge_mode(v1::BASIC_CHARGE_MODE_DEMAND);
  steel.set_contracted_capacity_kva(1);  // a 1 kVA large-industrial account
  steel.set_contracted_demand_w(800'000);
  grpc::Status status = OpenAccount(steel);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("account.contracted_capacity_kva"));
  EXPECT_THAT(status.error_message(), HasSubstr("A-TWO-PART"));
  steel.set_contracted_capacity_kva(1250);
  status = OpenAccount(steel);  // by demand, on a tariff without a demand price
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has no demand price"));
  // Tiers need a scope; a stale expected version is refused.
  v1::TariffScheduleVersionPublished tiered = ResidentialTariff();
  auto* tier = tiered.add_tiers();
  tier->set_threshold_wh(2'160'000);
  tier->set_markup_micro_cny_per_kwh(50000);
  status = Publish(tiered, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("version.tier_scope"));
  tiered.set_tier_scope(v1::TIER_SCOPE_ANNUAL);
  tiered.set_version(1);
  status = Publish(tiered, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("TV-NUMBER"));
  tiered.set_version(2);
  ASSERT_TRUE(Publish(tiered, &reply).ok());
  EXPECT_EQ(reply.first_version(), 2);
  // Terms change only for months not yet billed.
  ReadAndCheck("r10", 10, 1000);
  ReadAndCheck("r11", 11, 1100);
  ASSERT_TRUE(Issue("checker", BillFor("b11", 11)).ok());
  v1::ChangeAccountTermsRequest change;
  change.set_command_id(NewUuid());
  change.mutable_change()->set_account_id(kAccount);
  change.mutable_change()->add_changed_fields("contracted_capacity_kva");
  change.mutable_change()->set_contracted_capacity_kva(8);
  *change.mutable_change()->mutable_effective_from() = Day(year_, 11, 1);
  status = stub_->ChangeAccountTerms(As("clerk").get(), change, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("billed through " + Month(11)));
  change.set_command_id(NewUuid());
  *change.mutable_change()->mutable_effective_from() = Day(year_, 12, 1);
  status = stub_->ChangeAccountTerms(As("clerk").get(), change, &reply);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_P(BillingE2eTest, BadInputWrongStateAndMissingTokens) {
  OpenResidentialAccount();
  v1::CommandReply reply;
  v1::RecordReadRequest request;
  request.set_command_id(NewUuid());
  request.mutable_read()->set_account_id(kAccount);
  request.mutable_read()->set_read_id("r1");
  request.mutable_read()->mutable_period()->set_year(year_);
  request.mutable_read()->mutable_period()->set_month(13);
  grpc::Status status = stub_->RecordRead(As("reader").get(), request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("read.period"));
  EXPECT_EQ(stub_->RecordRead(As("nobody").get(), request, &reply).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->RecordRead(As("collector").get(), request, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Checking a read that does not exist; billing without reads.
  EXPECT_EQ(Check("checker", "nope").error_code(), grpc::StatusCode::NOT_FOUND);
  status = Issue("checker", BillFor("b1", 11));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no accepted read for " + Month(11)));
  // An account on a tariff that does not exist.
  v1::AccountOpened other = Residential();
  other.set_account_id("6101000999");
  other.set_tariff_id("no-such-tariff");
  status = OpenAccount(other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no published version"));
}

TEST_P(BillingE2eTest, ReversalsReissuesAndBackBilling) {
  OpenResidentialAccount();
  ReadAndCheck("r10", 10, 1000);
  ReadAndCheck("r11", 11, 1200);
  ASSERT_TRUE(Issue("checker", BillFor("b11", 11)).ok());
  ASSERT_TRUE(Accrue("b11", Day(year_, 12, 30)).ok());
  // A payment, reversed (bounced); then the bill reversed and reissued.
  ASSERT_TRUE(Pay("collector", "p1", 500, Day(year_, 12, 30)).ok());
  grpc::Status status = Reverse("b11");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("reverse those payments first"));
  v1::ReversePaymentRequest unpay;
  unpay.set_command_id(NewUuid());
  unpay.set_account_id(kAccount);
  unpay.set_payment_id("p1");
  unpay.set_reason("bounced");
  v1::CommandReply reply;
  ASSERT_TRUE(stub_->ReversePayment(As("collector").get(), unpay, &reply).ok());
  ASSERT_TRUE(Reverse("b11").ok());
  v1::IssueBillRequest issue = BillFor("b11-2", 11);
  issue.set_replaces_bill_id("b11");
  v1::IssueBillReply bill;
  ASSERT_TRUE(Issue("checker", issue, &bill).ok());
  EXPECT_EQ(bill.bill().replaces_bill_id(), "b11");
  EXPECT_EQ(bill.bill().start_read_id(), "r10");
  // Theft found on inspection: back-billing with three times the amount as penalty.
  v1::RecordInspectionRequest inspect;
  inspect.set_command_id(NewUuid());
  inspect.mutable_inspection()->set_inspection_id("I-1");
  inspect.mutable_inspection()->set_account_id(kAccount);
  inspect.mutable_inspection()->set_finding(v1::INSPECTION_FINDING_THEFT);
  ASSERT_TRUE(stub_->RecordInspection(As("checker").get(), inspect, &reply).ok());
  v1::IssueBackBillingRequest back;
  back.set_command_id(NewUuid());
  back.set_account_id(kAccount);
  back.set_inspection_id("I-1");
  back.set_bill_id("BB-1");
  back.set_energy_wh(1'000'000);
  back.mutable_from_period()->set_year(year_);
  back.mutable_from_period()->set_month(6);
  back.mutable_to_period()->set_year(year_);
  back.mutable_to_period()->set_month(11);
  ASSERT_TRUE(stub_->IssueBackBilling(As("checker").get(), back, &reply).ok());
  const v1::AccountView view = Account();
  ASSERT_EQ(view.bills_size(), 3);
  EXPECT_TRUE(view.bills(0).reversed());
  EXPECT_EQ(view.bills(0).replaced_by(), "b11-2");
  EXPECT_EQ(view.bills(0).penalty_fen(), 103);  // 10 days × 0.1 % × 103.46 CNY
  EXPECT_TRUE(view.bills(2).back_billing());
  EXPECT_EQ(view.outstanding_fen(), bill.bill().total_fen() + int64_t{4} * 49830);
}

TEST_P(BillingE2eTest, FlaggedReadsNeedADecisionAndWholesaleIsSettled) {
  OpenResidentialAccount();
  ReadAndCheck("r9", 9, 1000);
  ReadAndCheck("r10", 10, 1100);
  // November far above the average of October: flagged, with the reason.
  ASSERT_TRUE(Read("reader", "r11", 11, 1700).ok());
  v1::CheckReadRequest check;
  check.set_command_id(NewUuid());
  check.set_account_id(kAccount);
  check.set_read_id("r11");
  v1::CheckReadReply checked;
  ASSERT_TRUE(stub_->CheckRead(As("checker").get(), check, &checked).ok());
  EXPECT_FALSE(checked.check().passed());
  ASSERT_EQ(checked.check().flags_size(), 1);
  EXPECT_EQ(checked.check().flags(0), v1::READ_FLAG_CONSUMPTION_HIGH);
  // The reader may not decide on it; the checker re-orders a read.
  v1::DecideReadRequest decide;
  decide.set_command_id(NewUuid());
  decide.set_account_id(kAccount);
  decide.set_read_id("r11");
  decide.set_decision(v1::READ_DECISION_REREAD);
  v1::CommandReply reply;
  EXPECT_EQ(stub_->DecideRead(As("reader").get(), decide, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->DecideRead(As("checker").get(), decide, &reply).ok());
  ReadAndCheck("r11b", 11, 1190);

  v1::TariffScheduleVersionPublished wholesale;
  wholesale.set_tariff_id("sn-wholesale");
  *wholesale.mutable_effective_from() = Day(2020, 1, 1);
  wholesale.set_category(v1::CUSTOMER_CATEGORY_WHOLESALE);
  wholesale.set_flat_price_micro_cny_per_kwh(380000);
  ASSERT_TRUE(Publish(wholesale, &reply).ok());
  v1::IssueWholesaleSettlementRequest settle;
  settle.set_command_id(NewUuid());
  settle.set_counterparty("local-power");
  settle.set_settlement_id("WS-11");
  settle.mutable_period()->set_year(year_);
  settle.mutable_period()->set_month(11);
  settle.set_energy_wh(86'400'000'000);  // 86.4 GWh at 0.38 CNY/kWh = 32,832,000 CNY
  settle.set_tariff_id("sn-wholesale");
  ASSERT_TRUE(stub_->IssueWholesaleSettlement(As("checker").get(), settle, &reply).ok());
  EXPECT_EQ(reply.stream_id(), "wholesale-local-power");
  settle.set_command_id(NewUuid());
  settle.set_settlement_id("WS-11b");
  EXPECT_EQ(stub_->IssueWholesaleSettlement(As("checker").get(), settle, &reply).error_code(),
            grpc::StatusCode::ALREADY_EXISTS)
      << "one settlement per period";
  v1::ConfirmWholesaleSettlementRequest confirm;
  confirm.set_command_id(NewUuid());
  confirm.set_counterparty("local-power");
  confirm.set_settlement_id("WS-11");
  confirm.set_confirmed_by("counterparty finance");
  ASSERT_TRUE(stub_->ConfirmWholesaleSettlement(As("checker").get(), confirm, &reply).ok());
  confirm.set_command_id(NewUuid());
  EXPECT_EQ(stub_->ConfirmWholesaleSettlement(As("checker").get(), confirm, &reply).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// Bulk ingest: each read of a RecordReads call is its own command with its
// own result; one refused read leaves the others appended; a repeated call
// is answered from the command ids; the count and the role are checked for
// the whole call.
TEST_P(BillingE2eTest, RecordReadsAnswersEachReadOnItsOwn) {
  OpenResidentialAccount();
  v1::AccountOpened second = Residential();
  second.set_account_id("6101000124");
  ASSERT_TRUE(OpenAccount(second).ok());
  v1::RecordReadsRequest batch;
  auto add = [&](const std::string& account, const std::string& read_id, int month,
                 int64_t total_wh) {
    v1::RecordReadRequest* request = batch.add_reads();
    request->set_command_id(NewUuid());
    v1::MeterReadRecorded* read = request->mutable_read();
    read->set_read_id(read_id);
    read->set_account_id(account);
    read->mutable_period()->set_year(year_);
    read->mutable_period()->set_month(month);
    read->mutable_registers()->set_total_wh(total_wh);
    read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
  };
  add(kAccount, "b1", 1, 1'000'000);
  add(kAccount, "b2", 2, 1'200'000);  // after b1: reads of one account in order
  add("6101000124", "c1", 1, 500'000);
  add("6101009999", "x1", 1, 1'000);  // no such account
  add(kAccount, "b3", 3, -5);         // a negative register
  v1::RecordReadsReply reply;
  grpc::Status status = stub_->RecordReads(As("reader").get(), batch, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.results_size(), 5);
  EXPECT_EQ(reply.accepted(), 3);
  for (int i : {0, 1, 2}) {
    EXPECT_EQ(reply.results(i).code(), 0) << i << ": " << reply.results(i).message();
    EXPECT_FALSE(reply.results(i).reply().deduplicated());
  }
  EXPECT_EQ(reply.results(1).reply().first_version(), reply.results(0).reply().first_version() + 1);
  EXPECT_EQ(reply.results(3).code(), grpc::StatusCode::NOT_FOUND) << reply.results(3).message();
  EXPECT_EQ(reply.results(4).code(), grpc::StatusCode::INVALID_ARGUMENT)
      << reply.results(4).message();

  // The same call again: the accepted reads are answered from their command
  // ids, nothing is appended twice.
  v1::RecordReadsReply again;
  ASSERT_TRUE(stub_->RecordReads(As("reader").get(), batch, &again).ok());
  for (int i : {0, 1, 2}) {
    EXPECT_TRUE(again.results(i).reply().deduplicated()) << i;
    EXPECT_EQ(again.results(i).reply().first_version(), reply.results(i).reply().first_version());
  }
  v1::ReadStreamRequest read;
  read.set_stream_id(std::string("account-") + kAccount);
  v1::ReadStreamReply events;
  ASSERT_TRUE(gateway_->ReadStream(As("supervisor").get(), read, &events).ok());
  EXPECT_EQ(events.events_size(), 3) << "opened, b1, b2";

  EXPECT_EQ(stub_->RecordReads(As("collector").get(), batch, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RecordReadsRequest empty;
  EXPECT_EQ(stub_->RecordReads(As("reader").get(), empty, &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::RecordReadsRequest too_many;
  for (int i = 0; i < 1001; ++i) *too_many.add_reads() = batch.reads(0);
  status = stub_->RecordReads(As("reader").get(), too_many, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reads"));
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
