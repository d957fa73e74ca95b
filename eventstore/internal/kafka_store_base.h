// What both Kafka stores (the single writer, kafka_store.cc, and a cluster
// instance, kafka_cluster_store.cc) are made of besides their writers: the
// configuration, the topology, the index and the reader, and the reads that
// go straight to the reader whoever writes (ReadAll, Subscribe,
// EndCheckpoint, OpenReader). Derived stores build the parts in Open() and
// declare their writers as their own members, so the writers (whose threads
// use these parts) are destroyed first.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_STORE_BASE_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_STORE_BASE_H_

#include <memory>
#include <string>
#include <utility>

#include "eventstore/event_store.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_reader.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_uri.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore::internal {

class KafkaStoreBase : public EventStore {
 public:
  absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count) override {
    return reader_->ReadAll(from, max_count);
  }

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                          SubscriptionFilter filter,
                                                          EventHandler handler) override {
    return reader_->Subscribe(from, std::move(filter), std::move(handler));
  }

  absl::StatusOr<v1::Checkpoint> EndCheckpoint() override { return reader_->EndCheckpoint(); }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(absl::string_view name) override {
    return reader_->OpenReader(name);
  }

  std::string ReaderGroup(absl::string_view name) const override {
    return reader_->ReaderGroup(name);
  }

  std::vector<Acknowledgement> DamageAcknowledgements() const override {
    return topology_->acknowledged_damage().acknowledgements();
  }

  // Whether a broker answers (derived stores add what their writers know).
  absl::Status CheckWritable(absl::Duration timeout) override { return reader_->Ping(timeout); }

 protected:
  KafkaStoreBase(KafkaConfig config, StoreOptions options)
      : config_(std::move(config)), options_(std::move(options)) {}

  const KafkaConfig config_;
  const StoreOptions options_;
  // In dependency order: each part may use the ones above it.
  std::shared_ptr<const KafkaTopology> topology_;
  std::unique_ptr<KafkaIndex> index_;
  std::unique_ptr<KafkaReader> reader_;
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_STORE_BASE_H_
