// The single writer's lock on its topics, so two writers never both write:
// membership of the consumer group "<prefix>.writers" over the one-partition
// topic "<prefix>.writer-lock", with static membership (group.instance.id
// "writer.<writer_id>") and the cooperative-sticky assignor. Whoever is
// assigned the lock partition is the writer.
//
//   - A writer whose session lapses (the broker away longer than the
//     session) stops writing until the group gives it the lock again, then
//     re-reads the log first.
//   - A writer with another writer id finds the lock held (the group lists
//     the holder, or its first assignment is empty) and is refused before it
//     writes or fences anything.
//   - The same writer id again (a restart, or a second process by mistake)
//     takes the holder's place at once: the group fences the older member,
//     whose lock is lost.
//   - A cluster instance (cluster.h) is refused while a writer holds the
//     lock, and a writer while cluster instances own partitions.
//   - Every transaction of the holder carries the lock group's metadata
//     (AddToTransaction): the broker refuses a transaction from a member
//     the group has expelled, so even a writer paused past its session
//     cannot write after another took over.
//
// A static member stays in the group for kWriterSessionMs after its process
// stops, so another writer id is refused for that long.
//
// Thread-safe.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_LOCK_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_LOCK_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_uri.h"

namespace gridledger::eventstore::internal {

inline constexpr int64_t kWriterSessionMs = 10000;

// "<prefix>.writers": the writer lock's consumer group.
std::string WriterGroup(const KafkaConfig& config);

// FAILED_PRECONDITION naming the holder when a single writer holds the lock
// of `config`'s topics (asked through `admin`, any client of the cluster);
// what a cluster instance checks before it joins.
absl::Status RequireNoSingleWriter(rd_kafka_t* admin, const KafkaConfig& config);

class WriterLock {
 public:
  // Takes the lock for config.writer_id through `admin` (creates the lock
  // topic if missing). FAILED_PRECONDITION naming the holder when another
  // writer id holds it or cluster instances own the topics; UNAVAILABLE when
  // the group does not answer within config.timeout_ms.
  static absl::StatusOr<std::unique_ptr<WriterLock>> Acquire(rd_kafka_t* admin,
                                                             const KafkaConfig& config);
  // Stops the poll thread and closes the membership.
  ~WriterLock();

  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  // OK while this process holds the lock; UNAVAILABLE while it does not
  // (its session lapsed, e.g. the broker was away; it rejoins and may get it
  // back); FAILED_PRECONDITION once it lost it for good (another process
  // took it with the same writer id).
  absl::Status Held() const;

  // Adds the lock group's membership to the producer's open transaction
  // (which must hold nothing yet), so the broker refuses to commit it once
  // this member is expelled. While the group rebalances it aborts and begins
  // the transaction again (up to 2 s) until this member has the new
  // generation.
  absl::Status AddToTransaction(rd_kafka_t* producer, int64_t timeout_ms) const;

 private:
  explicit WriterLock(KafkaConfig config) : config_(std::move(config)) {}
  static void OnRebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void Lose(absl::Status why);
  void Loop();

  const KafkaConfig config_;
  KafkaHandle consumer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool assigned_once_ ABSL_GUARDED_BY(mu_) = false;
  bool holds_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status lost_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_WRITER_LOCK_H_
