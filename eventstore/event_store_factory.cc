#include "eventstore/event_store_factory.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventstore/embedded_store.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/kafka_store.h"

namespace gridledger::eventstore {

absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(absl::string_view uri,
                                                           const StoreOptions& options) {
  if (absl::StartsWith(uri, "embedded:")) {
    absl::string_view path = uri.substr(absl::string_view("embedded:").size());
    if (absl::StartsWith(path, "//")) path.remove_prefix(2);  // embedded:///abs/path
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "store: \"embedded:\" needs a directory, e.g. embedded:/var/lib/gridledger");
    }
    return OpenEmbeddedStore(std::string(path), options);
  }
  if (absl::StartsWith(uri, "kafka://")) {
    absl::StatusOr<internal::KafkaConfig> config =
        internal::ParseKafkaUri(uri, options.kafka_timeout_ms);
    if (!config.ok()) return config.status();
    return OpenKafkaStore(*config, options);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "store: unknown URI \"", uri, "\"; expected embedded:PATH or kafka://HOST:PORT[,HOST:PORT]"));
}

}  // namespace gridledger::eventstore
