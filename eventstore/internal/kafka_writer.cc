#include "eventstore/internal/kafka_writer.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "eventstore/event_schema.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::eventstore::internal {
namespace {

// Most requests one group commit takes from the queue.
constexpr size_t kMaxGroupRequests = 4096;

// Where a produced record's delivery report writes its offset.
struct DeliverySlot {
  std::atomic<int64_t> offset{-1};
  std::atomic<int> error{0};
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* slot = static_cast<DeliverySlot*>(message->_private);
  if (slot == nullptr) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    slot->error.store(static_cast<int>(message->err));
  } else {
    slot->offset.store(message->offset);
  }
}

void FailAll(std::vector<std::unique_ptr<PendingAppend>>& group, const absl::Status& status) {
  for (auto& pending : group) pending->promise.set_value(status);
}

}  // namespace

// One group on its way through a Kafka transaction.
struct KafkaWriter::Transaction {
  std::vector<std::unique_ptr<PendingAppend>>& group;
  GroupDecision decision;
  // One per appended event, in the order they are produced (request by
  // request, event by event); filled by the delivery reports.
  std::vector<std::unique_ptr<DeliverySlot>> slots;

  // Answers every request that was not refused: a deduplicated one with its
  // first outcome, an appended one with its outcome when `status` is OK and
  // with `status` otherwise.
  // A retry of a command first appended in this same group shares that
  // append's fate: its failure, or its outcome with the positions it got.
  void Answer(const absl::Status& status) {
    for (size_t i = 0; i < group.size(); ++i) {
      const Decision& d = decision.decisions[i];
      if (d.kind == Decision::Kind::kRefused) continue;
      const bool in_this_group = d.kind == Decision::Kind::kDeduplicated && d.first_request >= 0;
      const Decision& first = in_this_group ? decision.decisions[d.first_request] : d;
      if (first.kind == Decision::Kind::kAppended && !status.ok()) {
        group[i]->promise.set_value(status);
        continue;
      }
      group[i]->promise.set_value(
          AppendResult{first.outcome, d.kind == Decision::Kind::kDeduplicated});
    }
  }
};

std::string SingleWriterTransactionalId(const KafkaConfig& config) {
  return absl::StrCat(config.topic_prefix, ".writer.", config.writer_id);
}

absl::StatusOr<KafkaHandle> NewTransactionalProducer(const KafkaConfig& config,
                                                     const std::string& transactional_id) {
  KafkaSettings settings = ClientSettings(config);
  settings.insert(settings.end(), {{"transactional.id", transactional_id},
                                   {"enable.idempotence", "true"},
                                   {"acks", "all"},
                                   {"linger.ms", "1"},
                                   // A transaction begun while the last one's
                                   // markers are still being written is retried
                                   // (CONCURRENT_TRANSACTIONS): soon, not in 100 ms.
                                   {"retry.backoff.ms", "5"},
                                   {"message.max.bytes", "2000000"},
                                   {"message.timeout.ms", absl::StrCat(config.timeout_ms)},
                                   {"transaction.timeout.ms",
                                    absl::StrCat(std::max<int64_t>(60000, config.timeout_ms))}});
  return NewProducer(settings, &OnDelivery);
}

absl::Status InitTransactions(rd_kafka_t* producer, const KafkaConfig& config,
                              const std::string& transactional_id) {
  return FromKafkaError(rd_kafka_init_transactions(producer, static_cast<int>(config.timeout_ms)),
                        absl::StrCat("store: starting the transactional producer ",
                                     transactional_id, " at ", config.bootstrap_servers));
}

absl::StatusOr<int64_t> ProduceInTransaction(rd_kafka_t* producer, const KafkaConfig& config,
                                             const std::string& topic, const std::string& key,
                                             const std::string& value) {
  DeliverySlot slot;
  GL_RETURN_IF_ERROR(FromKafkaError(rd_kafka_begin_transaction(producer), "beginning a claim"));
  absl::Status status = FromKafkaCode(
      rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                        RD_KAFKA_V_KEY(key.data(), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&slot),
                        RD_KAFKA_V_END),
      "producing a claim");
  if (status.ok()) {
    status =
        FromKafkaError(rd_kafka_commit_transaction(producer, static_cast<int>(config.timeout_ms)),
                       "committing a claim");
  }
  if (!status.ok()) {
    // Nothing of it is visible; the slot must outlive any report still queued.
    rd_kafka_error_destroy(rd_kafka_abort_transaction(producer, 1000));
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer, 0);
    return status;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (slot.offset.load() < 0 && slot.error.load() == 0 && absl::Now() < deadline) {
    rd_kafka_poll(producer, 10);
  }
  if (slot.offset.load() < 0) {
    return absl::InternalError("a committed claim has no delivery report");
  }
  return slot.offset.load();
}

void WarmUpTopic(rd_kafka_t* producer, const KafkaConfig& config, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer, topic.c_str(), nullptr);
  if (handle == nullptr) return;
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(producer, 0, handle, &metadata, static_cast<int>(config.timeout_ms)) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
}

KafkaWriter::KafkaWriter(const KafkaConfig& config, const StoreOptions& options, WriterScope scope,
                         KafkaHandle producer, const KafkaTopology* topology, KafkaIndex* index,
                         KafkaReader* reader)
    : config_(config),
      options_(options),
      scope_(std::move(scope)),
      topology_(topology),
      index_(index),
      reader_(reader),
      producer_(std::move(producer)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gl-kafka-wr");
    WriterLoop();
  });
}

KafkaWriter::~KafkaWriter() { Close(); }

void KafkaWriter::Close() {
  absl::MutexLock lock(&close_mu_);
  closed_.store(true);
  queue_.Close();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<AppendResult> KafkaWriter::Append(AppendRequest request) {
  return queue_.Submit(std::move(request), options_);
}

std::vector<absl::StatusOr<AppendResult>> KafkaWriter::AppendAll(
    std::vector<AppendRequest> requests) {
  return queue_.SubmitAll(std::move(requests), options_);
}

void KafkaWriter::WriterLoop() {
  while (true) {
    std::vector<std::unique_ptr<PendingAppend>> group = queue_.TakeGroup(kMaxGroupRequests);
    if (group.empty()) return;  // closed, and every queued append answered
    CommitGroup(group);
  }
}

void KafkaWriter::CommitGroup(std::vector<std::unique_ptr<PendingAppend>>& group) {
  if (absl::Status ready = ReadyToWrite(); !ready.ok()) return FailAll(group, ready);
  Transaction transaction{group, DecideGroup(group, StoreTimestamp(), *index_), {}};
  if (options_.writer_signer) SignPartitionHeads(transaction.decision, *options_.writer_signer);
  for (size_t i = 0; i < group.size(); ++i) {
    Decision& d = transaction.decision.decisions[i];
    if (d.kind == Decision::Kind::kRefused) group[i]->promise.set_value(std::move(d.refusal));
  }
  if (!transaction.decision.appends()) return transaction.Answer(absl::OkStatus());
  if (absl::Status committed = ProduceAndCommit(transaction); !committed.ok()) {
    return transaction.Answer(committed);
  }
  ApplyAndAnswer(transaction);
}

absl::Status KafkaWriter::ReadyToWrite() {
  if (!fenced_.ok()) return fenced_;
  if (scope_.lock != nullptr) {
    if (absl::Status held = scope_.lock->Held(); !held.ok()) {
      if (absl::IsFailedPrecondition(held)) {
        MarkFenced(held);
      } else {
        needs_recovery_ = true;  // another may have written meanwhile
      }
      return held;
    }
  }
  if (!needs_recovery_) return absl::OkStatus();
  absl::Status recovered = Recover();
  if (absl::IsFailedPrecondition(recovered)) MarkFenced(recovered);
  return recovered;
}

absl::Status KafkaWriter::Recover() {
  if (scope_.before_recover) GL_RETURN_IF_ERROR(scope_.before_recover());
  DestroyInBackground(std::move(producer_));
  GL_ASSIGN_OR_RETURN(producer_, NewTransactionalProducer(config_, scope_.transactional_id));
  if (absl::Status status = InitTransactions(producer_.get(), config_, scope_.transactional_id);
      !status.ok()) {
    DestroyInBackground(std::move(producer_));
    return status;
  }
  GL_RETURN_IF_ERROR(reader_->CatchUp(scope_.partitions));
  needs_recovery_ = false;
  return absl::OkStatus();
}

void KafkaWriter::MarkFenced(const absl::Status& why) {
  fenced_ = why;
  fenced_flag_.store(true);
  metrics::RecordFence();
  log::Error("kafka.fenced",
             absl::StrCat("gridledger: kafka writer ", scope_.transactional_id,
                          " fenced: ", why.message()),
             {{"transactional_id", scope_.transactional_id}, {"reason", why.message()}});
}

absl::Status KafkaWriter::ProduceAndCommit(Transaction& transaction) {
  const absl::Time began = absl::Now();
  absl::Status status =
      FromKafkaError(rd_kafka_begin_transaction(producer_.get()), "beginning a transaction");
  // The lock first, before any record: while its group rebalances the lock
  // may begin the transaction again (nothing is in it yet).
  if (status.ok() && scope_.lock != nullptr) {
    status = scope_.lock->AddToTransaction(producer_.get(), config_.timeout_ms);
  }
  if (status.ok()) status = ProduceAll(transaction);
  if (status.ok()) {
    status = FromKafkaError(
        rd_kafka_commit_transaction(producer_.get(), static_cast<int>(config_.timeout_ms)),
        "committing the append transaction");
  }
  if (status.ok()) status = AwaitDeliveryReports(transaction);
  metrics::RecordKafkaTransaction(absl::Now() - began, status.ok());
  if (status.ok()) return status;
  return Failed(std::move(status));
}

absl::Status KafkaWriter::ProduceAll(Transaction& transaction) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(config_.timeout_ms);
  for (size_t i = 0; i < transaction.group.size(); ++i) {
    Decision& d = transaction.decision.decisions[i];
    if (d.kind != Decision::Kind::kAppended) continue;
    const KafkaPartition& partition = topology_->partition(d.head.partition);
    const std::string& key = d.outcome.stream_id();
    for (size_t e = 0; e < d.events.size(); ++e) {
      SealedEvent& event = d.events[e];
      const std::string& type = transaction.group[i]->events[e].type;
      const std::string version = absl::StrCat(event.version);
      DeliverySlot* slot = transaction.slots.emplace_back(std::make_unique<DeliverySlot>()).get();
      while (true) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(partition.topic.c_str()),
            RD_KAFKA_V_PARTITION(partition.number), RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(event.record_bytes.data(), event.record_bytes.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("gl-type", type.data(), static_cast<ssize_t>(type.size())),
            RD_KAFKA_V_HEADER("gl-stream-version", version.data(),
                              static_cast<ssize_t>(version.size())),
            RD_KAFKA_V_HEADER("gl-schema", SchemaName().data(),
                              static_cast<ssize_t>(SchemaName().size())),
            RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && absl::Now() < deadline) {
          rd_kafka_poll(producer_.get(), 5);
          continue;
        }
        GL_RETURN_IF_ERROR(FromKafkaCode(err, "producing an event"));
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status KafkaWriter::AwaitDeliveryReports(Transaction& transaction) {
  // Commit flushed every record, so their delivery reports are queued; serve
  // them (a poll serves every queued report at once).
  rd_kafka_poll(producer_.get(), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto all_reported = [&transaction] {
    for (const auto& slot : transaction.slots) {
      if (slot->offset.load() < 0 && slot->error.load() == 0) return false;
    }
    return true;
  };
  while (!all_reported() && absl::Now() < deadline) rd_kafka_poll(producer_.get(), 10);
  for (const auto& slot : transaction.slots) {
    if (slot->offset.load() < 0) {
      return absl::InternalError("a committed record has no delivery report");
    }
  }
  return absl::OkStatus();
}

absl::Status KafkaWriter::Failed(absl::Status status) {
  // Fencing ends this writer; anything else is recovered before the next
  // append (fresh producer + re-read), so a retry of these commands is
  // answered from what really got committed.
  if (absl::IsFailedPrecondition(status)) {
    MarkFenced(status);
    return status;
  }
  needs_recovery_ = true;
  return absl::UnavailableError(absl::StrCat(status.message(),
                                             "; nothing of this append is visible unless a retry "
                                             "with the same command_id says so"));
}

void KafkaWriter::ApplyAndAnswer(Transaction& transaction) {
  std::vector<CommittedAppend> committed;
  size_t next_slot = 0;
  for (size_t i = 0; i < transaction.group.size(); ++i) {
    Decision& d = transaction.decision.decisions[i];
    if (d.kind != Decision::Kind::kAppended) continue;
    for (size_t e = 0; e < d.events.size(); ++e) {
      const int64_t offset = transaction.slots[next_slot++]->offset.load();
      *d.outcome.add_positions() = topology_->PositionOf(d.head.partition, offset);
    }
    committed.push_back(
        {&transaction.group[i]->command_id, &d.outcome, d.head.partition, &d.head.hash, &d.events});
  }
  if (absl::Status applied =
          index_->ApplyCommitted(committed, transaction.decision.partition_hashes);
      !applied.ok()) {
    // Committed on the broker, so answered as such; the index catches the
    // transaction up from the log before the next group.
    log::Error("kafka.index_behind",
               absl::StrCat("gridledger: kafka writer: the index did not take a commit: ",
                            applied.message()),
               {{"reason", applied.message()}});
    needs_recovery_ = true;
  }
  transaction.Answer(absl::OkStatus());
}

}  // namespace gridledger::eventstore::internal
