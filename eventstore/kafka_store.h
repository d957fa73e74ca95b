// The Kafka backend: one topic per unit (<prefix>.customer.v1, .billing.v1,
// .metering.v1, .marketing.v1), created at start-up with retention.ms=-1; the
// record key is the stream id and the value a v1::EventRecord.
//
// One store is the single writer for all of those partitions: its producer is
// idempotent and transactional (transactional.id <prefix>.writer.<writer_id>),
// so opening a second store with the same id fences the first, whose next
// append fails with FAILED_PRECONDITION. At open the store reads every
// partition (read_committed) to rebuild stream versions, chain heads and the
// command index; expected-version appends rest on that plus the fencing.
//
// Appends are group-committed: one Kafka transaction carries every append
// queued while the previous one committed. When a transaction fails or its
// outcome is unknown (broker down), the appends in it fail with UNAVAILABLE
// within timeout_ms, and the next append first re-initialises the producer and
// re-reads what the partitions hold, so a retry with the same command_id never
// appends twice.
//
// The parts, under internal/: kafka_topology.h (topics, partitions, the
// partitioner), kafka_index.h (stream heads and offsets, the command index),
// kafka_reader.h (read_committed reads, catch-up, subscriptions, log readers)
// and kafka_writer.h (the transactional producer and group commit, deciding
// with group_decider.h).
#ifndef GRIDLEDGER_EVENTSTORE_KAFKA_STORE_H_
#define GRIDLEDGER_EVENTSTORE_KAFKA_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore {

// UNAVAILABLE when no broker answers within config.timeout_ms; DATA_LOSS when
// a stored record is corrupted or a chain is broken.
absl::StatusOr<std::unique_ptr<EventStore>> OpenKafkaStore(const internal::KafkaConfig& config,
                                                           const StoreOptions& options);

// The store as one instance of a cluster (cluster.h; options.cluster names
// the instance and its forwarder): it writes only the partitions Kafka's
// group assignment gives it, each with a transactional producer of its own,
// and forwards the rest to their owners. Returns once it has joined the
// group; appends wait (up to handover_wait_ms) for their partition's owner.
absl::StatusOr<std::unique_ptr<EventStore>> OpenClusteredKafkaStore(
    const internal::KafkaConfig& config, const StoreOptions& options);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_KAFKA_STORE_H_
