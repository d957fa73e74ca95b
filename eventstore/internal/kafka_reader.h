// The Kafka backend's reads, all with read_committed consumers, each record
// verified (its own hashes and the chains between the records read):
//   - CatchUp: every partition from where the index stopped to its end,
//     applied to the KafkaIndex (at open, and when the writer recovers);
//   - ReadStream, ReadAll, EndCheckpoint through one shared consumer;
//   - Subscribe and OpenReader, each with a consumer of its own.
// A partition's end is where read_committed reports EOF, but never before
// what the index knows is committed: a transaction's commit returns before
// the broker has written its markers, so for a moment the stable end can lag
// behind records this store committed.
//
// Errors as EventStore's: DATA_LOSS naming "partition@offset" for a broken or
// removed record, UNAVAILABLE when the broker makes no progress within
// config.timeout_ms, INVALID_ARGUMENT for a bad checkpoint.
//
// Thread-safe: the shared consumer is used under a lock. Subscriptions and
// log readers share the topology and may outlive the reader.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_READER_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_uri.h"

namespace gridledger::eventstore::internal {

class KafkaReader {
 public:
  // Creates the shared consumer (group "<prefix>.reader.<uuid>"). `index` is
  // not owned and must outlive the reader.
  static absl::StatusOr<std::unique_ptr<KafkaReader>> Open(
      const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology, KafkaIndex* index);

  // Reads every partition from the index's NextReads() to its end, applying
  // each record to the index (KafkaIndex::ApplyRecord, which verifies both
  // chains). DATA_LOSS on the first break; records before it stay applied.
  absl::Status CatchUp() { return CatchUp({}); }
  // As CatchUp, only the given partitions (indices); empty: every partition.
  absl::Status CatchUp(const std::vector<int>& partitions);

  // As EventStore. Offsets come from the index; records are read from the
  // stream's partition and checked with a StreamChainChecker.
  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(absl::string_view stream_id,
                                                            int64_t from_version,
                                                            int64_t max_count);
  // Reads each partition at least up to what the index has applied and what
  // NoteAppended was told, so a caller reads its own acknowledged appends.
  absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count);
  // Records that an append through this process was acknowledged at
  // `outcome`'s positions (by this instance's writer or another's): ReadAll
  // waits for them to become readable (a transaction's records turn
  // readable only once the broker has written its commit marker, which it
  // does after answering the commit).
  void NoteAppended(const v1::AppendOutcome& outcome);
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                          SubscriptionFilter filter,
                                                          EventHandler handler);
  absl::StatusOr<v1::Checkpoint> EndCheckpoint();
  // OK when a broker answers a metadata request within `timeout`.
  absl::Status Ping(absl::Duration timeout);
  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(absl::string_view name);

  // "<topic_prefix>.view.<name>": the consumer group of OpenReader(name).
  std::string ReaderGroup(absl::string_view name) const;

 private:
  // A record's callback: (partition index, offset, value, set *done to stop).
  using RecordFn = std::function<absl::Status(int, int64_t, absl::string_view, bool*)>;

  KafkaReader(const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology,
              KafkaIndex* index, KafkaHandle consumer, KafkaHandle meta);

  // The shared consumer's settings: group "<prefix>.reader.<uuid>".
  KafkaSettings SharedConsumerSettings() const;

  // Reads the given partitions from the given offsets with the shared
  // consumer until each reaches its end (EOF, but not before
  // required_end[index] when given), `fn` says done, or max_events (> 0)
  // records were passed to `fn`. Unassigns the consumer after. When `ends`
  // is given, records there each partition's end offset as reported (past
  // any transaction markers).
  absl::Status ConsumeLocked(const PartitionOffsets& starts, int64_t max_events, const RecordFn& fn,
                             const absl::flat_hash_map<int, int64_t>& required_end = {},
                             absl::flat_hash_map<int, int64_t>* ends = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The poll loop of ConsumeLocked; `open` maps each partition still being
  // read to the offset it must reach.
  absl::Status PollLocked(absl::flat_hash_map<int, int64_t>& open, int64_t max_events,
                          const RecordFn& fn, absl::flat_hash_map<int, int64_t>* ends)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KafkaConfig config_;
  const std::shared_ptr<const KafkaTopology> topology_;
  KafkaIndex* const index_;
  absl::Mutex mu_;
  // Assigned and polled under mu_. After a read that made no progress it is
  // replaced by a fresh one before the next read: a consumer that lived
  // through broker restarts can stay stuck on stale fetch state.
  KafkaHandle consumer_ ABSL_GUARDED_BY(mu_);
  bool renew_consumer_ ABSL_GUARDED_BY(mu_) = false;
  // Watermarks and metadata, asked without the lock; never replaced.
  const KafkaHandle meta_;
  absl::Mutex appended_mu_;
  // By partition index: the offset after the last acknowledged append noted.
  absl::flat_hash_map<int, int64_t> appended_ends_ ABSL_GUARDED_BY(appended_mu_);
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_READER_H_
