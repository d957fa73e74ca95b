// The billing model test (domain/billing_center/testing/billing_model.h)
// through a real `gridledger serve` on each backend: every command over gRPC
// as a principal with several roles, every step checked against the model
// from the account's stream (EventGateway.ReadStream) and GetAccount; at the
// end the billing-ledger view agrees with the account.
#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ids.h"
#include "domain/billing_center/testing/billing_model.h"
#include "domain/common/calendar.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/grpc_util.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using billing::model::Command;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

class GrpcExecutor final : public billing::model::BillingExecutor {
 public:
  GrpcExecutor(const std::string& address, std::map<std::string, std::string> tokens)
      : tokens_(std::move(tokens)) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    billing_ = v1::BillingCenter::NewStub(channel);
    metering_ = v1::MeteringCenter::NewStub(channel);
    gateway_ = v1::EventGateway::NewStub(channel);
    ledger_ = v1::LedgerQuery::NewStub(channel);
  }

  absl::Status Publish(const v1::TariffScheduleVersionPublished& version) override {
    v1::PublishTariffVersionRequest request;
    request.set_command_id(NewUuid());
    *request.mutable_version() = version;
    v1::CommandReply reply;
    return FromGrpc(
        billing_->PublishTariffVersion(As(billing::model::kAdmin).get(), request, &reply));
  }
  absl::Status Open(const v1::AccountOpened& account) override {
    v1::OpenAccountRequest request;
    request.set_command_id(NewUuid());
    *request.mutable_account() = account;
    v1::CommandReply reply;
    // Opened on the scenario's day: its reads, bills and payments come later.
    std::unique_ptr<grpc::ClientContext> context = As(billing::model::kAdmin);
    context->AddMetadata("x-occurred-at",
                         absl::StrFormat("%04d-%02d-%02dT09:00:00+08:00", scenario_day_.year(),
                                         scenario_day_.month(), scenario_day_.day()));
    return FromGrpc(billing_->OpenAccount(context.get(), request, &reply));
  }
  absl::Status Execute(const Command& command) override {
    return std::visit([&](auto request) { return Run(command.principal, std::move(request)); },
                      command.request);
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> History(const std::string& account) override {
    std::vector<v1::EventEnvelope> events;
    for (;;) {
      v1::ReadStreamRequest request;
      request.set_stream_id("account-" + account);
      request.set_from_version(static_cast<int64_t>(events.size()) + 1);
      request.set_max_events(10000);
      v1::ReadStreamReply reply;
      grpc::Status status = gateway_->ReadStream(As(billing::model::kAdmin).get(), request, &reply);
      if (!status.ok()) return FromGrpc(status);
      for (v1::EventEnvelope& e : *reply.mutable_events()) events.push_back(std::move(e));
      if (static_cast<int64_t>(events.size()) >= reply.stream_version()) return events;
    }
  }
  absl::StatusOr<v1::AccountView> View(const std::string& account) override {
    v1::GetAccountRequest request;
    request.set_account_id(account);
    v1::AccountView view;
    grpc::Status status = billing_->GetAccount(As(billing::model::kAdmin).get(), request, &view);
    if (!status.ok()) return FromGrpc(status);
    return view;
  }
  v1::Date Today() override { return domain::UtilityToday(); }
  void AdvanceTo(const v1::Date& date) override { scenario_day_ = date; }

  // The billing-ledger view's balance once it has applied `position`.
  absl::StatusOr<v1::AccountBalance> Balance(const std::string& account,
                                             const v1::Position& position) {
    v1::GetBalanceRequest request;
    request.set_account_id(account);
    *request.mutable_min_position() = position;
    v1::AccountBalance balance;
    grpc::Status status = ledger_->GetBalance(As(billing::model::kAdmin).get(), request, &balance);
    if (!status.ok()) return FromGrpc(status);
    return balance;
  }

 private:
  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    return testing::CallAs(tokens_.at(who));
  }
  template <typename Request, typename Reply>
  absl::Status Call(const std::string& who, Request request,
                    grpc::Status (v1::BillingCenter::Stub::*rpc)(grpc::ClientContext*,
                                                                 const Request&, Reply*)) {
    request.set_command_id(NewUuid());
    Reply reply;
    return FromGrpc(((*billing_).*rpc)(As(who).get(), request, &reply));
  }
  absl::Status Run(const std::string& who, v1::RecordReadRequest r) {
    if (r.read().purpose() == v1::READ_PURPOSE_METER_INSTALLED &&
        !r.read().meter_bar_code().empty()) {
      if (absl::Status installed = Install(r.read().meter_bar_code(), r.read().account_id());
          !installed.ok()) {
        return installed;
      }
    }
    return Call(who, std::move(r), &v1::BillingCenter::Stub::RecordRead);
  }
  // The Metering Centre installs `meter` on `account` (once): received,
  // verified today, moved to the county, dispatched, installed — what an
  // installation read needs (C-METER-ON-ACCOUNT).
  absl::Status Install(const std::string& meter, const std::string& account) {
    if (!installed_.insert(meter).second) return absl::OkStatus();
    v1::CommandReply reply;
    v1::ReceiveMeterRequest receive;
    receive.set_command_id(NewUuid());
    receive.mutable_meter()->set_bar_code(meter);
    receive.mutable_meter()->set_asset_kind(v1::ASSET_KIND_METER);
    receive.mutable_meter()->set_meter_type(v1::METER_TYPE_SINGLE_PHASE);
    receive.mutable_meter()->mutable_accuracy_class()->set_class_tenths(20);
    receive.mutable_meter()->set_store_tier(v1::STORE_TIER_PROVINCE);
    receive.mutable_meter()->set_store_id("sn-central");
    receive.mutable_meter()->set_manufacturer("Linyang");
    receive.mutable_meter()->set_batch("model-test");
    v1::RecordCalibrationRequest calibrate;
    calibrate.set_command_id(NewUuid());
    auto* c = calibrate.mutable_calibration();
    c->set_bar_code(meter);
    c->set_passed(true);
    c->set_certificate_no("JD-" + meter);
    c->set_verifier("verifier-1");
    *c->mutable_verified_on() = domain::UtilityToday();
    auto* point = c->add_load_points();
    point->set_load_permille_of_ib(1000);
    point->set_power_factor_hundredths(100);
    point->set_error_ppm(100);
    v1::MoveMeterRequest move;
    move.set_command_id(NewUuid());
    move.set_bar_code(meter);
    move.set_to_tier(v1::STORE_TIER_COUNTY);
    move.set_to_store_id("county");
    v1::DispatchMeterRequest dispatch;
    dispatch.set_command_id(NewUuid());
    dispatch.mutable_dispatch()->set_bar_code(meter);
    dispatch.mutable_dispatch()->set_work_order("WO-" + meter);
    v1::InstallMeterRequest install;
    install.set_command_id(NewUuid());
    install.mutable_installation()->set_bar_code(meter);
    install.mutable_installation()->set_account_id(account);
    install.mutable_installation()->set_metering_class(3);
    for (const grpc::Status& status :
         {metering_->ReceiveMeter(As(billing::model::kAdmin).get(), receive, &reply),
          metering_->RecordCalibration(As(billing::model::kAdmin).get(), calibrate, &reply),
          metering_->MoveMeter(As(billing::model::kAdmin).get(), move, &reply),
          metering_->DispatchMeter(As(billing::model::kAdmin).get(), dispatch, &reply),
          metering_->InstallMeter(As(billing::model::kAdmin).get(), install, &reply)}) {
      if (!status.ok()) {
        return absl::InternalError(
            absl::StrCat("installing ", meter, ": ", status.error_message()));
      }
    }
    return absl::OkStatus();
  }
  absl::Status Run(const std::string& who, v1::CheckReadRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::CheckRead);
  }
  absl::Status Run(const std::string& who, v1::DecideReadRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::DecideRead);
  }
  absl::Status Run(const std::string& who, v1::IssueBillRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::IssueBill);
  }
  absl::Status Run(const std::string& who, v1::CheckBillRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::CheckBill);
  }
  absl::Status Run(const std::string& who, v1::ReverseBillRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::ReverseBill);
  }
  absl::Status Run(const std::string& who, v1::PostPaymentRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::PostPayment);
  }
  absl::Status Run(const std::string& who, v1::ReversePaymentRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::ReversePayment);
  }
  absl::Status Run(const std::string& who, v1::AccruePenaltyRequest r) {
    return Call(who, std::move(r), &v1::BillingCenter::Stub::AccruePenalty);
  }

  std::map<std::string, std::string> tokens_;
  std::unique_ptr<v1::BillingCenter::Stub> billing_;
  std::unique_ptr<v1::MeteringCenter::Stub> metering_;
  std::set<std::string> installed_;  // meters Install put on an account
  v1::Date scenario_day_;            // the scenario's clock (AdvanceTo)
  std::unique_ptr<v1::EventGateway::Stub> gateway_;
  std::unique_ptr<v1::LedgerQuery::Stub> ledger_;
};

class BillingModelE2eTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BillingModelE2eTest, TheServiceAgreesWithTheModelAtEveryStep) {
  testing::TempDir dir;
  std::vector<std::pair<std::string, std::string>> principals;
  for (const billing::model::Principal& p : billing::model::Principals()) {
    principals.emplace_back(p.name, p.roles);
  }
  testing::ServedGridLedger served =
      testing::StartGridLedger(GL_GRIDLEDGER_PATH, GetParam(), dir.path(), principals);
  if (served.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
  ASSERT_FALSE(served.address.empty()) << "gridledger serve did not start";
  GrpcExecutor executor(served.address, served.tokens);
  billing::model::ScenarioOptions options;
  options.seed = 20261129;
  options.steps = 600;
  absl::StatusOr<billing::model::ScenarioStats> stats =
      billing::model::RunScenario(executor, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::cout << stats->Summary() << "\n";
  EXPECT_GT(stats->bills, 5);
  EXPECT_GT(stats->payments, 5);
  EXPECT_GT(stats->permission_denied, 5);
  // The billing-ledger view folds the same events: same balance, and an open
  // bill for each bill with something unpaid.
  for (const char* account : {"mres", "mgc"}) {
    absl::StatusOr<std::vector<v1::EventEnvelope>> history = executor.History(account);
    ASSERT_TRUE(history.ok()) << history.status();
    absl::StatusOr<v1::AccountView> view = executor.View(account);
    ASSERT_TRUE(view.ok()) << view.status();
    absl::StatusOr<v1::AccountBalance> balance =
        executor.Balance(account, history->back().position());
    ASSERT_TRUE(balance.ok()) << balance.status();
    EXPECT_EQ(balance->balance_fen(), view->outstanding_fen() - view->credit_fen()) << account;
    EXPECT_EQ(balance->credit_fen(), view->credit_fen()) << account;
    int64_t open = 0;
    for (const v1::LedgerBill& bill : balance->open_bills()) {
      open += bill.total_fen() - bill.paid_fen() + bill.penalty_fen() - bill.penalty_paid_fen();
    }
    EXPECT_EQ(open, view->outstanding_fen()) << account;
  }
  EXPECT_EQ(served.process->Wait(SIGTERM), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingModelE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
