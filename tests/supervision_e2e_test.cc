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
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/generic_call.h"
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
                                          {"tech", "metering_technician"},
                                          {"other", "marketing_manager", "sn/bj/chencang"},
                                          {"othertech", "metering_technician", "sn/bj/chencang"}});
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

// The supply network and outage coordination through gRPC: a feeder and a
// transformer area, a gateway meter installed at the feeder and read, an
// account connected; the feeder's inputs in GetKpis; a customer's
// maintenance and the grid's outage proposed together and decided once.
// Each refusal names its field; another county's callers see nothing.
TEST_P(SupervisionE2eTest, SupplyNetworkLineLossAndOutageCoordination) {
  auto channel = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
  int n = 0;
  auto call = [&](const std::string& who, const std::string& method, const std::string& text) {
    return testing::CallGeneric(channel, method,
                                absl::StrCat(R"(command_id: "ll-)", ++n, R"(" )", text),
                                served_.tokens[who]);
  };
  auto query = [&](const std::string& who, const std::string& method, const std::string& text) {
    return testing::CallGeneric(channel, method, text, served_.tokens[who]);
  };
  auto expect_ok = [](const testing::Answer& a, const std::string& what) {
    EXPECT_EQ(a.code, grpc::StatusCode::OK) << what << ": " << a.message;
  };
  auto expect_refused = [](const testing::Answer& a, grpc::StatusCode code,
                           const std::string& names) {
    EXPECT_EQ(a.code, code) << a.message;
    EXPECT_THAT(a.message, HasSubstr(names));
  };
  const std::string m = "/gridledger.v1.MeteringCenter/";
  const std::string k = "/gridledger.v1.MarketingDepartment/";
  expect_ok(
      call(
          "test-registrar", "/gridledger.v1.BillingCenter/PublishTariffVersion",
          R"(version { tariff_id: "tar-ll" effective_from { year: 2020 month: 1 day: 1 } category: CUSTOMER_CATEGORY_RESIDENTIAL flat_price_micro_cny_per_kwh: 498300 })"),
      "tariff");
  expect_ok(
      call(
          "clerk", "/gridledger.v1.BillingCenter/OpenAccount",
          R"(account { account_id: "acct-ll" customer_name: "Mill" category: CUSTOMER_CATEGORY_RESIDENTIAL voltage_class: VOLTAGE_CLASS_LV_220V tariff_id: "tar-ll" org_unit: "sn/xa/huyi" })"),
      "account");

  // The topology.
  expect_ok(
      call(
          "tech", m + "RegisterSupplyNode",
          R"(node { node_id: "F-1" kind: SUPPLY_NODE_KIND_FEEDER name: "10 kV line 1" substation: "Huyi 110 kV" org_unit: "sn/xa/huyi" })"),
      "feeder");
  expect_ok(
      call(
          "tech", m + "RegisterSupplyNode",
          R"(node { node_id: "TA-1" kind: SUPPLY_NODE_KIND_TRANSFORMER_AREA name: "Village 1" feeder_id: "F-1" })"),
      "area");
  expect_refused(
      call(
          "tech", m + "RegisterSupplyNode",
          R"(node { node_id: "TA-2" kind: SUPPLY_NODE_KIND_TRANSFORMER_AREA name: "V" feeder_id: "F-404" })"),
      grpc::StatusCode::NOT_FOUND, "node.feeder_id");
  expect_refused(
      call(
          "tech", m + "RegisterSupplyNode",
          R"(node { node_id: "F-2" kind: SUPPLY_NODE_KIND_FEEDER name: "L" org_unit: "sn/xa/huyi" })"),
      grpc::StatusCode::INVALID_ARGUMENT, "node.substation");
  EXPECT_NE(
      call(
          "othertech", m + "RegisterSupplyNode",
          R"(node { node_id: "TA-3" kind: SUPPLY_NODE_KIND_TRANSFORMER_AREA name: "V" feeder_id: "F-1" })")
          .code,
      grpc::StatusCode::OK);

  // A gateway meter at the feeder, and its read.
  expect_ok(
      call(
          "tech", m + "ReceiveMeter",
          R"(meter { bar_code: "G-1" asset_kind: ASSET_KIND_METER meter_type: METER_TYPE_GATEWAY accuracy_class { class_tenths: 10 } manufacturer: "Wasion" batch: "B" store_tier: STORE_TIER_PROVINCE store_id: "sn-central" })"),
      "receive");
  const std::string today =
      absl::FormatTime("year: %Y month: %m day: %d", absl::Now(), domain::UtilityZone());
  expect_ok(
      call(
          "tech", m + "RecordCalibration",
          absl::StrCat(
              R"(calibration { bar_code: "G-1" passed: true certificate_no: "JD" verifier: "v" verified_on { )",
              today,
              R"( } load_points { load_permille_of_ib: 1000 power_factor_hundredths: 100 error_ppm: 100 } })")),
      "calibrate");
  expect_ok(call("tech", m + "DispatchMeter",
                 R"(dispatch { bar_code: "G-1" work_order: "WO" to_org_unit: "sn/xa/huyi" })"),
            "dispatch");
  expect_refused(
      call("tech", m + "InstallMeter",
           R"(installation { bar_code: "G-1" supply_node_id: "F-404" metering_class: 1 })"),
      grpc::StatusCode::NOT_FOUND, "installation.supply_node_id");
  expect_refused(
      call(
          "tech", m + "InstallMeter",
          R"(installation { bar_code: "G-1" account_id: "acct-ll" supply_node_id: "F-1" metering_class: 1 })"),
      grpc::StatusCode::INVALID_ARGUMENT, "installation.account_id");
  expect_ok(
      call(
          "tech", m + "InstallMeter",
          R"(installation { bar_code: "G-1" supply_node_id: "F-1" metering_class: 1 initial_registers { total_wh: 1000 } })"),
      "install");
  const absl::CivilMonth last = absl::CivilMonth(domain::UtilityDay(absl::Now())) - 1;
  const std::string period =
      absl::StrCat("period { year: ", last.year(), " month: ", last.month(), " }");
  expect_ok(call("tech", m + "RecordGatewayRead",
                 absl::StrCat(R"(node_id: "F-1" bar_code: "G-1" register_wh: 51000 )", period)),
            "gateway read");
  expect_refused(
      call("tech", m + "RecordGatewayRead",
           absl::StrCat(R"(node_id: "F-1" bar_code: "G-1" register_wh: 60000 )", period)),
      grpc::StatusCode::FAILED_PRECONDITION, "period");
  expect_refused(
      call("tech", m + "RecordGatewayRead",
           absl::StrCat(R"(node_id: "TA-1" bar_code: "G-1" register_wh: 60000 )", period)),
      grpc::StatusCode::FAILED_PRECONDITION, "bar_code");
  // Its removal may not show a register below that read.
  expect_refused(
      call(
          "tech", m + "RemoveMeter",
          R"(removal { bar_code: "G-1" reason: REMOVAL_REASON_FAULT final_registers { total_wh: 40000 } })"),
      grpc::StatusCode::FAILED_PRECONDITION, "last gateway read");

  // The account hangs from TA-1 (once).
  expect_ok(
      call("tech", m + "ConnectAccount", R"(account_id: "acct-ll" transformer_area_id: "TA-1")"),
      "connect");
  expect_refused(
      call("tech", m + "ConnectAccount", R"(account_id: "acct-ll" transformer_area_id: "TA-1")"),
      grpc::StatusCode::FAILED_PRECONDITION, "already connected");
  expect_refused(
      call("tech", m + "ConnectAccount", R"(account_id: "acct-ll" transformer_area_id: "F-1")"),
      grpc::StatusCode::FAILED_PRECONDITION, "transformer_area_id");
  EXPECT_EQ(call("othertech", m + "ConnectAccount",
                 R"(account_id: "acct-ll" transformer_area_id: "TA-1")")
                .code,
            grpc::StatusCode::NOT_FOUND);

  // The feeder's month in the KPI view: 50,000 Wh in, nothing billed.
  std::string kpis;
  for (int attempt = 0; attempt < 100; ++attempt) {
    testing::Answer a = query("manager", "/gridledger.v1.KpiQuery/GetKpis",
                              absl::StrCat(R"(org_unit: "sn/xa/huyi" )", period));
    ASSERT_EQ(a.code, grpc::StatusCode::OK) << a.message;
    kpis = a.reply;
    if (absl::StrContains(kpis, "feeder/F-1")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(
      kpis,
      ::testing::ContainsRegex(
          R"(kpi: KPI_LINE_LOSS_RATE breakdown: "feeder/F-1" value: 10000 unit: "bp" numerator: 50000 denominator: 50000)"));

  // The county's line-loss target for the month (at most 800 bp) measured:
  // 10,000 bp misses it, and the next tick raises KPI_OFF_TARGET.
  expect_refused(
      call("manager", k + "MeasureKpis", absl::StrCat(R"(org_unit: "sn/xa/huyi" )", period)),
      grpc::StatusCode::FAILED_PRECONDITION, "no KPI target");
  expect_ok(
      call(
          "manager", k + "SetKpiTarget",
          absl::StrCat(
              R"(target { org_unit: "sn/xa/huyi" kpi: KPI_LINE_LOSS_RATE target_value: 800 target_unit: "bp" )",
              period, " }")),
      "target");
  for (int attempt = 0; attempt < 100; ++attempt) {
    testing::Answer a = query("manager", "/gridledger.v1.KpiQuery/GetKpis",
                              absl::StrCat(R"(org_unit: "sn/xa/huyi" )", period));
    if (absl::StrContains(a.reply, "has_target: true")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  expect_ok(call("manager", k + "MeasureKpis", absl::StrCat(R"(org_unit: "sn/xa/huyi" )", period)),
            "measure");
  EXPECT_NE(
      call("other", k + "MeasureKpis", absl::StrCat(R"(org_unit: "sn/xa/huyi" )", period)).code,
      grpc::StatusCode::OK);
  expect_refused(call("manager", k + "MeasureKpis",
                      R"(org_unit: "sn/xa/huyi" period { year: 2026 month: 13 })"),
                 grpc::StatusCode::INVALID_ARGUMENT, "period");
  ASSERT_TRUE(Tick(absl::Now() - absl::Seconds(1)).ok());
  std::vector<v1::AlertRecord> kpi_alerts;
  for (int attempt = 0; attempt < 100 && kpi_alerts.empty(); ++attempt) {
    for (const v1::AlertRecord& alert : AlertsSeenBy("manager", 0)) {
      if (alert.raised().rule() == v1::SUPERVISION_RULE_KPI_OFF_TARGET) kpi_alerts.push_back(alert);
    }
    if (kpi_alerts.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(kpi_alerts.size(), 1u);
  EXPECT_THAT(kpi_alerts[0].raised().detail(), HasSubstr("KPI_LINE_LOSS_RATE"));
  EXPECT_EQ(kpi_alerts[0].raised().org_unit(), "sn/xa/huyi");

  // Outage plans for next month: the customer's 10 hours, the grid's 6 hours two days before.
  const absl::Time next =
      absl::FromCivil(absl::CivilSecond(absl::CivilMonth(domain::UtilityDay(absl::Now())) + 1),
                      domain::UtilityZone());
  auto window = [&](int day, int from_hour, int hours) {
    const absl::Time start = next + absl::Hours(24 * (day - 1) + from_hour);
    return absl::StrCat("starts_at { seconds: ", absl::ToUnixSeconds(start),
                        " } ends_at { seconds: ", absl::ToUnixSeconds(start + absl::Hours(hours)),
                        " }");
  };
  expect_refused(
      call("clerk", k + "PlanCustomerMaintenance",
           absl::StrCat(R"(plan { plan_id: "OC-1" account_id: "acct-ll" load_w: 500000 )",
                        window(10, 8, 10), " }")),
      grpc::StatusCode::PERMISSION_DENIED, "marketing_manager");
  expect_ok(call("manager", k + "PlanCustomerMaintenance",
                 absl::StrCat(R"(plan { plan_id: "OC-1" account_id: "acct-ll" load_w: 500000 )",
                              window(10, 8, 10), " }")),
            "customer plan");
  expect_refused(
      call("manager", k + "PlanCustomerMaintenance",
           absl::StrCat(R"(plan { plan_id: "OC-2" account_id: "acct-ll" load_w: 500000 )",
                        "starts_at { seconds: 1900000000 } ends_at { seconds: 1899999000 } }")),
      grpc::StatusCode::INVALID_ARGUMENT, "plan.ends_at");
  expect_ok(
      call("manager", k + "PlanGridOutage",
           absl::StrCat(R"(plan { plan_id: "OG-1" feeder_id: "F-1" )", window(8, 9, 6), " }")),
      "grid plan");
  expect_refused(
      call("manager", k + "PlanGridOutage",
           absl::StrCat(R"(plan { plan_id: "OG-2" feeder_id: "F-404" )", window(8, 9, 6), " }")),
      grpc::StatusCode::NOT_FOUND, "plan.feeder_id");

  const std::string o = "/gridledger.v1.OutageQuery/ProposeCoordination";
  std::string proposed;
  for (int attempt = 0; attempt < 100; ++attempt) {
    testing::Answer a = query("manager", o, "");
    ASSERT_EQ(a.code, grpc::StatusCode::OK) << a.message;
    proposed = a.reply;
    if (absl::StrContains(proposed, "energy_saved_wh")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(proposed, HasSubstr(R"(plan_id: "OC-1")"));
  EXPECT_THAT(proposed, HasSubstr("energy_saved_wh: 3000000"));  // 500 kW × 6 h
  EXPECT_THAT(proposed, HasSubstr(R"(feeder_id: "F-1")"));
  EXPECT_EQ(query("other", o, R"(org_unit: "sn/xa/huyi")").code,
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(query("other", o, "").reply, ::testing::Not(HasSubstr("OC-1")));
  expect_refused(query("manager", o, "within_days: 91"), grpc::StatusCode::INVALID_ARGUMENT,
                 "within_days");

  expect_refused(call("manager", k + "CoordinateOutage",
                      R"(customer_plan_id: "OC-1" grid_plan_id: "OG-1" accept: false)"),
                 grpc::StatusCode::INVALID_ARGUMENT, "reason");
  expect_refused(
      call("manager", k + "CoordinateOutage",
           R"(customer_plan_id: "OC-1" grid_plan_id: "OG-1" accept: true within_days: 1)"),
      grpc::StatusCode::FAILED_PRECONDITION, "within_days");
  expect_ok(call("manager", k + "CoordinateOutage",
                 R"(customer_plan_id: "OC-1" grid_plan_id: "OG-1" accept: true)"),
            "coordinate");
  expect_refused(call("manager", k + "CoordinateOutage",
                      R"(customer_plan_id: "OC-1" grid_plan_id: "OG-1" accept: true)"),
                 grpc::StatusCode::FAILED_PRECONDITION, "decided already");
  EXPECT_EQ(call("other", k + "CoordinateOutage",
                 R"(customer_plan_id: "OC-1" grid_plan_id: "OG-1" accept: true)")
                .code,
            grpc::StatusCode::NOT_FOUND);
  for (int attempt = 0; attempt < 100; ++attempt) {
    proposed = query("manager", o, "").reply;
    if (absl::StrContains(proposed, "decided")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(proposed, ::testing::Not(HasSubstr("proposals")));
  EXPECT_THAT(proposed, HasSubstr("accepted: true"));
  EXPECT_THAT(proposed, HasSubstr("energy_saved_wh: 3000000"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SupervisionE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
