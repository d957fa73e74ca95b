// The scoping matrix (issue 10): every RPC that names an aggregate or a unit,
// called by principals of the aggregate's own unit (sn/xa), of its parent
// (sn), of a child (sn/xa/huyi) and of a sibling (sn/bj), through a real
// `gridledger serve` on both backends.
// - Own and parent are in scope: the answer is the rules' answer on the real
//   aggregate, never the one a missing aggregate gets.
// - Child and sibling are out of scope: an aggregate named by id answers
//   exactly as a missing one does (same code, same words), a unit named is
//   PERMISSION_DENIED naming both units, and nothing is appended anywhere.
// Requests are text protos with $R (the caller's relation, so each caller acts
// on fresh aggregates of its own) sent through gRPC's generic stub, so the
// table lists every RPC in one line or two.
#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/generic_call.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using testing::Answer;
using testing::CallGeneric;
using ::testing::HasSubstr;

// One row: an RPC and its request, $R standing for the caller's relation and
// $U for a fresh command id. `names_unit`: the request names a unit (to
// create in or to query) rather than an existing aggregate.
struct Row {
  std::string method;
  std::string request;
  bool names_unit = false;
  // False where the rules' answer on a real aggregate of the setup is the
  // one a missing aggregate gets too (ExplainBill of a bill never issued):
  // only the out-of-scope side is then told apart.
  bool distinguishable = true;
};

const char* const kDay = "year: 2026 month: 11 day: 20";

std::vector<Row> Rows() {
  const std::string b = "/gridledger.v1.BillingCenter/";
  const std::string c = "/gridledger.v1.CustomerServiceCenter/";
  const std::string m = "/gridledger.v1.MeteringCenter/";
  const std::string k = "/gridledger.v1.MarketingDepartment/";
  const std::string l = "/gridledger.v1.LedgerQuery/";
  const std::string a = "/gridledger.v1.AssetQuery/";
  const std::string g = "/gridledger.v1.EventGateway/";
  return {
      // Billing Centre: the account acct-$R (open, one read recorded).
      {b + "OpenAccount",
       R"(command_id: "$U" account { account_id: "new-$R" customer_name: "N" category: CUSTOMER_CATEGORY_RESIDENTIAL voltage_class: VOLTAGE_CLASS_LV_220V tariff_id: "tar-scope" org_unit: "sn/xa" })",
       true},
      {b + "ChangeAccountTerms",
       R"(command_id: "$U" change { account_id: "acct-$R" changed_fields: "contracted_capacity_kva" contracted_capacity_kva: 10 effective_from { year: 2026 month: 11 day: 1 } })"},
      {b + "RecordRead",
       R"(command_id: "$U" read { read_id: "r2-$R" account_id: "acct-$R" meter_bar_code: "M-$R" period { year: 2026 month: 10 } registers { total_wh: 200000 } source: READ_SOURCE_MANUAL })"},
      {b + "CheckRead", R"(command_id: "$U" account_id: "acct-$R" read_id: "r1-$R")"},
      {b + "DecideRead",
       R"(command_id: "$U" account_id: "acct-$R" read_id: "r1-$R" decision: READ_DECISION_ACCEPT)"},
      {b + "IssueBill",
       std::string(
           R"(command_id: "$U" account_id: "acct-$R" bill_id: "bill-$R" period { year: 2026 month: 9 } due_date { )") +
           kDay + " }"},
      {b + "CheckBill", R"(command_id: "$U" account_id: "acct-$R" bill_id: "bill-$R")"},
      {b + "PostPayment",
       std::string(
           R"(command_id: "$U" account_id: "acct-$R" payment_id: "pay-$R" amount_fen: 100 method: PAYMENT_METHOD_COUNTER paid_on { )") +
           kDay + " }"},
      {b + "ReverseBill",
       R"(command_id: "$U" account_id: "acct-$R" bill_id: "bill-$R" reason: "x")"},
      {b + "ReversePayment",
       R"(command_id: "$U" account_id: "acct-$R" payment_id: "pay-$R" reason: "x")"},
      {b + "AccruePenalty",
       std::string(R"(command_id: "$U" account_id: "acct-$R" bill_id: "bill-$R" as_of { )") + kDay +
           " }"},
      {b + "RecordInspection",
       R"(command_id: "$U" inspection { inspection_id: "ins-$R" account_id: "acct-$R" finding: INSPECTION_FINDING_NONE inspected_at { seconds: 1763600000 } })"},
      {b + "GetAccount", R"(account_id: "acct-$R")"},
      // Customer Service Centre: application app-$R (submitted), ticket tk-$R (open).
      {c + "SubmitApplication",
       R"(command_id: "$U" application { application_id: "newapp-$R" application_type: APPLICATION_TYPE_NEW_CONNECTION customer_name: "N" category: CUSTOMER_CATEGORY_RESIDENTIAL voltage_class: VOLTAGE_CLASS_LV_220V supply_mode: SUPPLY_MODE_LOW_VOLTAGE requested_capacity_kva: 8 org_unit: "sn/xa" })",
       true},
      {c + "AcceptApplication", R"(command_id: "$U" application_id: "app-$R")"},
      {c + "RejectApplication", R"(command_id: "$U" application_id: "app-$R" reason: "x")"},
      {c + "WithdrawApplication", R"(command_id: "$U" application_id: "app-$R" reason: "x")"},
      {c + "CompleteStep",
       R"(command_id: "$U" application_id: "app-$R" site_survey { surveyor: "s" })"},
      {c + "OpenTicket",
       R"(command_id: "$U" ticket { ticket_id: "newtk-$R" category: TICKET_CATEGORY_FAULT_REPAIR area: SERVICE_AREA_URBAN org_unit: "sn/xa" })",
       true},
      {c + "AdvanceTicket", R"(command_id: "$U" ticket_id: "tk-$R" dispatched { crew: "crew" })"},
      {c + "GetApplication", R"(application_id: "app-$R")"},
      // Metering Centre: meter M-$R (received).
      {m + "RecordCalibration",
       std::string(
           R"(command_id: "$U" calibration { bar_code: "M-$R" passed: true certificate_no: "C" verifier: "v" load_points { load_permille_of_ib: 1000 power_factor_hundredths: 100 error_ppm: 100 } verified_on { )") +
           kDay + " } }"},
      {m + "MoveMeter",
       R"(command_id: "$U" bar_code: "M-$R" to_tier: STORE_TIER_COUNTY to_store_id: "s")"},
      {m + "DispatchMeter", R"(command_id: "$U" dispatch { bar_code: "M-$R" work_order: "WO" })"},
      {m + "InstallMeter",
       R"(command_id: "$U" installation { bar_code: "M-$R" account_id: "acct-$R" metering_class: 3 })"},
      {m + "RemoveMeter",
       R"(command_id: "$U" removal { bar_code: "M-$R" reason: REMOVAL_REASON_FAULT })"},
      {m + "RequestReverification", R"(command_id: "$U" bar_code: "M-$R" reason: "x")"},
      {m + "ScrapMeter", R"(command_id: "$U" bar_code: "M-$R" reason: "x")"},
      {m + "GetMeter", R"(bar_code: "M-$R")"},
      // Marketing Department.
      {k + "SetKpiTarget",
       R"(command_id: "$U" target { org_unit: "sn/xa" period { year: 2026 month: 11 } kpi: KPI_ARREARS target_value: 5 target_unit: "fen" })",
       true},
      {k + "RaiseAlert",
       R"(command_id: "$U" alert { alert_id: "newal-$R" kind: ALERT_KIND_OTHER org_unit: "sn/xa" detail: "d" })",
       true},
      {k + "ResolveAlert", R"(command_id: "$U" alert_id: "al-$R" resolution: "done")"},
      {k + "DecideBayApproval",
       R"(command_id: "$U" application_id: "app-$R" grant: false reason: "no bay")"},
      {k + "RegisterOrgUnit", R"(command_id: "$U" org_unit: "sn/xa/new-$R" name: "N")", true},
      // Queries and the gateway.
      {l + "GetStatement", R"(account_id: "acct-$R")"},
      {l + "GetBalance", R"(account_id: "acct-$R")"},
      {l + "GetPeriodTotals",
       R"(org_unit: "sn/xa" from { year: 2026 month: 1 } to { year: 2026 month: 12 })", true},
      {a + "GetAsset", R"(bar_code: "M-$R")"},
      {"/gridledger.v1.KpiQuery/GetKpis", R"(org_unit: "sn/xa" period { year: 2026 month: 11 })",
       true},
      {g + "ReadStream", R"(stream_id: "account-acct-$R")"},
      {g + "ExplainBill", R"(account_id: "acct-$R" bill_id: "bill-$R")", false, false},
  };
}

const std::map<std::string, std::string>& Relations() {
  static const auto* relations = new std::map<std::string, std::string>{
      {"own", "sn/xa"}, {"parent", "sn"}, {"child", "sn/xa/huyi"}, {"sibling", "sn/bj"}};
  return *relations;
}

class ScopingE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::vector<testing::TestPrincipal> principals;
    for (const auto& [relation, unit] : Relations()) {
      principals.push_back({relation, "admin", unit});
    }
    served_ = testing::StartGridLedgerAs(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(), principals);
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty());
    channel_ = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
    // A tariff of the province, which every unit's accounts may use.
    const Answer tariff = Call(
        "parent", "/gridledger.v1.BillingCenter/PublishTariffVersion",
        R"(command_id: "$U" version { tariff_id: "tar-scope" effective_from { year: 2020 month: 1 day: 1 } category: CUSTOMER_CATEGORY_RESIDENTIAL flat_price_micro_cny_per_kwh: 498300 })",
        "parent");
    ASSERT_EQ(tariff.code, grpc::StatusCode::OK) << tariff.message;
  }
  void TearDown() override {
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  Answer Call(const std::string& relation, const std::string& method, const std::string& text,
              const std::string& as) {
    const std::string request = absl::StrReplaceAll(
        text, {{"$R", relation}, {"$U", absl::StrCat("u-", relation, "-", ++calls_)}});
    return CallGeneric(channel_, method, request, served_.tokens[as]);
  }

  // The aggregates of `relation`, created by the own unit's principal.
  void CreateAggregates(const std::string& r) {
    const std::vector<std::pair<std::string, std::string>> setup = {
        {"/gridledger.v1.BillingCenter/OpenAccount",
         R"(command_id: "$U" account { account_id: "acct-$R" customer_name: "W" category: CUSTOMER_CATEGORY_RESIDENTIAL voltage_class: VOLTAGE_CLASS_LV_220V tariff_id: "tar-scope" org_unit: "sn/xa" })"},
        {"/gridledger.v1.MeteringCenter/ReceiveMeter",
         R"(command_id: "$U" meter { bar_code: "M-$R" asset_kind: ASSET_KIND_METER meter_type: METER_TYPE_SINGLE_PHASE accuracy_class { class_tenths: 20 } manufacturer: "W" batch: "B" store_tier: STORE_TIER_CITY store_id: "xa" })"},
        {"/gridledger.v1.CustomerServiceCenter/SubmitApplication",
         R"(command_id: "$U" application { application_id: "app-$R" application_type: APPLICATION_TYPE_NEW_CONNECTION customer_name: "N" category: CUSTOMER_CATEGORY_RESIDENTIAL voltage_class: VOLTAGE_CLASS_LV_220V supply_mode: SUPPLY_MODE_LOW_VOLTAGE requested_capacity_kva: 8 org_unit: "sn/xa" })"},
        {"/gridledger.v1.CustomerServiceCenter/OpenTicket",
         R"(command_id: "$U" ticket { ticket_id: "tk-$R" category: TICKET_CATEGORY_FAULT_REPAIR area: SERVICE_AREA_URBAN org_unit: "sn/xa" })"},
        {"/gridledger.v1.MarketingDepartment/RaiseAlert",
         R"(command_id: "$U" alert { alert_id: "al-$R" kind: ALERT_KIND_OTHER org_unit: "sn/xa" detail: "d" })"},
    };
    for (const auto& [method, text] : setup) {
      const Answer answer = Call(r, method, text, "own");
      ASSERT_EQ(answer.code, grpc::StatusCode::OK) << method << ": " << answer.message;
    }
  }

  // Every event of the aggregates of `relation` and of the streams its
  // out-of-scope calls would create, as seen by the province.
  int64_t EventsOf(const std::string& r) {
    int64_t total = 0;
    for (const std::string& stream : {"account-acct-", "meter-M-", "application-app-", "ticket-tk-",
                                      "alert-al-", "account-new-", "application-newapp-",
                                      "ticket-newtk-", "alert-newal-", "approval-app-"}) {
      const Answer answer = Call(r, "/gridledger.v1.EventGateway/ReadStream",
                                 absl::StrCat(R"(stream_id: ")", stream, r, R"(")"), "parent");
      EXPECT_EQ(answer.code, grpc::StatusCode::OK) << answer.message;
      const size_t at = answer.reply.find("stream_version: ");
      if (at != std::string::npos) total += std::stoll(answer.reply.substr(at + 16));
    }
    const Answer kpi =
        Call(r, "/gridledger.v1.EventGateway/ReadStream", R"(stream_id: "kpi-sn.xa")", "parent");
    const size_t at = kpi.reply.find("stream_version: ");
    if (at != std::string::npos) total += std::stoll(kpi.reply.substr(at + 16));
    return total;
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::shared_ptr<grpc::Channel> channel_;
  int calls_ = 0;
};

TEST_P(ScopingE2eTest, EveryRpcByOwnChildSiblingAndParentUnit) {
  for (const auto& [relation, unit] : Relations()) CreateAggregates(relation);
  // What a missing aggregate gets ("ghost" has none), per RPC.
  std::map<std::string, Answer> missing;
  for (const Row& row : Rows()) missing[row.method] = Call("ghost", row.method, row.request, "own");

  int checked = 0;
  for (const auto& [relation, unit] : Relations()) {
    const bool in_scope = relation == "own" || relation == "parent";
    const int64_t before = EventsOf(relation);
    for (const Row& row : Rows()) {
      const Answer answer = Call(relation, row.method, row.request, relation);
      const Answer& ghost = missing[row.method];
      const std::string where = absl::StrCat(row.method, " by ", relation, " (", unit,
                                             "): ", answer.code, " ", answer.message);
      ++checked;
      if (in_scope) {
        EXPECT_NE(answer.code, grpc::StatusCode::PERMISSION_DENIED) << where;
        if (!row.names_unit && row.distinguishable) {
          EXPECT_FALSE(answer.code == ghost.code &&
                       absl::StrReplaceAll(answer.message, {{relation, "ghost"}}) ==
                           ghost.message &&
                       absl::StrReplaceAll(answer.reply, {{relation, "ghost"}}) == ghost.reply)
              << "answered as if missing: " << where;
        }
      } else if (row.names_unit) {
        EXPECT_EQ(answer.code, grpc::StatusCode::PERMISSION_DENIED) << where;
        EXPECT_THAT(answer.message, HasSubstr(unit)) << where;
        EXPECT_THAT(answer.message, HasSubstr("sn/xa")) << where;
      } else {
        // Exactly as a missing aggregate: same code, same words, same reply.
        EXPECT_EQ(answer.code, ghost.code) << where;
        EXPECT_EQ(absl::StrReplaceAll(answer.message, {{relation, "ghost"}}), ghost.message)
            << where;
        EXPECT_EQ(absl::StrReplaceAll(answer.reply, {{relation, "ghost"}}), ghost.reply) << where;
      }
    }
    if (!in_scope) EXPECT_EQ(EventsOf(relation), before) << relation << " appended something";
  }
  EXPECT_EQ(checked, static_cast<int>(Rows().size() * Relations().size()));
}

TEST_P(ScopingE2eTest, SubscribersSeeOnlyTheirSubtree) {
  CreateAggregates("own");
  // The county below the aggregates' unit may not filter by its parent.
  auto context = testing::CallAs(served_.tokens["child"], 5);
  auto gateway = v1::EventGateway::NewStub(channel_);
  v1::SubscribeRequest request;
  request.set_org_unit("sn/xa");
  auto reader = gateway->Subscribe(context.get(), request);
  v1::SubscribeReply reply;
  EXPECT_FALSE(reader->Read(&reply));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // Unfiltered, a sibling county sees none of sn/xa's events; the province
  // sees them.
  for (const auto& [who, expect_any] :
       std::vector<std::pair<std::string, bool>>{{"sibling", false}, {"parent", true}}) {
    auto ctx = testing::CallAs(served_.tokens[who], 3);
    v1::SubscribeRequest all;
    all.add_event_types("gridledger.v1.MeterReceived");
    auto r = gateway->Subscribe(ctx.get(), all);
    v1::SubscribeReply got;
    EXPECT_EQ(r->Read(&got), expect_any) << who;
    ctx->TryCancel();
    r->Finish().IgnoreError();
  }
}

TEST_P(ScopingE2eTest, AnAlertsSubjectMustBeInTheCallersSubtree) {
  CreateAggregates("own");
  const std::string raise =
      R"(command_id: "$U" alert { alert_id: "subj-$R" kind: ALERT_KIND_OTHER org_unit: "sn/xa/huyi" subject_stream_id: "account-acct-SUBJECT" })";
  const auto as_child = [&](const std::string& subject) {
    return Call("child", "/gridledger.v1.MarketingDepartment/RaiseAlert",
                absl::StrReplaceAll(raise, {{"SUBJECT", subject}}), "child");
  };
  // The county may not point its alert at its city's account: it reads as
  // missing, word for word.
  const Answer elsewhere = as_child("own");
  const Answer missing = as_child("ghost");
  EXPECT_EQ(elsewhere.code, grpc::StatusCode::NOT_FOUND) << elsewhere.message;
  EXPECT_EQ(absl::StrReplaceAll(elsewhere.message, {{"acct-own", "acct-ghost"}}), missing.message);
  EXPECT_EQ(Call("child", "/gridledger.v1.MarketingDepartment/RaiseAlert",
                 absl::StrReplaceAll(raise, {{"account-acct-SUBJECT", "not a stream"}}), "child")
                .code,
            grpc::StatusCode::INVALID_ARGUMENT);
  // The city may.
  const Answer own = Call("own", "/gridledger.v1.MarketingDepartment/RaiseAlert",
                          absl::StrReplaceAll(raise, {{"SUBJECT", "own"}}), "own");
  EXPECT_EQ(own.code, grpc::StatusCode::OK) << own.message;
}

INSTANTIATE_TEST_SUITE_P(Backends, ScopingE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
