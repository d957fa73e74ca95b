// The Billing Centre through gRPC against a real `gridledger serve` process on
// each backend: tariff → account → read → check → bill → check → collect, with
// the separation of duties (抄、核、收) and the other refusals.
#include <grpcpp/grpcpp.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

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
                                        {"supervisor", "admin"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    token_ = served_.tokens;
    stub_ = v1::BillingCenter::NewStub(
        grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    stub_.reset();
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    return testing::CallAs(token_.count(who) ? token_[who] : "");
  }

  grpc::Status Read(const std::string& who, const std::string& read_id, int month,
                    int64_t total_kwh) {
    v1::RecordReadRequest request;
    request.set_command_id(NewUuid());
    auto* read = request.mutable_read();
    read->set_read_id(read_id);
    read->set_account_id("6101000123");
    read->mutable_period()->set_year(2026);
    read->mutable_period()->set_month(month);
    read->mutable_registers()->set_total_wh(total_kwh * 1000);
    read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
    v1::CommandReply reply;
    return stub_->RecordRead(As(who).get(), request, &reply);
  }

  grpc::Status Check(const std::string& who, const std::string& read_id) {
    v1::CheckReadRequest request;
    request.set_command_id(NewUuid());
    request.set_account_id("6101000123");
    request.set_read_id(read_id);
    v1::CheckReadReply reply;
    grpc::Status status = stub_->CheckRead(As(who).get(), request, &reply);
    if (status.ok()) EXPECT_TRUE(reply.check().passed()) << reply.check().detail();
    return status;
  }

  // The account's November bill, due 2026-12-20.
  static v1::IssueBillRequest NovemberBill(const std::string& bill_id) {
    v1::IssueBillRequest issue;
    issue.set_command_id(NewUuid());
    issue.set_account_id("6101000123");
    issue.set_bill_id(bill_id);
    issue.mutable_period()->set_year(2026);
    issue.mutable_period()->set_month(11);
    issue.mutable_due_date()->set_year(2026);
    issue.mutable_due_date()->set_month(12);
    issue.mutable_due_date()->set_day(20);
    return issue;
  }

  void OpenResidentialAccount() {
    v1::PublishTariffVersionRequest tariff;
    tariff.set_command_id(NewUuid());
    auto* v = tariff.mutable_version();
    v->set_tariff_id("sn-res");
    v->set_version(1);
    v->mutable_effective_from()->set_year(2026);
    v->mutable_effective_from()->set_month(1);
    v->mutable_effective_from()->set_day(1);
    v->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    v->set_flat_price_micro_cny_per_kwh(498300);
    auto* fund = v->add_funds();
    fund->set_code("REN");
    fund->set_name("renewable energy surcharge");
    fund->set_price_micro_cny_per_kwh(19000);
    v1::CommandReply reply;
    grpc::Status status = stub_->PublishTariffVersion(As("pricing").get(), tariff, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::OpenAccountRequest open;
    open.set_command_id(NewUuid());
    auto* a = open.mutable_account();
    a->set_account_id("6101000123");
    a->set_customer_name("Wang Li");
    a->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    a->set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
    a->set_tariff_id("sn-res");
    a->set_org_unit("sn/xa/huyi");
    status = stub_->OpenAccount(As("clerk").get(), open, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> token_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::BillingCenter::Stub> stub_;
};

TEST_P(BillingE2eTest, ReadCheckBillCollectWithSeparationOfDuties) {
  OpenResidentialAccount();
  ASSERT_TRUE(Read("reader", "r10", 10, 1000).ok());
  ASSERT_TRUE(Check("checker", "r10").ok());
  ASSERT_TRUE(Read("reader", "r11", 11, 1200).ok());
  // 抄核分离: whoever read it cannot check it (here: a reader also made checker).
  grpc::Status status = Check("reader", "r11");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Check("checker", "r11").ok());

  v1::IssueBillRequest issue = NovemberBill("b-2026-11");
  v1::IssueBillReply bill;
  // Collectors cannot create bills, even when they are checkers too.
  status = stub_->IssueBill(As("checker-collector").get(), issue, &bill);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("collectors cannot create or alter bills"));
  status = stub_->IssueBill(As("checker").get(), issue, &bill);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(bill.bill().total_fen(), 9966 + 380);  // 200 kWh × 0.4983, fund 200 × 0.019
  EXPECT_EQ(bill.bill().energy_wh(), 200000);
  // The retry answers with the same bill.
  v1::IssueBillReply again;
  ASSERT_TRUE(stub_->IssueBill(As("checker").get(), issue, &again).ok());
  EXPECT_TRUE(again.command().deduplicated());
  EXPECT_EQ(again.bill().total_fen(), bill.bill().total_fen());

  v1::CheckBillRequest check_bill;
  check_bill.set_command_id(NewUuid());
  check_bill.set_account_id("6101000123");
  check_bill.set_bill_id("b-2026-11");
  v1::CommandReply reply;
  ASSERT_TRUE(stub_->CheckBill(As("checker").get(), check_bill, &reply).ok());

  v1::PostPaymentRequest pay;
  pay.set_command_id(NewUuid());
  pay.set_account_id("6101000123");
  pay.set_payment_id("p1");
  pay.set_amount_fen(20000);
  // The checker is not a collector at all; the collector posts it.
  EXPECT_EQ(stub_->PostPayment(As("checker").get(), pay, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->PostPayment(As("collector").get(), pay, &reply).ok());
  v1::GetAccountRequest get;
  get.set_account_id("6101000123");
  v1::AccountView view;
  ASSERT_TRUE(stub_->GetAccount(As("collector").get(), get, &view).ok());
  EXPECT_EQ(view.outstanding_fen(), 0);
  EXPECT_EQ(view.credit_fen(), 20000 - 10346);
  ASSERT_EQ(view.bills_size(), 1);
  EXPECT_EQ(view.bills(0).checker(), "checker");
}

TEST_P(BillingE2eTest, TheCheckerOfABillCannotCollectIt) {
  OpenResidentialAccount();
  ASSERT_TRUE(Read("reader", "r10", 10, 1000).ok());
  ASSERT_TRUE(Check("checker", "r10").ok());
  ASSERT_TRUE(Read("reader", "r11", 11, 1100).ok());
  ASSERT_TRUE(Check("checker", "r11").ok());
  v1::IssueBillRequest issue = NovemberBill("b11");
  v1::IssueBillReply bill;
  ASSERT_TRUE(stub_->IssueBill(As("checker").get(), issue, &bill).ok());
  // Someone who both collects and checks may not check (collectors alter no bill).
  v1::CheckBillRequest check_bill;
  check_bill.set_command_id(NewUuid());
  check_bill.set_account_id("6101000123");
  check_bill.set_bill_id("b11");
  v1::CommandReply reply;
  grpc::Status status = stub_->CheckBill(As("checker-collector").get(), check_bill, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A supervisor (admin) may do both jobs, but not on the same bill (核收分离).
  ASSERT_TRUE(stub_->CheckBill(As("supervisor").get(), check_bill, &reply).ok());
  v1::PostPaymentRequest pay;
  pay.set_command_id(NewUuid());
  pay.set_account_id("6101000123");
  pay.set_payment_id("p1");
  pay.set_amount_fen(100);
  status = stub_->PostPayment(As("supervisor").get(), pay, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("checked bill b11 and cannot post its payment"));
  // A collector who did not check it may.
  ASSERT_TRUE(stub_->PostPayment(As("collector").get(), pay, &reply).ok());
}

TEST_P(BillingE2eTest, BadInputWrongStateAndMissingTokens) {
  OpenResidentialAccount();
  v1::CommandReply reply;
  v1::RecordReadRequest request;
  request.set_command_id(NewUuid());
  request.mutable_read()->set_account_id("6101000123");
  request.mutable_read()->set_read_id("r1");
  request.mutable_read()->mutable_period()->set_year(2026);
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
  v1::IssueBillRequest issue = NovemberBill("b1");
  v1::IssueBillReply bill;
  status = stub_->IssueBill(As("checker").get(), issue, &bill);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no accepted read for 2026-11"));
  // An account on a tariff that does not exist.
  v1::OpenAccountRequest open;
  open.set_command_id(NewUuid());
  auto* a = open.mutable_account();
  a->set_account_id("6101000999");
  a->set_customer_name("Li Na");
  a->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  a->set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
  a->set_tariff_id("no-such-tariff");
  a->set_org_unit("sn/xa/huyi");
  status = stub_->OpenAccount(As("clerk").get(), open, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no published version"));
}

TEST_P(BillingE2eTest, PenaltiesReversalsAndBackBilling) {
  OpenResidentialAccount();
  ASSERT_TRUE(Read("reader", "r10", 10, 1000).ok());
  ASSERT_TRUE(Check("checker", "r10").ok());
  ASSERT_TRUE(Read("reader", "r11", 11, 1200).ok());
  ASSERT_TRUE(Check("checker", "r11").ok());
  v1::IssueBillRequest issue = NovemberBill("b11");
  v1::IssueBillReply bill;
  ASSERT_TRUE(stub_->IssueBill(As("checker").get(), issue, &bill).ok());
  v1::CommandReply reply;
  // Late: a penalty on the unpaid bill (10 days, residential 0.1 %/day, ≥ 1 CNY).
  v1::AccruePenaltyRequest accrue;
  accrue.set_command_id(NewUuid());
  accrue.set_account_id("6101000123");
  accrue.set_bill_id("b11");
  accrue.mutable_as_of()->set_year(2026);
  accrue.mutable_as_of()->set_month(12);
  accrue.mutable_as_of()->set_day(30);
  ASSERT_TRUE(stub_->AccruePenalty(As("checker").get(), accrue, &reply).ok());
  // A payment, reversed (bounced); then the bill reversed and reissued.
  v1::PostPaymentRequest pay;
  pay.set_command_id(NewUuid());
  pay.set_account_id("6101000123");
  pay.set_payment_id("p1");
  pay.set_amount_fen(500);
  ASSERT_TRUE(stub_->PostPayment(As("collector").get(), pay, &reply).ok());
  v1::ReverseBillRequest reverse;
  reverse.set_command_id(NewUuid());
  reverse.set_account_id("6101000123");
  reverse.set_bill_id("b11");
  reverse.set_reason("tariff applied to the wrong account class");
  grpc::Status status = stub_->ReverseBill(As("checker").get(), reverse, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("reverse those payments first"));
  v1::ReversePaymentRequest unpay;
  unpay.set_command_id(NewUuid());
  unpay.set_account_id("6101000123");
  unpay.set_payment_id("p1");
  unpay.set_reason("bounced");
  ASSERT_TRUE(stub_->ReversePayment(As("collector").get(), unpay, &reply).ok());
  reverse.set_command_id(NewUuid());
  ASSERT_TRUE(stub_->ReverseBill(As("checker").get(), reverse, &reply).ok());
  issue.set_command_id(NewUuid());
  issue.set_bill_id("b11-2");
  issue.set_replaces_bill_id("b11");
  ASSERT_TRUE(stub_->IssueBill(As("checker").get(), issue, &bill).ok());
  EXPECT_EQ(bill.bill().replaces_bill_id(), "b11");
  // Theft found on inspection: back-billing with three times the amount as penalty.
  v1::RecordInspectionRequest inspect;
  inspect.set_command_id(NewUuid());
  inspect.mutable_inspection()->set_inspection_id("I-1");
  inspect.mutable_inspection()->set_account_id("6101000123");
  inspect.mutable_inspection()->set_finding(v1::INSPECTION_FINDING_THEFT);
  ASSERT_TRUE(stub_->RecordInspection(As("checker").get(), inspect, &reply).ok());
  v1::IssueBackBillingRequest back;
  back.set_command_id(NewUuid());
  back.set_account_id("6101000123");
  back.set_inspection_id("I-1");
  back.set_bill_id("BB-1");
  back.set_energy_wh(1'000'000);
  back.mutable_from_period()->set_year(2026);
  back.mutable_from_period()->set_month(6);
  back.mutable_to_period()->set_year(2026);
  back.mutable_to_period()->set_month(11);
  ASSERT_TRUE(stub_->IssueBackBilling(As("checker").get(), back, &reply).ok());
  v1::GetAccountRequest get;
  get.set_account_id("6101000123");
  v1::AccountView view;
  ASSERT_TRUE(stub_->GetAccount(As("checker").get(), get, &view).ok());
  ASSERT_EQ(view.bills_size(), 3);
  EXPECT_TRUE(view.bills(0).reversed());
  EXPECT_EQ(view.bills(0).penalty_fen(), 103);  // 10 days × 0.1 % × 103.46 CNY
  EXPECT_TRUE(view.bills(2).back_billing());
  EXPECT_EQ(view.outstanding_fen(), bill.bill().total_fen() + int64_t{4} * 49830);
}

TEST_P(BillingE2eTest, FlaggedReadsNeedADecisionAndWholesaleIsSettled) {
  OpenResidentialAccount();
  ASSERT_TRUE(Read("reader", "r9", 9, 1000).ok());
  ASSERT_TRUE(Check("checker", "r9").ok());
  ASSERT_TRUE(Read("reader", "r10", 10, 1100).ok());
  ASSERT_TRUE(Check("checker", "r10").ok());
  // November far above the average of October: flagged, with the reason.
  ASSERT_TRUE(Read("reader", "r11", 11, 1700).ok());
  v1::CheckReadRequest check;
  check.set_command_id(NewUuid());
  check.set_account_id("6101000123");
  check.set_read_id("r11");
  v1::CheckReadReply checked;
  ASSERT_TRUE(stub_->CheckRead(As("checker").get(), check, &checked).ok());
  EXPECT_FALSE(checked.check().passed());
  ASSERT_EQ(checked.check().flags_size(), 1);
  EXPECT_EQ(checked.check().flags(0), v1::READ_FLAG_CONSUMPTION_HIGH);
  // The reader may not decide on it; the checker re-orders a read.
  v1::DecideReadRequest decide;
  decide.set_command_id(NewUuid());
  decide.set_account_id("6101000123");
  decide.set_read_id("r11");
  decide.set_decision(v1::READ_DECISION_REREAD);
  v1::CommandReply reply;
  EXPECT_EQ(stub_->DecideRead(As("reader").get(), decide, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->DecideRead(As("checker").get(), decide, &reply).ok());
  ASSERT_TRUE(Read("reader", "r11b", 11, 1190).ok());
  ASSERT_TRUE(Check("checker", "r11b").ok());

  v1::PublishTariffVersionRequest tariff;
  tariff.set_command_id(NewUuid());
  auto* v = tariff.mutable_version();
  v->set_tariff_id("sn-wholesale");
  v->set_version(1);
  v->mutable_effective_from()->set_year(2026);
  v->mutable_effective_from()->set_month(1);
  v->mutable_effective_from()->set_day(1);
  v->set_category(v1::CUSTOMER_CATEGORY_WHOLESALE);
  v->set_flat_price_micro_cny_per_kwh(380000);
  ASSERT_TRUE(stub_->PublishTariffVersion(As("pricing").get(), tariff, &reply).ok());
  v1::IssueWholesaleSettlementRequest settle;
  settle.set_command_id(NewUuid());
  settle.set_counterparty("local-power");
  settle.set_settlement_id("WS-2026-11");
  settle.mutable_period()->set_year(2026);
  settle.mutable_period()->set_month(11);
  settle.set_energy_wh(86'400'000'000);  // 86.4 GWh at 0.38 CNY/kWh = 32,832,000 CNY
  settle.set_tariff_id("sn-wholesale");
  ASSERT_TRUE(stub_->IssueWholesaleSettlement(As("checker").get(), settle, &reply).ok());
  EXPECT_EQ(reply.stream_id(), "wholesale-local-power");
  settle.set_command_id(NewUuid());
  settle.set_settlement_id("WS-2026-11b");
  EXPECT_EQ(stub_->IssueWholesaleSettlement(As("checker").get(), settle, &reply).error_code(),
            grpc::StatusCode::ALREADY_EXISTS)
      << "one settlement per period";
  v1::ConfirmWholesaleSettlementRequest confirm;
  confirm.set_command_id(NewUuid());
  confirm.set_counterparty("local-power");
  confirm.set_settlement_id("WS-2026-11");
  confirm.set_confirmed_by("counterparty finance");
  ASSERT_TRUE(stub_->ConfirmWholesaleSettlement(As("checker").get(), confirm, &reply).ok());
  confirm.set_command_id(NewUuid());
  EXPECT_EQ(stub_->ConfirmWholesaleSettlement(As("checker").get(), confirm, &reply).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
