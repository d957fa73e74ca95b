// `gridledger demo` against a real `gridledger serve`: every command of a
// small simulated month succeeds, through the public gRPC API only.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

TEST(DemoE2eTest, ASmallMonthRunsWithoutAFailure) {
  testing::TempDir dir;
  std::ofstream tokens(dir.path() + "/tokens");
  std::ofstream credentials(dir.path() + "/credentials");
  std::string auditor_token;
  for (const char* role : {"customer_service", "marketing_manager", "metering_technician",
                           "field_crew", "meter_reader", "bill_checker", "collector", "auditor"}) {
    auto issued = service::IssueToken(absl::StrCat("demo-", role), "sn/xa", role);
    ASSERT_TRUE(issued.ok());
    tokens << issued->line << "\n";
    credentials << role << " " << issued->token << "\n";
    if (std::string(role) == "auditor") auditor_token = issued->token;
  }
  // An admin of the province registers sn and sn/xa (the demo's county is
  // registered by its marketing manager).
  auto admin = service::IssueToken("demo-admin", "sn", "admin");
  ASSERT_TRUE(admin.ok());
  tokens << admin->line << "\n";
  credentials << "admin " << admin->token << "\n";
  tokens.close();
  credentials.close();
  testing::ServeProcess serve(GL_GRIDLEDGER_PATH,
                              {"serve", "--store", "embedded:" + dir.path() + "/store", "--listen",
                               "127.0.0.1:0", "--tokens", dir.path() + "/tokens",
                               // The demo drives the supervision clock.
                               "--clock_tick_s", "0"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  const std::string output = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " demo --target ", address, " --credentials ", dir.path(),
                   "/credentials --accounts 120 --applications 30 --tickets 10 --threads 4 2>&1"));
  EXPECT_THAT(output, HasSubstr("120 accounts"));
  EXPECT_THAT(output, HasSubstr("120 bills"));
  EXPECT_THAT(output, HasSubstr("30 applications"));
  EXPECT_THAT(output, HasSubstr("1 wholesale settlement(s), 1 theft back-billed"));
  EXPECT_THAT(output, HasSubstr(", 0 failed")) << output;
  // Supervision: each case's alert raised once and resolved once, the
  // voucher done after the wrong meter's scan was refused.
  for (const char* rule :
       {"SUPERVISION_RULE_APPLICATION_STEP_OVERDUE", "SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE",
        "SUPERVISION_RULE_READ_UNCHECKED", "SUPERVISION_RULE_FLAGGED_READ_UNDECIDED",
        "SUPERVISION_RULE_METER_VERIFICATION_OVERDUE",
        "SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE", "SUPERVISION_RULE_TICKET_DISPATCH_LATE",
        "SUPERVISION_RULE_TICKET_ON_SITE_LATE", "SUPERVISION_RULE_TICKET_RESOLUTION_LATE",
        "SUPERVISION_RULE_VOUCHER_LATE"}) {
    EXPECT_THAT(output, ::testing::ContainsRegex(absl::StrCat(rule, " +1/1"))) << output;
  }
  EXPECT_THAT(output, HasSubstr("1 work voucher(s) verified, 1 scan(s) of the wrong meter refused"))
      << output;
  // The KPIs measured on day 1 that missed their 98 % targets: each raised
  // once, and resolved once when the revised targets are measured again.
  {
    const size_t at = output.find("SUPERVISION_RULE_KPI_OFF_TARGET");
    ASSERT_NE(at, std::string::npos) << output;
    // "SUPERVISION_RULE_KPI_OFF_TARGET   <raised>/<resolved>"
    const std::string line = output.substr(at, output.find('\n', at) - at);
    const std::vector<std::string> counts =
        absl::StrSplit(absl::StripAsciiWhitespace(line.substr(line.find(' '))), '/');
    ASSERT_EQ(counts.size(), 2u) << line;
    int64_t raised = 0;
    int64_t resolved = 0;
    ASSERT_TRUE(absl::SimpleAtoi(counts[0], &raised) && absl::SimpleAtoi(counts[1], &resolved))
        << line;
    EXPECT_GE(raised, 1) << "the month's fee recovery is short of 98 %";
    EXPECT_EQ(resolved, raised);
  }
  // The supply network: six gateway meters read for two months; area 2's
  // and feeder 1's losses out of range in each month (left open: nothing
  // brings them back);
  // two customer plans near the grid's outage, one coordinated (800 kW for
  // the grid's 6 hours).
  EXPECT_THAT(output, HasSubstr("12 gateway reads")) << output;
  EXPECT_THAT(output, HasSubstr("2 outage coordination(s) proposed, 1 accepted, saving 4800 kWh"))
      << output;
  for (const char* rule : {"SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE",
                           "SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE"}) {
    EXPECT_THAT(output, ::testing::ContainsRegex(absl::StrCat(rule, " +2/0"))) << output;
  }

  // An auditor explains a bill of that month: the reads it priced, their
  // checks, the tariff version, every line with its rule, and what followed.
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto gateway = v1::EventGateway::NewStub(channel);
  auto as_auditor = [&] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + auditor_token);
    return context;
  };
  const std::string token_file = dir.path() + "/auditor.token";
  std::ofstream(token_file) << auditor_token << "\n";
  const std::string tailed = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " tail --target ", address, " --token_file ", token_file,
                   " --type BillIssued --max 3 --json 2>&1"));
  std::vector<std::string> lines = absl::StrSplit(tailed, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << tailed;
  v1::SubscribeReply first;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &first).ok()) << lines[0];
  ASSERT_TRUE(first.event().payload().has_bill_issued());
  const v1::BillIssued& bill = first.event().payload().bill_issued();
  v1::ExplainBillRequest explain;
  explain.set_account_id(bill.account_id());
  explain.set_bill_id(bill.bill_id());
  v1::BillExplanation explanation;
  grpc::Status status = gateway->ExplainBill(as_auditor().get(), explain, &explanation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(explanation.bill().event_id(), first.event().event_id());
  EXPECT_EQ(explanation.reads_size(), bill.read_ids_size());
  EXPECT_GE(explanation.checks_size(), bill.read_ids_size());
  EXPECT_EQ(explanation.tariff_version().payload().tariff_schedule_version_published().version(),
            bill.tariff_version());
  ASSERT_EQ(explanation.lines_size(), bill.lines_size());
  for (const auto& line : explanation.lines()) EXPECT_FALSE(line.rule().empty());
  EXPECT_GE(explanation.later_size(), 1) << "the demo checks every bill";
  // As of the bill's recording, the account's stream ends with it.
  v1::ReadStreamRequest as_of;
  as_of.set_stream_id("account-" + bill.account_id());
  *as_of.mutable_as_of() = first.event().recorded_at();
  v1::ReadStreamReply then;
  ASSERT_TRUE(gateway->ReadStream(as_auditor().get(), as_of, &then).ok());
  ASSERT_GT(then.events_size(), 0);
  EXPECT_EQ(then.events(then.events_size() - 1).event_id(), first.event().event_id());
  EXPECT_GT(then.stream_version(), then.events_size()) << "payments and checks came after";
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

}  // namespace
}  // namespace gridledger
