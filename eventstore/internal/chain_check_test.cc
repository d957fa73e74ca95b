#include "eventstore/internal/chain_check.h"

#include <string>
#include <vector>

#include "common/sha256.h"
#include "eventstore/internal/record_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::eventstore::internal {
namespace {

using ::testing::HasSubstr;

// Versions 1…n of one stream, chained, at offsets 10, 11, … of partition "p/0".
std::vector<v1::EventEnvelope> Stream(const std::string& stream_id, int n) {
  std::vector<v1::EventEnvelope> events;
  std::string prev = GenesisHash();
  std::string partition_prev = GenesisHash();
  for (int version = 1; version <= n; ++version) {
    v1::EventEnvelope event;
    event.set_stream_id(stream_id);
    event.set_stream_version(version);
    event.set_hash(Sha256(stream_id + std::to_string(version)));
    event.set_prev_hash(prev);
    event.set_partition_hash(Sha256("p" + std::to_string(version)));
    event.set_partition_prev_hash(partition_prev);
    event.mutable_position()->set_partition("p/0");
    event.mutable_position()->set_offset(9 + version);
    prev = event.hash();
    partition_prev = event.partition_hash();
    events.push_back(event);
  }
  return events;
}

TEST(StreamChainCheckerTest, AcceptsAnIntactStream) {
  StreamChainChecker chain("account-1", 1);
  for (const v1::EventEnvelope& event : Stream("account-1", 4)) {
    EXPECT_TRUE(chain.Next(event).ok());
  }
  EXPECT_EQ(chain.next_version(), 5);
}

TEST(StreamChainCheckerTest, FirstEventMustChainToGenesis) {
  std::vector<v1::EventEnvelope> events = Stream("account-1", 1);
  events[0].set_prev_hash(Sha256("not genesis"));
  StreamChainChecker chain("account-1", 1);
  absl::Status status = chain.Next(events[0]);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("event at p/0@10: stream account-1 version 1 does not "
                                          "chain to version 0"));
}

TEST(StreamChainCheckerTest, AGapIsReportedAtTheEventAfterIt) {
  std::vector<v1::EventEnvelope> events = Stream("account-1", 3);
  StreamChainChecker chain("account-1", 1);
  ASSERT_TRUE(chain.Next(events[0]).ok());
  absl::Status status = chain.Next(events[2]);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr("event at p/0@12: stream account-1 jumps from version 1 to 3"));
}

TEST(StreamChainCheckerTest, ABrokenLinkIsReported) {
  std::vector<v1::EventEnvelope> events = Stream("account-1", 3);
  events[2].set_prev_hash(Sha256("altered"));
  StreamChainChecker chain("account-1", 1);
  ASSERT_TRUE(chain.Next(events[0]).ok());
  ASSERT_TRUE(chain.Next(events[1]).ok());
  EXPECT_THAT(chain.Next(events[2]).message(), HasSubstr("p/0@12"));
}

TEST(StreamChainCheckerTest, AnotherStreamsEventIsReported) {
  StreamChainChecker chain("account-1", 1);
  absl::Status status = chain.Next(Stream("account-2", 1)[0]);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("holds stream account-2 version 1 where stream "
                                          "account-1 version 1 was expected"));
}

TEST(StreamChainCheckerTest, ReadingMidStreamChecksLinksFromTheSecondEventOn) {
  std::vector<v1::EventEnvelope> events = Stream("account-1", 4);
  events[1].set_prev_hash(Sha256("unknowable here"));
  StreamChainChecker chain("account-1", 2);
  EXPECT_TRUE(chain.Next(events[1]).ok()) << "the hash before version 2 was not read";
  EXPECT_TRUE(chain.Next(events[2]).ok());
  events[3].set_prev_hash(Sha256("altered"));
  EXPECT_EQ(chain.Next(events[3]).code(), absl::StatusCode::kDataLoss);
}

TEST(StreamLinkTest, ChecksVersionAndHash) {
  std::vector<v1::EventEnvelope> events = Stream("meter-1", 2);
  EXPECT_TRUE(CheckStreamLink(events[1], "meter-1", 2, events[0].hash()).ok());
  EXPECT_TRUE(CheckStreamLink(events[1], "meter-1", 2, "").ok()) << "unknown link";
  EXPECT_FALSE(CheckStreamLink(events[1], "meter-1", 3, events[0].hash()).ok());
  EXPECT_FALSE(CheckStreamLink(events[1], "meter-1", 2, GenesisHash()).ok());
}

TEST(PartitionChainTest, FollowsEachPartitionSeparately) {
  std::vector<v1::EventEnvelope> events = Stream("account-1", 3);
  v1::EventEnvelope other = Stream("meter-1", 1)[0];
  other.mutable_position()->set_partition("q/0");
  other.mutable_position()->set_offset(0);
  PartitionChainFollower chains;
  EXPECT_TRUE(chains.Next(events[0]).ok()) << "mid-partition: nothing to link to yet";
  EXPECT_TRUE(chains.Next(other).ok()) << "offset 0 links to genesis";
  EXPECT_TRUE(chains.Next(events[1]).ok());
  absl::Status status = chains.Next(events[0]);  // replayed: does not link to events[1]
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("event at p/0@10: partition chain broken"));
  chains.Clear();
  EXPECT_TRUE(chains.Next(events[2]).ok()) << "after Clear, a fresh start";
}

TEST(PartitionChainTest, OffsetZeroMustLinkToGenesis) {
  v1::EventEnvelope event = Stream("account-1", 1)[0];
  event.mutable_position()->set_offset(0);
  event.set_partition_prev_hash(Sha256("something before the start"));
  PartitionChainFollower chains;
  EXPECT_EQ(chains.Next(event).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(CheckPartitionLink(event, Sha256("something before the start")).ok());
}

}  // namespace
}  // namespace gridledger::eventstore::internal
