// The Kafka backend's single writer: an idempotent, transactional producer
// (transactional.id "<prefix>.writer.<writer_id>", acks=all) and the thread
// that group-commits queued appends, one Kafka transaction per group.
//
// For each group the writer decides every request with the shared group
// decider against the KafkaIndex, produces the accepted events to their
// partitions in one transaction, and once it commits applies them to the
// index and answers the callers. A failed or timed-out transaction fails its
// appends with UNAVAILABLE (deduplicated requests are still answered with
// their first outcome); before the next group the writer builds a fresh
// producer (which aborts whatever the old one left open) and catches the
// index up with what the partitions really hold, so a retry with the same
// command id finds an append whose commit outcome was unknown. Fencing (a
// newer writer with the same transactional.id) is final: every later append
// fails with FAILED_PRECONDITION.
//
// Thread-safe: Append may be called from any thread; the writer's state is
// touched only by its own thread.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/append_queue.h"
#include "eventstore/internal/group_decider.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_reader.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/internal/kafka_writer_lock.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore::internal {

// "<prefix>.writer.<writer_id>": the single writer's transactional.id.
std::string SingleWriterTransactionalId(const KafkaConfig& config);

// A new transactional producer for `config` with `transactional_id`, its
// transactions not yet initialised. INVALID_ARGUMENT when librdkafka refuses
// the settings.
absl::StatusOr<KafkaHandle> NewTransactionalProducer(const KafkaConfig& config,
                                                     const std::string& transactional_id);

// init_transactions: completes or aborts whatever a previous producer with
// the same transactional.id left open, fencing it. UNAVAILABLE when the broker
// does not answer within config.timeout_ms.
absl::Status InitTransactions(rd_kafka_t* producer, const KafkaConfig& config,
                              const std::string& transactional_id);

// Writes `value` under `key` to partition 0 of `topic` in one transaction of
// `producer` (transactions initialised) and returns its offset: how an owner
// publishes its claim, which a fenced producer cannot.
absl::StatusOr<int64_t> ProduceInTransaction(rd_kafka_t* producer, const KafkaConfig& config,
                                             const std::string& topic, const std::string& key,
                                             const std::string& value);

// Fetches `topic`'s metadata into `producer`, so its first append there does
// not wait for a metadata refresh (best effort: a failure is ignored).
void WarmUpTopic(rd_kafka_t* producer, const KafkaConfig& config, const std::string& topic);

// What one writer writes: its transactional.id and the partitions (indices)
// its appends may go to, which are the ones it catches up when it recovers
// (empty: every partition).
struct WriterScope {
  std::string transactional_id;
  std::vector<int> partitions;
  // Optional: asked before a recovery fences the transactional.id again; an
  // error stops the recovery (FAILED_PRECONDITION ends the writer as if
  // fenced). A cluster instance confirms it is still the partition's owner,
  // so a zombie's recovery fences no one.
  std::function<absl::Status()> before_recover;
  // Optional (the single writer's): checked before every transaction (lost:
  // the writer is fenced) and added to each, so the broker refuses a
  // transaction of a writer the lock group expelled. Not owned.
  const WriterLock* lock = nullptr;
};

class KafkaWriter {
 public:
  // Takes `producer` (made by NewTransactionalProducer, transactions
  // initialised) and starts the writer thread. `topology`, `index` and
  // `reader` are not owned and must outlive the writer; the index must be
  // caught up.
  KafkaWriter(const KafkaConfig& config, const StoreOptions& options, WriterScope scope,
              KafkaHandle producer, const KafkaTopology* topology, KafkaIndex* index,
              KafkaReader* reader);

  // Close().
  ~KafkaWriter();

  // Refuses new appends (UNAVAILABLE), answers every queued one, and joins
  // the thread. Idempotent; not from the writer's own thread.
  void Close();
  // Whether Close() was called.
  bool Closed() const { return closed_.load(); }
  // Whether a newer producer with this writer's transactional.id fenced it:
  // every append fails from then on.
  bool Fenced() const { return fenced_flag_.load(); }

  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  // As EventStore::Append: validates, queues, and blocks until the group
  // holding the request is committed (or failed).
  absl::StatusOr<AppendResult> Append(AppendRequest request);
  // As EventStore::AppendBatch: every request queued at once, so they share
  // as few transactions as the group limit allows.
  std::vector<absl::StatusOr<AppendResult>> AppendAll(std::vector<AppendRequest> requests);

 private:
  struct Transaction;

  void WriterLoop();

  // Decides, produces and commits one group, then answers each request.
  void CommitGroup(std::vector<std::unique_ptr<PendingAppend>>& group);

  // OK when this writer may write: not fenced, and recovered if the last
  // transaction failed.
  absl::Status ReadyToWrite();

  // After a failed or ambiguous transaction: a fresh producer and a catch-up
  // of the index.
  absl::Status Recover();

  // Produces every event of `transaction` in one Kafka transaction, commits
  // it and waits for the delivery reports with the events' offsets. On
  // failure marks the writer fenced or in need of recovery, and returns
  // UNAVAILABLE (or FAILED_PRECONDITION when fenced).
  absl::Status ProduceAndCommit(Transaction& transaction);
  absl::Status ProduceAll(Transaction& transaction);
  absl::Status AwaitDeliveryReports(Transaction& transaction);
  absl::Status Failed(absl::Status status);
  // Ends this writer for good: every later append fails with `why`; counted
  // (gridledger_kafka_fences_total) and logged.
  void MarkFenced(const absl::Status& why);

  // Applies a committed transaction to the index and answers its requests.
  void ApplyAndAnswer(Transaction& transaction);

  const KafkaConfig config_;
  const StoreOptions options_;
  const WriterScope scope_;
  const KafkaTopology* const topology_;
  KafkaIndex* const index_;
  KafkaReader* const reader_;

  // Writer-thread state.
  KafkaHandle producer_;
  bool needs_recovery_ = false;
  absl::Status fenced_;

  std::atomic<bool> closed_{false};
  std::atomic<bool> fenced_flag_{false};
  absl::Mutex close_mu_;
  AppendQueue queue_{"kafka store is closing"};
  std::thread thread_;
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_H_
