// Options common to every EventStore backend.
#ifndef GRIDLEDGER_EVENTSTORE_STORE_OPTIONS_H_
#define GRIDLEDGER_EVENTSTORE_STORE_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gridledger/v1/audit.pb.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace gridledger {
class Ed25519Signer;
}  // namespace gridledger

namespace gridledger::eventstore {

struct ClusterOptions;

struct StoreOptions {
  // An event whose canonical envelope is larger is refused (INVALID_ARGUMENT).
  int64_t max_event_bytes = int64_t{256} * 1024;
  // Most events one Append may carry.
  int64_t max_events_per_append = 10000;
  // Kafka: how long an append, or opening, may wait on the broker before it
  // fails with UNAVAILABLE. The URI's timeout_ms overrides it.
  int64_t kafka_timeout_ms = 10000;
  // Opens the store for reading only, beside whatever writes it: appends fail
  // FAILED_PRECONDITION, nothing is created, no writer is fenced. Embedded: a
  // RocksDB secondary instance that follows the writer's files. Kafka: no
  // producer and no transactional id; the topics must exist (NOT_FOUND).
  bool read_only = false;
  // Embedded: the RocksDB environment (file system) to use; null: the
  // default. Tests inject disk faults through it.
  std::shared_ptr<rocksdb::Env> embedded_env;
  // Kafka: this store as one instance of a cluster (cluster.h); null or with
  // an empty instance name: the single writer of every partition.
  std::shared_ptr<const ClusterOptions> cluster;
  // Public keys (PEM) whose damage acknowledgements (acknowledged_damage.h)
  // this store honours: a log holding one signed by another key fails to
  // open, FAILED_PRECONDITION naming the key, unless
  // accept_any_acknowledgement (verify, which reports every one).
  std::vector<std::string> trusted_acknowledgement_keys;
  bool accept_any_acknowledgement = false;
  // Acknowledgements not written yet, honoured as if they were: `gridledger
  // acknowledge` opens the store with them to prove the log is whole past
  // them before it writes one.
  std::vector<v1::SignedDamageAcknowledgement> pending_acknowledgements;
  // The writer's key: each group commit's last record per partition carries
  // its signature (EventRecord.writer_signature); null: records unsigned.
  std::shared_ptr<const Ed25519Signer> writer_signer;
};

// StoreOptions for a tool that only reads (read_only set).
inline StoreOptions ReadOnlyStoreOptions() {
  StoreOptions options;
  options.read_only = true;
  return options;
}

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_STORE_OPTIONS_H_
