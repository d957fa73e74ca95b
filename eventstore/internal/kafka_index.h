// The Kafka backend's index of its log: each stream's version, hash,
// partition and per-version offsets; each partition's chain head and the
// offset after the last record applied; and the command index (command id →
// first outcome). Fed by applying every record of a partition in order
// (ApplyRecord, from KafkaReader::CatchUp), then kept current by the writer
// with what it commits (ApplyCommitted). It is what the group decider decides
// against (LogHeads) and how reads find a stream's events.
//
// Two kinds: in memory (rebuilt from offset 0 at every open: the single
// writer), and on disk (a cluster instance's owner state: a restart or a
// takeover reads only the tail written since).
//
// Thread-safe. Per partition only one thread at a time applies (catch-up,
// then that partition's writer); reads may run concurrently.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_

#include <cstdint>
#include <memory>
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
  const std::string* stream_hash;          // the stream's hash after its last event
  const std::vector<SealedEvent>* events;  // the records, in version order
};

// Where one stream's events are: a partition and offsets in version order.
struct StreamOffsets {
  int partition = -1;
  std::vector<int64_t> offsets;
};

class KafkaIndex : public LogHeads {
 public:
  // Applies the record read at (partition, offset), which must follow the
  // last one applied in that partition: verifies the record's own hashes, its
  // partition chain and its stream's (next version, chained, same partition).
  // DATA_LOSS naming the position when one breaks; the index is then not
  // changed by this record. A disk index's write error is returned as is.
  virtual absl::Status ApplyRecord(int partition, int64_t offset, absl::string_view bytes) = 0;

  // Passes over the record at (partition, offset), acknowledged damage: the
  // next read starts after it; the partition's chain head stays the record
  // before it. A disk index's write error is returned as is.
  virtual absl::Status SkipRecord(int partition, int64_t offset) = 0;

  // Applies a transaction the writer committed: its appends (in order) and
  // the partition chain heads after it. An error (a disk index that could not
  // write) leaves the index as it was: catching up re-reads the transaction.
  virtual absl::Status ApplyCommitted(
      const std::vector<CommittedAppend>& appends,
      const absl::flat_hash_map<int, std::string>& partition_hashes) = 0;

  // Every partition with the offset after the last record applied, in index
  // order: where catching up resumes, and what this store knows is committed.
  virtual PartitionOffsets NextReads() const = 0;

  // The stream's version; 0 when it has no events.
  virtual int64_t StreamVersion(absl::string_view stream_id) const = 0;

  // The offsets of versions from_version… of the stream, at most max_count;
  // no offsets when there are none (unknown stream, from_version past its
  // end, max_count <= 0). from_version >= 1.
  virtual StreamOffsets FindOffsets(absl::string_view stream_id, int64_t from_version,
                                    int64_t max_count) const = 0;

  // The outcome of the append that used `command_id`; nullopt when none did.
  virtual std::optional<v1::AppendOutcome> LookupCommand(const std::string& command_id) const = 0;

  // The stream's events from from_version (at most max_count), verified, when
  // the index keeps events itself (the disk index); nullopt when it does not
  // (read them from Kafka at FindOffsets).
  virtual std::optional<absl::StatusOr<std::vector<v1::EventEnvelope>>> ReadEvents(
      absl::string_view stream_id, int64_t from_version, int64_t max_count) const {
    return std::nullopt;
  }
};

// The index in memory, rebuilt by reading the partitions from their start.
// `topology` is not owned and must outlive the index.
std::unique_ptr<KafkaIndex> NewMemoryKafkaIndex(const KafkaTopology* topology);

// The index in a RocksDB in `directory` (created if missing): stream heads,
// each stream's records and offsets, the command index and every partition's
// chain head with the offset it reflects, written together per record or
// transaction, so a restart catches up only what was written since. Holds
// `store_label` (the topic prefix): a directory of another store is refused
// (FAILED_PRECONDITION). FAILED_PRECONDITION also when another process has
// the directory open.
absl::StatusOr<std::unique_ptr<KafkaIndex>> OpenDiskKafkaIndex(const KafkaTopology* topology,
                                                               const std::string& directory,
                                                               const std::string& store_label);

// Checks the owner state in `directory` (OpenDiskKafkaIndex's) against
// `log`, a store of the same topics (read-only is enough): see
// eventstore::CheckOwnerState (cluster.h).
absl::StatusOr<std::vector<IndexDiscrepancy>> CheckDiskKafkaIndex(EventStore& log,
                                                                  const std::string& directory,
                                                                  const std::string& store_label,
                                                                  int64_t limit);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_INDEX_H_
