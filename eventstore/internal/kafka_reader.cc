#include "eventstore/internal/kafka_reader.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/subscription_thread.h"

namespace gridledger::eventstore::internal {
namespace {

constexpr int kPollMs = 50;

// A consumed error message as a status: an offset out of range is DATA_LOSS
// (events removed); anything else UNAVAILABLE.
absl::Status ConsumeError(const KafkaTopology& topology, const rd_kafka_message_t* message,
                          int index) {
  const std::string where = index >= 0 ? topology.partition(index).name : "a partition";
  if (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
      message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    return absl::DataLossError(
        absl::StrCat(where, "@", message->offset, ": offset is out of range (events removed?)"));
  }
  return absl::UnavailableError(
      absl::StrCat("reading ", where, ": ", rd_kafka_message_errstr(message)));
}

// Catch-up then live delivery on its own thread, from its own consumer.
class KafkaSubscription final : public SubscriptionThread {
 public:
  KafkaSubscription(KafkaHandle consumer, std::shared_ptr<const KafkaTopology> topology,
                    absl::flat_hash_map<int, int64_t> next, SubscriptionFilter filter,
                    EventHandler handler)
      : consumer_(std::move(consumer)),
        topology_(std::move(topology)),
        next_(std::move(next)),
        filter_(std::move(filter)),
        handler_(std::move(handler)) {
    Start();
  }
  ~KafkaSubscription() override { StopAndJoin(); }

  v1::Checkpoint Resume() const override {
    absl::MutexLock lock(&mu_);
    v1::Checkpoint checkpoint;
    for (int i = 0; i < topology_->size(); ++i) {
      auto it = next_.find(i);
      *checkpoint.add_next() = topology_->PositionOf(i, it == next_.end() ? 0 : it->second);
    }
    return checkpoint;
  }

 private:
  absl::Status Deliver() override;

  const KafkaHandle consumer_;
  const std::shared_ptr<const KafkaTopology> topology_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, int64_t> next_ ABSL_GUARDED_BY(mu_);  // by partition index
  const SubscriptionFilter filter_;
  const EventHandler handler_;
};

absl::Status KafkaSubscription::Deliver() {
  PartitionChainFollower chains;
  while (!stopping()) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    if (!message || message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
          message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        return absl::DataLossError(absl::StrCat("subscription: offset out of range: ",
                                                rd_kafka_message_errstr(message.get())));
      }
      continue;  // transient: librdkafka retries by itself
    }
    const int index = topology_->IndexOf(message.get());
    if (index < 0) continue;  // not assigned by us
    if (topology_->Acknowledged(index, message->offset, ValueOf(message.get()))) {
      absl::MutexLock lock(&mu_);
      next_[index] = message->offset + 1;
      continue;
    }
    GL_ASSIGN_OR_RETURN(
        v1::EventEnvelope event,
        OpenRecord(ValueOf(message.get()), topology_->PositionOf(index, message->offset)));
    GL_RETURN_IF_ERROR(chains.Next(event));
    if (filter_.Matches(event)) GL_RETURN_IF_ERROR(handler_(event));
    absl::MutexLock lock(&mu_);
    next_[index] = message->offset + 1;
  }
  return absl::OkStatus();
}

// One projection's consumer (EventStore::OpenReader): its own group, kept
// assigned between reads, so a read that continues where the last stopped
// only polls. Verifies each record and the partition chain across reads.
class KafkaLogReader final : public LogReader {
 public:
  KafkaLogReader(std::shared_ptr<const KafkaTopology> topology, int64_t timeout_ms,
                 KafkaHandle consumer, std::string group)
      : topology_(std::move(topology)),
        timeout_ms_(timeout_ms),
        consumer_(std::move(consumer)),
        group_(std::move(group)) {}

  ~KafkaLogReader() override {
    if (assigned_) rd_kafka_assign(consumer_.get(), nullptr);
  }

  absl::StatusOr<ReadAllResult> Read(const v1::Checkpoint& from, int64_t max_count) override;

  absl::Status Commit(const v1::Checkpoint& next) override {
    GL_ASSIGN_OR_RETURN(PartitionOffsets offsets, topology_->StartOffsets(next));
    PartitionList list = topology_->ToList(offsets);
    return FromKafkaCode(rd_kafka_commit(consumer_.get(), list.get(), 0),
                         absl::StrCat("committing the position of ", group_));
  }

 private:
  // What one polled message does to the read: OK to go on, or the error
  // that ends it. Appends a record to `result`; sets *stop at the end of
  // every partition.
  absl::Status Take(const rd_kafka_message_t* message, ReadAllResult& result, bool* stop);

  absl::Status Assign(const PartitionOffsets& starts) {
    PartitionList list = topology_->ToList(starts);
    GL_RETURN_IF_ERROR(
        FromKafkaCode(rd_kafka_assign(consumer_.get(), list.get()), "assigning partitions"));
    assigned_ = true;
    next_.clear();
    at_end_.clear();
    chains_.Clear();
    for (const auto& [index, offset] : starts) {
      next_[index] = offset;
      at_end_[index] = false;
    }
    return absl::OkStatus();
  }

  bool AllAtEnd() const {
    for (const auto& [index, at_end] : at_end_) {
      if (!at_end) return false;
    }
    return true;
  }

  const std::shared_ptr<const KafkaTopology> topology_;
  const int64_t timeout_ms_;
  const KafkaHandle consumer_;
  const std::string group_;
  bool assigned_ = false;
  absl::flat_hash_map<int, int64_t> next_;  // by partition index: next offset
  absl::flat_hash_map<int, bool> at_end_;   // reached the end since the last record
  PartitionChainFollower chains_;
};

absl::StatusOr<ReadAllResult> KafkaLogReader::Read(const v1::Checkpoint& from, int64_t max_count) {
  GL_ASSIGN_OR_RETURN(PartitionOffsets starts, topology_->StartOffsets(from));
  absl::flat_hash_map<int, int64_t> wanted(starts.begin(), starts.end());
  if (!assigned_ || wanted != next_) GL_RETURN_IF_ERROR(Assign(starts));
  ReadAllResult result;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms_);
  bool stop = false;
  while (!stop && static_cast<int64_t>(result.events.size()) < max_count) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    if (!message) {
      // What arrived so far; or nothing, at the end of every partition.
      if (!result.events.empty() || AllAtEnd()) break;
      if (absl::Now() > deadline) {
        return absl::UnavailableError(absl::StrCat("reading from Kafka (", group_,
                                                   "): no progress within ", timeout_ms_, " ms"));
      }
      continue;
    }
    if (absl::Status taken = Take(message.get(), result, &stop); !taken.ok()) {
      assigned_ = false;  // start over from the caller's checkpoint next time
      return taken;
    }
  }
  for (const auto& [index, offset] : starts) {
    *result.next.add_next() = topology_->PositionOf(index, next_[index]);
  }
  return result;
}

absl::Status KafkaLogReader::Take(const rd_kafka_message_t* message, ReadAllResult& result,
                                  bool* stop) {
  const int index = topology_->IndexOf(message);
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (index >= 0 && message->offset >= next_[index]) {
      at_end_[index] = true;
      next_[index] = message->offset;  // past any transaction markers
    }
    *stop = AllAtEnd();
    return absl::OkStatus();
  }
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) return ConsumeError(*topology_, message, index);
  if (index < 0 || !next_.contains(index)) return absl::OkStatus();
  if (topology_->Acknowledged(index, message->offset, ValueOf(message))) {
    next_[index] = message->offset + 1;
    at_end_[index] = false;
    return absl::OkStatus();
  }
  GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                      OpenRecord(ValueOf(message), topology_->PositionOf(index, message->offset)));
  GL_RETURN_IF_ERROR(chains_.Next(event));
  next_[index] = message->offset + 1;
  at_end_[index] = false;
  result.events.push_back(std::move(event));
  return absl::OkStatus();
}

}  // namespace

KafkaReader::KafkaReader(const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology,
                         KafkaIndex* index, KafkaHandle consumer, KafkaHandle meta)
    : config_(config),
      topology_(std::move(topology)),
      index_(index),
      consumer_(std::move(consumer)),
      meta_(std::move(meta)) {}

KafkaSettings KafkaReader::SharedConsumerSettings() const {
  return ReadCommittedConsumerSettings(config_,
                                       absl::StrCat(config_.topic_prefix, ".reader.", NewUuid()));
}

absl::StatusOr<std::unique_ptr<KafkaReader>> KafkaReader::Open(
    const KafkaConfig& config, std::shared_ptr<const KafkaTopology> topology, KafkaIndex* index) {
  const KafkaSettings settings = ReadCommittedConsumerSettings(
      config, absl::StrCat(config.topic_prefix, ".reader.", NewUuid()));
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer, NewConsumer(settings));
  GL_ASSIGN_OR_RETURN(KafkaHandle meta, NewConsumer(settings));
  return std::unique_ptr<KafkaReader>(
      new KafkaReader(config, std::move(topology), index, std::move(consumer), std::move(meta)));
}

absl::Status KafkaReader::CatchUp(const std::vector<int>& partitions) {
  PartitionOffsets starts = index_->NextReads();
  if (!partitions.empty()) {
    const absl::flat_hash_set<int> wanted(partitions.begin(), partitions.end());
    starts.erase(std::remove_if(starts.begin(), starts.end(),
                                [&](const auto& start) { return !wanted.contains(start.first); }),
                 starts.end());
  }
  absl::MutexLock lock(&mu_);
  return ConsumeLocked(starts, -1,
                       [this](int index, int64_t offset, absl::string_view bytes, bool*) {
                         if (topology_->Acknowledged(index, offset, bytes)) {
                           return index_->SkipRecord(index, offset);
                         }
                         return index_->ApplyRecord(index, offset, bytes);
                       });
}

absl::StatusOr<std::vector<v1::EventEnvelope>> KafkaReader::ReadStream(absl::string_view stream_id,
                                                                       int64_t from_version,
                                                                       int64_t max_count) {
  if (from_version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_version: must be at least 1, got ", from_version));
  }
  if (auto local = index_->ReadEvents(stream_id, from_version, max_count)) return *local;
  const StreamOffsets where = index_->FindOffsets(stream_id, from_version, max_count);
  if (where.offsets.empty()) return std::vector<v1::EventEnvelope>();
  absl::flat_hash_map<int64_t, v1::EventEnvelope> found;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<int64_t> wanted(where.offsets.begin(), where.offsets.end());
    GL_RETURN_IF_ERROR(ConsumeLocked(
        {{where.partition, where.offsets.front()}}, /*max_events=*/-1,
        [&](int index, int64_t offset, absl::string_view bytes, bool* done) -> absl::Status {
          if (!wanted.contains(offset)) return absl::OkStatus();
          GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                              OpenRecord(bytes, topology_->PositionOf(index, offset)));
          found.emplace(offset, std::move(event));
          *done = offset >= where.offsets.back();
          return absl::OkStatus();
        },
        {{where.partition, where.offsets.back() + 1}}));
  }
  std::vector<v1::EventEnvelope> events;
  StreamChainChecker chain(stream_id, from_version);
  for (int64_t offset : where.offsets) {
    auto it = found.find(offset);
    if (it == found.end()) {
      return absl::DataLossError(absl::StrCat(
          "event at ", DescribePosition(topology_->PositionOf(where.partition, offset)),
          " (stream ", stream_id, " version ", chain.next_version(), ") is missing"));
    }
    GL_RETURN_IF_ERROR(chain.Next(it->second));
    events.push_back(std::move(it->second));
  }
  return events;
}

absl::StatusOr<ReadAllResult> KafkaReader::ReadAll(const v1::Checkpoint& from, int64_t max_count) {
  GL_ASSIGN_OR_RETURN(PartitionOffsets starts, topology_->StartOffsets(from));
  ReadAllResult result;
  absl::flat_hash_map<int, int64_t> next(starts.begin(), starts.end());
  if (max_count > 0) {
    const PartitionOffsets committed = index_->NextReads();
    absl::flat_hash_map<int, int64_t> ends;
    absl::flat_hash_map<int, int64_t> committed_end(committed.begin(), committed.end());
    {
      absl::MutexLock lock(&appended_mu_);
      for (const auto& [index, end] : appended_ends_) {
        committed_end[index] = std::max(committed_end[index], end);
      }
    }
    PartitionChainFollower chains;
    absl::MutexLock lock(&mu_);
    GL_RETURN_IF_ERROR(ConsumeLocked(
        starts, max_count,
        [&](int index, int64_t offset, absl::string_view bytes, bool* done) -> absl::Status {
          if (topology_->Acknowledged(index, offset, bytes)) {
            next[index] = offset + 1;
            return absl::OkStatus();
          }
          GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                              OpenRecord(bytes, topology_->PositionOf(index, offset)));
          GL_RETURN_IF_ERROR(chains.Next(event));
          next[index] = offset + 1;
          result.events.push_back(std::move(event));
          *done = static_cast<int64_t>(result.events.size()) >= max_count;
          return absl::OkStatus();
        },
        committed_end, &ends));
    // A partition read to its end continues after it (past its markers).
    for (const auto& [index, end] : ends) next[index] = std::max(next[index], end);
  }
  for (int i = 0; i < topology_->size(); ++i) {
    *result.next.add_next() = topology_->PositionOf(i, next[i]);
  }
  return result;
}

void KafkaReader::NoteAppended(const v1::AppendOutcome& outcome) {
  v1::Checkpoint after;
  for (const v1::Position& position : outcome.positions()) {
    v1::Position* next = after.add_next();
    next->set_partition(position.partition());
    next->set_offset(position.offset() + 1);
  }
  absl::StatusOr<PartitionOffsets> ends = topology_->StartOffsets(after);
  if (!ends.ok()) return;  // not our partitions: nothing to wait for
  absl::MutexLock lock(&appended_mu_);
  for (const auto& [index, end] : *ends) {
    int64_t& known = appended_ends_[index];
    known = std::max(known, end);
  }
}

absl::StatusOr<std::unique_ptr<Subscription>> KafkaReader::Subscribe(const v1::Checkpoint& from,
                                                                     SubscriptionFilter filter,
                                                                     EventHandler handler) {
  if (!handler) return absl::InvalidArgumentError("handler: must be set");
  GL_ASSIGN_OR_RETURN(PartitionOffsets starts, topology_->StartOffsets(from));
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer,
                      NewConsumer(ReadCommittedConsumerSettings(
                          config_, absl::StrCat(config_.topic_prefix, ".reader.", NewUuid()))));
  PartitionList list = topology_->ToList(starts);
  GL_RETURN_IF_ERROR(FromKafkaCode(rd_kafka_assign(consumer.get(), list.get()), "subscribing"));
  return std::make_unique<KafkaSubscription>(
      std::move(consumer), topology_,
      absl::flat_hash_map<int, int64_t>(starts.begin(), starts.end()), std::move(filter),
      std::move(handler));
}

absl::StatusOr<v1::Checkpoint> KafkaReader::EndCheckpoint() {
  v1::Checkpoint checkpoint;
  for (int i = 0; i < topology_->size(); ++i) {
    const KafkaPartition& partition = topology_->partition(i);
    int64_t low = 0, high = 0;
    GL_RETURN_IF_ERROR(FromKafkaCode(
        rd_kafka_query_watermark_offsets(meta_.get(), partition.topic.c_str(), partition.number,
                                         &low, &high, static_cast<int>(config_.timeout_ms)),
        absl::StrCat("reading the end of ", partition.name)));
    *checkpoint.add_next() = topology_->PositionOf(i, high);
  }
  return checkpoint;
}

absl::Status KafkaReader::Ping(absl::Duration timeout) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(
      meta_.get(), 0, nullptr, &metadata, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("no Kafka broker answered at ", config_.bootstrap_servers, " within ",
                     absl::FormatDuration(timeout), " (", rd_kafka_err2str(err), ")"));
  }
  rd_kafka_metadata_destroy(metadata);
  return absl::OkStatus();
}

std::string KafkaReader::ReaderGroup(absl::string_view name) const {
  return absl::StrCat(config_.topic_prefix, ".view.", name);
}

absl::StatusOr<std::unique_ptr<LogReader>> KafkaReader::OpenReader(absl::string_view name) {
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer,
                      NewConsumer(ReadCommittedConsumerSettings(config_, ReaderGroup(name))));
  return std::unique_ptr<LogReader>(
      new KafkaLogReader(topology_, config_.timeout_ms, std::move(consumer), ReaderGroup(name)));
}

absl::Status KafkaReader::ConsumeLocked(const PartitionOffsets& starts, int64_t max_events,
                                        const RecordFn& fn,
                                        const absl::flat_hash_map<int, int64_t>& required_end,
                                        absl::flat_hash_map<int, int64_t>* ends) {
  if (renew_consumer_) {
    GL_ASSIGN_OR_RETURN(KafkaHandle fresh, NewConsumer(SharedConsumerSettings()));
    DestroyInBackground(std::exchange(consumer_, std::move(fresh)));
    renew_consumer_ = false;
  }
  PartitionList list = topology_->ToList(starts);
  absl::flat_hash_map<int, int64_t> open;
  for (const auto& [index, offset] : starts) {
    auto it = required_end.find(index);
    open[index] = it == required_end.end() ? 0 : it->second;
  }
  GL_RETURN_IF_ERROR(
      FromKafkaCode(rd_kafka_assign(consumer_.get(), list.get()), "assigning partitions"));
  absl::Status status = PollLocked(open, max_events, fn, ends);
  // Unassigning cannot fail in a way we could act on; the next assign replaces it anyway.
  rd_kafka_assign(consumer_.get(), nullptr);
  return status;
}

absl::Status KafkaReader::PollLocked(absl::flat_hash_map<int, int64_t>& open, int64_t max_events,
                                     const RecordFn& fn, absl::flat_hash_map<int, int64_t>* ends) {
  int64_t seen = 0;
  absl::Time last_progress = absl::Now();
  bool done = false;
  while (!open.empty() && !done) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    if (!message) {
      if (absl::Now() - last_progress > absl::Milliseconds(config_.timeout_ms)) {
        renew_consumer_ = true;
        return absl::UnavailableError(
            absl::StrCat("reading from Kafka: no progress within ", config_.timeout_ms, " ms"));
      }
      continue;
    }
    last_progress = absl::Now();
    const int index = topology_->IndexOf(message.get());
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      auto it = open.find(index);
      if (it != open.end() && message->offset >= it->second) open.erase(it);
      if (ends != nullptr && index >= 0) {
        int64_t& end = (*ends)[index];
        end = std::max(end, message->offset);
      }
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ConsumeError(*topology_, message.get(), index);
    }
    if (index < 0 || !open.contains(index)) continue;  // past its end: next call
    GL_RETURN_IF_ERROR(fn(index, message->offset, ValueOf(message.get()), &done));
    if (max_events > 0 && ++seen >= max_events) done = true;
  }
  return absl::OkStatus();
}

}  // namespace gridledger::eventstore::internal
