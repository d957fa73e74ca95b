#include "eventstore/internal/kafka_index.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::eventstore::internal {
namespace {

class MemoryKafkaIndex final : public KafkaIndex {
 public:
  explicit MemoryKafkaIndex(const KafkaTopology* topology)
      : topology_(topology), partitions_(topology->size()) {}

  absl::Status ApplyRecord(int partition, int64_t offset, absl::string_view bytes) override;
  absl::Status SkipRecord(int partition, int64_t offset) override {
    absl::MutexLock lock(&mu_);
    partitions_[partition].next_read = offset + 1;
    return absl::OkStatus();
  }
  absl::Status ApplyCommitted(
      const std::vector<CommittedAppend>& appends,
      const absl::flat_hash_map<int, std::string>& partition_hashes) override;
  PartitionOffsets NextReads() const override;
  int64_t StreamVersion(absl::string_view stream_id) const override;
  StreamOffsets FindOffsets(absl::string_view stream_id, int64_t from_version,
                            int64_t max_count) const override;
  std::optional<v1::AppendOutcome> LookupCommand(const std::string& command_id) const override;
  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
      const std::string& command_id) override;
  absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) override;
  std::string PartitionHash(int partition) override;

 private:
  struct Stream {
    StreamHead head{0, GenesisHash(), -1};  // partition -1: no events yet
    std::vector<int64_t> offsets;           // offsets[v-1] is version v's offset
  };
  struct Partition {
    int64_t next_read = 0;  // offset after the last record applied
    std::string head_hash = GenesisHash();
  };

  // ApplyRecord's checks of `event`, read from `partition`.
  absl::Status CheckRecordLocked(int partition, const v1::EventEnvelope& event)
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const KafkaTopology* const topology_;
  mutable absl::Mutex mu_;
  std::vector<Partition> partitions_ ABSL_GUARDED_BY(mu_);  // by partition index
  absl::flat_hash_map<std::string, Stream> streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, v1::AppendOutcome> commands_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<KafkaIndex> NewMemoryKafkaIndex(const KafkaTopology* topology) {
  return std::make_unique<MemoryKafkaIndex>(topology);
}

absl::Status MemoryKafkaIndex::CheckRecordLocked(int partition, const v1::EventEnvelope& event) {
  GL_RETURN_IF_ERROR(CheckPartitionLink(event, partitions_[partition].head_hash));
  StreamHead head;
  head.partition = -1;
  if (auto it = streams_.find(event.stream_id()); it != streams_.end()) head = it->second.head;
  GL_RETURN_IF_ERROR(CheckStreamLink(event, event.stream_id(), head.version + 1, head.hash));
  if (head.partition >= 0 && head.partition != partition) {
    return absl::DataLossError(absl::StrCat(
        "event at ", DescribePosition(event.position()), ": stream ", event.stream_id(),
        " lives in partition ", topology_->partition(head.partition).name, ", not here"));
  }
  return absl::OkStatus();
}

absl::Status MemoryKafkaIndex::ApplyRecord(int partition, int64_t offset, absl::string_view bytes) {
  GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                      OpenRecord(bytes, topology_->PositionOf(partition, offset)));
  absl::MutexLock lock(&mu_);
  GL_RETURN_IF_ERROR(CheckRecordLocked(partition, event));
  Stream& stream = streams_[event.stream_id()];
  stream.head.version = event.stream_version();
  stream.head.hash = event.hash();
  stream.head.partition = partition;
  stream.offsets.push_back(offset);
  partitions_[partition].head_hash = event.partition_hash();
  partitions_[partition].next_read = offset + 1;
  v1::AppendOutcome& outcome = commands_[event.command_id()];
  if (outcome.stream_id().empty()) {
    outcome.set_stream_id(event.stream_id());
    outcome.set_first_version(event.stream_version());
    outcome.set_request_digest(event.request_digest());
  }
  outcome.set_last_version(event.stream_version());
  *outcome.add_positions() = std::move(*event.mutable_position());
  return absl::OkStatus();
}

absl::Status MemoryKafkaIndex::ApplyCommitted(
    const std::vector<CommittedAppend>& appends,
    const absl::flat_hash_map<int, std::string>& partition_hashes) {
  absl::MutexLock lock(&mu_);
  for (const CommittedAppend& append : appends) {
    Stream& stream = streams_[append.outcome->stream_id()];
    Partition& partition = partitions_[append.partition];
    for (const v1::Position& position : append.outcome->positions()) {
      stream.offsets.push_back(position.offset());
      partition.next_read = position.offset() + 1;
    }
    stream.head.version = append.outcome->last_version();
    stream.head.hash = *append.stream_hash;
    stream.head.partition = append.partition;
    commands_[*append.command_id] = *append.outcome;
  }
  for (const auto& [index, hash] : partition_hashes) partitions_[index].head_hash = hash;
  return absl::OkStatus();
}

PartitionOffsets MemoryKafkaIndex::NextReads() const {
  absl::MutexLock lock(&mu_);
  PartitionOffsets next;
  next.reserve(partitions_.size());
  for (size_t i = 0; i < partitions_.size(); ++i) {
    next.emplace_back(static_cast<int>(i), partitions_[i].next_read);
  }
  return next;
}

int64_t MemoryKafkaIndex::StreamVersion(absl::string_view stream_id) const {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? 0 : it->second.head.version;
}

StreamOffsets MemoryKafkaIndex::FindOffsets(absl::string_view stream_id, int64_t from_version,
                                            int64_t max_count) const {
  absl::MutexLock lock(&mu_);
  StreamOffsets found;
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || from_version > it->second.head.version || max_count <= 0) {
    return found;
  }
  const std::vector<int64_t>& all = it->second.offsets;
  const int64_t count = std::min<int64_t>(max_count, all.size() - (from_version - 1));
  found.offsets.assign(all.begin() + (from_version - 1), all.begin() + (from_version - 1) + count);
  found.partition = it->second.head.partition;
  return found;
}

std::optional<v1::AppendOutcome> MemoryKafkaIndex::LookupCommand(
    const std::string& command_id) const {
  absl::MutexLock lock(&mu_);
  auto it = commands_.find(command_id);
  if (it == commands_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<v1::AppendOutcome>> MemoryKafkaIndex::FindCommand(
    const std::string& command_id) {
  return LookupCommand(command_id);
}

absl::StatusOr<StreamHead> MemoryKafkaIndex::FindStream(const std::string& stream_id) {
  StreamHead head;
  head.partition = -1;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = streams_.find(stream_id); it != streams_.end()) head = it->second.head;
  }
  // A stream's first event goes where the partitioner says.
  if (head.partition < 0) head.partition = topology_->PartitionOfStream(stream_id);
  return head;
}

std::string MemoryKafkaIndex::PartitionHash(int partition) {
  absl::MutexLock lock(&mu_);
  return partitions_[partition].head_hash;
}

}  // namespace gridledger::eventstore::internal
