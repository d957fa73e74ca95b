// Thin RAII over librdkafka's C API, the one place its errors become
// absl::Status, and the client settings the Kafka backend's clients share.
// Used only by the Kafka backend.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_CLIENT_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/internal/kafka_uri.h"

namespace gridledger::eventstore::internal {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* handle) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct KafkaMessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
// Destroys `handle` on a detached thread and returns at once: librdkafka's
// destroy joins its broker threads, and after a broker was killed
// mid-request one of them can keep it waiting indefinitely (seen with
// librdkafka 2.0.2: a reader catching up hung there, and every command
// behind it).
void DestroyInBackground(KafkaHandle handle);

// Closes and destroys a consumer of a group using the cooperative-sticky
// assignor. librdkafka 2.0.2 (Debian 12's) aborts the whole process when
// such a member is destroyed after its JoinGroup answer but before its first
// assignment (an assertion on the assignor's state: librdkafka issue #4312,
// fixed in 2.3.0). So unless `assigned_once` or the consumer never joined
// (no member id yet), the handle is left running, not destroyed: its
// threads stay, and the broker drops the member when its session lapses
// without polls. A warning is logged when that happens. `consumer` stays
// set while it closes (its rebalance callbacks may use it) and is empty
// after.
void CloseGroupConsumer(KafkaHandle& consumer, bool assigned_once);

// Whether `consumer` has joined its group (the coordinator gave it a member
// id).
bool JoinedGroup(rd_kafka_t* consumer);

using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaMessageDeleter>;

// A consumed message's value.
inline absl::string_view ValueOf(const rd_kafka_message_t* message) {
  return {static_cast<const char*>(message->payload), message->len};
}

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// What every client of the store sets: its brokers, client id, connection
// timeouts (from config.timeout_ms) and log level.
KafkaSettings ClientSettings(const KafkaConfig& config);

// ClientSettings plus a read_committed consumer in `group_id` that never
// commits or stores offsets by itself, reports partition EOF, fails on an
// offset out of range (auto.offset.reset=error) and fetches with low latency.
KafkaSettings ReadCommittedConsumerSettings(const KafkaConfig& config, const std::string& group_id);

// A producer with `settings`; `on_delivery` is its delivery-report callback.
absl::StatusOr<KafkaHandle> NewProducer(const KafkaSettings& settings,
                                        void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*,
                                                            void*));

using RebalanceCallback = void (*)(rd_kafka_t*, rd_kafka_resp_err_t,
                                   rd_kafka_topic_partition_list_t*, void*);

// A consumer with `settings` (read_committed, no auto commit, EOF events);
// a group member's `on_rebalance` gets `opaque`.
absl::StatusOr<KafkaHandle> NewConsumer(const KafkaSettings& settings,
                                        RebalanceCallback on_rebalance = nullptr,
                                        void* opaque = nullptr);

// Converts (and destroys) an rd_kafka_error_t. Fencing is FAILED_PRECONDITION;
// everything else the broker or network did is UNAVAILABLE.
absl::Status FromKafkaError(rd_kafka_error_t* error, absl::string_view doing);

// Converts a response code; OK for RD_KAFKA_RESP_ERR_NO_ERROR.
absl::Status FromKafkaCode(rd_kafka_resp_err_t code, absl::string_view doing);

// Creates `topics` with `partitions`, `replication` and retention forever;
// topics that already exist are left as they are.
absl::Status EnsureTopics(rd_kafka_t* handle, const std::vector<std::string>& topics,
                          int32_t partitions, int32_t replication, int64_t timeout_ms);

// The partition count of each of `topics`, waiting up to timeout_ms for all of
// them to appear in the cluster metadata.
absl::StatusOr<std::vector<int32_t>> PartitionCounts(rd_kafka_t* handle,
                                                     const std::vector<std::string>& topics,
                                                     int64_t timeout_ms);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_CLIENT_H_
