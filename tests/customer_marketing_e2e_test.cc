// The Customer Service Centre and the Marketing Department through gRPC,
// against a real `gridledger serve` on each backend: an application for a
// high-voltage supply through every step, with the 10 kV bay approved by the
// Marketing Department; a 95598 ticket; KPI targets and alerts; refusals.
#include <grpcpp/grpcpp.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

class CustomerMarketingE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedger(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                       {{"clerk", "customer_service"},
                                        {"manager", "marketing_manager"},
                                        {"deputy", "marketing_manager"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    token_ = served_.tokens;
    auto channel = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
    csc_ = v1::CustomerServiceCenter::NewStub(channel);
    marketing_ = v1::MarketingDepartment::NewStub(channel);
  }

  void TearDown() override {
    csc_.reset();
    marketing_.reset();
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    return testing::CallAs(token_.count(who) ? token_[who] : "");
  }

  grpc::Status Step(v1::CompleteStepRequest request) {
    request.set_command_id(NewUuid());
    request.set_application_id("A-1");
    v1::CommandReply reply;
    return csc_->CompleteStep(As("clerk").get(), request, &reply);
  }

  grpc::Status Approve(bool grant, const std::string& reason = "") {
    v1::DecideBayApprovalRequest request;
    request.set_command_id(NewUuid());
    request.set_application_id("A-1");
    request.set_grant(grant);
    request.set_reason(reason);
    v1::CommandReply reply;
    return marketing_->DecideBayApproval(As("manager").get(), request, &reply);
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> token_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::CustomerServiceCenter::Stub> csc_;
  std::unique_ptr<v1::MarketingDepartment::Stub> marketing_;
};

// A command id is bound to its request and scoped to its principal: only an
// identical retry is answered as one, a different body is refused, and
// another principal's use of the same id is a command of its own.
TEST_P(CustomerMarketingE2eTest, CommandIdsAreBoundToTheirRequestAndPrincipal) {
  v1::SetKpiTargetRequest request;
  request.set_command_id("target-1");
  v1::KpiTargetSet* target = request.mutable_target();
  target->set_org_unit("sn/xa/huyi");
  target->mutable_period()->set_year(2026);
  target->mutable_period()->set_month(11);
  target->set_kpi(v1::KPI_READ_COMPLETION_RATE);
  target->set_target_value(9900);
  target->set_target_unit("bp");
  v1::CommandReply first, retry, other;
  ASSERT_TRUE(marketing_->SetKpiTarget(As("manager").get(), request, &first).ok());
  EXPECT_FALSE(first.deduplicated());
  ASSERT_TRUE(marketing_->SetKpiTarget(As("manager").get(), request, &retry).ok());
  EXPECT_TRUE(retry.deduplicated());
  EXPECT_EQ(retry.last_version(), first.last_version());
  EXPECT_EQ(retry.positions(0).offset(), first.positions(0).offset());

  v1::SetKpiTargetRequest changed = request;
  changed.mutable_target()->set_target_value(9000);
  v1::CommandReply refused;
  grpc::Status status = marketing_->SetKpiTarget(As("manager").get(), changed, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("target-1"));
  EXPECT_THAT(status.error_message(), HasSubstr("different request"));

  // The deputy's "target-1" is the deputy's own command.
  ASSERT_TRUE(marketing_->SetKpiTarget(As("deputy").get(), changed, &other).ok());
  EXPECT_FALSE(other.deduplicated());
  EXPECT_EQ(other.last_version(), first.last_version() + 1) << "nothing else was appended";

  v1::SetKpiTargetRequest unprintable = request;
  unprintable.set_command_id("target 1");
  status = marketing_->SetKpiTarget(As("manager").get(), unprintable, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("command_id"));
}

TEST_P(CustomerMarketingE2eTest, AHighVoltageApplicationWithABayApproval) {
  v1::SubmitApplicationRequest submit;
  submit.set_command_id(NewUuid());
  auto* a = submit.mutable_application();
  a->set_application_id("A-1");
  a->set_application_type(v1::APPLICATION_TYPE_NEW_CONNECTION);
  a->set_customer_name("Qinling Cement");
  a->set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  a->set_voltage_class(v1::VOLTAGE_CLASS_10KV);
  a->set_supply_mode(v1::SUPPLY_MODE_HIGH_VOLTAGE_SINGLE);
  a->set_requested_capacity_kva(2000);
  a->set_org_unit("sn/xa/huyi");
  v1::CommandReply reply;
  ASSERT_TRUE(csc_->SubmitApplication(As("clerk").get(), submit, &reply).ok());
  // Only the single window takes applications.
  EXPECT_EQ(csc_->SubmitApplication(As("manager").get(), submit, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AcceptApplicationRequest accept;
  accept.set_command_id(NewUuid());
  accept.set_application_id("A-1");
  ASSERT_TRUE(csc_->AcceptApplication(As("clerk").get(), accept, &reply).ok());
  // The bay cannot be approved before a plan asks for it.
  grpc::Status status = Approve(true);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not waiting for a bay approval"));

  v1::CompleteStepRequest step;
  step.mutable_site_survey()->set_surveyor("surveyor-2");
  ASSERT_TRUE(Step(step).ok());
  step.mutable_supply_plan()->set_needs_bay_approval(true);
  step.mutable_supply_plan()->set_substation("Huyi 110 kV");
  step.mutable_supply_plan()->set_bay("bay-7");
  ASSERT_TRUE(Step(step).ok());
  step.mutable_design_review()->set_approved(true);
  status = Step(step);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("approval of bay bay-7"));
  EXPECT_EQ(Approve(false).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "a denial needs a reason";
  ASSERT_TRUE(Approve(true).ok());
  ASSERT_TRUE(Step(step).ok());
  step.mutable_construction()->set_contractor("Shaanxi Power Construction");
  ASSERT_TRUE(Step(step).ok());
  step.mutable_completion_inspection()->set_passed(true);
  ASSERT_TRUE(Step(step).ok());
  step.mutable_meter_installed()->set_meter_bar_code("M-1");
  ASSERT_TRUE(Step(step).ok());
  step.mutable_energised();
  ASSERT_TRUE(Step(step).ok());
  step.mutable_closed();
  ASSERT_TRUE(Step(step).ok());

  v1::GetApplicationRequest get;
  get.set_application_id("A-1");
  v1::ApplicationView view;
  ASSERT_TRUE(csc_->GetApplication(As("manager").get(), get, &view).ok());
  EXPECT_EQ(view.step(), v1::APPLICATION_STEP_CLOSED);
  EXPECT_TRUE(view.ended());
  EXPECT_EQ(view.committed_working_days(), 22);
  // A closed application takes no more steps.
  step.mutable_site_survey();
  EXPECT_EQ(Step(step).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(CustomerMarketingE2eTest, TicketsTargetsAndAlerts) {
  v1::OpenTicketRequest open;
  open.set_command_id(NewUuid());
  auto* t = open.mutable_ticket();
  t->set_ticket_id("T-1");
  t->set_category(v1::TICKET_CATEGORY_FAULT_REPAIR);
  t->set_area(v1::SERVICE_AREA_RURAL);
  t->set_org_unit("sn/xa/huyi");
  v1::CommandReply reply;
  ASSERT_TRUE(csc_->OpenTicket(As("clerk").get(), open, &reply).ok());
  v1::AdvanceTicketRequest advance;
  advance.set_ticket_id("T-1");
  advance.set_command_id(NewUuid());
  advance.mutable_resolved()->set_resolution("early");
  EXPECT_EQ(csc_->AdvanceTicket(As("clerk").get(), advance, &reply).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  for (int i = 0; i < 4; ++i) {
    advance.set_command_id(NewUuid());
    if (i == 0) advance.mutable_dispatched()->set_crew("crew-1");
    if (i == 1) advance.mutable_on_site();
    if (i == 2) advance.mutable_resolved()->set_resolution("line reconnected");
    if (i == 3) advance.mutable_closed()->set_satisfaction(4);
    grpc::Status status = csc_->AdvanceTicket(As("clerk").get(), advance, &reply);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  EXPECT_EQ(reply.last_version(), 5);

  v1::SetKpiTargetRequest target;
  target.set_command_id(NewUuid());
  target.mutable_target()->set_org_unit("sn/xa/huyi");
  target.mutable_target()->mutable_period()->set_year(2026);
  target.mutable_target()->mutable_period()->set_month(12);
  target.mutable_target()->set_kpi(v1::KPI_FEE_RECOVERY_RATE);
  target.mutable_target()->set_target_value(9950);
  target.mutable_target()->set_target_unit("bp");
  ASSERT_TRUE(marketing_->SetKpiTarget(As("manager").get(), target, &reply).ok());
  EXPECT_EQ(reply.stream_id(), "kpi-sn.xa.huyi");
  target.mutable_target()->set_target_value(12000);
  target.set_command_id(NewUuid());
  grpc::Status status = marketing_->SetKpiTarget(As("manager").get(), target, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("target.target_value"));
  EXPECT_EQ(marketing_->SetKpiTarget(As("clerk").get(), target, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::RaiseAlertRequest raise;
  raise.set_command_id(NewUuid());
  raise.mutable_alert()->set_alert_id("AL-1");
  raise.mutable_alert()->set_kind(v1::ALERT_KIND_TICKET_ON_SITE_LATE);
  raise.mutable_alert()->set_subject_stream_id("ticket-T-1");
  ASSERT_TRUE(marketing_->RaiseAlert(As("manager").get(), raise, &reply).ok());
  v1::ResolveAlertRequest resolve;
  resolve.set_command_id(NewUuid());
  resolve.set_alert_id("AL-1");
  resolve.set_resolution("crew rota changed");
  ASSERT_TRUE(marketing_->ResolveAlert(As("manager").get(), resolve, &reply).ok());
  resolve.set_command_id(NewUuid());
  EXPECT_EQ(marketing_->ResolveAlert(As("manager").get(), resolve, &reply).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomerMarketingE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
