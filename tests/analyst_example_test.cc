// examples/analyst.py against the real broker: events appended through the
// Kafka store are read back from the billing topic by the example (Python,
// confluent-kafka, generated classes), every one, with its hash checked.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

TEST(AnalystExampleTest, ReadsEveryBillingEventFromTheTopic) {
  std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
  if (!bootstrap) GTEST_SKIP() << "run through ctest: it starts the broker";
  const std::string prefix = testing::UniqueTopicPrefix();
  auto store = eventstore::OpenEventStore(absl::StrCat(
      "kafka://", *bootstrap, "?topic_prefix=", prefix, "&partitions=2&timeout_ms=8000"));
  ASSERT_TRUE(store.ok()) << store.status();
  testing::BusinessGenerator generator(21, 15, 15);
  for (int i = 0; i < 150; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
  std::set<std::string> billing_ids;
  absl::StatusOr<eventstore::ReadAllResult> all = (*store)->ReadAll({}, 1000);
  ASSERT_TRUE(all.ok());
  for (const auto& e : all->events) {
    if (absl::StartsWith(e.position().partition(), prefix + ".billing.v1/")) {
      billing_ids.insert(e.event_id());
    }
  }
  ASSERT_GT(billing_ids.size(), 20u);
  store->reset();

  const std::string output = testing::RunCommand(
      absl::StrCat("PYTHONPATH=", GL_PYTHON_OUT, " /usr/bin/python3 ", GL_SOURCE_DIR,
                   "/examples/analyst.py --bootstrap ", *bootstrap, " --topic ", prefix,
                   ".billing.v1 --idle-seconds 5 --max ", billing_ids.size(), " 2>&1"));
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), billing_ids.size()) << output.substr(0, 2000);
  std::set<std::string> seen;
  for (const std::string& line : lines) {
    EXPECT_THAT(line, HasSubstr("\"hashOk\": true"));
    const size_t at = line.find("\"eventId\": \"");
    ASSERT_NE(at, std::string::npos) << line;
    seen.insert(line.substr(at + 12, line.find('"', at + 12) - at - 12));
  }
  EXPECT_EQ(seen, billing_ids);
}

}  // namespace
}  // namespace gridledger
