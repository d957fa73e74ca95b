// A Kafka event store as one instance of a cluster (docs/ARCHITECTURE.md,
// "Partition ownership"). Instances of one deployment join the consumer group
// "<prefix>.owners"; Kafka's assignment decides which partitions each owns
// and writes. An instance writes an owned partition with a transactional
// producer of that partition's own ("<prefix>.owner.<topic>.<number>"), so a
// new owner's init_transactions fences the previous one. Takeover order:
// fence, read the partition to its end, publish the claim (in a transaction
// of the fenced producer), then accept appends.
//
// What concerns a partition the instance does not own (an append, a stream
// read, a command lookup) goes through an OwnerForwarder to the owner named by
// the last claim; while a partition changes owner the call waits up to
// handover_wait_ms, then fails UNAVAILABLE saying so. Command ids make a
// client's retry safe.
#ifndef GRIDLEDGER_EVENTSTORE_CLUSTER_H_
#define GRIDLEDGER_EVENTSTORE_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/cluster.pb.h"

namespace gridledger::eventstore {

// Carries a store call to the instance that owns the stream's partition
// (implemented over gRPC by the server). Each returns the owner's answer, or
// UNAVAILABLE when the owner cannot be reached or no longer owns the
// partition (the caller then looks for the new owner). Thread-safe.
class OwnerForwarder {
 public:
  virtual ~OwnerForwarder() = default;
  // The owner's answer to each request, in order (as
  // ClusterMember::AppendOwnedBatch); a request whose call did not reach the
  // owner is answered UNAVAILABLE, one refused as a whole (e.g. without the
  // secret) with that refusal. An error for the whole batch only when none
  // of it could be sent.
  virtual absl::StatusOr<std::vector<absl::StatusOr<AppendResult>>> AppendBatch(
      const std::string& owner_address, const std::vector<const AppendRequest*>& requests) = 0;
  // The events (as ReadStream) and the stream's version.
  virtual absl::StatusOr<v1::ForwardReadStreamReply> ReadStream(const std::string& owner_address,
                                                                const std::string& stream_id,
                                                                int64_t from_version,
                                                                int64_t max_count) = 0;
  virtual absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& owner_address, const std::string& stream_id,
      const std::string& command_id) = 0;
  // Cancels the calls in flight and refuses new ones (UNAVAILABLE): the
  // process is stopping. Idempotent.
  virtual void Shutdown() = 0;
};

struct ClusterOptions {
  // This instance's name: its group.instance.id (static membership), so a
  // restart within the session timeout keeps its partitions. Empty: the
  // store is a single writer of every partition, not a cluster member.
  std::string instance;
  // HOST:PORT where other instances reach this one's Cluster service.
  std::string advertise;
  // How long the group waits for a silent instance before moving its
  // partitions (session.timeout.ms).
  int64_t session_timeout_ms = 10000;
  // How long a call for a partition without a reachable owner waits for one.
  int64_t handover_wait_ms = 15000;
  // Required with an instance name.
  std::shared_ptr<OwnerForwarder> forwarder;
  // Where the owner state lives (a RocksDB: stream heads, events, command
  // index and the offset each partition's state reflects), so a restart
  // reads only the tail of its partitions. Empty: in memory (a new process
  // reads each partition it takes over from the start).
  std::string state_dir;
};

// What a clustered store offers the server beside EventStore: the calls an
// owner answers for other instances (never forwarded again) and its view of
// the cluster. Obtained with EventStore::cluster().
class ClusterMember {
 public:
  virtual ~ClusterMember() = default;
  virtual const std::string& instance() const = 0;
  // As EventStore (AppendOwnedBatch as AppendBatch), for a partition this
  // instance owns and is ready to write; otherwise UNAVAILABLE "not the owner
  // of <partition>", naming the owner this instance knows of.
  virtual std::vector<absl::StatusOr<AppendResult>> AppendOwnedBatch(
      std::vector<AppendRequest> requests) = 0;
  virtual absl::StatusOr<v1::ForwardReadStreamReply> ReadOwned(const std::string& stream_id,
                                                               int64_t from_version,
                                                               int64_t max_count) = 0;
  virtual absl::StatusOr<std::optional<v1::AppendOutcome>> LookupOwned(
      const std::string& stream_id, const std::string& command_id) = 0;
  // The partition `stream_id` is written to and its owner by the last claim
  // (empty when unclaimed). INVALID_ARGUMENT for a malformed stream id or
  // unknown category.
  virtual absl::StatusOr<v1::StreamLocation> Locate(const std::string& stream_id) = 0;
  // Every partition: owner by the last claim, whether owned here, end offset
  // and claim epoch.
  virtual absl::StatusOr<v1::ClusterStatusReply> Status() = 0;
  // The process is stopping: calls waiting for a partition's owner give up
  // now with UNAVAILABLE (the client retries elsewhere with its command id)
  // instead of being cancelled when the server stops. Idempotent.
  virtual void BeginShutdown() = 0;
};

// Checks a cluster instance's owner state (the directory its --state_dir
// names: its on-disk index of the partitions it owned) against `log`, a
// store of the same topics (read-only is enough), beside the instance that
// keeps it: the state is opened as a RocksDB secondary and caught up once,
// and only what it says it applied (per partition, the log below its applied
// offset) is compared. Reports, up to `limit`, an event entry missing, extra,
// pointing at another offset or holding another record; a stream head
// missing, extra or other than the log's; a command entry missing, extra or
// other than the log's outcome; a partition whose chain head or applied
// offset the log contradicts. NOT_FOUND when the directory holds no state;
// FAILED_PRECONDITION when it holds another store's (`topic_prefix`).
absl::StatusOr<std::vector<IndexDiscrepancy>> CheckOwnerState(EventStore& log,
                                                              const std::string& state_dir,
                                                              const std::string& topic_prefix,
                                                              int64_t limit);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_CLUSTER_H_
