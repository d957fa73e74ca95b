// Where an event store lives, parsed once from the URI a user gives:
//
//   embedded:PATH        RocksDB in directory PATH ("embedded:///abs/path" too)
//   kafka://H:P[,H:P…][?topic_prefix=gridledger&partitions=3&replication=1
//                       &timeout_ms=10000&writer_id=…]
//
// Commands take a StoreUri instead of matching strings, and OpenEventStore
// (event_store_factory.h) opens one.
//
//   GL_ASSIGN_OR_RETURN(StoreUri uri, StoreUri::Parse("kafka://127.0.0.1:9092"));
//   if (uri.is_kafka()) … uri.kafka().topic_prefix …
//
// A value type; thread-compatible.
#ifndef GRIDLEDGER_EVENTSTORE_STORE_URI_H_
#define GRIDLEDGER_EVENTSTORE_STORE_URI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/internal/kafka_uri.h"

namespace gridledger::eventstore {

class StoreUri {
 public:
  // INVALID_ARGUMENT naming "store" and what is wrong: an unknown scheme, an
  // embedded path that is empty or holds a control character, a malformed
  // broker list (hosts are names, IPv4 or [IPv6] addresses) or Kafka option.
  static absl::StatusOr<StoreUri> Parse(absl::string_view text);

  bool is_embedded() const { return !kafka_uri_; }
  bool is_kafka() const { return kafka_uri_; }
  // The URI as given (with any writer id added by WithWriterId).
  const std::string& text() const { return text_; }
  // Embedded only: the RocksDB directory.
  const std::string& embedded_path() const { return embedded_path_; }
  // Kafka only: brokers, topic prefix, partitions, writer id…; timeout_ms is
  // 0 when the URI gives none (StoreOptions::kafka_timeout_ms then applies).
  const internal::KafkaConfig& kafka() const { return kafka_; }
  // Kafka only: whether the URI names its transactional writer id.
  bool has_writer_id() const { return has_writer_id_; }

  // The same store, written as `writer_id` (Kafka; the embedded store has
  // one writer and is returned unchanged).
  StoreUri WithWriterId(absl::string_view writer_id) const;
  // The URI without its options: names the store in checkpoints and logs.
  std::string Label() const;

 private:
  StoreUri() = default;

  std::string text_;
  bool kafka_uri_ = false;
  std::string embedded_path_;
  internal::KafkaConfig kafka_;
  bool has_writer_id_ = false;
};

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_STORE_URI_H_
