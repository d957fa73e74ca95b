#include "eventstore/internal/kafka_acknowledgements.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "eventstore/internal/kafka_client.h"

namespace gridledger::eventstore::internal {
namespace {

constexpr int kPollMs = 100;

// Whether the cluster knows `topic` (asked through `handle`).
absl::StatusOr<bool> TopicExists(rd_kafka_t* handle, const std::string& topic, int64_t timeout_ms) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle, 1, nullptr, &metadata, static_cast<int>(timeout_ms));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("reading cluster metadata for ", topic, ": ", rd_kafka_err2str(err)));
  }
  bool found = false;
  for (int i = 0; i < metadata->topic_cnt && !found; ++i) {
    found = topic == metadata->topics[i].topic &&
            metadata->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  }
  rd_kafka_metadata_destroy(metadata);
  return found;
}

// Reads `topic`/`partition` from `from` until `until` (exclusive), handing
// each committed record to `take(offset, value)`; stops early when `take`
// returns false.
template <typename Take>
absl::Status ReadRange(rd_kafka_t* consumer, const KafkaConfig& config, const std::string& topic,
                       int32_t partition, int64_t from, int64_t until, Take take) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = from;
  GL_RETURN_IF_ERROR(
      FromKafkaCode(rd_kafka_assign(consumer, list.get()), absl::StrCat("assigning ", topic)));
  const absl::Time deadline = absl::Now() + absl::Milliseconds(config.timeout_ms);
  absl::Status status;
  while (true) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer, kPollMs));
    if (!message) {
      if (absl::Now() > deadline) {
        status = absl::UnavailableError(
            absl::StrCat("reading ", topic, ": no answer within ", config.timeout_ms, " ms"));
        break;
      }
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) break;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = absl::UnavailableError(
          absl::StrCat("reading ", topic, ": ", rd_kafka_message_errstr(message.get())));
      break;
    }
    if (message->offset >= until) break;
    if (!take(message->offset, ValueOf(message.get()))) break;
    if (message->offset + 1 >= until) break;
  }
  rd_kafka_assign(consumer, nullptr);
  return status;
}

absl::StatusOr<KafkaHandle> NewReader(const KafkaConfig& config) {
  return NewConsumer(
      ReadCommittedConsumerSettings(config, absl::StrCat(config.topic_prefix, ".auditor")));
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* outcome = static_cast<absl::Status*>(message->_private);
  if (outcome == nullptr) return;
  *outcome = message->err == RD_KAFKA_RESP_ERR_NO_ERROR
                 ? absl::OkStatus()
                 : absl::UnavailableError(absl::StrCat("writing the acknowledgement: ",
                                                       rd_kafka_err2str(message->err)));
}

}  // namespace

std::string AcknowledgementsTopic(const KafkaConfig& config) {
  return absl::StrCat(config.topic_prefix, ".acknowledgements");
}

absl::StatusOr<std::vector<v1::SignedDamageAcknowledgement>> ReadAcknowledgements(
    const KafkaConfig& config) {
  const std::string topic = AcknowledgementsTopic(config);
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer, NewReader(config));
  std::vector<v1::SignedDamageAcknowledgement> found;
  GL_ASSIGN_OR_RETURN(bool exists, TopicExists(consumer.get(), topic, config.timeout_ms));
  if (!exists) return found;
  int64_t low = 0, high = 0;
  GL_RETURN_IF_ERROR(
      FromKafkaCode(rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), 0, &low, &high,
                                                     static_cast<int>(config.timeout_ms)),
                    absl::StrCat("reading the end of ", topic)));
  if (high <= low) return found;
  absl::Status parsed;
  GL_RETURN_IF_ERROR(ReadRange(
      consumer.get(), config, topic, 0, low, high, [&](int64_t offset, absl::string_view value) {
        v1::SignedDamageAcknowledgement ack;
        if (!ack.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parsed = absl::DataLossError(
              absl::StrCat(topic, "@", offset, ": not a signed acknowledgement"));
          return false;
        }
        found.push_back(std::move(ack));
        return true;
      }));
  GL_RETURN_IF_ERROR(parsed);
  return found;
}

absl::Status WriteAcknowledgement(const KafkaConfig& config,
                                  const v1::SignedDamageAcknowledgement& acknowledgement) {
  KafkaSettings settings = ClientSettings(config);
  settings.emplace_back("enable.idempotence", "true");
  settings.emplace_back("acks", "all");
  GL_ASSIGN_OR_RETURN(KafkaHandle producer, NewProducer(settings, OnDelivery));
  const std::string topic = AcknowledgementsTopic(config);
  GL_RETURN_IF_ERROR(
      EnsureTopics(producer.get(), {topic}, 1, config.replication, config.timeout_ms));
  const std::string value = acknowledgement.SerializeAsString();
  absl::Status delivered = absl::UnavailableError("writing the acknowledgement: no answer");
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_OPAQUE(&delivered), RD_KAFKA_V_END);
  GL_RETURN_IF_ERROR(FromKafkaCode(err, "writing the acknowledgement"));
  rd_kafka_flush(producer.get(), static_cast<int>(config.timeout_ms));
  return delivered;
}

absl::StatusOr<std::string> ReadRecordAt(const KafkaConfig& config, const std::string& topic,
                                         int32_t partition, int64_t offset) {
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer, NewReader(config));
  const std::string where = absl::StrCat(topic, "/", partition, "@", offset);
  GL_ASSIGN_OR_RETURN(bool exists, TopicExists(consumer.get(), topic, config.timeout_ms));
  if (!exists) return absl::NotFoundError(absl::StrCat("no record at ", where, ": no such topic"));
  int64_t low = 0, high = 0;
  GL_RETURN_IF_ERROR(
      FromKafkaCode(rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), partition, &low,
                                                     &high, static_cast<int>(config.timeout_ms)),
                    absl::StrCat("reading the ends of ", topic, "/", partition)));
  if (offset < low || offset >= high) {
    return absl::NotFoundError(absl::StrCat(
        "no record at ", where, ": the partition holds offsets ", low, " to ", high - 1));
  }
  std::optional<std::string> found;
  GL_RETURN_IF_ERROR(ReadRange(consumer.get(), config, topic, partition, offset, offset + 1,
                               [&](int64_t at, absl::string_view value) {
                                 if (at == offset) found.emplace(value);
                                 return false;
                               }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no record at ", where, " (a transaction marker or an aborted record)"));
  }
  return *std::move(found);
}

}  // namespace gridledger::eventstore::internal
