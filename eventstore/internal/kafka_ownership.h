// The two Kafka mechanisms a clustered store (cluster.h) builds ownership on:
//
//   GroupMembership  this instance's membership of the consumer group
//                    "<prefix>.owners" over the unit topics: static membership
//                    (group.instance.id = the instance's name), the
//                    cooperative-sticky assignor, a session timeout. It never
//                    consumes (its partitions stay paused); Kafka's assignment
//                    says which partitions the instance owns, reported through
//                    callbacks on the membership's own thread.
//   OwnerDirectory   a follower of the claims topic "<prefix>.owners.v1"
//                    (read_committed, from its start): the last claim of each
//                    partition, i.e. who owns it and where to reach them.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_OWNERSHIP_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_OWNERSHIP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_uri.h"
#include "gridledger/v1/cluster.pb.h"

namespace gridledger::eventstore::internal {

// "<prefix>.owners.v1": where owners publish their claims.
std::string ClaimsTopic(const KafkaConfig& config);
// "<prefix>.owner.<topic>.<number>": the transactional.id of a partition's
// owner, the same whichever instance owns it, so a new owner fences the old.
std::string PartitionTransactionalId(const KafkaConfig& config, const KafkaPartition& partition);

class GroupMembership {
 public:
  struct Callbacks {
    // Partitions (indices) newly assigned to this instance.
    std::function<void(const std::vector<int>&)> assigned;
    // Partitions taken away (revoked, or lost when the session expired).
    std::function<void(const std::vector<int>&)> revoked;
    // Called about every 100 ms on the membership thread.
    std::function<void()> tick;
  };

  // Joins the group and starts the membership thread. The callbacks run on
  // that thread, one at a time. INVALID_ARGUMENT for settings librdkafka
  // refuses (e.g. a session timeout the client does not accept).
  static absl::StatusOr<std::unique_ptr<GroupMembership>> Join(
      const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology,
      const std::string& instance, int64_t session_timeout_ms, Callbacks callbacks);

  // Asks the group coordinator whether this instance is still a member of
  // the current generation (a synchronous offset commit for `partition`,
  // which a stale generation is refused): FAILED_PRECONDITION when it is not
  // (expelled after its session, or replaced by another of its name), and
  // UNAVAILABLE when it cannot tell (a rebalance in progress, no broker). What
  // must come before fencing a partition's producer, so a zombie fences no one.
  absl::Status ConfirmMember(int partition) const;

  // Stops the thread and closes the consumer (a static member stays in the
  // group until its session times out, so a restart keeps its partitions).
  // `revoked` is called for what it still held.
  ~GroupMembership();

  GroupMembership(const GroupMembership&) = delete;
  GroupMembership& operator=(const GroupMembership&) = delete;

 private:
  GroupMembership(std::shared_ptr<const KafkaTopology> topology, Callbacks callbacks);
  static void OnRebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  std::vector<int> IndicesOf(const rd_kafka_topic_partition_list_t* partitions) const;
  void Loop();
  // After a fatal group error (another instance joined with this one's
  // name): lets every partition go and stops taking part.
  void LoseEverything();

  const std::shared_ptr<const KafkaTopology> topology_;
  const Callbacks callbacks_;
  KafkaHandle consumer_;
  // The partitions assigned and not revoked, as the callbacks were told
  // (the poll thread's: rebalances run inside its poll). After a fatal error
  // librdkafka's own assignment may already be empty.
  std::set<int> assigned_;
  std::atomic<bool> assigned_once_{false};  // an assignment (even empty) came
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// One partition's last claim and its offset in the claims topic (the epoch:
// it grows with every takeover).
struct OwnerClaim {
  v1::PartitionClaim claim;
  int64_t epoch = -1;
};

class OwnerDirectory {
 public:
  // Starts following the claims topic (which must exist).
  static absl::StatusOr<std::unique_ptr<OwnerDirectory>> Open(const KafkaConfig& config);
  ~OwnerDirectory();

  OwnerDirectory(const OwnerDirectory&) = delete;
  OwnerDirectory& operator=(const OwnerDirectory&) = delete;

  // The last claim read for the partition named `partition`.
  std::optional<OwnerClaim> Find(const std::string& partition) const;
  // Every partition's last claim, by partition name.
  absl::flat_hash_map<std::string, OwnerClaim> All() const;

 private:
  explicit OwnerDirectory(KafkaHandle consumer);
  void Loop();

  KafkaHandle consumer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, OwnerClaim> claims_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_OWNERSHIP_H_
