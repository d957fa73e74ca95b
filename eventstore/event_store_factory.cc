#include "eventstore/event_store_factory.h"

#include <string>

#include "eventstore/cluster.h"
#include "eventstore/embedded_store.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/kafka_store.h"

namespace gridledger::eventstore {

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
