#include "eventstore/internal/kafka_topology.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/streams.h"
#include "eventstore/internal/kafka_acknowledgements.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::eventstore::internal {
namespace {

std::string TopicOf(const std::string& prefix, absl::string_view unit) {
  return absl::StrCat(prefix, ".", unit, ".v1");
}

absl::Status CheckReachable(rd_kafka_t* handle, const KafkaConfig& config) {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle, 0, nullptr, &metadata, static_cast<int>(config.timeout_ms));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("store: no Kafka broker answered at ", config.bootstrap_servers, " within ",
                     config.timeout_ms, " ms (", rd_kafka_err2str(err), ")"));
  }
  rd_kafka_metadata_destroy(metadata);
  return absl::OkStatus();
}

// NOT_FOUND naming the first of `topics` the cluster does not know.
absl::Status RequireTopics(rd_kafka_t* handle, const std::vector<std::string>& topics,
                           const KafkaConfig& config) {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle, 1, nullptr, &metadata, static_cast<int>(config.timeout_ms));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("store: reading cluster metadata: ", rd_kafka_err2str(err)));
  }
  absl::Status status;
  for (const std::string& wanted : topics) {
    bool found = false;
    for (int i = 0; i < metadata->topic_cnt && !found; ++i) {
      found = wanted == metadata->topics[i].topic &&
              metadata->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    }
    if (!found) {
      status = absl::NotFoundError(
          absl::StrCat("store: topic ", wanted, " does not exist at ", config.bootstrap_servers,
                       " (nothing was written with topic_prefix=", config.topic_prefix,
                       "; a read-only open creates nothing)"));
      break;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return status;
}

}  // namespace

int32_t PartitionFor(absl::string_view stream_id, int32_t partitions) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : stream_id) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<int32_t>(hash % static_cast<uint64_t>(partitions));
}

absl::StatusOr<std::unique_ptr<KafkaTopology>> KafkaTopology::Load(rd_kafka_t* handle,
                                                                   const KafkaConfig& config,
                                                                   const StoreOptions& options,
                                                                   MissingTopics missing) {
  // Reachability first, so an unreachable broker is a clear UNAVAILABLE.
  GL_RETURN_IF_ERROR(CheckReachable(handle, config));
  std::vector<std::string> topics;
  for (absl::string_view unit : domain::kUnits) {
    topics.push_back(TopicOf(config.topic_prefix, unit));
  }
  if (missing == MissingTopics::kCreate) {
    GL_RETURN_IF_ERROR(
        EnsureTopics(handle, topics, config.partitions, config.replication, config.timeout_ms));
  } else {
    GL_RETURN_IF_ERROR(RequireTopics(handle, topics, config));
  }
  GL_ASSIGN_OR_RETURN(std::vector<int32_t> counts,
                      PartitionCounts(handle, topics, config.timeout_ms));
  std::unique_ptr<KafkaTopology> topology(new KafkaTopology());
  for (size_t t = 0; t < topics.size(); ++t) {
    topology->unit_base_[std::string(domain::kUnits[t])] = {topology->size(), counts[t]};
    topology->topic_base_[topics[t]] = topology->size();
    for (int32_t p = 0; p < counts[t]; ++p) {
      topology->partitions_.push_back({topics[t], p, absl::StrCat(topics[t], "/", p)});
    }
  }
  GL_ASSIGN_OR_RETURN(std::vector<v1::SignedDamageAcknowledgement> acknowledgements,
                      ReadAcknowledgements(config));
  acknowledgements.insert(acknowledgements.end(), options.pending_acknowledgements.begin(),
                          options.pending_acknowledgements.end());
  GL_ASSIGN_OR_RETURN(topology->damage_, AcknowledgedDamage::FromSigned(acknowledgements));
  if (!options.accept_any_acknowledgement) {
    GL_RETURN_IF_ERROR(topology->damage_.RequireSignedBy(options.trusted_acknowledgement_keys));
  }
  return topology;
}

int KafkaTopology::PartitionOfStream(absl::string_view stream_id) const {
  const auto [base, count] = unit_base_.at(*UnitOfStream(stream_id));
  return base + PartitionFor(stream_id, count);
}

int KafkaTopology::IndexOf(const rd_kafka_message_t* message) const {
  if (message->rkt == nullptr) return -1;
  auto it = topic_base_.find(rd_kafka_topic_name(message->rkt));
  if (it == topic_base_.end()) return -1;
  return it->second + message->partition;
}

int KafkaTopology::IndexOf(absl::string_view topic, int32_t number) const {
  auto it = topic_base_.find(topic);
  if (it == topic_base_.end()) return -1;
  const int index = it->second + number;
  if (index >= size() || partitions_[index].topic != topic) return -1;
  return index;
}

std::vector<std::string> KafkaTopology::Topics() const {
  std::vector<std::string> topics;
  for (const KafkaPartition& partition : partitions_) {
    if (topics.empty() || topics.back() != partition.topic) topics.push_back(partition.topic);
  }
  return topics;
}

v1::Position KafkaTopology::PositionOf(int index, int64_t offset) const {
  v1::Position position;
  position.set_partition(partitions_[index].name);
  position.set_offset(offset);
  return position;
}

absl::StatusOr<PartitionOffsets> KafkaTopology::StartOffsets(const v1::Checkpoint& from) const {
  absl::flat_hash_map<std::string, int64_t> given;
  for (const v1::Position& p : from.next()) {
    if (p.offset() < 0) return absl::InvalidArgumentError("from: offsets must not be negative");
    given[p.partition()] = p.offset();
  }
  PartitionOffsets starts;
  for (int i = 0; i < size(); ++i) {
    auto it = given.find(partitions_[i].name);
    starts.emplace_back(i, it == given.end() ? 0 : it->second);
    if (it != given.end()) given.erase(it);
  }
  if (!given.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: partition \"", given.begin()->first, "\" is not one of this store's"));
  }
  return starts;
}

PartitionList KafkaTopology::ToList(const PartitionOffsets& offsets) const {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [index, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), partitions_[index].topic.c_str(),
                                      partitions_[index].number)
        ->offset = offset;
  }
  return list;
}

}  // namespace gridledger::eventstore::internal
