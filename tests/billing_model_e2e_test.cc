// The billing model test (domain/billing_center/testing/billing_model.h)
// through a real `gridledger serve` on each backend: every command over gRPC
// as a principal with several roles, every step checked against the model
// from the account's stream (EventGateway.ReadStream) and GetAccount; at the
// end the billing-ledger view agrees with the account.
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "domain/billing_center/testing/billing_model.h"
#include "domain/common/calendar.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
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
    return FromGrpc(billing_->OpenAccount(As(billing::model::kAdmin).get(), request, &reply));
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
    return Call(who, std::move(r), &v1::BillingCenter::Stub::RecordRead);
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
