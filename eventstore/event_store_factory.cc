#include "eventstore/event_store_factory.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventstore/cluster.h"
#include "eventstore/embedded_store.h"
#include "eventstore/internal/kafka_acknowledgements.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/kafka_store.h"

namespace gridledger::eventstore {

namespace {

absl::StatusOr<internal::KafkaConfig> KafkaConfigOf(const StoreUri& uri,
                                                    const StoreOptions& options) {
  if (!uri.is_kafka()) {
    return absl::UnimplementedError(
        "store: damage acknowledgements are kept for Kafka logs; an embedded store's damage is "
        "repaired from a backup");
  }
  internal::KafkaConfig config = uri.kafka();
  if (config.timeout_ms == 0) config.timeout_ms = options.kafka_timeout_ms;
  return config;
}

}  // namespace

absl::StatusOr<std::string> ReadRawRecord(const StoreUri& uri, const v1::Position& position,
                                          const StoreOptions& options) {
  GL_ASSIGN_OR_RETURN(internal::KafkaConfig config, KafkaConfigOf(uri, options));
  const size_t slash = position.partition().rfind('/');
  int32_t number = 0;
  if (slash == std::string::npos || slash == 0 ||
      !absl::SimpleAtoi(position.partition().substr(slash + 1), &number) || number < 0 ||
      position.offset() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "position: \"", position.partition(), "@", position.offset(),
        "\" is not TOPIC/PARTITION@OFFSET with a partition and an offset of 0 or more"));
  }
  return internal::ReadRecordAt(config, position.partition().substr(0, slash), number,
                                position.offset());
}

absl::Status RecordDamageAcknowledgement(const StoreUri& uri,
                                         const v1::SignedDamageAcknowledgement& acknowledgement,
                                         const StoreOptions& options) {
  GL_ASSIGN_OR_RETURN(internal::KafkaConfig config, KafkaConfigOf(uri, options));
  return internal::WriteAcknowledgement(config, acknowledgement);
}

absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(const StoreUri& uri,
                                                           const StoreOptions& options) {
  const bool clustered = options.cluster != nullptr && !options.cluster->instance.empty();
  if (uri.is_embedded()) {
    if (clustered && !options.read_only) {
      return absl::InvalidArgumentError(
          "instance: a cluster instance needs a Kafka store (kafka://…); the embedded store has "
          "one writer");
    }
    return OpenEmbeddedStore(uri.embedded_path(), options);
  }
  internal::KafkaConfig config = uri.kafka();
  if (config.timeout_ms == 0) config.timeout_ms = options.kafka_timeout_ms;
  if (clustered && !options.read_only) return OpenClusteredKafkaStore(config, options);
  return OpenKafkaStore(config, options);
}

absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(absl::string_view uri,
                                                           const StoreOptions& options) {
  absl::StatusOr<StoreUri> parsed = StoreUri::Parse(uri);
  if (!parsed.ok()) return parsed.status();
  return OpenEventStore(*parsed, options);
}

}  // namespace gridledger::eventstore
