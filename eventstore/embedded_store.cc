#include "eventstore/embedded_store.h"

#include <pthread.h>

#include <atomic>
#include <deque>
#include <future>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/big_endian.h"
#include "common/ids.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "eventstore/internal/append_queue.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/group_decider.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/subscription_thread.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace gridledger::eventstore {
namespace {

using internal::OpenRecord;
using Pending = internal::PendingAppend;

constexpr char kPartitionHeadKey[] = "partition_head";
// Most requests one group commit takes from the queue.
constexpr size_t kMaxGroupRequests = 4096;

using internal::StreamHead;  // partition always 0: the log is one partition

std::string EncodeHead(int64_t number, const std::string& hash) {
  std::string out = BigEndian64(static_cast<uint64_t>(number));
  out.append(hash);
  return out;
}

absl::StatusOr<StreamHead> DecodeHead(absl::string_view bytes, absl::string_view what) {
  std::optional<uint64_t> number = ReadBigEndian64(bytes);
  if (!number || bytes.size() != 8 + kSha256Bytes) {
    return absl::DataLossError(absl::StrCat("head of ", what, " is corrupted"));
  }
  StreamHead head;
  head.version = static_cast<int64_t>(*number);
  head.hash.assign(bytes.data() + 8, bytes.size() - 8);
  return head;
}

std::string StreamKey(absl::string_view stream_id, int64_t version) {
  std::string key(stream_id);
  key.push_back('\0');
  AppendBigEndian64(static_cast<uint64_t>(version), &key);
  return key;
}

v1::Position LogPosition(int64_t offset) {
  v1::Position position;
  position.set_partition(kEmbeddedPartition);
  position.set_offset(offset);
  return position;
}

int64_t NextOffsetIn(const v1::Checkpoint& checkpoint) {
  for (const v1::Position& p : checkpoint.next()) {
    if (p.partition() == kEmbeddedPartition) return p.offset();
  }
  return 0;
}

absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(doing, ": ", s.ToString()));
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(absl::StrCat(doing, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(doing, ": ", s.ToString()));
}

class EmbeddedStore;

// Catch-up then live delivery on its own thread: reads the log in chunks and,
// at its end, waits for the writer to announce new events.
class EmbeddedSubscription final : public internal::SubscriptionThread {
 public:
  EmbeddedSubscription(EmbeddedStore* store, int64_t from, SubscriptionFilter filter,
                       EventHandler handler)
      : store_(store), next_(from), filter_(std::move(filter)), handler_(std::move(handler)) {
    Start();
  }
  ~EmbeddedSubscription() override { StopAndJoin(); }
  v1::Checkpoint Resume() const override {
    v1::Checkpoint checkpoint;
    *checkpoint.add_next() = LogPosition(next_.load());
    return checkpoint;
  }

 private:
  absl::Status Deliver() override;

  EmbeddedStore* const store_;
  std::atomic<int64_t> next_;
  const SubscriptionFilter filter_;
  const EventHandler handler_;
};

class EmbeddedStore final : public EventStore {
 public:
  EmbeddedStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                StoreOptions options, StreamHead partition_head)
      : db_(std::move(db)),
        handles_(std::move(cfs)),
        options_(std::move(options)),
        decided_offset_(partition_head.version),
        decided_partition_hash_(std::move(partition_head.hash)),
        next_offset_(partition_head.version) {
    sync_write_.sync = true;
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gl-decide");
      WriterLoop();
      absl::MutexLock lock(&sync_mu_);
      decider_done_ = true;
    });
    syncer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gl-sync");
      SyncLoop();
    });
  }

  ~EmbeddedStore() override {
    queue_.Close();
    writer_.join();
    syncer_.join();
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      // Closing handles during shutdown; nothing to do if it fails.
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();  // best effort: the WAL is already synced
  }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    return queue_.Submit(std::move(request), options_);
  }

  std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests) override {
    return queue_.SubmitAll(std::move(requests), options_);
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override {
    if (from_version < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("from_version: must be at least 1, got ", from_version));
    }
    GL_ASSIGN_OR_RETURN(int64_t current, StreamVersion(stream_id));
    std::vector<v1::EventEnvelope> events;
    if (from_version > current || max_count <= 0) return events;
    const int64_t last = std::min(current, from_version + std::min(max_count, current) - 1);
    internal::StreamChainChecker chain(stream_id, from_version);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kStreams]));
    const std::string prefix = StreamKey(stream_id, 0).substr(0, stream_id.size() + 1);
    for (it->Seek(StreamKey(stream_id, from_version));
         it->Valid() && chain.next_version() <= last && it->key().starts_with(prefix); it->Next()) {
      std::optional<uint64_t> version = ReadBigEndian64(View(it->key()).substr(prefix.size()));
      std::optional<uint64_t> offset = ReadBigEndian64(View(it->value()));
      if (!version || !offset || static_cast<int64_t>(*version) != chain.next_version()) {
        return absl::DataLossError(absl::StrCat("stream ", stream_id, ": version ",
                                                chain.next_version(),
                                                " is missing from the index"));
      }
      GL_ASSIGN_OR_RETURN(v1::EventEnvelope event, ReadAt(static_cast<int64_t>(*offset)));
      GL_RETURN_IF_ERROR(chain.Next(event));
      events.push_back(std::move(event));
    }
    GL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));
    if (chain.next_version() <= last) {
      return absl::DataLossError(absl::StrCat("stream ", stream_id, ": version ",
                                              chain.next_version(), " of ", current,
                                              " is missing"));
    }
    return events;
  }

  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override {
    // The stored head is the durable one (the decider's may be ahead of it).
    GL_ASSIGN_OR_RETURN(StreamHead head, LoadHeadFromDb(stream_id));
    return head.version;
  }

  absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count) override {
    const int64_t start = NextOffsetIn(from);
    if (start < 0) return absl::InvalidArgumentError("from: offsets must not be negative");
    int64_t end;
    {
      absl::MutexLock lock(&state_mu_);
      end = next_offset_;
    }
    ReadAllResult result;
    int64_t next = start;
    if (start < end && max_count > 0) {
      std::string prev_partition_hash = GenesisHash();
      if (start > 0) {
        GL_ASSIGN_OR_RETURN(v1::EventEnvelope before, ReadAt(start - 1));
        prev_partition_hash = before.partition_hash();
      }
      const int64_t stop = std::min(end, start + max_count);
      rocksdb::ReadOptions read_options;
      const std::string upper = BigEndian64(static_cast<uint64_t>(stop));
      rocksdb::Slice upper_slice(upper);
      read_options.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kLog]));
      for (it->Seek(BigEndian64(static_cast<uint64_t>(start))); it->Valid(); it->Next()) {
        std::optional<uint64_t> offset = ReadBigEndian64(View(it->key()));
        if (!offset || static_cast<int64_t>(*offset) != next) {
          return absl::DataLossError(absl::StrCat(
              "event at ", kEmbeddedPartition, "@", next, " is missing (next stored offset is ",
              offset ? static_cast<int64_t>(*offset) : -1, ")"));
        }
        GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                            OpenRecord(View(it->value()), LogPosition(next)));
        GL_RETURN_IF_ERROR(internal::CheckPartitionLink(event, prev_partition_hash));
        prev_partition_hash = event.partition_hash();
        result.events.push_back(std::move(event));
        ++next;
      }
      GL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
      if (next < stop) {
        return absl::DataLossError(absl::StrCat("event at ", kEmbeddedPartition, "@", next,
                                                " is missing (the log ends before offset ", end,
                                                ")"));
      }
    }
    *result.next.add_next() = LogPosition(next);
    return result;
  }

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                          SubscriptionFilter filter,
                                                          EventHandler handler) override {
    if (!handler) return absl::InvalidArgumentError("handler: must be set");
    return std::make_unique<EmbeddedSubscription>(this, NextOffsetIn(from), std::move(filter),
                                                  std::move(handler));
  }

  absl::StatusOr<v1::Checkpoint> EndCheckpoint() override {
    absl::MutexLock lock(&state_mu_);
    v1::Checkpoint checkpoint;
    *checkpoint.add_next() = LogPosition(next_offset_);
    return checkpoint;
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override {
    return LoadCommand(command_id);  // the stored index holds only durable appends
  }

  // Blocks until the log holds an event at `offset` or `timeout` passes.
  void AwaitOffset(int64_t offset, absl::Duration timeout) {
    absl::MutexLock lock(&state_mu_);
    auto ready = [this, offset]()
                     ABSL_SHARED_LOCKS_REQUIRED(state_mu_) { return next_offset_ > offset; };
    state_mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }

 private:
  enum Family { kDefault = 0, kLog = 1, kStreams = 2, kCommands = 3, kHeads = 4 };

  absl::StatusOr<v1::EventEnvelope> ReadAt(int64_t offset) {
    std::string value;
    rocksdb::Status s =
        db_->Get({}, handles_[kLog], BigEndian64(static_cast<uint64_t>(offset)), &value);
    if (s.IsNotFound()) {
      return absl::DataLossError(
          absl::StrCat("event at ", kEmbeddedPartition, "@", offset, " is missing"));
    }
    GL_RETURN_IF_ERROR(FromRocks(s, "reading the log"));
    return OpenRecord(value, LogPosition(offset));
  }

  absl::StatusOr<StreamHead> LoadHeadFromDb(absl::string_view stream_id) {
    std::string value;
    rocksdb::Status s =
        db_->Get({}, handles_[kHeads], rocksdb::Slice(stream_id.data(), stream_id.size()), &value);
    if (s.IsNotFound()) return StreamHead{};
    GL_RETURN_IF_ERROR(FromRocks(s, "reading a stream head"));
    return DecodeHead(value, absl::StrCat("stream ", stream_id));
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LoadCommand(const std::string& command_id) {
    std::string value;
    rocksdb::Status s = db_->Get({}, handles_[kCommands], command_id, &value);
    if (s.IsNotFound()) return std::nullopt;
    GL_RETURN_IF_ERROR(FromRocks(s, "reading the command index"));
    v1::AppendOutcome outcome;
    if (!outcome.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("command ", command_id, ": outcome is corrupted"));
    }
    return outcome;
  }

  void WriterLoop() {
    while (true) {
      std::vector<std::unique_ptr<Pending>> group = queue_.TakeGroup(kMaxGroupRequests);
      if (group.empty()) return;  // closed, and every queued append answered
      CommitGroup(group);
    }
  }

  struct Accepted {
    Pending* pending;
    AppendResult result;
  };

  // A decided group on its way to disk.
  struct DecidedGroup {
    std::vector<std::unique_ptr<Pending>> requests;  // owns what `accepted` points at
    std::vector<Accepted> accepted;
    rocksdb::WriteBatch batch;
    std::vector<std::string> command_ids;
    int64_t next_offset = 0;
  };

  // What the decider reads: the log as it will be once every decided group is
  // durable (decided heads, commands in flight to disk, then the stored ones).
  class DecidedLog final : public internal::LogHeads {
   public:
    explicit DecidedLog(EmbeddedStore* store) : store_(store) {}
    absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
        const std::string& command_id) override {
      return store_->FindCommand(command_id);
    }
    absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) override {
      return store_->DecidedHead(stream_id);
    }
    std::string PartitionHash(int) override { return store_->decided_partition_hash_; }

   private:
    EmbeddedStore* const store_;
  };

  // Decider: decides every request of the group in order against the heads as
  // they will be once every earlier group is durable, seals the accepted
  // events into one WriteBatch, and hands it to the syncer. Deciding group
  // N+1 overlaps with syncing group N.
  void CommitGroup(std::vector<std::unique_ptr<Pending>>& group) {
    {
      absl::MutexLock lock(&sync_mu_);
      if (!broken_.ok()) {
        for (auto& pending : group) pending->promise.set_value(broken_);
        return;
      }
    }
    DecidedLog log(this);
    internal::GroupDecision decision =
        internal::DecideGroup(group, internal::StoreTimestamp(), log);
    std::unique_ptr<DecidedGroup> decided = StageGroup(group, decision);
    if (decided->accepted.empty()) return;
    for (auto& [stream_id, head] : decision.stream_heads) {
      decided_heads_[stream_id] = std::move(head);
    }
    if (auto it = decision.partition_hashes.find(0); it != decision.partition_hashes.end()) {
      decided_partition_hash_ = std::move(it->second);
    }
    decided->batch.Put(handles_[kDefault], kPartitionHeadKey,
                       EncodeHead(decided_offset_, decided_partition_hash_));
    decided->next_offset = decided_offset_;
    decided->requests = std::move(group);
    {
      absl::MutexLock lock(&inflight_mu_);
      for (const Accepted& a : decided->accepted) {
        if (!a.result.deduplicated) inflight_commands_[a.pending->command_id] = a.result.outcome;
      }
    }
    absl::MutexLock lock(&sync_mu_);
    // At most two groups wait for the disk (the syncer takes both at once);
    // beyond that the decider waits and appends queue up into bigger groups.
    auto has_room = [this]()
                        ABSL_SHARED_LOCKS_REQUIRED(sync_mu_) { return sync_queue_.size() < 2; };
    sync_mu_.Await(absl::Condition(&has_room));
    sync_queue_.push_back(std::move(decided));
  }

  // Answers the refused requests of `decision` and writes the others into a
  // new group's batch, giving the appended events their offsets from
  // decided_offset_ on. Deduplicated requests are answered with the first
  // outcome, after the group syncs (so after the first append is durable).
  std::unique_ptr<DecidedGroup> StageGroup(std::vector<std::unique_ptr<Pending>>& group,
                                           internal::GroupDecision& decision) {
    auto decided = std::make_unique<DecidedGroup>();
    std::vector<int> accepted_index(group.size(), -1);  // request → its entry in `accepted`
    for (size_t i = 0; i < group.size(); ++i) {
      Pending* pending = group[i].get();
      internal::Decision& d = decision.decisions[i];
      switch (d.kind) {
        case internal::Decision::Kind::kRefused:
          pending->promise.set_value(std::move(d.refusal));
          continue;
        case internal::Decision::Kind::kDeduplicated: {
          v1::AppendOutcome first =
              d.first_request >= 0
                  ? decided->accepted[accepted_index[d.first_request]].result.outcome
                  : std::move(d.outcome);
          decided->accepted.push_back({pending, AppendResult{std::move(first), true}});
          break;
        }
        case internal::Decision::Kind::kAppended:
          decided->command_ids.push_back(pending->command_id);
          decided->accepted.push_back({pending, WriteAppend(*pending, d, decided->batch)});
          break;
      }
      accepted_index[i] = static_cast<int>(decided->accepted.size()) - 1;
    }
    return decided;
  }

  // Puts one appended request into `batch`: its events at the next offsets,
  // its stream index entries, its stream head and its command's outcome.
  AppendResult WriteAppend(const Pending& request, internal::Decision& decision,
                           rocksdb::WriteBatch& batch) {
    AppendResult result{std::move(decision.outcome), false};
    for (internal::SealedEvent& event : decision.events) {
      const std::string offset = BigEndian64(static_cast<uint64_t>(decided_offset_));
      batch.Put(handles_[kLog], offset, event.record_bytes);
      batch.Put(handles_[kStreams], StreamKey(request.stream_id, event.version), offset);
      *result.outcome.add_positions() = LogPosition(decided_offset_);
      ++decided_offset_;
    }
    batch.Put(handles_[kHeads], request.stream_id,
              EncodeHead(decision.head.version, decision.head.hash));
    batch.Put(handles_[kCommands], request.command_id, result.outcome.SerializeAsString());
    return result;
  }

  // Syncer: writes every decided group waiting, in order, and syncs once for
  // all of them (unsynced writes, then the last one synced: a WAL sync covers
  // everything written before it); publishes the new log end and answers the
  // groups' callers.
  void SyncLoop() {
    while (true) {
      std::vector<std::unique_ptr<DecidedGroup>> groups;
      absl::Status broken;
      {
        absl::MutexLock lock(&sync_mu_);
        auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(sync_mu_) {
          return decider_done_ || !sync_queue_.empty();
        };
        sync_mu_.Await(absl::Condition(&has_work));
        if (sync_queue_.empty()) return;
        while (!sync_queue_.empty()) {
          groups.push_back(std::move(sync_queue_.front()));
          sync_queue_.pop_front();
        }
        broken = broken_;
      }
      absl::Status written = broken;
      rocksdb::WriteOptions unsynced;
      for (size_t i = 0; i < groups.size() && written.ok(); ++i) {
        const bool last = i + 1 == groups.size();
        written = FromRocks(db_->Write(last ? sync_write_ : unsynced, &groups[i]->batch),
                            "appending to the log");
      }
      if (!written.ok()) {
        // Later groups were decided on top of these: nothing after them may
        // be written, and the decided state is no longer the disk's.
        absl::MutexLock lock(&sync_mu_);
        if (broken_.ok()) {
          broken_ = absl::UnavailableError(
              absl::StrCat(written.message(), "; the embedded store stopped writing: reopen it"));
        }
        for (auto& group : groups) {
          for (Accepted& a : group->accepted) a.pending->promise.set_value(broken_);
        }
        continue;
      }
      {
        absl::MutexLock lock(&state_mu_);
        next_offset_ = groups.back()->next_offset;
      }
      {
        absl::MutexLock lock(&inflight_mu_);
        for (auto& group : groups) {
          for (const std::string& id : group->command_ids) inflight_commands_.erase(id);
        }
      }
      for (auto& group : groups) {
        for (Accepted& a : group->accepted) a.pending->promise.set_value(std::move(a.result));
      }
    }
  }

  // A command's first outcome: in flight to disk, or stored.
  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(const std::string& command_id) {
    {
      absl::MutexLock lock(&inflight_mu_);
      auto it = inflight_commands_.find(command_id);
      if (it != inflight_commands_.end()) return it->second;
    }
    // The syncer erases an id only after its batch is written, so a miss
    // above means the stored index has it (or it was never appended).
    return LoadCommand(command_id);
  }

  // The head a stream will have once every decided group is durable.
  absl::StatusOr<StreamHead> DecidedHead(const std::string& stream_id) {
    auto it = decided_heads_.find(stream_id);
    if (it != decided_heads_.end()) return it->second;
    GL_ASSIGN_OR_RETURN(StreamHead head, LoadHeadFromDb(stream_id));
    return decided_heads_.emplace(stream_id, std::move(head)).first->second;
  }

  const std::unique_ptr<rocksdb::DB> db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const StoreOptions options_;
  rocksdb::WriteOptions sync_write_;

  internal::AppendQueue queue_{"embedded store is closing"};

  // The decider's view: what the log will hold once every decided group is
  // durable. Touched only by the writer (decider) thread.
  int64_t decided_offset_;
  std::string decided_partition_hash_;
  absl::flat_hash_map<std::string, StreamHead> decided_heads_;

  absl::Mutex inflight_mu_;
  absl::flat_hash_map<std::string, v1::AppendOutcome> inflight_commands_
      ABSL_GUARDED_BY(inflight_mu_);

  absl::Mutex sync_mu_;
  std::deque<std::unique_ptr<DecidedGroup>> sync_queue_ ABSL_GUARDED_BY(sync_mu_);
  bool decider_done_ ABSL_GUARDED_BY(sync_mu_) = false;
  absl::Status broken_ ABSL_GUARDED_BY(sync_mu_);

  // The durable end of the log, published by the syncer.
  absl::Mutex state_mu_;
  int64_t next_offset_ ABSL_GUARDED_BY(state_mu_);

  std::thread writer_;
  std::thread syncer_;
};

absl::Status EmbeddedSubscription::Deliver() {
  constexpr int64_t kChunk = 1024;
  while (!stopping()) {
    v1::Checkpoint from;
    *from.add_next() = LogPosition(next_.load());
    GL_ASSIGN_OR_RETURN(ReadAllResult chunk, store_->ReadAll(from, kChunk));
    for (const v1::EventEnvelope& event : chunk.events) {
      if (stopping()) break;
      if (filter_.Matches(event)) GL_RETURN_IF_ERROR(handler_(event));
      next_.store(event.position().offset() + 1);
    }
    if (chunk.events.empty()) store_->AwaitOffset(next_.load(), absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedStore(const std::string& path,
                                                              const StoreOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("store: embedded store needs a path");
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 64 << 20;
  // Every append looks up its command id and (on a cache miss) its stream
  // head, almost always finding nothing: bloom filters, in SST files and in
  // the memtable, answer those misses without a search.
  rocksdb::ColumnFamilyOptions lookup_options = cf_options;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  lookup_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  lookup_options.memtable_whole_key_filtering = true;
  lookup_options.memtable_prefix_bloom_size_ratio = 0.02;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"log", cf_options},
      {"streams", cf_options},
      {"commands", lookup_options},
      {"heads", lookup_options},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, families, &handles, &raw_db);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(
          absl::StrCat("store: embedded store ", path,
                       " is locked by another process or open store (", s.ToString(), ")"));
    }
    return FromRocks(s, absl::StrCat("store: opening embedded store ", path));
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::string head_value;
  StreamHead partition_head;
  s = db->Get({}, handles[0], kPartitionHeadKey, &head_value);
  absl::Status status;
  if (s.ok()) {
    absl::StatusOr<StreamHead> decoded = DecodeHead(head_value, "the log partition");
    if (decoded.ok()) {
      partition_head = *std::move(decoded);
    } else {
      status = decoded.status();
    }
  } else if (!s.IsNotFound()) {
    status = FromRocks(s, "reading the partition head");
  }
  if (!status.ok()) {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    return status;
  }
  return std::make_unique<EmbeddedStore>(std::move(db), std::move(handles), options,
                                         std::move(partition_head));
}

}  // namespace gridledger::eventstore
