// What only the Kafka backend promises: a second writer with the same writer
// id fences the first, one with another writer id is refused before it
// writes; a read-only store fences no one and writes nothing; an unreachable
// or stopped broker gives UNAVAILABLE within the configured time, and the
// store recovers when the broker returns.
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using eventstore::kAnyVersion;
using eventstore::kNoStream;
using eventstore::OpenEventStore;
using testing::MeterReadAppend;
using testing::StatusIs;

std::string SharedBrokerUri(const std::string& prefix) {
  std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
  if (!bootstrap) return "";
  return absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", prefix,
                      "&partitions=2&timeout_ms=8000");
}

TEST(KafkaStoreTest, SecondWriterFencesTheFirst) {
  const std::string uri = SharedBrokerUri(testing::UniqueTopicPrefix());
  ASSERT_FALSE(uri.empty()) << "run through ctest: it starts the broker";
  auto first = OpenEventStore(uri);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->Append(MeterReadAppend("account-f1", kNoStream, NewUuid(), 2)).ok());

  auto second = OpenEventStore(uri);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*(*second)->StreamVersion("account-f1"), 2) << "the new writer rebuilt the state";

  EXPECT_THAT((*first)->Append(MeterReadAppend("account-f1", 2, NewUuid())),
              StatusIs(absl::StatusCode::kFailedPrecondition, "fenced"));
  EXPECT_THAT((*first)->Append(MeterReadAppend("account-f2", kAnyVersion, NewUuid())),
              StatusIs(absl::StatusCode::kFailedPrecondition, "fenced"));
  ASSERT_TRUE((*second)->Append(MeterReadAppend("account-f1", 2, NewUuid())).ok());
  auto events = (*second)->ReadStream("account-f1");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 3u);
}

TEST(KafkaStoreTest, AWriterWithAnotherWriterIdIsRefusedBeforeItWrites) {
  const std::string uri = SharedBrokerUri(testing::UniqueTopicPrefix());
  ASSERT_FALSE(uri.empty()) << "run through ctest: it starts the broker";
  auto first = OpenEventStore(uri);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->Append(MeterReadAppend("account-g1", kNoStream, NewUuid())).ok());

  EXPECT_THAT(OpenEventStore(uri + "&writer_id=other"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "another writer holds"));
  // The first writer was neither fenced nor disturbed.
  ASSERT_TRUE((*first)->Append(MeterReadAppend("account-g1", 1, NewUuid())).ok());
  EXPECT_TRUE((*first)->CheckWritable(absl::Seconds(1)).ok());

  // A read-only store beside it fences no one, refuses to write, and reads
  // what the writer appends after it opened.
  auto reader = OpenEventStore(uri, eventstore::ReadOnlyStoreOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT((*reader)->Append(MeterReadAppend("account-g2", kNoStream, NewUuid())),
              StatusIs(absl::StatusCode::kFailedPrecondition, "read-only"));
  ASSERT_TRUE((*first)->Append(MeterReadAppend("account-g1", 2, NewUuid())).ok());
  EXPECT_EQ(*(*reader)->StreamVersion("account-g1"), 3);
  EXPECT_THAT((*reader)->CheckWritable(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "read-only"));
  EXPECT_TRUE((*first)->CheckWritable(absl::Seconds(1)).ok());

  // A read-only open of topics that do not exist creates nothing.
  EXPECT_THAT(OpenEventStore(SharedBrokerUri(testing::UniqueTopicPrefix()),
                             eventstore::ReadOnlyStoreOptions()),
              StatusIs(absl::StatusCode::kNotFound, "does not exist"));
}

TEST(KafkaStoreTest, UnreachableBrokerIsUnavailableWithinTheTimeout) {
  const absl::Time start = absl::Now();
  // Port 1 on loopback: nothing listens there.
  EXPECT_THAT(OpenEventStore("kafka://127.0.0.1:1?timeout_ms=1500"),
              StatusIs(absl::StatusCode::kUnavailable, "no Kafka broker answered"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20)) << "it must not hang";
}

// Runs scripts/kafka with KAFKA_DIR=dir.
int KafkaScript(const std::string& dir, const std::string& verb) {
  const std::string command = absl::StrCat("KAFKA_DIR='", dir, "' KAFKA_PORT=0 '",
                                           testing::ScriptsDir(), "/kafka' ", verb, " >/dev/null");
  return std::system(command.c_str());
}

TEST(KafkaStoreTest, StoppedBrokerGivesUnavailableThenTheStoreRecovers) {
  testing::TempDir dir;
  ASSERT_EQ(KafkaScript(dir.path(), "start"), 0);
  std::optional<std::string> bootstrap;
  {
    std::ifstream in(dir.path() + "/bootstrap");
    std::string line;
    std::getline(in, line);
    bootstrap = line;
  }
  const std::string uri = absl::StrCat("kafka://", *bootstrap, "?timeout_ms=2000&partitions=1");
  {
    // A broker just started may not have its group coordinator up within the
    // short timeout on a busy machine: the first open is retried (what this
    // test is about is the broker going away later).
    auto store = OpenEventStore(uri);
    for (int attempt = 0; attempt < 15 && absl::IsUnavailable(store.status()); ++attempt) {
      absl::SleepFor(absl::Seconds(1));
      store = OpenEventStore(uri);
    }
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(MeterReadAppend("meter-u1", kNoStream, NewUuid())).ok());

    ASSERT_EQ(KafkaScript(dir.path(), "stop"), 0);
    const std::string command = NewUuid();
    const absl::Time start = absl::Now();
    EXPECT_THAT((*store)->Append(MeterReadAppend("meter-u1", 1, command)),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << "it must not hang";

    ASSERT_EQ(KafkaScript(dir.path(), "start"), 0);
    // The retry of the failed command lands once; the stream continues.
    // (Until the writer has its lock back the store answers UNAVAILABLE at
    // once; a client retries with a pause.)
    absl::StatusOr<eventstore::AppendResult> retried;
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (true) {
      retried = (*store)->Append(MeterReadAppend("meter-u1", 1, command));
      if (retried.ok() || absl::Now() > give_up) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    ASSERT_TRUE(retried.ok()) << retried.status();
    EXPECT_EQ(retried->outcome.last_version(), 2);
    auto events = (*store)->ReadStream("meter-u1");
    ASSERT_TRUE(events.ok()) << events.status();
    EXPECT_EQ(events->size(), 2u);
  }
  EXPECT_EQ(KafkaScript(dir.path(), "stop"), 0);
}

}  // namespace
}  // namespace gridledger
