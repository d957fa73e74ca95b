#include "eventstore/internal/kafka_writer_lock.h"

#include <pthread.h>

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace gridledger::eventstore::internal {
namespace {

constexpr int kPollMs = 100;

std::string LockTopic(const KafkaConfig& config) {
  return absl::StrCat(config.topic_prefix, ".writer-lock");
}

std::string InstanceOf(const KafkaConfig& config) {
  return absl::StrCat("writer.", config.writer_id);
}

struct GroupMember {
  std::string instance_id;
  std::string client_id;
  std::string host;
};

std::string Describe(const std::vector<GroupMember>& members) {
  std::vector<std::string> named;
  named.reserve(members.size());
  for (const GroupMember& m : members) {
    named.push_back(
        absl::StrCat(m.instance_id.empty() ? m.client_id : m.instance_id, " at ", m.host));
  }
  return absl::StrJoin(named, ", ");
}

// The members of consumer group `group` (none when it does not exist or is
// empty), asked through `admin`.
absl::StatusOr<std::vector<GroupMember>> MembersOf(rd_kafka_t* admin, const std::string& group,
                                                   int64_t timeout_ms) {
  char errstr[512];
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(admin, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout_ms), errstr,
                                            sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(admin, groups, 1, options, queue);
  // Waits past the request's own timeout, so the answer (or its timeout) is
  // always taken before the queue goes.
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout_ms) + 5000);
  absl::StatusOr<std::vector<GroupMember>> members = std::vector<GroupMember>();
  if (event == nullptr) {
    members = absl::UnavailableError(
        absl::StrCat("store: describing group ", group, ": no answer within ", timeout_ms, " ms"));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    members = absl::UnavailableError(
        absl::StrCat("store: describing group ", group, ": ", rd_kafka_event_error_string(event)));
  } else {
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descriptions =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(event), &count);
    for (size_t i = 0; i < count && members.ok(); ++i) {
      const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(descriptions[i]);
      if (error != nullptr && rd_kafka_error_code(error) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
        members = absl::UnavailableError(
            absl::StrCat("store: describing group ", group, ": ", rd_kafka_error_string(error)));
        break;
      }
      const size_t n = rd_kafka_ConsumerGroupDescription_member_count(descriptions[i]);
      for (size_t m = 0; m < n; ++m) {
        const rd_kafka_MemberDescription_t* member =
            rd_kafka_ConsumerGroupDescription_member(descriptions[i], m);
        const char* instance = rd_kafka_MemberDescription_group_instance_id(member);
        members->push_back({instance == nullptr ? "" : instance,
                            rd_kafka_MemberDescription_client_id(member),
                            rd_kafka_MemberDescription_host(member)});
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  return members;
}

// As MembersOf, asked again (up to five times, half a second apart) while
// the broker answers with an error such as "not coordinator" (a group
// coordinator moving or loading). A question that timed out is not asked
// again.
absl::StatusOr<std::vector<GroupMember>> AnsweredMembersOf(rd_kafka_t* admin,
                                                           const std::string& group,
                                                           int64_t timeout_ms) {
  absl::StatusOr<std::vector<GroupMember>> members;
  for (int attempt = 0; attempt < 5; ++attempt) {
    members = MembersOf(admin, group, timeout_ms);
    if (members.ok() || absl::StrContains(members.status().message(), "no answer") ||
        absl::StrContains(members.status().message(), "Timed out")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  return members;
}

// FAILED_PRECONDITION when a writer other than `ours` (any, when empty)
// holds the lock.
absl::Status RequireNoOtherWriter(rd_kafka_t* admin, const KafkaConfig& config,
                                  const std::string& ours, int64_t timeout_ms) {
  GL_ASSIGN_OR_RETURN(std::vector<GroupMember> members,
                      AnsweredMembersOf(admin, WriterGroup(config), timeout_ms));
  std::vector<GroupMember> others;
  for (GroupMember& member : members) {
    if (member.instance_id != ours) others.push_back(std::move(member));
  }
  if (others.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "store: another writer holds topic_prefix=", config.topic_prefix, " (", Describe(others),
      ", group ", WriterGroup(config),
      "); one writer at a time: stop it or use its writer id (a writer that stopped lets go "
      "within ",
      kWriterSessionMs / 1000, " s)"));
}

}  // namespace

std::string WriterGroup(const KafkaConfig& config) {
  return absl::StrCat(config.topic_prefix, ".writers");
}

absl::Status RequireNoSingleWriter(rd_kafka_t* admin, const KafkaConfig& config) {
  return RequireNoOtherWriter(admin, config, "", config.timeout_ms);
}

absl::StatusOr<std::unique_ptr<WriterLock>> WriterLock::Acquire(rd_kafka_t* admin,
                                                                const KafkaConfig& config) {
  const std::string instance = InstanceOf(config);
  GL_RETURN_IF_ERROR(
      EnsureTopics(admin, {LockTopic(config)}, 1, config.replication, config.timeout_ms));
  // Joined before the group is described: on a new cluster a description
  // asked before any group exists times out, and librdkafka 2.0.2 then fails
  // an assertion on its next admin request.
  std::unique_ptr<WriterLock> lock(new WriterLock(config));
  KafkaSettings settings = ClientSettings(config);
  settings.insert(settings.end(), {{"group.id", WriterGroup(config)},
                                   {"group.instance.id", instance},
                                   {"client.id", absl::StrCat("gridledger-", instance)},
                                   {"session.timeout.ms", absl::StrCat(kWriterSessionMs)},
                                   {"heartbeat.interval.ms", absl::StrCat(kWriterSessionMs / 5)},
                                   {"partition.assignment.strategy", "cooperative-sticky"},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"auto.offset.reset", "latest"}});
  GL_ASSIGN_OR_RETURN(lock->consumer_, NewConsumer(settings, &WriterLock::OnRebalance, lock.get()));
  PartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), LockTopic(config).c_str(),
                                    RD_KAFKA_PARTITION_UA);
  GL_RETURN_IF_ERROR(FromKafkaCode(rd_kafka_subscribe(lock->consumer_.get(), subscription.get()),
                                   "joining the writer lock group"));
  WriterLock* self = lock.get();
  lock->thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "gl-writer-lock");
    self->Loop();
  });
  bool held = false;
  {
    absl::MutexLock guard(&lock->mu_);
    auto answered = [self]() ABSL_SHARED_LOCKS_REQUIRED(self->mu_) {
      return self->assigned_once_ || !self->lost_.ok();
    };
    if (!lock->mu_.AwaitWithTimeout(absl::Condition(&answered),
                                    absl::Milliseconds(config.timeout_ms))) {
      return absl::UnavailableError(absl::StrCat("store: the writer lock group ",
                                                 WriterGroup(config), " did not answer within ",
                                                 config.timeout_ms, " ms"));
    }
    if (!lock->lost_.ok()) return lock->lost_;
    held = lock->holds_;
  }
  // Asked once a member (a new cluster has the groups' coordinator by now).
  GL_ASSIGN_OR_RETURN(
      std::vector<GroupMember> owners,
      AnsweredMembersOf(admin, absl::StrCat(config.topic_prefix, ".owners"), config.timeout_ms));
  if (!owners.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store: cluster instances own the partitions of topic_prefix=", config.topic_prefix, " (",
        Describe(owners), "); a single writer may not write beside them"));
  }
  if (!held) {
    GL_RETURN_IF_ERROR(RequireNoOtherWriter(admin, config, instance, config.timeout_ms));
    return absl::FailedPreconditionError(
        absl::StrCat("store: another writer holds topic_prefix=", config.topic_prefix, " (group ",
                     WriterGroup(config), " gave this one nothing); one writer at a time"));
  }
  return lock;
}

WriterLock::~WriterLock() {
  bool assigned_once = false;
  if (consumer_ && thread_.joinable()) {
    // A member that joined but has no assignment yet may not be destroyed
    // (CloseGroupConsumer): give the group a session's time to answer, the
    // poll thread still running.
    absl::MutexLock lock(&mu_);
    auto assigned = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return assigned_once_; };
    if (JoinedGroup(consumer_.get())) {
      mu_.AwaitWithTimeout(absl::Condition(&assigned), absl::Milliseconds(kWriterSessionMs));
    }
    assigned_once = assigned_once_;
  }
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  CloseGroupConsumer(consumer_, assigned_once);
}

absl::Status WriterLock::Held() const {
  absl::MutexLock lock(&mu_);
  if (!lost_.ok()) return lost_;
  if (!holds_) {
    return absl::UnavailableError(
        "store: the writer lock is not held now (its session with the group lapsed, or the "
        "group is rebalancing); appends resume once it is back");
  }
  return absl::OkStatus();
}

absl::Status WriterLock::AddToTransaction(rd_kafka_t* producer, int64_t timeout_ms) const {
  PartitionList offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), LockTopic(config_).c_str(), 0)->offset = 0;
  for (int attempt = 0;; ++attempt) {
    rd_kafka_consumer_group_metadata_t* metadata =
        rd_kafka_consumer_group_metadata(consumer_.get());
    rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(
        producer, offsets.get(), metadata, static_cast<int>(timeout_ms));
    rd_kafka_consumer_group_metadata_destroy(metadata);
    if (error == nullptr) return absl::OkStatus();
    // A rebalance (say, a refused writer joining) changed the generation:
    // once this member has the new one, begin again. Anything else, or an
    // expelled member, is the caller's error.
    const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    const bool rebalanced = code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                            code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
    if (!rebalanced || attempt >= 10 || !rd_kafka_error_txn_requires_abort(error) || !Held().ok()) {
      return FromKafkaError(error, "adding the writer lock to the transaction");
    }
    rd_kafka_error_destroy(error);
    GL_RETURN_IF_ERROR(
        FromKafkaError(rd_kafka_abort_transaction(producer, static_cast<int>(timeout_ms)),
                       "aborting a transaction begun before a rebalance"));
    absl::SleepFor(absl::Milliseconds(200));
    GL_RETURN_IF_ERROR(
        FromKafkaError(rd_kafka_begin_transaction(producer), "beginning the transaction again"));
  }
}

void WriterLock::OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<WriterLock*>(opaque)->Rebalance(err, partitions);
}

void WriterLock::Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* consumer = consumer_.get();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (rd_kafka_error_t* error = rd_kafka_incremental_assign(consumer, partitions)) {
      rd_kafka_error_destroy(error);
    }
    rd_kafka_pause_partitions(consumer, partitions);  // membership only
    absl::MutexLock lock(&mu_);
    assigned_once_ = true;
    if (partitions->cnt > 0) holds_ = true;
    return;
  }
  if (partitions->cnt > 0) {
    // Not for good: the membership rejoins and may get the lock back (then
    // the writer re-reads the log before it writes again).
    absl::MutexLock lock(&mu_);
    holds_ = false;
  }
  if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(consumer, partitions)) {
    rd_kafka_error_destroy(error);
  }
}

void WriterLock::Lose(absl::Status why) {
  absl::MutexLock lock(&mu_);
  if (lost_.ok()) lost_ = std::move(why);
  holds_ = false;
}

void WriterLock::Loop() {
  while (!stopping_.load()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), kPollMs);
    if (message == nullptr) continue;
    const rd_kafka_resp_err_t err = message->err;
    rd_kafka_message_destroy(message);
    if (err != RD_KAFKA_RESP_ERR__FATAL) continue;
    char reason[512] = "";
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
    Lose(absl::FailedPreconditionError(
        absl::StrCat("store: this writer was fenced: ",
                     cause == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID
                         ? "another process took the writer lock with the same writer id"
                         : reason,
                     "; restart it to write again")));
    return;
  }
}

}  // namespace gridledger::eventstore::internal
