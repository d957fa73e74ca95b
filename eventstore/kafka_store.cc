#include "eventstore/kafka_store.h"

#include <pthread.h>

#include <atomic>
#include <deque>
#include <future>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "eventstore/internal/append_queue.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/subscription_thread.h"

namespace gridledger::eventstore {
namespace {

using internal::KafkaConfig;
using internal::KafkaHandle;
using internal::KafkaMessage;
using internal::KafkaSettings;
using internal::PartitionList;
using Pending = internal::PendingAppend;

constexpr const char* kUnits[] = {"customer", "billing", "metering", "marketing"};
constexpr size_t kMaxGroupRequests = 4096;
constexpr int kPollMs = 50;

std::string TopicOf(const std::string& prefix, absl::string_view unit) {
  return absl::StrCat(prefix, ".", unit, ".v1");
}

// Our partitioner: FNV-1a 64 of the stream id, modulo the topic's partitions.
// Every event of a stream lands in one partition, so the stream is in order.
int32_t PartitionFor(absl::string_view stream_id, int32_t partitions) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : stream_id) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<int32_t>(hash % static_cast<uint64_t>(partitions));
}

struct PartitionState {
  std::string topic;
  int32_t number = 0;
  std::string name;       // "<topic>/<number>"
  int64_t next_read = 0;  // offset after the last record applied
  std::string head_hash = GenesisHash();
};

struct StreamState {
  int64_t version = 0;
  std::string hash = GenesisHash();
  int partition = -1;
  std::vector<int64_t> offsets;  // offsets[v-1] is version v's offset
};

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

class KafkaStore;

class KafkaSubscription final : public internal::SubscriptionThread {
 public:
  KafkaSubscription(KafkaHandle consumer, std::vector<PartitionState> partitions,
                    absl::flat_hash_map<std::string, int64_t> next, SubscriptionFilter filter,
                    EventHandler handler)
      : consumer_(std::move(consumer)),
        partitions_(std::move(partitions)),
        next_(std::move(next)),
        filter_(std::move(filter)),
        handler_(std::move(handler)) {
    Start();
  }
  ~KafkaSubscription() override { StopAndJoin(); }
  v1::Checkpoint Resume() const override {
    absl::MutexLock lock(&mu_);
    v1::Checkpoint checkpoint;
    for (const PartitionState& p : partitions_) {
      v1::Position* position = checkpoint.add_next();
      position->set_partition(p.name);
      auto it = next_.find(p.name);
      position->set_offset(it == next_.end() ? 0 : it->second);
    }
    return checkpoint;
  }

 private:
  absl::Status Deliver() override;

  KafkaHandle consumer_;
  const std::vector<PartitionState> partitions_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> next_ ABSL_GUARDED_BY(mu_);
  const SubscriptionFilter filter_;
  const EventHandler handler_;
};

class KafkaStore final : public EventStore {
  friend class KafkaLogReader;

 public:
  KafkaStore(KafkaConfig config, StoreOptions options)
      : config_(std::move(config)),
        options_(std::move(options)),
        transactional_id_(absl::StrCat(config_.topic_prefix, ".writer.", config_.writer_id)) {}

  ~KafkaStore() override {
    queue_.Close();
    if (writer_.joinable()) writer_.join();
  }

  absl::Status Open() {
    GL_ASSIGN_OR_RETURN(producer_, NewTransactionalProducer());
    // Reachability first, so an unreachable broker is a clear UNAVAILABLE.
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata,
                                                static_cast<int>(config_.timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("store: no Kafka broker answered at ", config_.bootstrap_servers, " within ",
                       config_.timeout_ms, " ms (", rd_kafka_err2str(err), ")"));
    }
    rd_kafka_metadata_destroy(metadata);
    std::vector<std::string> topics;
    for (const char* unit : kUnits) topics.push_back(TopicOf(config_.topic_prefix, unit));
    GL_RETURN_IF_ERROR(internal::EnsureTopics(producer_.get(), topics, config_.partitions,
                                              config_.replication, config_.timeout_ms));
    GL_ASSIGN_OR_RETURN(std::vector<int32_t> counts,
                        internal::PartitionCounts(producer_.get(), topics, config_.timeout_ms));
    for (size_t t = 0; t < topics.size(); ++t) {
      unit_base_[kUnits[t]] = {static_cast<int>(partitions_.size()), counts[t]};
      topic_base_[topics[t]] = static_cast<int>(partitions_.size());
      for (int32_t p = 0; p < counts[t]; ++p) {
        PartitionState state;
        state.topic = topics[t];
        state.number = p;
        state.name = absl::StrCat(topics[t], "/", p);
        partitions_.push_back(std::move(state));
      }
    }
    GL_RETURN_IF_ERROR(FromKafkaInit(producer_.get()));
    GL_ASSIGN_OR_RETURN(reader_, NewReader());
    GL_RETURN_IF_ERROR(CatchUp());
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gl-kafka-wr");
      WriterLoop();
    });
    return absl::OkStatus();
  }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    return queue_.Submit(std::move(request), options_);
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(absl::string_view stream_id,
                                                            int64_t from_version,
                                                            int64_t max_count) override {
    if (from_version < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("from_version: must be at least 1, got ", from_version));
    }
    std::vector<int64_t> offsets;
    int partition = -1;
    {
      absl::MutexLock lock(&state_mu_);
      auto it = streams_.find(stream_id);
      if (it == streams_.end() || from_version > it->second.version || max_count <= 0) {
        return std::vector<v1::EventEnvelope>();
      }
      const auto& all = it->second.offsets;
      const int64_t count = std::min<int64_t>(max_count, all.size() - (from_version - 1));
      offsets.assign(all.begin() + (from_version - 1), all.begin() + (from_version - 1) + count);
      partition = it->second.partition;
    }
    absl::flat_hash_map<int64_t, v1::EventEnvelope> found;
    {
      absl::MutexLock lock(&reader_mu_);
      absl::flat_hash_set<int64_t> wanted(offsets.begin(), offsets.end());
      GL_RETURN_IF_ERROR(ConsumeLocked(
          {{partition, offsets.front()}}, /*max_events=*/-1,
          [&](int index, int64_t offset, absl::string_view bytes, bool* done) -> absl::Status {
            if (!wanted.contains(offset)) return absl::OkStatus();
            GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                                internal::OpenRecord(bytes, PositionOf(index, offset)));
            found.emplace(offset, std::move(event));
            *done = offset >= offsets.back();
            return absl::OkStatus();
          },
          {{partition, offsets.back() + 1}}));
    }
    std::vector<v1::EventEnvelope> events;
    std::string prev_hash = from_version == 1 ? GenesisHash() : std::string();
    int64_t version = from_version;
    for (int64_t offset : offsets) {
      auto it = found.find(offset);
      if (it == found.end()) {
        return absl::DataLossError(
            absl::StrCat("event at ", internal::DescribePosition(PositionOf(partition, offset)),
                         " (stream ", stream_id, " version ", version, ") is missing"));
      }
      v1::EventEnvelope& event = it->second;
      if (event.stream_id() != stream_id || event.stream_version() != version ||
          (!prev_hash.empty() && event.prev_hash() != prev_hash)) {
        return absl::DataLossError(absl::StrCat(
            "event at ", internal::DescribePosition(event.position()), ": expected stream ",
            stream_id, " version ", version, " chained to the previous one"));
      }
      prev_hash = event.hash();
      events.push_back(std::move(event));
      ++version;
    }
    return events;
  }

  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override {
    absl::MutexLock lock(&state_mu_);
    auto it = streams_.find(stream_id);
    return it == streams_.end() ? 0 : it->second.version;
  }

  absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count) override {
    GL_ASSIGN_OR_RETURN(auto starts, StartOffsets(from));
    ReadAllResult result;
    absl::flat_hash_map<int, int64_t> next;
    for (const auto& [index, offset] : starts) next[index] = offset;
    if (max_count > 0) {
      absl::flat_hash_map<int, int64_t> committed_end;
      {
        absl::MutexLock lock(&state_mu_);
        for (size_t i = 0; i < partitions_.size(); ++i) {
          committed_end[static_cast<int>(i)] = partitions_[i].next_read;
        }
      }
      absl::flat_hash_map<int, std::string> last_hash;
      absl::MutexLock lock(&reader_mu_);
      GL_RETURN_IF_ERROR(ConsumeLocked(
          starts, max_count,
          [&](int index, int64_t offset, absl::string_view bytes, bool* done) -> absl::Status {
            GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                                internal::OpenRecord(bytes, PositionOf(index, offset)));
            auto prev = last_hash.find(index);
            const bool known_prev = prev != last_hash.end() || offset == 0;
            const std::string& expected = prev != last_hash.end() ? prev->second : GenesisHash();
            if (known_prev && event.partition_prev_hash() != expected) {
              return absl::DataLossError(absl::StrCat(
                  "event at ", internal::DescribePosition(event.position()),
                  ": partition chain broken (an event before it was altered, removed or "
                  "reordered)"));
            }
            last_hash[index] = event.partition_hash();
            next[index] = offset + 1;
            result.events.push_back(std::move(event));
            *done = static_cast<int64_t>(result.events.size()) >= max_count;
            return absl::OkStatus();
          },
          committed_end));
    }
    for (size_t i = 0; i < partitions_.size(); ++i) {
      *result.next.add_next() = PositionOf(static_cast<int>(i), next[static_cast<int>(i)]);
    }
    return result;
  }

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                          SubscriptionFilter filter,
                                                          EventHandler handler) override {
    if (!handler) return absl::InvalidArgumentError("handler: must be set");
    GL_ASSIGN_OR_RETURN(auto starts, StartOffsets(from));
    GL_ASSIGN_OR_RETURN(KafkaHandle consumer, NewReader());
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(starts.size())));
    absl::flat_hash_map<std::string, int64_t> next;
    for (const auto& [index, offset] : starts) {
      rd_kafka_topic_partition_list_add(list.get(), partitions_[index].topic.c_str(),
                                        partitions_[index].number)
          ->offset = offset;
      next[partitions_[index].name] = offset;
    }
    GL_RETURN_IF_ERROR(
        internal::FromKafkaCode(rd_kafka_assign(consumer.get(), list.get()), "subscribing"));
    std::vector<PartitionState> topology;
    {
      absl::MutexLock lock(&state_mu_);
      topology = partitions_;
    }
    return std::make_unique<KafkaSubscription>(std::move(consumer), std::move(topology),
                                               std::move(next), std::move(filter),
                                               std::move(handler));
  }

  absl::StatusOr<v1::Checkpoint> EndCheckpoint() override {
    v1::Checkpoint checkpoint;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      int64_t low = 0, high = 0;
      GL_RETURN_IF_ERROR(internal::FromKafkaCode(
          rd_kafka_query_watermark_offsets(reader_.get(), partitions_[i].topic.c_str(),
                                           partitions_[i].number, &low, &high,
                                           static_cast<int>(config_.timeout_ms)),
          absl::StrCat("reading the end of ", partitions_[i].name)));
      *checkpoint.add_next() = PositionOf(static_cast<int>(i), high);
    }
    return checkpoint;
  }

  std::string ReaderGroup(absl::string_view name) const override {
    return absl::StrCat(config_.topic_prefix, ".view.", name);
  }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(absl::string_view name) override;

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override {
    absl::MutexLock lock(&state_mu_);
    auto it = commands_.find(command_id);
    if (it == commands_.end()) return std::optional<v1::AppendOutcome>();
    return std::optional<v1::AppendOutcome>(it->second);
  }

 private:
  // A record consumer's callback: (partition index, offset, value, done?).
  using RecordFn = std::function<absl::Status(int, int64_t, absl::string_view, bool*)>;

  KafkaSettings CommonSettings() const {
    return {{"bootstrap.servers", config_.bootstrap_servers},
            {"client.id", "gridledger"},
            {"socket.connection.setup.timeout.ms",
             absl::StrCat(std::max<int64_t>(1000, config_.timeout_ms))},
            {"reconnect.backoff.max.ms", "1000"},
            {"log_level", "3"}};
  }

  absl::StatusOr<KafkaHandle> NewTransactionalProducer() {
    KafkaSettings settings = CommonSettings();
    settings.insert(settings.end(), {{"transactional.id", transactional_id_},
                                     {"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "1"},
                                     {"message.max.bytes", "2000000"},
                                     {"message.timeout.ms", absl::StrCat(config_.timeout_ms)},
                                     {"transaction.timeout.ms",
                                      absl::StrCat(std::max<int64_t>(60000, config_.timeout_ms))}});
    return internal::NewProducer(settings, &OnDelivery);
  }

  absl::StatusOr<KafkaHandle> NewReader() {
    KafkaSettings settings = CommonSettings();
    settings.insert(settings.end(),
                    {{"group.id", absl::StrCat(config_.topic_prefix, ".reader.", NewUuid())},
                     {"enable.auto.commit", "false"},
                     {"enable.auto.offset.store", "false"},
                     {"isolation.level", "read_committed"},
                     {"enable.partition.eof", "true"},
                     {"auto.offset.reset", "error"},
                     {"fetch.wait.max.ms", "20"}});
    return internal::NewConsumer(settings);
  }

  absl::Status FromKafkaInit(rd_kafka_t* producer) {
    absl::Status status = internal::FromKafkaError(
        rd_kafka_init_transactions(producer, static_cast<int>(config_.timeout_ms)),
        absl::StrCat("store: starting the transactional producer ", transactional_id_, " at ",
                     config_.bootstrap_servers));
    return status;
  }

  v1::Position PositionOf(int index, int64_t offset) const {
    v1::Position position;
    position.set_partition(partitions_[index].name);
    position.set_offset(offset);
    return position;
  }

  absl::StatusOr<std::vector<std::pair<int, int64_t>>> StartOffsets(const v1::Checkpoint& from) {
    absl::flat_hash_map<std::string, int64_t> given;
    for (const v1::Position& p : from.next()) {
      if (p.offset() < 0) return absl::InvalidArgumentError("from: offsets must not be negative");
      given[p.partition()] = p.offset();
    }
    std::vector<std::pair<int, int64_t>> starts;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      auto it = given.find(partitions_[i].name);
      starts.emplace_back(static_cast<int>(i), it == given.end() ? 0 : it->second);
      if (it != given.end()) given.erase(it);
    }
    if (!given.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("from: partition \"", given.begin()->first,
                                                     "\" is not one of this store's"));
    }
    return starts;
  }

  // Reads the given partitions from the given offsets with the reader
  // consumer until each reaches its end (or `fn` says done, or max_events).
  // A partition's end is where read_committed reports EOF, but never before
  // `required_end[index]` when given: a transaction's commit returns before
  // the broker has written its markers, so for a moment the stable end can
  // lag behind records this store knows are committed.
  absl::Status ConsumeLocked(const std::vector<std::pair<int, int64_t>>& starts, int64_t max_events,
                             const RecordFn& fn,
                             const absl::flat_hash_map<int, int64_t>& required_end = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reader_mu_) {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(starts.size())));
    absl::flat_hash_map<int, int64_t> open;
    for (const auto& [index, offset] : starts) {
      rd_kafka_topic_partition_list_add(list.get(), partitions_[index].topic.c_str(),
                                        partitions_[index].number)
          ->offset = offset;
      auto it = required_end.find(index);
      open[index] = it == required_end.end() ? 0 : it->second;
    }
    GL_RETURN_IF_ERROR(internal::FromKafkaCode(rd_kafka_assign(reader_.get(), list.get()),
                                               "assigning partitions"));
    absl::Status status;
    int64_t seen = 0;
    absl::Time last_progress = absl::Now();
    bool done = false;
    while (!open.empty() && !done && status.ok()) {
      KafkaMessage message(rd_kafka_consumer_poll(reader_.get(), kPollMs));
      if (!message) {
        if (absl::Now() - last_progress > absl::Milliseconds(config_.timeout_ms)) {
          status = absl::UnavailableError(
              absl::StrCat("reading from Kafka: no progress within ", config_.timeout_ms, " ms"));
        }
        continue;
      }
      last_progress = absl::Now();
      const int index = IndexOf(message.get());
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        auto it = open.find(index);
        if (it != open.end() && message->offset >= it->second) open.erase(it);
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = ConsumeError(message.get(), index);
        break;
      }
      if (index < 0 || !open.contains(index)) continue;  // past its end: next call
      status =
          fn(index, message->offset,
             absl::string_view(static_cast<const char*>(message->payload), message->len), &done);
      if (max_events > 0 && ++seen >= max_events) done = true;
    }
    // Unassigning cannot fail in a way we could act on; the next assign replaces it anyway.
    rd_kafka_assign(reader_.get(), nullptr);
    return status;
  }

  absl::Status ConsumeError(const rd_kafka_message_t* message, int index) {
    const std::string where = index >= 0 ? partitions_[index].name : "a partition";
    if (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
        message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
      return absl::DataLossError(
          absl::StrCat(where, "@", message->offset, ": offset is out of range (events removed?)"));
    }
    return absl::UnavailableError(
        absl::StrCat("reading ", where, ": ", rd_kafka_message_errstr(message)));
  }

  int IndexOf(const rd_kafka_message_t* message) const {
    if (message->rkt == nullptr) return -1;
    auto it = topic_base_.find(rd_kafka_topic_name(message->rkt));
    if (it == topic_base_.end()) return -1;
    return it->second + message->partition;
  }

  // Reads every partition from where this store last applied to its end and
  // applies each record to the in-memory state, verifying both chains.
  absl::Status CatchUp() {
    std::vector<std::pair<int, int64_t>> starts;
    {
      absl::MutexLock lock(&state_mu_);
      for (size_t i = 0; i < partitions_.size(); ++i) {
        starts.emplace_back(static_cast<int>(i), partitions_[i].next_read);
      }
    }
    absl::MutexLock lock(&reader_mu_);
    return ConsumeLocked(starts, -1,
                         [this](int index, int64_t offset, absl::string_view bytes, bool*) {
                           absl::MutexLock state_lock(&state_mu_);
                           return ApplyRecordLocked(index, offset, bytes);
                         });
  }

  absl::Status ApplyRecordLocked(int index, int64_t offset, absl::string_view bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    PartitionState& partition = partitions_[index];
    GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                        internal::OpenRecord(bytes, PositionOf(index, offset)));
    if (event.partition_prev_hash() != partition.head_hash) {
      return absl::DataLossError(absl::StrCat(
          "event at ", partition.name, "@", offset,
          ": partition chain broken (an event before it was altered, removed or reordered, or "
          "this one was inserted)"));
    }
    StreamState& stream = streams_[event.stream_id()];
    if (event.stream_version() != stream.version + 1 || event.prev_hash() != stream.hash ||
        (stream.partition >= 0 && stream.partition != index)) {
      return absl::DataLossError(absl::StrCat(
          "event at ", partition.name, "@", offset, ": stream ", event.stream_id(), " version ",
          event.stream_version(), " does not follow its version ", stream.version));
    }
    stream.version = event.stream_version();
    stream.hash = event.hash();
    stream.partition = index;
    stream.offsets.push_back(offset);
    partition.head_hash = event.partition_hash();
    partition.next_read = offset + 1;
    v1::AppendOutcome& outcome = commands_[event.command_id()];
    if (outcome.stream_id().empty()) {
      outcome.set_stream_id(event.stream_id());
      outcome.set_first_version(event.stream_version());
    }
    outcome.set_last_version(event.stream_version());
    *outcome.add_positions() = PositionOf(index, offset);
    return absl::OkStatus();
  }

  void WriterLoop() {
    while (true) {
      std::vector<std::unique_ptr<Pending>> group = queue_.TakeGroup(kMaxGroupRequests);
      if (group.empty()) return;  // closed, and every queued append answered
      CommitGroup(group);
    }
  }

  // After a failed or ambiguous transaction: a fresh producer (which also
  // aborts whatever the old one left open) and a re-read of the partitions.
  absl::Status Recover() {
    producer_.reset();
    GL_ASSIGN_OR_RETURN(producer_, NewTransactionalProducer());
    absl::Status status = FromKafkaInit(producer_.get());
    if (!status.ok()) {
      producer_.reset();
      return status;
    }
    GL_RETURN_IF_ERROR(CatchUp());
    needs_recovery_ = false;
    return absl::OkStatus();
  }

  void FailAll(std::vector<std::unique_ptr<Pending>>& group, const absl::Status& status) {
    for (auto& pending : group) pending->promise.set_value(status);
  }

  void CommitGroup(std::vector<std::unique_ptr<Pending>>& group) {
    if (!fenced_.ok()) return FailAll(group, fenced_);
    if (needs_recovery_) {
      absl::Status recovered = Recover();
      if (!recovered.ok()) {
        if (absl::IsFailedPrecondition(recovered)) fenced_ = recovered;
        return FailAll(group, recovered);
      }
    }
    struct Staged {
      Pending* pending;
      AppendResult result;
      bool deduplicated = false;
      int partition = -1;
      std::vector<std::string> hashes;  // stream hash after each event
      std::vector<std::unique_ptr<DeliverySlot>> slots;
    };
    std::vector<Staged> staged;
    absl::flat_hash_map<std::string, StreamState> staged_streams;
    absl::flat_hash_map<std::string, v1::AppendOutcome> staged_commands;
    absl::flat_hash_map<int, std::string> staged_partition_hash;
    const google::protobuf::Timestamp now = internal::StoreTimestamp();
    // Records to produce, in order: (staged index, partition, key, value).
    struct Outgoing {
      size_t staged_index;
      int partition;
      std::string value;
      std::string type;
      int64_t version;
    };
    std::vector<Outgoing> outgoing;
    {
      absl::MutexLock lock(&state_mu_);
      for (auto& pending : group) {
        Pending& request = *pending;
        std::optional<v1::AppendOutcome> first;
        if (auto it = staged_commands.find(request.command_id); it != staged_commands.end()) {
          first = it->second;
        } else if (auto it = commands_.find(request.command_id); it != commands_.end()) {
          first = it->second;
        }
        if (first) {
          if (first->stream_id() != request.stream_id) {
            pending->promise.set_value(absl::FailedPreconditionError(
                absl::StrCat("command_id: ", request.command_id, " was already used for stream ",
                             first->stream_id())));
            continue;
          }
          Staged s{pending.get()};
          s.result.outcome = *std::move(first);
          s.result.deduplicated = true;
          s.deduplicated = true;
          staged.push_back(std::move(s));
          continue;
        }
        StreamState head;
        if (auto it = staged_streams.find(request.stream_id); it != staged_streams.end()) {
          head = it->second;
        } else if (auto it = streams_.find(request.stream_id); it != streams_.end()) {
          head.version = it->second.version;
          head.hash = it->second.hash;
          head.partition = it->second.partition;
        }
        if (request.expected_version != kAnyVersion && request.expected_version != head.version) {
          pending->promise.set_value(
              internal::VersionConflict(request.stream_id, request.expected_version, head.version));
          continue;
        }
        if (head.partition < 0) {
          // Validated already, so the category is known.
          const auto [base, count] = unit_base_.at(*internal::UnitOfStream(request.stream_id));
          head.partition = base + PartitionFor(request.stream_id, count);
        }
        std::string partition_hash;
        if (auto it = staged_partition_hash.find(head.partition);
            it != staged_partition_hash.end()) {
          partition_hash = it->second;
        } else {
          partition_hash = partitions_[head.partition].head_hash;
        }
        Staged s{pending.get()};
        s.partition = head.partition;
        s.result.outcome.set_stream_id(request.stream_id);
        s.result.outcome.set_first_version(head.version + 1);
        for (const internal::PreparedEvent& event : request.events) {
          internal::SealedRecord sealed =
              internal::SealEvent(event.body, ++head.version, now, head.hash, partition_hash);
          head.hash = sealed.hash;
          partition_hash = sealed.partition_hash;
          s.hashes.push_back(sealed.hash);
          s.slots.push_back(std::make_unique<DeliverySlot>());
          outgoing.push_back(Outgoing{staged.size(), head.partition, std::move(sealed.record_bytes),
                                      event.type, head.version});
        }
        s.result.outcome.set_last_version(head.version);
        staged_partition_hash[head.partition] = partition_hash;
        staged_commands[request.command_id] = s.result.outcome;
        staged_streams[request.stream_id] = std::move(head);
        staged.push_back(std::move(s));
      }
    }
    if (outgoing.empty()) {
      for (Staged& s : staged) s.pending->promise.set_value(std::move(s.result));
      return;
    }
    absl::Status status = ProduceTransaction(outgoing, staged);
    if (!status.ok()) {
      for (Staged& s : staged) {
        if (s.deduplicated) {
          s.pending->promise.set_value(std::move(s.result));
        } else {
          s.pending->promise.set_value(status);
        }
      }
      return;
    }
    // Committed: apply to the in-memory state, then answer.
    {
      absl::MutexLock lock(&state_mu_);
      for (Staged& s : staged) {
        if (s.deduplicated) continue;
        const std::string& stream_id = s.result.outcome.stream_id();
        StreamState& stream = streams_[stream_id];
        PartitionState& partition = partitions_[s.partition];
        for (size_t i = 0; i < s.slots.size(); ++i) {
          const int64_t offset = s.slots[i]->offset.load();
          stream.offsets.push_back(offset);
          *s.result.outcome.add_positions() = PositionOf(s.partition, offset);
          partition.next_read = offset + 1;
        }
        stream.version = s.result.outcome.last_version();
        stream.hash = s.hashes.back();
        stream.partition = s.partition;
        commands_[s.pending->command_id] = s.result.outcome;
      }
      for (const auto& [index, hash] : staged_partition_hash) partitions_[index].head_hash = hash;
    }
    for (Staged& s : staged) s.pending->promise.set_value(std::move(s.result));
  }

  template <typename OutgoingT, typename StagedT>
  absl::Status ProduceTransaction(std::vector<OutgoingT>& outgoing, std::vector<StagedT>& staged) {
    rd_kafka_t* producer = producer_.get();
    absl::Status status =
        internal::FromKafkaError(rd_kafka_begin_transaction(producer), "beginning a transaction");
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config_.timeout_ms);
    std::vector<size_t> next_slot(staged.size(), 0);
    for (size_t i = 0; i < outgoing.size() && status.ok(); ++i) {
      OutgoingT& record = outgoing[i];
      const PartitionState& partition = partitions_[record.partition];
      DeliverySlot* slot =
          staged[record.staged_index].slots[next_slot[record.staged_index]++].get();
      const std::string& key = staged[record.staged_index].result.outcome.stream_id();
      const std::string version = absl::StrCat(record.version);
      while (true) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(partition.topic.c_str()),
            RD_KAFKA_V_PARTITION(partition.number), RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(record.value.data(), record.value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("gl-type", record.type.data(),
                              static_cast<ssize_t>(record.type.size())),
            RD_KAFKA_V_HEADER("gl-stream-version", version.data(),
                              static_cast<ssize_t>(version.size())),
            RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && absl::Now() < deadline) {
          rd_kafka_poll(producer, 5);
          continue;
        }
        status = internal::FromKafkaCode(err, "producing an event");
        break;
      }
    }
    if (status.ok()) {
      status = internal::FromKafkaError(
          rd_kafka_commit_transaction(producer, static_cast<int>(config_.timeout_ms)),
          "committing the append transaction");
    }
    if (status.ok()) {
      // Commit flushed every record, so their delivery reports are queued;
      // serve them (a poll serves every queued report at once).
      rd_kafka_poll(producer, 0);
      const absl::Time reports_deadline = absl::Now() + absl::Seconds(5);
      auto all_reported = [&staged] {
        for (StagedT& s : staged) {
          for (auto& slot : s.slots) {
            if (slot->offset.load() < 0 && slot->error.load() == 0) return false;
          }
        }
        return true;
      };
      while (!all_reported() && absl::Now() < reports_deadline) rd_kafka_poll(producer, 10);
      for (StagedT& s : staged) {
        for (auto& slot : s.slots) {
          if (slot->offset.load() < 0) {
            status = absl::InternalError("a committed record has no delivery report");
          }
        }
      }
      if (status.ok()) return status;
    }
    // Failed or unknown outcome. Fencing ends this writer; anything else is
    // recovered before the next append (fresh producer + re-read), so a
    // retry of these commands is answered from what really got committed.
    if (absl::IsFailedPrecondition(status)) {
      fenced_ = status;
    } else {
      needs_recovery_ = true;
      status = absl::UnavailableError(
          absl::StrCat(status.message(),
                       "; nothing of this append is visible unless a retry with the same "
                       "command_id says so"));
    }
    return status;
  }

  const KafkaConfig config_;
  const StoreOptions options_;
  const std::string transactional_id_;

  // Topology, fixed after Open().
  absl::flat_hash_map<std::string, std::pair<int, int32_t>>
      unit_base_;  // unit → (first index, count)
  absl::flat_hash_map<std::string, int> topic_base_;

  absl::Mutex state_mu_;
  std::vector<PartitionState> partitions_;  // heads and next_read guarded by state_mu_
  absl::flat_hash_map<std::string, StreamState> streams_ ABSL_GUARDED_BY(state_mu_);
  absl::flat_hash_map<std::string, v1::AppendOutcome> commands_ ABSL_GUARDED_BY(state_mu_);

  absl::Mutex reader_mu_;
  KafkaHandle reader_;  // used under reader_mu_ (watermark queries need no lock)

  // Writer-thread state.
  KafkaHandle producer_;
  bool needs_recovery_ = false;
  absl::Status fenced_;

  internal::AppendQueue queue_{"kafka store is closing"};
  std::thread writer_;
};

absl::Status KafkaSubscription::Deliver() {
  absl::flat_hash_map<std::string, std::string> last_hash;
  absl::Status status;
  while (!stopping() && status.ok()) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    if (!message || message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
          message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        status = absl::DataLossError(absl::StrCat("subscription: offset out of range: ",
                                                  rd_kafka_message_errstr(message.get())));
      }
      continue;  // transient: librdkafka retries by itself
    }
    const std::string name =
        absl::StrCat(rd_kafka_topic_name(message->rkt), "/", message->partition);
    v1::Position where;
    where.set_partition(name);
    where.set_offset(message->offset);
    absl::StatusOr<v1::EventEnvelope> event = internal::OpenRecord(
        absl::string_view(static_cast<const char*>(message->payload), message->len), where);
    if (!event.ok()) {
      status = event.status();
      break;
    }
    auto prev = last_hash.find(name);
    if ((prev != last_hash.end() && event->partition_prev_hash() != prev->second) ||
        (message->offset == 0 && event->partition_prev_hash() != GenesisHash())) {
      status = absl::DataLossError(
          absl::StrCat("event at ", name, "@", message->offset, ": partition chain broken"));
      break;
    }
    last_hash[name] = event->partition_hash();
    if (filter_.Matches(*event)) status = handler_(*event);
    if (!status.ok()) break;
    absl::MutexLock lock(&mu_);
    next_[name] = message->offset + 1;
  }
  return status;
}

// One projection's consumer (EventStore::OpenReader): its own group, kept
// assigned between reads, so a read that continues where the last stopped
// only polls. Verifies each record and the partition chain across reads.
class KafkaLogReader final : public LogReader {
 public:
  KafkaLogReader(KafkaStore* store, KafkaHandle consumer, std::string group)
      : store_(store), consumer_(std::move(consumer)), group_(std::move(group)) {}

  ~KafkaLogReader() override {
    if (assigned_) rd_kafka_assign(consumer_.get(), nullptr);
  }

  absl::StatusOr<ReadAllResult> Read(const v1::Checkpoint& from, int64_t max_count) override {
    GL_ASSIGN_OR_RETURN(auto starts, store_->StartOffsets(from));
    absl::flat_hash_map<int, int64_t> wanted(starts.begin(), starts.end());
    if (!assigned_ || wanted != next_) GL_RETURN_IF_ERROR(Assign(starts));
    ReadAllResult result;
    const absl::Time deadline = absl::Now() + absl::Milliseconds(store_->config_.timeout_ms);
    while (static_cast<int64_t>(result.events.size()) < max_count) {
      KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
      if (!message) {
        // What arrived so far; or nothing, at the end of every partition.
        if (!result.events.empty() || AllAtEnd()) break;
        if (absl::Now() > deadline) {
          return absl::UnavailableError(absl::StrCat("reading from Kafka (", group_,
                                                     "): no progress within ",
                                                     store_->config_.timeout_ms, " ms"));
        }
        continue;
      }
      const int index = store_->IndexOf(message.get());
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (index >= 0 && message->offset >= next_[index]) at_end_[index] = true;
        if (AllAtEnd()) break;
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        assigned_ = false;  // start over from the caller's checkpoint next time
        return store_->ConsumeError(message.get(), index);
      }
      if (index < 0 || !next_.contains(index)) continue;
      GL_ASSIGN_OR_RETURN(
          v1::EventEnvelope event,
          internal::OpenRecord(
              absl::string_view(static_cast<const char*>(message->payload), message->len),
              store_->PositionOf(index, message->offset)));
      auto prev = last_hash_.find(index);
      const bool known_prev = prev != last_hash_.end() || message->offset == 0;
      if (known_prev && event.partition_prev_hash() !=
                            (prev != last_hash_.end() ? prev->second : GenesisHash())) {
        assigned_ = false;
        return absl::DataLossError(absl::StrCat(
            "event at ", internal::DescribePosition(event.position()),
            ": partition chain broken (an event before it was altered, removed or reordered)"));
      }
      last_hash_[index] = event.partition_hash();
      next_[index] = message->offset + 1;
      at_end_[index] = false;
      result.events.push_back(std::move(event));
    }
    for (const auto& [index, offset] : starts) {
      *result.next.add_next() = store_->PositionOf(index, next_[index]);
    }
    return result;
  }

  absl::Status Commit(const v1::Checkpoint& next) override {
    GL_ASSIGN_OR_RETURN(auto offsets, store_->StartOffsets(next));
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [index, offset] : offsets) {
      const auto& partition = store_->partitions_[index];
      rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.number)
          ->offset = offset;
    }
    return internal::FromKafkaCode(rd_kafka_commit(consumer_.get(), list.get(), 0),
                                   absl::StrCat("committing the position of ", group_));
  }

 private:
  absl::Status Assign(const std::vector<std::pair<int, int64_t>>& starts) {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(starts.size())));
    for (const auto& [index, offset] : starts) {
      const auto& partition = store_->partitions_[index];
      rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.number)
          ->offset = offset;
    }
    GL_RETURN_IF_ERROR(internal::FromKafkaCode(rd_kafka_assign(consumer_.get(), list.get()),
                                               "assigning partitions"));
    assigned_ = true;
    next_.clear();
    at_end_.clear();
    last_hash_.clear();
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

  KafkaStore* const store_;
  KafkaHandle consumer_;
  const std::string group_;
  bool assigned_ = false;
  absl::flat_hash_map<int, int64_t> next_;  // by partition index: next offset
  absl::flat_hash_map<int, bool> at_end_;   // reached the end since the last record
  absl::flat_hash_map<int, std::string> last_hash_;
};

absl::StatusOr<std::unique_ptr<LogReader>> KafkaStore::OpenReader(absl::string_view name) {
  KafkaSettings settings = CommonSettings();
  settings.insert(settings.end(), {{"group.id", ReaderGroup(name)},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"isolation.level", "read_committed"},
                                   {"enable.partition.eof", "true"},
                                   {"auto.offset.reset", "error"},
                                   {"fetch.wait.max.ms", "20"}});
  GL_ASSIGN_OR_RETURN(KafkaHandle consumer, internal::NewConsumer(settings));
  return std::unique_ptr<LogReader>(
      new KafkaLogReader(this, std::move(consumer), ReaderGroup(name)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenKafkaStore(const KafkaConfig& config,
                                                           const StoreOptions& options) {
  auto store = std::make_unique<KafkaStore>(config, options);
  GL_RETURN_IF_ERROR(store->Open());
  return store;
}

}  // namespace gridledger::eventstore
