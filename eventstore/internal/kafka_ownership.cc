#include "eventstore/internal/kafka_ownership.h"

#include <pthread.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/log.h"

namespace gridledger::eventstore::internal {
namespace {

constexpr int kPollMs = 100;

}  // namespace

std::string ClaimsTopic(const KafkaConfig& config) {
  return absl::StrCat(config.topic_prefix, ".owners.v1");
}

std::string PartitionTransactionalId(const KafkaConfig& config, const KafkaPartition& partition) {
  return absl::StrCat(config.topic_prefix, ".owner.", partition.topic, ".", partition.number);
}

// --- GroupMembership --------------------------------------------------------

GroupMembership::GroupMembership(std::shared_ptr<const KafkaTopology> topology, Callbacks callbacks)
    : topology_(std::move(topology)), callbacks_(std::move(callbacks)) {}

absl::StatusOr<std::unique_ptr<GroupMembership>> GroupMembership::Join(
    const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology,
    const std::string& instance, int64_t session_timeout_ms, Callbacks callbacks) {
  std::unique_ptr<GroupMembership> membership(
      new GroupMembership(std::move(topology), std::move(callbacks)));
  KafkaSettings settings = ClientSettings(config);
  settings.insert(settings.end(), {{"group.id", absl::StrCat(config.topic_prefix, ".owners")},
                                   {"group.instance.id", instance},
                                   {"client.id", absl::StrCat("gridledger-", instance)},
                                   {"session.timeout.ms", absl::StrCat(session_timeout_ms)},
                                   {"heartbeat.interval.ms",
                                    absl::StrCat(std::max<int64_t>(session_timeout_ms / 5, 100))},
                                   {"partition.assignment.strategy", "cooperative-sticky"},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"auto.offset.reset", "latest"}});
  absl::StatusOr<KafkaHandle> consumer =
      NewConsumer(settings, &GroupMembership::OnRebalance, membership.get());
  if (!consumer.ok()) return consumer.status();
  membership->consumer_ = *std::move(consumer);

  const std::vector<std::string> topics = membership->topology_->Topics();
  PartitionList subscription(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& topic : topics) {
    rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(membership->consumer_.get(), subscription.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaCode(err, "joining the owners group");
  }
  GroupMembership* self = membership.get();
  membership->thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "gl-kafka-group");
    self->Loop();
  });
  return membership;
}

GroupMembership::~GroupMembership() {
  // A member that joined but has no assignment yet may not be destroyed
  // (CloseGroupConsumer): give the group up to 10 s to answer, the poll
  // thread still running.
  if (consumer_ && thread_.joinable() && JoinedGroup(consumer_.get())) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!assigned_once_.load() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  CloseGroupConsumer(consumer_, assigned_once_.load());
}

absl::Status GroupMembership::ConfirmMember(int partition) const {
  const KafkaPartition& where = topology_->partition(partition);
  PartitionList offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), where.topic.c_str(), where.number)->offset = 0;
  if (rd_kafka_assignment_lost(consumer_.get())) {
    return absl::FailedPreconditionError("owners group: this instance's assignment is lost");
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), /*async=*/0);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return absl::OkStatus();
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__FATAL:
      return absl::FailedPreconditionError(absl::StrCat(
          "owners group: this instance is no longer a member (", rd_kafka_err2name(err), ")"));
    default:
      return absl::UnavailableError(
          absl::StrCat("owners group: membership not confirmed: ", rd_kafka_err2str(err)));
  }
}

void GroupMembership::OnRebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<GroupMembership*>(opaque)->Rebalance(err, partitions);
}

std::vector<int> GroupMembership::IndicesOf(
    const rd_kafka_topic_partition_list_t* partitions) const {
  std::vector<int> indices;
  for (int i = 0; i < partitions->cnt; ++i) {
    const int index =
        topology_->IndexOf(partitions->elems[i].topic, partitions->elems[i].partition);
    if (index >= 0) indices.push_back(index);
  }
  return indices;
}

void GroupMembership::Rebalance(rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions) {
  // The assignor is cooperative-sticky by configuration: every change is
  // incremental (and rd_kafka_rebalance_protocol is not asked here: it can
  // hang inside consumer_close's callback in this librdkafka).
  rd_kafka_t* consumer = consumer_.get();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assigned_once_.store(true);
    if (rd_kafka_error_t* error = rd_kafka_incremental_assign(consumer, partitions)) {
      log::Error("cluster.assign_failed",
                 absl::StrCat("gridledger: owners group: assign: ", rd_kafka_error_string(error)));
      rd_kafka_error_destroy(error);
      return;
    }
    // Membership only: nothing is consumed.
    rd_kafka_pause_partitions(consumer, partitions);
    const std::vector<int> indices = IndicesOf(partitions);
    assigned_.insert(indices.begin(), indices.end());
    if (callbacks_.assigned) callbacks_.assigned(indices);
    return;
  }
  // Revoked, or lost (the session expired): stop writing first, then let go.
  const std::vector<int> indices = IndicesOf(partitions);
  for (int index : indices) assigned_.erase(index);
  if (callbacks_.revoked) callbacks_.revoked(indices);
  if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(consumer, partitions)) {
    log::Error("cluster.unassign_failed",
               absl::StrCat("gridledger: owners group: unassign: ", rd_kafka_error_string(error)));
    rd_kafka_error_destroy(error);
  }
}

void GroupMembership::Loop() {
  while (!stopping_.load()) {
    if (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), kPollMs)) {
      const rd_kafka_resp_err_t err = message->err;
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log::Warning("cluster.group_error",
                     absl::StrCat("gridledger: owners group: ", rd_kafka_message_errstr(message)));
      }
      rd_kafka_message_destroy(message);
      if (err == RD_KAFKA_RESP_ERR__FATAL) return LoseEverything();
    }
    if (callbacks_.tick) callbacks_.tick();
  }
}

void GroupMembership::LoseEverything() {
  char reason[512] = "";
  const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
  log::Error("cluster.left_group",
             absl::StrCat("gridledger: owners group: this instance left the group for good (",
                          rd_kafka_err2name(cause), ": ", reason, ")",
                          cause == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID
                              ? ": another instance joined with the same --instance name"
                              : "",
                          "; it owns no partition any more and forwards everything: restart it"),
             {{"cause", rd_kafka_err2name(cause)}});
  const std::vector<int> everything(assigned_.begin(), assigned_.end());
  assigned_.clear();
  if (callbacks_.revoked) callbacks_.revoked(everything);
}

// --- OwnerDirectory ---------------------------------------------------------

OwnerDirectory::OwnerDirectory(KafkaHandle consumer) : consumer_(std::move(consumer)) {}

absl::StatusOr<std::unique_ptr<OwnerDirectory>> OwnerDirectory::Open(const KafkaConfig& config) {
  KafkaSettings settings = ReadCommittedConsumerSettings(
      config, absl::StrCat(config.topic_prefix, ".directory.", NewUuid()));
  settings.emplace_back("auto.offset.reset", "earliest");
  settings.emplace_back("enable.partition.eof", "false");
  absl::StatusOr<KafkaHandle> consumer = NewConsumer(settings);
  if (!consumer.ok()) return consumer.status();
  const std::string topic = ClaimsTopic(config);
  PartitionList assignment(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer->get(), assignment.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaCode(err, "following the claims topic");
  }
  std::unique_ptr<OwnerDirectory> directory(new OwnerDirectory(*std::move(consumer)));
  OwnerDirectory* self = directory.get();
  directory->thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "gl-kafka-dir");
    self->Loop();
  });
  return directory;
}

OwnerDirectory::~OwnerDirectory() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void OwnerDirectory::Loop() {
  while (!stopping_.load()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), kPollMs);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      v1::PartitionClaim claim;
      if (claim.ParseFromArray(message->payload, static_cast<int>(message->len)) &&
          !claim.partition().empty()) {
        absl::MutexLock lock(&mu_);
        OwnerClaim& entry = claims_[claim.partition()];
        if (message->offset > entry.epoch) entry = OwnerClaim{std::move(claim), message->offset};
      }
    }
    rd_kafka_message_destroy(message);
  }
}

std::optional<OwnerClaim> OwnerDirectory::Find(const std::string& partition) const {
  absl::MutexLock lock(&mu_);
  auto it = claims_.find(partition);
  if (it == claims_.end()) return std::nullopt;
  return it->second;
}

absl::flat_hash_map<std::string, OwnerClaim> OwnerDirectory::All() const {
  absl::MutexLock lock(&mu_);
  return claims_;
}

}  // namespace gridledger::eventstore::internal
