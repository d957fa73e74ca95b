#include "eventstore/kafka_store.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_reader.h"
#include "eventstore/internal/kafka_store_base.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_writer.h"
#include "eventstore/internal/kafka_writer_lock.h"

namespace gridledger::eventstore {
namespace {

using internal::KafkaConfig;

absl::Status ReadOnlyRefusal() {
  return absl::FailedPreconditionError(
      "store: opened read-only; appends go through the serving process");
}

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
    if (options_.read_only) return OpenReadOnly();
    const std::string transactional_id = internal::SingleWriterTransactionalId(config_);
    GL_ASSIGN_OR_RETURN(internal::KafkaHandle producer,
                        internal::NewTransactionalProducer(config_, transactional_id));
    GL_ASSIGN_OR_RETURN(topology_,
                        internal::KafkaTopology::Load(producer.get(), config_, options_));
    // The lock before anything is fenced or written: another writer id is
    // refused here.
    GL_ASSIGN_OR_RETURN(lock_, internal::WriterLock::Acquire(producer.get(), config_));
    GL_RETURN_IF_ERROR(internal::InitTransactions(producer.get(), config_, transactional_id));
    index_ = internal::NewMemoryKafkaIndex(topology_.get());
    GL_ASSIGN_OR_RETURN(reader_, internal::KafkaReader::Open(config_, topology_, index_.get()));
    GL_RETURN_IF_ERROR(reader_->CatchUp());
    writer_ = std::make_unique<internal::KafkaWriter>(
        config_, options_,
        internal::WriterScope{transactional_id, {}, [this] { return lock_->Held(); }, lock_.get()},
        std::move(producer), topology_.get(), index_.get(), reader_.get());
    return absl::OkStatus();
  }

  // A reader only: the topology through a plain consumer (no producer, no
  // transactional id, no topic created), the index caught up, no writer.
  absl::Status OpenReadOnly() {
    GL_ASSIGN_OR_RETURN(internal::KafkaHandle client,
                        internal::NewConsumer(internal::ClientSettings(config_)));
    GL_ASSIGN_OR_RETURN(
        topology_, internal::KafkaTopology::Load(client.get(), config_, options_,
                                                 internal::KafkaTopology::MissingTopics::kRefuse));
    index_ = internal::NewMemoryKafkaIndex(topology_.get());
    GL_ASSIGN_OR_RETURN(reader_, internal::KafkaReader::Open(config_, topology_, index_.get()));
    return reader_->CatchUp();
  }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    if (writer_ == nullptr) return ReadOnlyRefusal();
    return writer_->Append(std::move(request));
  }

  std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests) override {
    if (writer_ == nullptr) {
      return std::vector<absl::StatusOr<AppendResult>>(requests.size(), ReadOnlyRefusal());
    }
    return writer_->AppendAll(std::move(requests));
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override {
    GL_RETURN_IF_ERROR(Refresh());
    return reader_->ReadStream(stream_id, from_version, max_count);
  }

  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override {
    GL_RETURN_IF_ERROR(Refresh());
    return index_->StreamVersion(stream_id);
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override {
    GL_RETURN_IF_ERROR(Refresh());
    return index_->LookupCommand(command_id);
  }

  absl::Status CheckWritable(absl::Duration timeout) override {
    if (writer_ == nullptr) return absl::FailedPreconditionError("store: opened read-only");
    GL_RETURN_IF_ERROR(lock_->Held());
    if (writer_->Fenced()) {
      return absl::FailedPreconditionError(
          "store: this writer was fenced by a newer one with the same writer id; restart it to "
          "write again");
    }
    return KafkaStoreBase::CheckWritable(timeout);
  }

 private:
  // A read-only store's index follows the log only when asked: before a read
  // of it, catch up with what others wrote (at most every 50 ms). So does a
  // fenced writer's (another writes now); a writer's index is current by
  // itself.
  absl::Status Refresh() {
    if (writer_ != nullptr && !writer_->Fenced() && lock_->Held().ok()) return absl::OkStatus();
    absl::MutexLock lock(&refresh_mu_);
    const absl::Time now = absl::Now();
    if (now - refreshed_at_ < absl::Milliseconds(50)) return absl::OkStatus();
    refreshed_at_ = now;
    return reader_->CatchUp();
  }

  absl::Mutex refresh_mu_;
  absl::Time refreshed_at_ ABSL_GUARDED_BY(refresh_mu_) = absl::InfinitePast();
  // The writer lock outlives the writer; both are destroyed before the
  // base's parts, which the writer's thread uses.
  std::unique_ptr<internal::WriterLock> lock_;
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
