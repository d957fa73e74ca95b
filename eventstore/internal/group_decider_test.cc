#include "eventstore/internal/group_decider.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "eventstore/internal/record_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::eventstore::internal {
namespace {

using ::testing::HasSubstr;
using Kind = Decision::Kind;

// A log held in maps; counts the lookups it answers.
class FakeLog final : public LogHeads {
 public:
  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
      const std::string& command_id) override {
    ++command_lookups;
    if (!command_error.ok()) return command_error;
    auto it = commands.find(command_id);
    if (it == commands.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) override {
    if (!stream_error.ok()) return stream_error;
    auto it = streams.find(stream_id);
    if (it != streams.end()) return it->second;
    StreamHead head;
    head.partition = stream_id.size() % 2;  // any stable choice
    return head;
  }
  std::string PartitionHash(int partition) override {
    auto it = partitions.find(partition);
    return it == partitions.end() ? GenesisHash() : it->second;
  }

  absl::flat_hash_map<std::string, v1::AppendOutcome> commands;
  absl::flat_hash_map<std::string, StreamHead> streams;
  absl::flat_hash_map<int, std::string> partitions;
  absl::Status command_error;
  absl::Status stream_error;
  int command_lookups = 0;
};

std::unique_ptr<PendingAppend> Request(const std::string& stream_id, int64_t expected_version,
                                       const std::string& command_id, int events = 1) {
  auto pending = std::make_unique<PendingAppend>();
  pending->stream_id = stream_id;
  pending->command_id = command_id;
  pending->expected_version = expected_version;
  for (int i = 0; i < events; ++i) {
    v1::EventEnvelope event;
    event.set_type("gridledger.v1.MeterReadRecorded");
    event.mutable_payload()->mutable_meter_read_recorded()->set_read_id(
        absl::StrCat(command_id, "-", i));
    pending->events.push_back(PrepareEvent(event, stream_id, command_id));
  }
  return pending;
}

google::protobuf::Timestamp Now() {
  google::protobuf::Timestamp now;
  now.set_seconds(1767225600);
  return now;
}

std::vector<std::unique_ptr<PendingAppend>> Group(std::unique_ptr<PendingAppend> a,
                                                  std::unique_ptr<PendingAppend> b = nullptr,
                                                  std::unique_ptr<PendingAppend> c = nullptr) {
  std::vector<std::unique_ptr<PendingAppend>> group;
  for (auto* p : {&a, &b, &c}) {
    if (*p) group.push_back(std::move(*p));
  }
  return group;
}

v1::AppendOutcome Outcome(const std::string& stream_id, int64_t first, int64_t last) {
  v1::AppendOutcome outcome;
  outcome.set_stream_id(stream_id);
  outcome.set_first_version(first);
  outcome.set_last_version(last);
  outcome.add_positions()->set_offset(41);
  return outcome;
}

// The envelope a sealed event holds, verified as a store would on reading.
v1::EventEnvelope Open(const SealedEvent& event) {
  absl::StatusOr<v1::EventEnvelope> opened = OpenRecord(event.record_bytes, v1::Position());
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *opened : v1::EventEnvelope();
}

TEST(GroupDeciderTest, KnownCommandIsDeduplicatedBeforeTheVersionCheck) {
  FakeLog log;
  log.commands["cmd-1"] = Outcome("account-1", 1, 2);
  log.streams["account-1"] = StreamHead{5, Sha256("five"), 0};
  // Expected version 1 is stale (the stream is at 5): still the first outcome.
  GroupDecision decided = DecideGroup(Group(Request("account-1", 1, "cmd-1")), Now(), log);
  ASSERT_EQ(decided.decisions.size(), 1u);
  const Decision& d = decided.decisions[0];
  EXPECT_EQ(d.kind, Kind::kDeduplicated);
  EXPECT_EQ(d.first_request, -1);
  EXPECT_EQ(d.outcome.SerializeAsString(), log.commands["cmd-1"].SerializeAsString());
  EXPECT_TRUE(d.events.empty());
  EXPECT_FALSE(decided.appends());
  EXPECT_TRUE(decided.stream_heads.empty());
}

TEST(GroupDeciderTest, CommandReusedOnAnotherStreamIsRefused) {
  FakeLog log;
  log.commands["cmd-1"] = Outcome("account-1", 1, 1);
  GroupDecision decided =
      DecideGroup(Group(Request("account-2", kAnyVersion, "cmd-1")), Now(), log);
  const Decision& d = decided.decisions[0];
  EXPECT_EQ(d.kind, Kind::kRefused);
  EXPECT_EQ(d.refusal.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.refusal.message(),
              HasSubstr("command_id: cmd-1 was already used for stream account-1"));
  EXPECT_FALSE(decided.appends());
}

TEST(GroupDeciderTest, VersionConflictCarriesTheCurrentVersion) {
  FakeLog log;
  log.streams["meter-7"] = StreamHead{3, Sha256("three"), 1};
  GroupDecision decided = DecideGroup(Group(Request("meter-7", 1, "cmd-1")), Now(), log);
  const Decision& d = decided.decisions[0];
  ASSERT_EQ(d.kind, Kind::kRefused);
  EXPECT_EQ(d.refusal.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(d.refusal.message(), "stream meter-7 is at version 3, expected 1");
  auto payload = d.refusal.GetPayload(kCurrentVersionPayload);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), "3");
  // kNoStream on an existing stream is a conflict too; kAnyVersion is not.
  decided = DecideGroup(
      Group(Request("meter-7", kNoStream, "cmd-2"), Request("meter-7", kAnyVersion, "cmd-3")),
      Now(), log);
  EXPECT_EQ(decided.decisions[0].kind, Kind::kRefused);
  EXPECT_EQ(decided.decisions[1].kind, Kind::kAppended);
  EXPECT_EQ(decided.decisions[1].outcome.first_version(), 4);
}

TEST(GroupDeciderTest, AppendedEventsChainOnTheStreamAndPartitionHeads) {
  FakeLog log;
  const std::string stream_hash = Sha256("stream head");
  const std::string partition_hash = Sha256("partition head");
  log.streams["account-1"] = StreamHead{2, stream_hash, 1};
  log.partitions[1] = partition_hash;
  GroupDecision decided = DecideGroup(Group(Request("account-1", 2, "cmd-1", 3)), Now(), log);
  const Decision& d = decided.decisions[0];
  ASSERT_EQ(d.kind, Kind::kAppended);
  EXPECT_EQ(d.outcome.stream_id(), "account-1");
  EXPECT_EQ(d.outcome.first_version(), 3);
  EXPECT_EQ(d.outcome.last_version(), 5);
  EXPECT_EQ(d.outcome.positions_size(), 0) << "positions are the backend's";
  ASSERT_EQ(d.events.size(), 3u);
  std::string prev = stream_hash;
  std::string partition_prev = partition_hash;
  for (size_t i = 0; i < d.events.size(); ++i) {
    v1::EventEnvelope event = Open(d.events[i]);
    EXPECT_EQ(d.events[i].version, 3 + static_cast<int64_t>(i));
    EXPECT_EQ(event.stream_version(), d.events[i].version);
    EXPECT_EQ(event.recorded_at().seconds(), Now().seconds());
    EXPECT_EQ(event.prev_hash(), prev);
    EXPECT_EQ(event.partition_prev_hash(), partition_prev);
    prev = event.hash();
    partition_prev = event.partition_hash();
  }
  EXPECT_EQ(d.head.version, 5);
  EXPECT_EQ(d.head.hash, prev);
  EXPECT_EQ(d.head.partition, 1);
  EXPECT_EQ(decided.stream_heads.at("account-1").hash, prev);
  EXPECT_EQ(decided.partition_hashes.at(1), partition_prev);
  EXPECT_EQ(decided.partition_hashes.size(), 1u);
}

TEST(GroupDeciderTest, RequestsOfOneGroupSeeWhatEarlierOnesStaged) {
  FakeLog log;
  GroupDecision decided =
      DecideGroup(Group(Request("account-1", kNoStream, "cmd-1", 2),
                        Request("account-1", 2, "cmd-2"), Request("account-1", kNoStream, "cmd-3")),
                  Now(), log);
  const Decision& first = decided.decisions[0];
  const Decision& second = decided.decisions[1];
  ASSERT_EQ(first.kind, Kind::kAppended);
  ASSERT_EQ(second.kind, Kind::kAppended);
  EXPECT_EQ(second.outcome.first_version(), 3);
  v1::EventEnvelope linked = Open(second.events[0]);
  EXPECT_EQ(linked.prev_hash(), first.head.hash);
  EXPECT_EQ(linked.partition_prev_hash(), Open(first.events[1]).partition_hash());
  // The stream no longer is new within the group.
  const Decision& third = decided.decisions[2];
  ASSERT_EQ(third.kind, Kind::kRefused);
  EXPECT_EQ(third.refusal.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(third.refusal.message(), HasSubstr("is at version 3, expected 0"));
  EXPECT_EQ(decided.stream_heads.at("account-1").version, 3);
  EXPECT_EQ(decided.stream_heads.at("account-1").hash, second.head.hash);
}

TEST(GroupDeciderTest, StreamsSharingAPartitionShareItsChain) {
  FakeLog log;
  log.streams["account-1"] = StreamHead{0, GenesisHash(), 0};
  log.streams["meter-1"] = StreamHead{0, GenesisHash(), 0};
  log.streams["ticket-1"] = StreamHead{0, GenesisHash(), 1};
  GroupDecision decided =
      DecideGroup(Group(Request("account-1", kNoStream, "a"), Request("ticket-1", kNoStream, "t"),
                        Request("meter-1", kNoStream, "m")),
                  Now(), log);
  v1::EventEnvelope account = Open(decided.decisions[0].events[0]);
  v1::EventEnvelope ticket = Open(decided.decisions[1].events[0]);
  v1::EventEnvelope meter = Open(decided.decisions[2].events[0]);
  EXPECT_EQ(account.prev_hash(), GenesisHash());
  EXPECT_EQ(meter.prev_hash(), GenesisHash()) << "each stream has a chain of its own";
  EXPECT_EQ(meter.partition_prev_hash(), account.partition_hash());
  EXPECT_EQ(ticket.partition_prev_hash(), GenesisHash()) << "partition 1 has a chain of its own";
  EXPECT_EQ(decided.partition_hashes.at(0), meter.partition_hash());
  EXPECT_EQ(decided.partition_hashes.at(1), ticket.partition_hash());
}

TEST(GroupDeciderTest, SameCommandTwiceInOneGroupIsDeduplicatedAgainstTheFirst) {
  FakeLog log;
  GroupDecision decided = DecideGroup(
      Group(Request("account-1", kNoStream, "cmd-1"), Request("account-1", kNoStream, "cmd-1"),
            Request("account-2", kAnyVersion, "cmd-1")),
      Now(), log);
  ASSERT_EQ(decided.decisions[0].kind, Kind::kAppended);
  const Decision& retry = decided.decisions[1];
  ASSERT_EQ(retry.kind, Kind::kDeduplicated) << "before the version check, which would fail";
  EXPECT_EQ(retry.first_request, 0);
  EXPECT_EQ(retry.outcome.SerializeAsString(), decided.decisions[0].outcome.SerializeAsString());
  EXPECT_EQ(decided.decisions[2].kind, Kind::kRefused);
  EXPECT_EQ(decided.decisions[2].refusal.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(decided.stream_heads.at("account-1").version, 1);
}

TEST(GroupDeciderTest, ACommandIdStaysBoundToItsRequest) {
  FakeLog log;
  auto with_digest = [](std::unique_ptr<PendingAppend> request, const std::string& digest) {
    request->request_digest = digest;
    return request;
  };
  // In one group: the same id with the same digest is a retry; with another
  // digest it is refused, naming the id.
  GroupDecision decided =
      DecideGroup(Group(with_digest(Request("account-1", kNoStream, "cmd-1"), "d1"),
                        with_digest(Request("account-1", kAnyVersion, "cmd-1"), "d1"),
                        with_digest(Request("account-1", kAnyVersion, "cmd-1"), "d2")),
                  Now(), log);
  ASSERT_EQ(decided.decisions[0].kind, Decision::Kind::kAppended);
  EXPECT_EQ(decided.decisions[0].outcome.request_digest(), "d1");
  EXPECT_EQ(decided.decisions[1].kind, Decision::Kind::kDeduplicated);
  ASSERT_EQ(decided.decisions[2].kind, Decision::Kind::kRefused);
  EXPECT_EQ(decided.decisions[2].refusal.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(decided.decisions[2].refusal.message()),
              HasSubstr("cmd-1 was already used for a different request"));
  // Against the log: the stored digest decides; an unbound old append
  // (no digest) still answers retries.
  log.commands["cmd-9"].set_stream_id("account-1");
  log.commands["cmd-9"].set_request_digest("d9");
  log.commands["old"].set_stream_id("account-1");
  decided = DecideGroup(Group(with_digest(Request("account-1", kAnyVersion, "cmd-9"), "dX"),
                              with_digest(Request("account-1", kAnyVersion, "cmd-9"), "d9"),
                              with_digest(Request("account-1", kAnyVersion, "old"), "d0")),
                        Now(), log);
  EXPECT_EQ(decided.decisions[0].kind, Decision::Kind::kRefused);
  EXPECT_EQ(decided.decisions[1].kind, Decision::Kind::kDeduplicated);
  EXPECT_EQ(decided.decisions[2].kind, Decision::Kind::kDeduplicated);
}

TEST(GroupDeciderTest, RefusedRequestLeavesNoTrace) {
  FakeLog log;
  log.streams["account-1"] = StreamHead{1, Sha256("one"), 0};
  GroupDecision decided = DecideGroup(
      Group(Request("account-1", 7, "cmd-1"), Request("account-1", 1, "cmd-1")), Now(), log);
  EXPECT_EQ(decided.decisions[0].kind, Kind::kRefused);
  // The refused command id was not staged: the retry is decided afresh.
  ASSERT_EQ(decided.decisions[1].kind, Kind::kAppended);
  EXPECT_EQ(Open(decided.decisions[1].events[0]).prev_hash(), Sha256("one"));
}

TEST(GroupDeciderTest, LookupErrorsRefuseOnlyTheRequestThatAsked) {
  FakeLog log;
  log.stream_error = absl::UnavailableError("disk on fire");
  GroupDecision decided =
      DecideGroup(Group(Request("account-1", kAnyVersion, "cmd-1")), Now(), log);
  EXPECT_EQ(decided.decisions[0].kind, Kind::kRefused);
  EXPECT_EQ(decided.decisions[0].refusal, absl::UnavailableError("disk on fire"));
  log.stream_error = absl::OkStatus();
  log.command_error = absl::DataLossError("command index corrupted");
  decided = DecideGroup(Group(Request("account-1", kAnyVersion, "cmd-2")), Now(), log);
  EXPECT_EQ(decided.decisions[0].refusal.code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(decided.appends());
}

}  // namespace
}  // namespace gridledger::eventstore::internal
