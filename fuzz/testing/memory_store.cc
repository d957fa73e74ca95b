#include "fuzz/testing/memory_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "eventstore/internal/append_queue.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::fuzzing {
namespace {

namespace internal = eventstore::internal;

constexpr char kPartition[] = "mem";

v1::Position PositionAt(int64_t offset) {
  v1::Position position;
  position.set_partition(kPartition);
  position.set_offset(offset);
  return position;
}

}  // namespace

class MemoryStore::Heads final : public internal::LogHeads {
 public:
  explicit Heads(const MemoryStore& store) : store_(store) {}

  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
      const std::string& command_id) override {
    auto it = store_.commands_.find(command_id);
    if (it == store_.commands_.end()) return std::nullopt;
    return it->second;
  }

  absl::StatusOr<internal::StreamHead> FindStream(const std::string& stream_id) override {
    auto it = store_.heads_.find(stream_id);
    if (it == store_.heads_.end()) return internal::StreamHead{};
    return it->second;
  }

  std::string PartitionHash(int partition) override {
    return store_.partition_hash_.empty() ? GenesisHash() : store_.partition_hash_;
  }

 private:
  const MemoryStore& store_;
};

absl::StatusOr<eventstore::AppendResult> MemoryStore::Append(eventstore::AppendRequest request) {
  if (absl::Status s = internal::ValidateAppendRequest(request, options_); !s.ok()) return s;
  std::vector<std::unique_ptr<internal::PendingAppend>> group;
  group.push_back(std::make_unique<internal::PendingAppend>());
  internal::PendingAppend& pending = *group.back();
  pending.stream_id = request.stream_id;
  pending.command_id = request.command_id;
  pending.expected_version = request.expected_version;
  for (v1::EventEnvelope& event : request.events) {
    pending.events.push_back(internal::PrepareEvent(event, request.stream_id, request.command_id));
  }
  Heads heads(*this);
  internal::GroupDecision decided = internal::DecideGroup(group, internal::StoreTimestamp(), heads);
  internal::Decision& decision = decided.decisions.front();
  switch (decision.kind) {
    case internal::Decision::Kind::kRefused:
      return decision.refusal;
    case internal::Decision::Kind::kDeduplicated:
      return eventstore::AppendResult{std::move(decision.outcome), /*deduplicated=*/true};
    case internal::Decision::Kind::kAppended:
      break;
  }
  for (internal::SealedEvent& event : decision.events) {
    *decision.outcome.add_positions() = PositionAt(static_cast<int64_t>(log_.size()));
    streams_[request.stream_id].push_back(static_cast<int64_t>(log_.size()));
    log_.push_back(std::move(event.record_bytes));
  }
  heads_[request.stream_id] = decision.head;
  partition_hash_ = decided.partition_hashes.begin()->second;
  commands_[request.command_id] = decision.outcome;
  return eventstore::AppendResult{std::move(decision.outcome), /*deduplicated=*/false};
}

absl::StatusOr<std::vector<v1::EventEnvelope>> MemoryStore::ReadStreamRange(
    absl::string_view stream_id, int64_t from_version, int64_t max_count) {
  std::vector<v1::EventEnvelope> events;
  auto it = streams_.find(std::string(stream_id));
  if (it == streams_.end() || from_version < 1 || max_count <= 0) return events;
  const std::vector<int64_t>& offsets = it->second;
  internal::StreamChainChecker chain(stream_id, from_version);
  for (int64_t version = from_version; version <= static_cast<int64_t>(offsets.size()) &&
                                       static_cast<int64_t>(events.size()) < max_count;
       ++version) {
    const int64_t offset = offsets[version - 1];
    absl::StatusOr<v1::EventEnvelope> event =
        internal::OpenRecord(log_[offset], PositionAt(offset));
    if (!event.ok()) return event.status();
    if (absl::Status s = chain.Next(*event); !s.ok()) return s;
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<int64_t> MemoryStore::StreamVersion(absl::string_view stream_id) {
  auto it = heads_.find(std::string(stream_id));
  return it == heads_.end() ? 0 : it->second.version;
}

absl::StatusOr<eventstore::ReadAllResult> MemoryStore::ReadAll(const v1::Checkpoint& from,
                                                               int64_t max_count) {
  return absl::UnimplementedError("MemoryStore: ReadAll is not supported");
}

absl::StatusOr<std::unique_ptr<eventstore::Subscription>> MemoryStore::Subscribe(
    const v1::Checkpoint& from, eventstore::SubscriptionFilter filter,
    eventstore::EventHandler handler) {
  return absl::UnimplementedError("MemoryStore: Subscribe is not supported");
}

absl::StatusOr<v1::Checkpoint> MemoryStore::EndCheckpoint() {
  return absl::UnimplementedError("MemoryStore: EndCheckpoint is not supported");
}

absl::StatusOr<std::optional<v1::AppendOutcome>> MemoryStore::LookupCommand(
    const std::string& command_id) {
  auto it = commands_.find(command_id);
  if (it == commands_.end()) return std::nullopt;
  return it->second;
}

}  // namespace gridledger::fuzzing
