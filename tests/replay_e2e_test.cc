// `gridledger replay` on a real embedded store: the views as they stood at a
// time, on the recorded axis (what the system knew) and the business axis
// (what had happened, with late-recorded events listed as such).
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gridledger/v1/query_service.pb.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return absl::FormatTime(absl::RFC3339_full, absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

class ReplayE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore(Uri());
    ASSERT_TRUE(store.ok());
    // Business times run from 2026-01-01; every event is recorded now, so
    // on the business axis every event is "recorded late".
    testing::BusinessGenerator generator(11, 20, 20);
    for (int i = 0; i < 600; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
    auto all = (*store)->ReadAll({}, 10000);
    ASSERT_TRUE(all.ok());
    events_ = all->events;
  }
  std::string Uri() const { return "embedded:" + dir_.path() + "/store"; }
  std::vector<std::string> Replay(std::vector<std::string> args) {
    std::vector<std::string> full = {"replay", "--store", Uri(), "--out", dir_.path() + "/replay"};
    full.insert(full.end(), args.begin(), args.end());
    testing::ServeProcess process(GL_GRIDLEDGER_PATH, full);
    std::vector<std::string> lines;
    for (std::string line = process.NextLine(); !line.empty(); line = process.NextLine()) {
      lines.push_back(line);
    }
    EXPECT_EQ(process.Wait(), 0) << absl::StrJoin(lines, "\n");
    return lines;
  }
  static int Count(const std::vector<std::string>& lines, const std::string& text) {
    int n = 0;
    for (const auto& line : lines) n += line.find(text) != std::string::npos;
    return n;
  }
  testing::TempDir dir_;
  std::vector<v1::EventEnvelope> events_;
};

TEST_F(ReplayE2eTest, OutNeverWipesWhatReplayDidNotWrite) {
  // The store's own directory, and a directory of someone's files.
  for (const std::string& out : {dir_.path() + "/store", dir_.path()}) {
    testing::ServeProcess process(GL_GRIDLEDGER_PATH, {"replay", "--store", Uri(), "--out", out,
                                                       "--as-of", "2030-01-01T00:00:00Z"});
    const std::string said = process.NextLine();
    EXPECT_NE(process.Wait(), 0) << out;
    EXPECT_THAT(said, ::testing::HasSubstr("holds files replay did not write")) << said;
  }
  auto store = eventstore::OpenEventStore(Uri(), eventstore::ReadOnlyStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  auto all = (*store)->ReadAll({}, 10000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), events_.size()) << "the store is intact";
}

TEST_F(ReplayE2eTest, BusinessTimeIncludesLateRecordsAndRecordedTimeDoesNot) {
  // An account and a moment in the middle of its history (business time).
  const v1::EventEnvelope* middle = nullptr;
  int account_events = 0;
  for (const auto& e : events_) account_events += e.stream_id() == "account-A1";
  int seen = 0;
  for (const auto& e : events_) {
    if (e.stream_id() == "account-A1" && ++seen == account_events / 2) middle = &e;
  }
  ASSERT_NE(middle, nullptr);
  const std::string at = Rfc3339(middle->occurred_at());
  int money_by_then = 0;
  for (const auto& e : events_) {
    if (e.stream_id() != "account-A1" ||
        e.occurred_at().seconds() > middle->occurred_at().seconds()) {
      continue;
    }
    const auto& p = e.payload();
    money_by_then += p.has_bill_issued() || p.has_bill_reversed() || p.has_payment_posted() ||
                     p.has_payment_reversed() || p.has_penalty_accrued() ||
                     p.has_back_billing_issued();
  }
  std::vector<std::string> business =
      Replay({"--as-of", at, "--time", "business", "--ledger", "A1", "--stream", "account-A1"});
  v1::Statement statement;
  for (const auto& line : business) {
    if (line.rfind("{\"statement\":", 0) == 0) {
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(line.substr(13, line.size() - 14), &statement)
              .ok())
          << line;
    }
  }
  EXPECT_EQ(statement.entries_size(), money_by_then);
  EXPECT_GT(Count(business, "\"recordedLate\""), 0) << "everything was recorded after it happened";
  EXPECT_EQ(Count(business, "{\"event\":"), seen == 0 ? 0 : account_events / 2);
  // What the system knew at that (business) moment: nothing yet.
  std::vector<std::string> recorded = Replay({"--as-of", at, "--ledger", "A1"});
  EXPECT_EQ(Count(recorded, "\"recordedLate\""), 0);
  // A1 was not yet known to the ledger then: the replay says so.
  EXPECT_EQ(Count(recorded, "{\"notKnown\":\"account_id: A1"), 1);
}

TEST_F(ReplayE2eTest, AReplayAsOfNowEqualsTheWholeLog) {
  const std::string later =
      absl::FormatTime(absl::RFC3339_full, absl::Now() + absl::Hours(1), absl::UTCTimeZone());
  std::vector<std::string> lines =
      Replay({"--as-of", later, "--kpi", "sn", "--period", "2026-01", "--asset", "M1"});
  EXPECT_EQ(Count(lines, "\"recordedLate\""), 0);
  EXPECT_EQ(Count(lines, "{\"kpis\":"), 1);
  EXPECT_EQ(Count(lines, "{\"asset\":"), 1);
}

}  // namespace
}  // namespace gridledger
