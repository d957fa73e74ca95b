// Parsing of kafka:// store URIs.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_URI_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_URI_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::eventstore::internal {

struct KafkaConfig {
  std::string bootstrap_servers;            // "h1:9092,h2:9092"
  std::string topic_prefix = "gridledger";  // topics are <prefix>.<unit>.v1
  int32_t partitions = 3;                   // for topics this store creates
  int32_t replication = 1;
  int64_t timeout_ms = 10000;      // bound on every wait for the broker
  std::string writer_id = "main";  // transactional.id = <prefix>.writer.<writer_id>
  // TLS to the brokers (PEM files): with a CA, the connection is TLS and the
  // brokers' certificates are checked against it; with a certificate and
  // key, the client authenticates with them (Strimzi's KafkaUser, TLS).
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool tls() const { return !tls_ca.empty() || !tls_cert.empty(); }
};

// kafka://H:P[,H:P…][?topic_prefix=…&partitions=N&replication=N&timeout_ms=N&writer_id=…
//                     &tls_ca=/ca.crt&tls_cert=/user.crt&tls_key=/user.key]
// INVALID_ARGUMENT naming the part that is wrong. `default_timeout_ms`
// applies when the URI has no timeout_ms.
absl::StatusOr<KafkaConfig> ParseKafkaUri(absl::string_view uri, int64_t default_timeout_ms);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_URI_H_
