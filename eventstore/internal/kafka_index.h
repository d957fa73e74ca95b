// The Kafka backend's in-memory index of its log: each stream's version,
// hash, partition and per-version offsets; each partition's chain head and
// the offset after the last record applied; and the command index (command id
// → first outcome). Rebuilt at open by applying every record of every
// partition in order (ApplyRecord, fed by KafkaReader::CatchUp), then kept
// current by the writer with what it commits (ApplyCommitted). It is what the
// group decider decides against (LogHeads) and how reads find a stream's
// offsets.
//
// Thread-safe: every method takes the index's own lock. Only one thread at a
// time applies (open, then the writer thread); reads may run concurrently.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/sha256.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/group_decider.h"
#include "eventstore/internal/kafka_topology.h"

namespace gridledger::eventstore::internal {

// One append this store's writer committed.
struct CommittedAppend {
  const std::string* command_id;
  const v1::AppendOutcome* outcome;  // with the positions of its events
  int partition = -1;
  const std::string* stream_hash;  // the stream's hash after its last event
};

// Where one stream's events are: a partition and offsets in version order.
struct StreamOffsets {
  int partition = -1;
  std::vector<int64_t> offsets;
};

class KafkaIndex final : public LogHeads {
 public:
  // `topology` is not owned and must outlive the index.
  explicit KafkaIndex(const KafkaTopology* topology);

  // Applies the record read at (partition, offset), which must follow the
  // last one applied in that partition: verifies the record's own hashes, its
  // partition chain and its stream's (next version, chained, same partition).
  // DATA_LOSS naming the position when one breaks; the index is then not
  // changed by this record.
  absl::Status ApplyRecord(int partition, int64_t offset, absl::string_view bytes);

  // Applies a transaction the writer committed: its appends (in order) and
  // the partition chain heads after it.
  void ApplyCommitted(const std::vector<CommittedAppend>& appends,
                      const absl::flat_hash_map<int, std::string>& partition_hashes);

  // Every partition with the offset after the last record applied, in index
  // order: where catching up resumes, and what this store knows is committed.
  PartitionOffsets NextReads() const;

  // The stream's version; 0 when it has no events.
  int64_t StreamVersion(absl::string_view stream_id) const;

  // The offsets of versions from_version… of the stream, at most max_count;
  // no offsets when there are none (unknown stream, from_version past its
  // end, max_count <= 0). from_version >= 1.
  StreamOffsets FindOffsets(absl::string_view stream_id, int64_t from_version,
                            int64_t max_count) const;

  // The outcome of the append that used `command_id`; nullopt when none did.
  std::optional<v1::AppendOutcome> LookupCommand(const std::string& command_id) const;

  // LogHeads, for the group decider; never fail.
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

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_
