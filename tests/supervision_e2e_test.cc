// Supervision through gRPC against a real `gridledger serve` on each backend:
// a 95598 ticket left undispatched raises an alert at the clock tick that
// finds it late, visible through SupervisionQuery in the ticket's unit and
// not in another; dispatching it resolves the alert at the next tick;
// thresholds and ticks refuse bad input; a serve killed (SIGKILL) right
// after a tick and restarted leaves each alert raised exactly once.
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

class SupervisionE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedgerAs(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                         {{"clerk", "customer_service"},
                                          {"manager", "marketing_manager"},
                                          {"other", "marketing_manager", "sn/bj/chencang"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    Connect(served_.address);
  }

  void TearDown() override {
    if (served_.process) served_.process->Wait(SIGTERM);
  }

  void Connect(const std::string& address) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    csc_ = v1::CustomerServiceCenter::NewStub(channel);
    marketing_ = v1::MarketingDepartment::NewStub(channel);
    query_ = v1::SupervisionQuery::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    return testing::CallAs(served_.tokens.count(who) ? served_.tokens[who] : "");
  }

  grpc::Status Tick(absl::Time at, const std::string& command_id = NewUuid()) {
    v1::RecordClockTickRequest request;
    request.set_command_id(command_id);
    *request.mutable_at() = domain::ToTimestamp(at);
    v1::CommandReply reply;
    return marketing_->RecordClockTick(As("test-registrar").get(), request, &reply);
  }

  // The alerts `who` sees in its unit, once the view has caught up to at
  // least `want` of them (polling up to 30 s).
  std::vector<v1::AlertRecord> AlertsSeenBy(const std::string& who, size_t want,
                                            v1::AlertState state = v1::ALERT_STATE_UNSPECIFIED) {
    std::vector<v1::AlertRecord> alerts;
    for (int attempt = 0; attempt < 300; ++attempt) {
      v1::ListAlertsRequest request;
      request.set_state(state);
      v1::AlertPage page;
      grpc::Status status = query_->ListAlerts(As(who).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      alerts.assign(page.alerts().begin(), page.alerts().end());
      if (alerts.size() >= want || !status.ok()) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return alerts;
  }

  void OpenTicket(const std::string& id, absl::Time opened_at) {
    v1::OpenTicketRequest open;
    open.set_command_id(NewUuid());
    v1::ServiceTicketOpened* t = open.mutable_ticket();
    t->set_ticket_id(id);
    t->set_category(v1::TICKET_CATEGORY_FAULT_REPAIR);
    t->set_area(v1::SERVICE_AREA_URBAN);
    t->set_org_unit("sn/xa/huyi");
    *t->mutable_opened_at() = domain::ToTimestamp(opened_at);
    v1::CommandReply reply;
    grpc::Status status = csc_->OpenTicket(As("clerk").get(), open, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Dispatch(const std::string& id) {
    v1::AdvanceTicketRequest advance;
    advance.set_command_id(NewUuid());
    advance.set_ticket_id(id);
    advance.mutable_dispatched()->set_crew("crew-1");
    v1::CommandReply reply;
    grpc::Status status = csc_->AdvanceTicket(As("clerk").get(), advance, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::CustomerServiceCenter::Stub> csc_;
  std::unique_ptr<v1::MarketingDepartment::Stub> marketing_;
  std::unique_ptr<v1::SupervisionQuery::Stub> query_;
};

TEST_P(SupervisionE2eTest, ALateTicketRaisesOnceAndResolvesOnce) {
  const absl::Time opened = absl::Now() - absl::Hours(3);
  OpenTicket("T-1", opened);
  ASSERT_TRUE(Tick(opened + absl::Minutes(30)).ok());
  ASSERT_TRUE(Tick(opened + absl::Minutes(31)).ok());
  std::vector<v1::AlertRecord> alerts = AlertsSeenBy("manager", 1);
  ASSERT_EQ(alerts.size(), 1u);
  const v1::AlertRecord& alert = alerts[0];
  EXPECT_EQ(alert.raised().rule(), v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE);
  EXPECT_EQ(alert.raised().subject_stream_id(), "ticket-T-1");
  EXPECT_EQ(alert.raised().org_unit(), "sn/xa/huyi");
  EXPECT_EQ(alert.raised().threshold(), 30);
  EXPECT_EQ(alert.raised().observed(), 31);
  EXPECT_EQ(alert.raised_by(), "system:supervision");
  EXPECT_EQ(alert.state(), v1::ALERT_STATE_OPEN);
  ASSERT_EQ(alert.raised().evidence_size(), 1);
  EXPECT_EQ(alert.raised().evidence(0).stream_id(), "ticket-T-1");

  // Another county's manager sees none of it.
  EXPECT_TRUE(AlertsSeenBy("other", 0).empty());
  v1::GetAlertRequest get;
  get.set_alert_id(alert.raised().alert_id());
  v1::AlertRecord record;
  EXPECT_EQ(query_->GetAlert(As("other").get(), get, &record).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(query_->GetAlert(As("manager").get(), get, &record).ok());

  // More ticks while it is late raise nothing more.
  ASSERT_TRUE(Tick(opened + absl::Minutes(40)).ok());
  Dispatch("T-1");
  ASSERT_TRUE(Tick(absl::Now()).ok());
  std::vector<v1::AlertRecord> resolved = AlertsSeenBy("manager", 1, v1::ALERT_STATE_RESOLVED);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].raised().alert_id(), alert.raised().alert_id());
  // Dispatched after its on-site limit had passed: that is late too, once.
  std::vector<v1::AlertRecord> all = AlertsSeenBy("manager", 2);
  ASSERT_EQ(all.size(), 2u);
  // Paging one at a time gives each alert once, then ends; the token is text.
  std::set<std::string> paged;
  v1::ListAlertsRequest one;
  one.set_page_size(1);
  for (int page_number = 0; page_number < 5; ++page_number) {
    v1::AlertPage page;
    grpc::Status listed = query_->ListAlerts(As("manager").get(), one, &page);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
    for (const v1::AlertRecord& a : page.alerts()) paged.insert(a.raised().alert_id());
    if (page.next_page_token().empty()) break;
    EXPECT_TRUE(absl::ascii_isprint(page.next_page_token().back()));
    one.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(paged.size(), 2u);
  EXPECT_TRUE(one.page_token().empty() || paged.size() == 2u);
  v1::ListAlertsRequest by_rule;
  by_rule.set_rule(v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE);
  v1::AlertPage page;
  ASSERT_TRUE(query_->ListAlerts(As("manager").get(), by_rule, &page).ok());
  EXPECT_EQ(page.alerts_size(), 1);
}

TEST_P(SupervisionE2eTest, RefusesBadThresholdsTicksAndHandMadeEngineAlerts) {
  v1::SetSupervisionThresholdRequest threshold;
  threshold.set_command_id(NewUuid());
  threshold.mutable_threshold()->set_org_unit("sn/xa/huyi");
  threshold.mutable_threshold()->set_rule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1);
  threshold.mutable_threshold()->set_value(400);
  v1::CommandReply reply;
  grpc::Status status = marketing_->SetSupervisionThreshold(As("manager").get(), threshold, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("threshold.value"));
  threshold.mutable_threshold()->set_value(10);
  threshold.mutable_threshold()->set_org_unit("sn/bj/chencang");
  EXPECT_EQ(
      marketing_->SetSupervisionThreshold(As("manager").get(), threshold, &reply).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  threshold.mutable_threshold()->set_org_unit("sn/xa/huyi");
  EXPECT_TRUE(marketing_->SetSupervisionThreshold(As("manager").get(), threshold, &reply).ok());

  // Ticks: an admin's only, never in the future, never backwards.
  v1::RecordClockTickRequest tick;
  tick.set_command_id(NewUuid());
  *tick.mutable_at() = domain::ToTimestamp(absl::Now());
  EXPECT_EQ(marketing_->RecordClockTick(As("manager").get(), tick, &reply).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = Tick(absl::Now() + absl::Hours(1));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("BT-NOT-FUTURE"));
  ASSERT_TRUE(Tick(absl::Now() - absl::Hours(1)).ok());
  status = Tick(absl::Now() - absl::Hours(2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("only goes forward"));
  tick.clear_at();
  status = marketing_->RecordClockTick(As("test-registrar").get(), tick, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at: must be set"));

  // The engine's alert ids and fields are its own.
  v1::RaiseAlertRequest raise;
  raise.set_command_id(NewUuid());
  raise.mutable_alert()->set_alert_id("sv.ticket-dispatch.0000000000000000.1");
  raise.mutable_alert()->set_kind(v1::ALERT_KIND_OTHER);
  status = marketing_->RaiseAlert(As("manager").get(), raise, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("alert.alert_id"));
  raise.mutable_alert()->set_alert_id("SV.upper");
  status = marketing_->RaiseAlert(As("manager").get(), raise, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  raise.mutable_alert()->set_alert_id("by-hand-1");
  raise.mutable_alert()->set_threshold(5);
  status = marketing_->RaiseAlert(As("manager").get(), raise, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("alert.threshold"));
  raise.mutable_alert()->set_threshold(0);
  raise.mutable_alert()->set_rule(v1::SUPERVISION_RULE_VOUCHER_LATE);
  status = marketing_->RaiseAlert(As("manager").get(), raise, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("alert.rule"));

  // Queries name the field they refuse.
  v1::ListAlertsRequest list;
  list.set_org_unit("sn/bj");
  v1::AlertPage page;
  EXPECT_EQ(query_->ListAlerts(As("manager").get(), list, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  list.set_org_unit("");
  list.set_page_token("garbage");
  status = query_->ListAlerts(As("manager").get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

// kill -9 right after a tick is recorded, before or while the engine records
// what it found: after a restart each alert is in the log exactly once.
TEST_P(SupervisionE2eTest, KilledAfterATickRaisesEachAlertOnce) {
  const absl::Time opened = absl::Now() - absl::Hours(2);
  for (int i = 0; i < 20; ++i) OpenTicket(absl::StrCat("T-", i), opened);
  ASSERT_TRUE(Tick(opened + absl::Minutes(31)).ok());
  EXPECT_EQ(served_.process->Wait(SIGKILL), 128 + SIGKILL);
  served_.process = std::make_unique<testing::ServeProcess>(
      GL_GRIDLEDGER_PATH,
      std::vector<std::string>{"serve", "--store", served_.store_uri, "--listen", "127.0.0.1:0",
                               "--tokens", dir_.path() + "/tokens", "--view_dir",
                               dir_.path() + "/views", "--clock_tick_s", "0"});
  const std::string address = testing::AddressFrom(served_.process->LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  Connect(address);
  ASSERT_TRUE(Tick(opened + absl::Minutes(32)).ok());
  std::vector<v1::AlertRecord> alerts = AlertsSeenBy("manager", 20);
  EXPECT_EQ(alerts.size(), 20u);
  std::set<std::string> subjects;
  for (const v1::AlertRecord& a : alerts) subjects.insert(a.raised().subject_stream_id());
  EXPECT_EQ(subjects.size(), 20u);
  // Nothing more arrives late.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(AlertsSeenBy("manager", 0).size(), 20u);
}

// With --clock_tick_s, serve records the ticks itself: a late ticket is
// found without anyone recording one.
TEST_P(SupervisionE2eTest, TheServersOwnClockFindsALateTicket) {
  OpenTicket("T-1", absl::Now() - absl::Hours(1));
  EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  served_.process = std::make_unique<testing::ServeProcess>(
      GL_GRIDLEDGER_PATH,
      std::vector<std::string>{"serve", "--store", served_.store_uri, "--listen", "127.0.0.1:0",
                               "--tokens", dir_.path() + "/tokens", "--view_dir",
                               dir_.path() + "/views", "--clock_tick_s", "1"});
  const std::string address = testing::AddressFrom(served_.process->LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  Connect(address);
  std::vector<v1::AlertRecord> alerts = AlertsSeenBy("manager", 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].raised().rule(), v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE);
  // A tick recorded by hand behind the server's clock is refused.
  grpc::Status status = Tick(absl::Now() - absl::Minutes(5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Market demand for grid planning through PlanningQuery: the county's
// applications by month and voltage class; another county's manager refused.
TEST_P(SupervisionE2eTest, PlanningDemandByMonthAndVoltage) {
  const absl::Time submitted = absl::Now() - absl::Hours(1);
  for (int i = 0; i < 3; ++i) {
    v1::SubmitApplicationRequest submit;
    submit.set_command_id(NewUuid());
    v1::ApplicationSubmitted* a = submit.mutable_application();
    a->set_application_id(absl::StrCat("A-", i));
    a->set_application_type(v1::APPLICATION_TYPE_NEW_CONNECTION);
    a->set_customer_name("Applicant");
    a->set_category(i == 2 ? v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL
                           : v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    a->set_voltage_class(i == 2 ? v1::VOLTAGE_CLASS_10KV : v1::VOLTAGE_CLASS_LV_220V);
    a->set_supply_mode(i == 2 ? v1::SUPPLY_MODE_HIGH_VOLTAGE_SINGLE : v1::SUPPLY_MODE_LOW_VOLTAGE);
    a->set_requested_capacity_kva(i == 2 ? 1250 : 8 + i);
    a->set_org_unit("sn/xa/huyi");
    *a->mutable_submitted_at() = domain::ToTimestamp(submitted);
    v1::CommandReply reply;
    grpc::Status status = csc_->SubmitApplication(As("clerk").get(), submit, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto planning = v1::PlanningQuery::NewStub(
      grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials()));
  v1::GetDemandRequest request;
  request.set_org_unit("sn/xa/huyi");
  const absl::CivilMonth month(domain::UtilityDay(submitted));
  request.mutable_from_period()->set_year(static_cast<int>(month.year()));
  request.mutable_from_period()->set_month(month.month());
  *request.mutable_to_period() = request.from_period();
  v1::DemandReport report;
  for (int attempt = 0; attempt < 100; ++attempt) {
    grpc::Status status = planning->GetDemand(As("manager").get(), request, &report);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (report.total().applied() == 3) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(report.rows_size(), 2);
  EXPECT_EQ(report.rows(0).voltage_class(), v1::VOLTAGE_CLASS_LV_220V);
  EXPECT_EQ(report.rows(0).applied(), 2);
  EXPECT_EQ(report.rows(0).applied_kva(), 8 + 9);
  EXPECT_EQ(report.rows(0).pending_kva(), 17);
  EXPECT_EQ(report.rows(1).voltage_class(), v1::VOLTAGE_CLASS_10KV);
  EXPECT_EQ(report.rows(1).applied_kva(), 1250);
  EXPECT_EQ(report.total().applied_kva(), 1267);
  // Another county's manager may not ask for this county.
  EXPECT_EQ(planning->GetDemand(As("other").get(), request, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.mutable_to_period()->set_year(request.from_period().year() - 1);
  grpc::Status status = planning->GetDemand(As("manager").get(), request, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("to_period"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SupervisionE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
