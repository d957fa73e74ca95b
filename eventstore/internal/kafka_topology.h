// Where the Kafka backend's events live: one topic per unit
// (<prefix>.{customer,billing,metering,marketing}.v1) and their partitions,
// numbered 0…size()-1 across the topics ("partition index"), named
// "<topic>/<number>" in positions and checkpoints. Also the store's
// partitioner. Learned once at open; immutable after, so thread-safe.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_TOPOLOGY_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_TOPOLOGY_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore::internal {

// (partition index, offset) pairs: where to start reading, or next offsets.
using PartitionOffsets = std::vector<std::pair<int, int64_t>>;

struct KafkaPartition {
  std::string topic;
  int32_t number = 0;
  std::string name;  // "<topic>/<number>"
};

// FNV-1a 64 of the stream id, modulo `partitions`. Every event of a stream
// lands in one partition, so the stream is in order there.
int32_t PartitionFor(absl::string_view stream_id, int32_t partitions);

class KafkaTopology {
 public:
  // What Load does about a unit topic that does not exist.
  enum class MissingTopics { kCreate, kRefuse };

  // Through `handle` (any client of config's cluster): checks that a broker
  // answers (UNAVAILABLE "no Kafka broker answered at …" within
  // config.timeout_ms), creates the unit topics that are missing (with
  // config.partitions and config.replication, retention forever) or, with
  // kRefuse, fails NOT_FOUND naming the first missing one, and learns every
  // topic's partition count. Reads the damage acknowledgements
  // (kafka_acknowledgements.h) plus options.pending_acknowledgements, and
  // applies options' trust in their signers.
  static absl::StatusOr<std::unique_ptr<KafkaTopology>> Load(
      rd_kafka_t* handle, const KafkaConfig& config, const StoreOptions& options,
      MissingTopics missing = MissingTopics::kCreate);

  int size() const { return static_cast<int>(partitions_.size()); }
  // 0 <= index < size().
  const KafkaPartition& partition(int index) const { return partitions_[index]; }

  // The partition index `stream_id`'s events go to. Its category must be a
  // known one (the request was validated).
  int PartitionOfStream(absl::string_view stream_id) const;

  // The partition index of a consumed message; -1 when it is none of ours.
  int IndexOf(const rd_kafka_message_t* message) const;
  // The partition index of `topic`'s partition `number`; -1 when none of ours.
  int IndexOf(absl::string_view topic, int32_t number) const;
  // The unit topics, each once.
  std::vector<std::string> Topics() const;

  v1::Position PositionOf(int index, int64_t offset) const;

  // Every partition with its offset in `from` (0 where `from` has none), in
  // index order. INVALID_ARGUMENT for a negative offset or a partition that
  // is not one of this store's.
  absl::StatusOr<PartitionOffsets> StartOffsets(const v1::Checkpoint& from) const;

  // A librdkafka list of the given partitions, each at its offset.
  PartitionList ToList(const PartitionOffsets& offsets) const;

  // Whether the record at (partition index, offset) with `value` is damage
  // an operator acknowledged: every reader skips it, and the partition's
  // chain continues from the record before it.
  bool Acknowledged(int index, int64_t offset, absl::string_view value) const {
    return damage_.Covers(partitions_[index].name, offset, value);
  }
  const AcknowledgedDamage& acknowledged_damage() const { return damage_; }

 private:
  KafkaTopology() = default;

  std::vector<KafkaPartition> partitions_;
  absl::flat_hash_map<std::string, std::pair<int, int32_t>> unit_base_;  // → (first index, count)
  absl::flat_hash_map<std::string, int> topic_base_;                     // → first index
  AcknowledgedDamage damage_;
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_TOPOLOGY_H_
