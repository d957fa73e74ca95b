#include "eventstore/kafka_store.h"

#include <utility>

#include "common/status_macros.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_reader.h"
#include "eventstore/internal/kafka_store_base.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_writer.h"

namespace gridledger::eventstore {
namespace {

using internal::KafkaConfig;

// The composition of the backend's parts: the topology (where events live),
// the index (what the log holds), the reader and the writer. Every call goes
// to one of them; see their headers for what each does.
class KafkaStore final : public internal::KafkaStoreBase {
 public:
  KafkaStore(KafkaConfig config, StoreOptions options)
      : KafkaStoreBase(std::move(config), std::move(options)) {}

  // Builds the parts in the order the protocol needs: the producer first (its
  // handle checks the broker and the topics), init_transactions (ending what
  // a previous writer left open) before reading, and the index caught up
  // before the writer starts.
  absl::Status Open() {
    const std::string transactional_id = internal::SingleWriterTransactionalId(config_);
    GL_ASSIGN_OR_RETURN(internal::KafkaHandle producer,
                        internal::NewTransactionalProducer(config_, transactional_id));
    GL_ASSIGN_OR_RETURN(topology_, internal::KafkaTopology::Load(producer.get(), config_));
    GL_RETURN_IF_ERROR(internal::InitTransactions(producer.get(), config_, transactional_id));
    index_ = internal::NewMemoryKafkaIndex(topology_.get());
    GL_ASSIGN_OR_RETURN(reader_, internal::KafkaReader::Open(config_, topology_, index_.get()));
    GL_RETURN_IF_ERROR(reader_->CatchUp());
    writer_ = std::make_unique<internal::KafkaWriter>(
        config_, options_, internal::WriterScope{transactional_id, {}}, std::move(producer),
        topology_.get(), index_.get(), reader_.get());
    return absl::OkStatus();
  }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    return writer_->Append(std::move(request));
  }

  std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests) override {
    return writer_->AppendAll(std::move(requests));
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override {
    return reader_->ReadStream(stream_id, from_version, max_count);
  }

  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override {
    return index_->StreamVersion(stream_id);
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override {
    return index_->LookupCommand(command_id);
  }

 private:
  // Destroyed before the base's parts, which its thread uses.
  std::unique_ptr<internal::KafkaWriter> writer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenKafkaStore(const KafkaConfig& config,
                                                           const StoreOptions& options) {
  auto store = std::make_unique<KafkaStore>(config, options);
  GL_RETURN_IF_ERROR(store->Open());
  return store;
}

}  // namespace gridledger::eventstore
