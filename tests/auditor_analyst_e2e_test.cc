// What auditors and analysts take away, against a real `gridledger serve`
// (embedded and Kafka) after the demo's month, through the published tools
// only: `tail --until now`, `export` (JSON lines and CSV, numbers as
// numbers, filtered by the aggregate's unit), `audit-report` (business axis
// against recorded axis, totals against sums taken straight from the
// export), and the printable `bill`.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The integer after "\"key\":" in a JSON line (a number, never a string), or
// nullopt.
std::optional<int64_t> NumberAfter(const std::string& line, const std::string& key) {
  const std::regex pattern("\"" + key + "\":(-?[0-9]+)");
  std::smatch match;
  if (!std::regex_search(line, match, pattern)) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(match[1].str(), &value)) return std::nullopt;
  return value;
}

class AuditorAnalystE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::vector<testing::TestPrincipal> principals;
    for (const char* role : {"customer_service", "marketing_manager", "metering_technician",
                             "meter_reader", "bill_checker", "collector"}) {
      principals.push_back({absl::StrCat("demo-", role), role, "sn/xa"});
    }
    principals.push_back({"auditor", "auditor", "sn"});
    principals.push_back({"analyst", "analyst", "sn"});
    principals.push_back({"outsider", "analyst", "sn/bj"});
    served_ = testing::StartGridLedgerAs(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(), principals);
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty());
    std::ofstream credentials(dir_.path() + "/credentials");
    for (const auto& [name, token] : served_.tokens) {
      if (absl::StartsWith(name, "demo-")) credentials << name.substr(5) << " " << token << "\n";
    }
    credentials.close();
    for (const char* who : {"auditor", "analyst"}) {
      std::ofstream(dir_.path() + "/" + who + ".token") << served_.tokens.at(who) << "\n";
    }
    const std::string demo = testing::RunCommand(absl::StrCat(
        GL_GRIDLEDGER_PATH, " demo --target ", served_.address, " --credentials ", dir_.path(),
        "/credentials --accounts 24 --applications 6 --tickets 4 --threads 2 2>&1"));
    ASSERT_THAT(demo, HasSubstr(", 0 failed")) << demo;
    std::smatch county;
    ASSERT_TRUE(std::regex_search(demo, county, std::regex("county sn/xa/([0-9a-f]+)"))) << demo;
    tag_ = county[1].str();
    const absl::CivilMonth billed = absl::CivilMonth(domain::UtilityDay(absl::Now())) - 2;
    // The end of the month after the billed one: every business date the
    // demo states is before it, and every event was recorded after it.
    const absl::CivilDay end = absl::CivilDay(billed + 2) - 1;
    as_of_ = absl::StrFormat("%04d-%02d-%02dT23:59:59+08:00", end.year(), end.month(), end.day());
  }

  std::string Gridledger(const std::string& args) {
    return testing::RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " ", args, " 2>&1; echo exit=$?"));
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::string as_of_;
  std::string tag_;  // the demo's county: accounts <tag>-100000…
};

TEST_P(AuditorAnalystE2eTest, ExportTailReportAndBillAgreeWithTheLog) {
  const std::string& store = served_.store_uri;
  // Every event, as JSON lines with numbers as numbers (read-only, beside serve).
  const std::string all = dir_.path() + "/all.jsonl";
  ASSERT_THAT(Gridledger(absl::StrCat("export --store '", store, "' --out ", all)),
              HasSubstr("exit=0"));
  const std::vector<std::string> events = Lines(ReadFile(all));
  ASSERT_GT(events.size(), 500u);
  int64_t billed = 0, bills = 0, collected = 0, penalties = 0, back_billed = 0;
  std::set<std::string> units;
  for (const std::string& line : events) {
    ASSERT_TRUE(NumberAfter(line, "stream_version").has_value())
        << "a string, not a number: " << line;
    if (absl::StrContains(line, "\"type\":\"gridledger.v1.BillIssued\"")) {
      ++bills;
      billed += NumberAfter(line, "total_fen").value_or(-1);
    } else if (absl::StrContains(line, "\"type\":\"gridledger.v1.PaymentPosted\"")) {
      collected += *NumberAfter(line, "amount_fen");
    } else if (absl::StrContains(line, "\"type\":\"gridledger.v1.PenaltyAccrued\"")) {
      penalties += *NumberAfter(line, "amount_fen");
    } else if (absl::StrContains(line, "\"type\":\"gridledger.v1.BackBillingIssued\"")) {
      back_billed +=
          *NumberAfter(line, "amount_fen") + NumberAfter(line, "penalty_fen").value_or(0);
    }
  }
  EXPECT_EQ(bills, 48) << "two months of bills for 24 accounts";

  // tail --until now ends, with the events the analyst's scope holds.
  const std::string tailed =
      Gridledger(absl::StrCat("tail --target ", served_.address, " --token_file ", dir_.path(),
                              "/analyst.token --until now --json"));
  EXPECT_THAT(tailed, HasSubstr("exit=0"));
  EXPECT_EQ(Lines(tailed).size() - 1, events.size()) << tailed.substr(0, 500);

  // A filter that can match nothing is a mistake, said as such.
  const std::string unknown =
      Gridledger(absl::StrCat("tail --target ", served_.address, " --token_file ", dir_.path(),
                              "/analyst.token --until now --json --type NoSuchEvent"));
  EXPECT_THAT(unknown, HasSubstr("is no event type"));
  EXPECT_THAT(unknown, HasSubstr("exit=1"));
  // JSON keeps every scalar, defaults too: the log's first event has offset 0.
  EXPECT_THAT(events[0], HasSubstr("\"offset\":0"));

  // CSV of one type: a column per field, one row per bill; the org-unit
  // filter is the account's county (the actor is of sn/xa).
  const std::string csv = dir_.path() + "/bills.csv";
  ASSERT_THAT(
      Gridledger(absl::StrCat("export --store '", store,
                              "' --type BillIssued --format csv --org_unit sn/xa --out ", csv)),
      HasSubstr("exit=0"));
  std::vector<std::string> rows = Lines(ReadFile(csv));
  ASSERT_EQ(rows.size(), static_cast<size_t>(bills) + 1);
  EXPECT_THAT(rows[0], HasSubstr("payload.bill_issued.total_fen"));
  ASSERT_THAT(
      Gridledger(absl::StrCat("export --store '", store,
                              "' --type BillIssued --format csv --org_unit sn/bj --out ", csv)),
      HasSubstr("exit=0"));
  EXPECT_EQ(Lines(ReadFile(csv)).size(), 1u) << "no bill is of sn/bj";

  // The audit report on the business axis holds the month; on the recorded
  // axis (everything was recorded today) nothing.
  const std::string report = dir_.path() + "/report";
  const std::string said =
      Gridledger(absl::StrCat("audit-report --store '", store, "' --as-of ", as_of_,
                              " --time business --sample 3 --out ", report));
  ASSERT_THAT(said, HasSubstr("intact: "));
  EXPECT_THAT(said, HasSubstr("3 bills sampled"));
  EXPECT_THAT(said, HasSubstr("exit=0"));
  const std::string totals = ReadFile(report + "/ledger_totals_by_unit.csv");
  // sn: billed (bills and back-billing), penalties and collected, as summed
  // from the export (penalties accrued today fall after the as-of time).
  const std::vector<std::string> lines = Lines(totals);
  std::map<std::string, std::vector<std::string>> by_unit;
  for (const std::string& row : lines) {
    std::vector<std::string> cells = absl::StrSplit(row, ',');
    by_unit[cells[0]] = cells;
  }
  ASSERT_TRUE(by_unit.count("sn")) << totals;
  EXPECT_EQ(by_unit["sn"][1], absl::StrCat(billed));
  EXPECT_EQ(by_unit["sn"][2], absl::StrCat(back_billed));
  EXPECT_EQ(by_unit["sn"][5], absl::StrCat(collected));
  EXPECT_EQ(by_unit["sn"][4], "0")
      << "the demo's penalties are accrued today, after the as-of time";
  EXPECT_GT(penalties, 0);
  const std::string html = ReadFile(report + "/report.html");
  EXPECT_THAT(html, HasSubstr("Electricity bill B-"));
  EXPECT_THAT(html, HasSubstr("T-ENERGY"));
  EXPECT_EQ(Lines(ReadFile(report + "/bills_sample.csv")).size(), 4u);

  // replay on the two axes: the account's statement as of the time exists
  // on the business axis (its month happened by then) and not on the
  // recorded axis (nothing had been recorded by then).
  const std::string account = tag_ + "-100000";
  const std::string business_replay = Gridledger(absl::StrCat(
      "replay --store '", store, "' --as-of ", as_of_, " --time business --views ledger --ledger ",
      account, " --out ", dir_.path(), "/replay-b"));
  EXPECT_THAT(business_replay, HasSubstr("\"statement\""));
  EXPECT_THAT(business_replay, HasSubstr("recordedLate"));
  EXPECT_THAT(business_replay, HasSubstr("exit=0"));
  const std::string recorded_replay = Gridledger(absl::StrCat(
      "replay --store '", store, "' --as-of ", as_of_, " --time recorded --views ledger --ledger ",
      account, " --out ", dir_.path(), "/replay-r"));
  EXPECT_THAT(recorded_replay, HasSubstr("notKnown"));
  EXPECT_THAT(recorded_replay, Not(HasSubstr("\"statement\"")));

  // Never into a directory that holds something else; again into its own.
  EXPECT_THAT(Gridledger(absl::StrCat("audit-report --store '", store, "' --as-of ", as_of_,
                                      " --out ", dir_.path())),
              HasSubstr("holds files no earlier audit-report wrote"));
  EXPECT_THAT(Gridledger(absl::StrCat("audit-report --store '", store, "' --as-of ", as_of_,
                                      " --time business --out ", report)),
              HasSubstr("exit=0"));

  const std::string recorded = dir_.path() + "/recorded";
  ASSERT_THAT(Gridledger(absl::StrCat("audit-report --store '", store, "' --as-of ", as_of_,
                                      " --out ", recorded)),
              HasSubstr("(0 events, 0 units, 0 bills sampled)"));

  // One bill, printable: the demo's first account's bill of the billed month.
  const absl::CivilMonth month = absl::CivilMonth(domain::UtilityDay(absl::Now())) - 2;
  const std::string bill_id = absl::StrCat("B-", month.year(), "-", month.month(), "-0");
  const std::string page = dir_.path() + "/bill.html";
  ASSERT_THAT(Gridledger(absl::StrCat("bill --store '", store, "' --account ", tag_,
                                      "-100000 --bill ", bill_id, " --out ", page)),
              HasSubstr("exit=0"));
  const std::string printed = ReadFile(page);
  EXPECT_THAT(printed, HasSubstr("Electricity bill " + bill_id));
  EXPECT_THAT(printed, HasSubstr("Customer 0"));
  EXPECT_THAT(printed, HasSubstr("gridledger verify checks it"));
  EXPECT_THAT(Gridledger(absl::StrCat("bill --store '", store, "' --account ", tag_,
                                      "-100000 --bill B-1999-1-0")),
              HasSubstr("exit=1"));
}

// Account search (LedgerQuery.SearchAccounts, the ledger view) by id, name,
// meter and unit, paged, within the caller's scope.
TEST_P(AuditorAnalystE2eTest, AccountsAreFoundByIdNameMeterAndUnit) {
  auto ledger = v1::LedgerQuery::NewStub(
      grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials()));
  auto search = [&](const std::string& who, const v1::SearchAccountsRequest& request,
                    v1::AccountSearchReply* reply) {
    return ledger->SearchAccounts(testing::CallAs(served_.tokens.at(who)).get(), request, reply);
  };
  const std::string county = "sn/xa/" + tag_;
  v1::SearchAccountsRequest by_unit;
  by_unit.set_org_unit(county);
  v1::AccountSearchReply reply;
  // The view catches up with the demo's last commands.
  for (int i = 0;
       i < 100 && !(search("analyst", by_unit, &reply).ok() && reply.accounts_size() == 24); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(reply.accounts_size(), 24);
  // Paged: 10, 10, 4, every account once.
  by_unit.set_page_size(10);
  std::set<std::string> seen;
  int pages = 0;
  do {
    ASSERT_TRUE(search("analyst", by_unit, &reply).ok());
    for (const v1::AccountMatch& match : reply.accounts()) seen.insert(match.account_id());
    by_unit.set_page_token(reply.next_page_token());
    ++pages;
  } while (!reply.next_page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 24u);

  v1::SearchAccountsRequest by_name;
  by_name.set_name_prefix("CUSTOMER 1");  // Customer 1 and 10…19
  ASSERT_TRUE(search("analyst", by_name, &reply).ok());
  EXPECT_EQ(reply.accounts_size(), 11);
  by_name.set_account_id_prefix(tag_ + "-10001");  // and ids 100010…100019
  ASSERT_TRUE(search("analyst", by_name, &reply).ok());
  EXPECT_EQ(reply.accounts_size(), 10);

  v1::SearchAccountsRequest by_id;
  by_id.set_account_id_prefix(tag_ + "-100003");
  ASSERT_TRUE(search("auditor", by_id, &reply).ok());
  ASSERT_EQ(reply.accounts_size(), 1);
  const v1::AccountMatch account = reply.accounts(0);
  EXPECT_EQ(account.customer_name(), "Customer 3");
  EXPECT_EQ(account.org_unit(), county);
  ASSERT_FALSE(account.meter_bar_code().empty());
  v1::SearchAccountsRequest by_meter;
  by_meter.set_meter_bar_code(account.meter_bar_code());
  ASSERT_TRUE(search("auditor", by_meter, &reply).ok());
  ASSERT_EQ(reply.accounts_size(), 1);
  EXPECT_EQ(reply.accounts(0).account_id(), account.account_id());

  // Outside the caller's scope nothing is found; no criterion is refused.
  ASSERT_TRUE(search("outsider", by_id, &reply).ok());
  EXPECT_EQ(reply.accounts_size(), 0);
  EXPECT_EQ(search("analyst", v1::SearchAccountsRequest(), &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  by_unit.set_page_token("not-a-token");
  EXPECT_EQ(search("analyst", by_unit, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditorAnalystE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
