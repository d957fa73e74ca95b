#include "eventstore/internal/embedded_log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/big_endian.h"
#include "common/rocksdb_logger.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/index_check.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/subscription_thread.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace gridledger::eventstore::internal {
namespace {

int64_t NextOffsetIn(const v1::Checkpoint& checkpoint) {
  for (const v1::Position& p : checkpoint.next()) {
    if (p.partition() == kEmbeddedPartition) return p.offset();
  }
  return 0;
}

absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// Catch-up then live delivery on its own thread: reads the log in chunks and,
// at its end, waits for the log to grow.
class EmbeddedSubscription final : public SubscriptionThread {
 public:
  EmbeddedSubscription(EmbeddedLog* log, int64_t from, SubscriptionFilter filter,
                       EventHandler handler)
      : log_(log), next_(from), filter_(std::move(filter)), handler_(std::move(handler)) {
    Start();
  }
  ~EmbeddedSubscription() override { StopAndJoin(); }
  v1::Checkpoint Resume() const override {
    v1::Checkpoint checkpoint;
    *checkpoint.add_next() = EmbeddedPosition(next_.load());
    return checkpoint;
  }

 private:
  absl::Status Deliver() override {
    constexpr int64_t kChunk = 1024;
    while (!stopping()) {
      v1::Checkpoint from;
      *from.add_next() = EmbeddedPosition(next_.load());
      GL_ASSIGN_OR_RETURN(ReadAllResult chunk, log_->ReadAll(from, kChunk));
      for (const v1::EventEnvelope& event : chunk.events) {
        if (stopping()) break;
        if (filter_.Matches(event)) GL_RETURN_IF_ERROR(handler_(event));
        next_.store(event.position().offset() + 1);
      }
      if (chunk.events.empty()) log_->AwaitOffset(next_.load(), absl::Milliseconds(100));
    }
    return absl::OkStatus();
  }

  EmbeddedLog* const log_;
  std::atomic<int64_t> next_;
  const SubscriptionFilter filter_;
  const EventHandler handler_;
};

absl::StatusOr<StreamHead> ReadPartitionHead(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family) {
  std::string value;
  rocksdb::Status s = db.Get({}, family, kPartitionHeadKey, &value);
  if (s.IsNotFound()) return StreamHead{};
  GL_RETURN_IF_ERROR(FromRocks(s, "reading the partition head"));
  return DecodeHead(value, "the log partition");
}

// The read-only store: a RocksDB secondary instance that catches up with the
// writer's files (manifest and write-ahead log) before reads, at most every
// kRefreshEvery.
class EmbeddedReadOnly final : public EmbeddedLog {
 public:
  explicit EmbeddedReadOnly(EmbeddedDb db) : EmbeddedLog(std::move(db)) {}

  absl::StatusOr<AppendResult> Append(AppendRequest) override {
    return absl::FailedPreconditionError(
        "store: opened read-only; appends go through the serving process");
  }

  absl::Status CheckWritable(absl::Duration) override {
    return absl::FailedPreconditionError("store: opened read-only");
  }

  void AwaitOffset(int64_t offset, absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline && EndOffset() <= offset) {
      absl::SleepFor(std::min(kRefreshEvery, deadline - absl::Now()));
    }
  }

 protected:
  absl::Status Refresh() override {
    if (holding_still() > 0) return absl::OkStatus();
    absl::MutexLock lock(&refresh_mu_);
    const absl::Time now = absl::Now();
    if (now - refreshed_at_ < kRefreshEvery) return absl::OkStatus();
    refreshed_at_ = now;
    GL_RETURN_IF_ERROR(
        FromRocks(db()->TryCatchUpWithPrimary(), "store: catching up with the writer"));
    GL_ASSIGN_OR_RETURN(StreamHead head, ReadPartitionHead(*db(), family(kDefaultFamily)));
    PublishEnd(head.version);
    return absl::OkStatus();
  }

 private:
  static constexpr absl::Duration kRefreshEvery = absl::Milliseconds(50);

  int64_t EndOffset() {
    absl::StatusOr<v1::Checkpoint> end = EndCheckpoint();  // refreshes
    return end.ok() ? NextOffsetIn(*end) : 0;
  }

  absl::Mutex refresh_mu_;
  absl::Time refreshed_at_ ABSL_GUARDED_BY(refresh_mu_) = absl::InfinitePast();
};

}  // namespace

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

v1::Position EmbeddedPosition(int64_t offset) {
  v1::Position position;
  position.set_partition(kEmbeddedPartition);
  position.set_offset(offset);
  return position;
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(doing, ": ", s.ToString()));
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(absl::StrCat(doing, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(doing, ": ", s.ToString()));
}

absl::StatusOr<EmbeddedDb> OpenEmbeddedDb(const std::string& path, bool read_only,
                                          std::shared_ptr<rocksdb::Env> env) {
  return OpenEmbeddedDbAs(path, read_only ? OpenMode::kSecondary : OpenMode::kWrite,
                          std::move(env));
}

absl::StatusOr<EmbeddedDb> OpenEmbeddedDbAs(const std::string& path, OpenMode mode,
                                            std::shared_ptr<rocksdb::Env> env) {
  if (path.empty()) return absl::InvalidArgumentError("store: embedded store needs a path");
  const bool writing = mode == OpenMode::kWrite || mode == OpenMode::kReopenForWriting;
  const bool read_only = !writing;
  rocksdb::DBOptions db_options;
  if (env != nullptr) db_options.env = env.get();
  // Diagnostics to stderr, never a LOG file on the store's disk (a full disk
  // would abort RocksDB's file logger: common/rocksdb_logger.h).
  db_options.info_log = NewRocksDbLogger(read_only ? "store (read-only)" : "store");
  db_options.create_if_missing = mode == OpenMode::kWrite;
  db_options.create_missing_column_families = mode == OpenMode::kWrite;
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
  if (mode == OpenMode::kWrite) {
    // RocksDB makes a missing directory too (one level), but first logs its
    // absence as an error: made here, a first start logs nothing alarming.
    std::error_code ignored;
    std::filesystem::create_directory(path, ignored);
  }
  EmbeddedDb opened;
  opened.env = std::move(env);
  opened.path = path;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s;
  if (mode == OpenMode::kSecondary) {
    std::error_code error;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", error)) {
      return absl::NotFoundError(absl::StrCat("store: no embedded store at ", path));
    }
    // A secondary keeps every file open so the writer's compactions cannot
    // pull them away mid-read.
    db_options.max_open_files = -1;
    std::string scratch =
        (std::filesystem::temp_directory_path() / "gridledger-reader-XXXXXX").string();
    if (mkdtemp(scratch.data()) == nullptr) {
      return absl::UnavailableError("store: cannot make a scratch directory for a read-only open");
    }
    opened.scratch_dir = scratch;
    s = rocksdb::DB::OpenAsSecondary(db_options, path, scratch, families, &opened.handles, &raw_db);
  } else if (mode == OpenMode::kReadOnlyFallback) {
    s = rocksdb::DB::OpenForReadOnly(db_options, path, families, &opened.handles, &raw_db);
  } else {
    s = rocksdb::DB::Open(db_options, path, families, &opened.handles, &raw_db);
  }
  if (!s.ok()) {
    if (!opened.scratch_dir.empty()) std::filesystem::remove_all(opened.scratch_dir);
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store: embedded store ", path, " is locked by another process or open store (",
          s.ToString(), "); tools that only read open it read-only beside it"));
    }
    return FromRocks(s, absl::StrCat("store: opening embedded store ", path));
  }
  opened.db.reset(raw_db);
  absl::StatusOr<StreamHead> head = ReadPartitionHead(*opened.db, opened.handles[kDefaultFamily]);
  if (!head.ok()) {
    for (auto* handle : opened.handles) {
      opened.db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    opened.db.reset();
    if (!opened.scratch_dir.empty()) std::filesystem::remove_all(opened.scratch_dir);
    return head.status();
  }
  opened.partition_head = *std::move(head);
  return opened;
}

EmbeddedLog::EmbeddedLog(EmbeddedDb&& db)
    : env_(std::move(db.env)),
      path_(std::move(db.path)),
      db_(std::move(db.db)),
      handles_(std::move(db.handles)),
      scratch_dir_(std::move(db.scratch_dir)),
      next_offset_(db.partition_head.version) {}

EmbeddedLog::~EmbeddedLog() {
  CloseDatabase();
  if (!scratch_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_dir_, ignored);
  }
}

void EmbeddedLog::CloseDatabase() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    // Closing handles; nothing to do if it fails.
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  handles_.clear();
  db_->Close().PermitUncheckedError();  // best effort: what was acknowledged is synced
  db_.reset();
}

absl::Status EmbeddedLog::CheckOpen() const {
  if (db_ != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("store: the embedded store is closed: reopening it after a failed write "
                   "failed (",
                   reopen_failure_, "); it is tried again every second"));
}

absl::StatusOr<StreamHead> EmbeddedLog::ReopenForWriting() {
  absl::MutexLock lock(&db_mu_);
  CloseDatabase();
  absl::StatusOr<EmbeddedDb> reopened = OpenEmbeddedDbAs(path_, OpenMode::kReopenForWriting, env_);
  if (reopened.ok()) {
    db_ = std::move(reopened->db);
    handles_ = std::move(reopened->handles);
    reopen_failure_.clear();
    return std::move(reopened->partition_head);
  }
  reopen_failure_ = reopened.status().ToString();
  if (absl::IsFailedPrecondition(reopened.status())) return reopened.status();  // taken
  // Readers keep a database: the same files, read-only.
  absl::StatusOr<EmbeddedDb> readable = OpenEmbeddedDbAs(path_, OpenMode::kReadOnlyFallback, env_);
  if (readable.ok()) {
    db_ = std::move(readable->db);
    handles_ = std::move(readable->handles);
  } else {
    absl::StrAppend(&reopen_failure_, "; read-only too: ", readable.status().ToString());
  }
  return reopened.status();
}

int64_t EmbeddedLog::PublishedEnd() {
  absl::MutexLock lock(&state_mu_);
  return next_offset_;
}

void EmbeddedLog::PublishEnd(int64_t next_offset) {
  absl::MutexLock lock(&state_mu_);
  next_offset_ = std::max(next_offset_, next_offset);
}

absl::StatusOr<std::vector<v1::EventEnvelope>> EmbeddedLog::ReadStreamRange(
    absl::string_view stream_id, int64_t from_version, int64_t max_count) {
  if (from_version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_version: must be at least 1, got ", from_version));
  }
  absl::ReaderMutexLock lock(&db_mu_);
  GL_ASSIGN_OR_RETURN(int64_t current, StreamVersionLocked(stream_id));
  std::vector<v1::EventEnvelope> events;
  if (from_version > current || max_count <= 0) return events;
  const int64_t last = std::min(current, from_version + std::min(max_count, current) - 1);
  StreamChainChecker chain(stream_id, from_version);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kStreamsFamily]));
  const std::string prefix = StreamKey(stream_id, 0).substr(0, stream_id.size() + 1);
  for (it->Seek(StreamKey(stream_id, from_version));
       it->Valid() && chain.next_version() <= last && it->key().starts_with(prefix); it->Next()) {
    std::optional<uint64_t> version = ReadBigEndian64(View(it->key()).substr(prefix.size()));
    std::optional<uint64_t> offset = ReadBigEndian64(View(it->value()));
    if (!version || !offset || static_cast<int64_t>(*version) != chain.next_version()) {
      return absl::DataLossError(absl::StrCat("stream ", stream_id, ": version ",
                                              chain.next_version(), " is missing from the index"));
    }
    GL_ASSIGN_OR_RETURN(v1::EventEnvelope event, ReadAt(static_cast<int64_t>(*offset)));
    GL_RETURN_IF_ERROR(chain.Next(event));
    events.push_back(std::move(event));
  }
  GL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));
  if (chain.next_version() <= last) {
    return absl::DataLossError(absl::StrCat("stream ", stream_id, ": version ",
                                            chain.next_version(), " of ", current, " is missing"));
  }
  return events;
}

absl::StatusOr<int64_t> EmbeddedLog::StreamVersion(absl::string_view stream_id) {
  absl::ReaderMutexLock lock(&db_mu_);
  return StreamVersionLocked(stream_id);
}

absl::StatusOr<int64_t> EmbeddedLog::StreamVersionLocked(absl::string_view stream_id) {
  GL_RETURN_IF_ERROR(CheckOpen());
  GL_RETURN_IF_ERROR(Refresh());
  // The stored head is the durable one (a writer's decided head may be ahead).
  GL_ASSIGN_OR_RETURN(StreamHead head, LoadHeadFromDb(stream_id));
  return head.version;
}

absl::StatusOr<ReadAllResult> EmbeddedLog::ReadAll(const v1::Checkpoint& from, int64_t max_count) {
  const int64_t start = NextOffsetIn(from);
  if (start < 0) return absl::InvalidArgumentError("from: offsets must not be negative");
  absl::ReaderMutexLock lock(&db_mu_);
  GL_RETURN_IF_ERROR(CheckOpen());
  GL_RETURN_IF_ERROR(Refresh());
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
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kLogFamily]));
    for (it->Seek(BigEndian64(static_cast<uint64_t>(start))); it->Valid(); it->Next()) {
      std::optional<uint64_t> offset = ReadBigEndian64(View(it->key()));
      if (!offset || static_cast<int64_t>(*offset) != next) {
        return absl::DataLossError(absl::StrCat("event at ", kEmbeddedPartition, "@", next,
                                                " is missing (next stored offset is ",
                                                offset ? static_cast<int64_t>(*offset) : -1, ")"));
      }
      GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                          OpenRecord(View(it->value()), EmbeddedPosition(next)));
      GL_RETURN_IF_ERROR(CheckPartitionLink(event, prev_partition_hash));
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
  *result.next.add_next() = EmbeddedPosition(next);
  return result;
}

absl::StatusOr<std::unique_ptr<Subscription>> EmbeddedLog::Subscribe(const v1::Checkpoint& from,
                                                                     SubscriptionFilter filter,
                                                                     EventHandler handler) {
  if (!handler) return absl::InvalidArgumentError("handler: must be set");
  return std::make_unique<EmbeddedSubscription>(this, NextOffsetIn(from), std::move(filter),
                                                std::move(handler));
}

absl::StatusOr<v1::Checkpoint> EmbeddedLog::EndCheckpoint() {
  {
    absl::ReaderMutexLock lock(&db_mu_);
    GL_RETURN_IF_ERROR(CheckOpen());
    GL_RETURN_IF_ERROR(Refresh());
  }
  absl::MutexLock lock(&state_mu_);
  v1::Checkpoint checkpoint;
  *checkpoint.add_next() = EmbeddedPosition(next_offset_);
  return checkpoint;
}

absl::StatusOr<std::optional<v1::AppendOutcome>> EmbeddedLog::LookupCommand(
    const std::string& command_id) {
  absl::ReaderMutexLock lock(&db_mu_);
  GL_RETURN_IF_ERROR(Refresh());
  return LoadCommand(command_id);  // the stored index holds only durable appends
}

void EmbeddedLog::AwaitOffset(int64_t offset, absl::Duration timeout) {
  absl::MutexLock lock(&state_mu_);
  auto ready = [this, offset]()
                   ABSL_SHARED_LOCKS_REQUIRED(state_mu_) { return next_offset_ > offset; };
  state_mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
}

absl::StatusOr<v1::EventEnvelope> EmbeddedLog::ReadAt(int64_t offset) {
  GL_RETURN_IF_ERROR(CheckOpen());
  std::string value;
  rocksdb::Status s =
      db_->Get({}, handles_[kLogFamily], BigEndian64(static_cast<uint64_t>(offset)), &value);
  if (s.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("event at ", kEmbeddedPartition, "@", offset, " is missing"));
  }
  GL_RETURN_IF_ERROR(FromRocks(s, "reading the log"));
  return OpenRecord(value, EmbeddedPosition(offset));
}

absl::StatusOr<StreamHead> EmbeddedLog::LoadHeadFromDb(absl::string_view stream_id) {
  GL_RETURN_IF_ERROR(CheckOpen());
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[kHeadsFamily],
                               rocksdb::Slice(stream_id.data(), stream_id.size()), &value);
  if (s.IsNotFound()) return StreamHead{};
  GL_RETURN_IF_ERROR(FromRocks(s, "reading a stream head"));
  return DecodeHead(value, absl::StrCat("stream ", stream_id));
}

absl::StatusOr<std::optional<v1::AppendOutcome>> EmbeddedLog::LoadCommand(
    const std::string& command_id) {
  GL_RETURN_IF_ERROR(CheckOpen());
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[kCommandsFamily], command_id, &value);
  if (s.IsNotFound()) return std::nullopt;
  GL_RETURN_IF_ERROR(FromRocks(s, "reading the command index"));
  v1::AppendOutcome outcome;
  if (!outcome.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("command ", command_id, ": outcome is corrupted"));
  }
  return outcome;
}

namespace {

// The stream heads family against the heads the log ends each stream with
// (`heads`; each marked seen by partition = -1).
absl::Status CheckHeadEntries(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                              absl::flat_hash_map<std::string, StreamHead>& heads,
                              Discrepancies& found) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator({}, family));
  for (it->SeekToFirst(); it->Valid() && !found.full(); it->Next()) {
    const std::string stream(View(it->key()));
    auto logged = heads.find(stream);
    absl::StatusOr<StreamHead> head = DecodeHead(View(it->value()), "stream " + stream);
    if (logged == heads.end()) {
      found.Add("heads", stream, "not in the log");
      continue;
    }
    if (!head.ok() || head->version != logged->second.version ||
        head->hash != logged->second.hash) {
      found.Add(
          "heads", stream,
          absl::StrCat(
              "says version ", head.ok() ? head->version : -1,
              "; the log ends the stream at version ", logged->second.version,
              head.ok() && head->version == logged->second.version ? " with another hash" : ""));
    }
    logged->second.partition = -1;  // seen
  }
  GL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream heads"));
  for (const auto& [stream, head] : heads) {
    if (head.partition != -1 && !found.full()) found.Add("heads", stream, "missing");
  }
  return absl::OkStatus();
}

// Stream index entries past the end of their stream in the log.
absl::Status CheckStreamEntries(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                                const absl::flat_hash_map<std::string, StreamHead>& heads,
                                Discrepancies& found) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator({}, family));
  for (it->SeekToFirst(); it->Valid() && !found.full(); it->Next()) {
    const absl::string_view key = View(it->key());
    const size_t zero = key.find('\0');
    std::optional<uint64_t> version =
        zero == absl::string_view::npos ? std::nullopt : ReadBigEndian64(key.substr(zero + 1));
    auto logged = zero == absl::string_view::npos ? heads.end()
                                                  : heads.find(std::string(key.substr(0, zero)));
    if (!version || logged == heads.end() ||
        static_cast<int64_t>(*version) > logged->second.version) {
      found.Add(
          "streams",
          absl::StrCat(key.substr(0, zero), "@", version ? static_cast<int64_t>(*version) : -1),
          "not in the log");
    }
  }
  return FromRocks(it->status(), "reading the stream index");
}

// Command index entries whose first position holds no event of that
// command (`reported`: already found wrong).
absl::Status CheckCommandEntries(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
    const absl::flat_hash_set<std::string>& reported,
    const std::function<absl::StatusOr<v1::EventEnvelope>(int64_t)>& read_at,
    Discrepancies& found) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator({}, family));
  for (it->SeekToFirst(); it->Valid() && !found.full(); it->Next()) {
    v1::AppendOutcome outcome;
    const std::string command(View(it->key()));
    bool in_log =
        outcome.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) &&
        outcome.positions_size() > 0;
    if (in_log) {
      absl::StatusOr<v1::EventEnvelope> first = read_at(outcome.positions(0).offset());
      in_log = first.ok() && first->command_id() == command;
    }
    if (!in_log && !reported.contains(command)) found.Add("commands", command, "not in the log");
  }
  return FromRocks(it->status(), "reading the command index");
}

}  // namespace

absl::StatusOr<std::vector<IndexDiscrepancy>> EmbeddedLog::CheckIndexes(int64_t limit) {
  Discrepancies found(limit);
  GL_ASSIGN_OR_RETURN(const v1::Checkpoint until, EndCheckpoint());  // caught up once
  hold_still_.fetch_add(1);
  struct Release {
    std::atomic<int>& count;
    ~Release() { count.fetch_sub(1); }
  } release{hold_still_};
  // What the log says each stream's head is, and each append's outcome.
  absl::flat_hash_map<std::string, StreamHead> heads;
  AppendFolder appends;
  absl::flat_hash_set<std::string> reported_commands;  // found wrong while walking
  auto check_command = [&](const std::optional<AppendFolder::Append>& append) -> absl::Status {
    if (!append) return absl::OkStatus();
    const std::string& command = append->command_id;
    GL_ASSIGN_OR_RETURN(std::optional<v1::AppendOutcome> stored, LoadCommand(command));
    if (!stored) {
      found.Add("commands", command,
                absl::StrCat("missing (the log has ", PrintedOutcome(append->outcome), ")"));
    } else if (!SameOutcome(*stored, append->outcome)) {
      found.Add("commands", command,
                absl::StrCat("says ", PrintedOutcome(*stored), "; the log has ",
                             PrintedOutcome(append->outcome)));
      reported_commands.insert(command);
    }
    return absl::OkStatus();
  };
  v1::Checkpoint next;
  while (!ReachedAll(next, until) && !found.full()) {
    GL_ASSIGN_OR_RETURN(ReadAllResult chunk, ReadAll(next, 4096));
    if (chunk.events.empty()) break;
    absl::ReaderMutexLock lock(&db_mu_);
    GL_RETURN_IF_ERROR(CheckOpen());
    for (const v1::EventEnvelope& event : chunk.events) {
      const int64_t offset = event.position().offset();
      std::string value;
      rocksdb::Status s = db_->Get({}, handles_[kStreamsFamily],
                                   StreamKey(event.stream_id(), event.stream_version()), &value);
      const std::string key = absl::StrCat(event.stream_id(), "@", event.stream_version());
      if (s.IsNotFound()) {
        found.Add("streams", key, absl::StrCat("missing (the log has it at offset ", offset, ")"));
      } else {
        GL_RETURN_IF_ERROR(FromRocks(s, "reading the stream index"));
        std::optional<uint64_t> indexed = ReadBigEndian64(value);
        if (!indexed || static_cast<int64_t>(*indexed) != offset) {
          found.Add("streams", key,
                    absl::StrCat("points at offset ", indexed ? static_cast<int64_t>(*indexed) : -1,
                                 "; the log has it at ", offset));
        }
      }
      heads[event.stream_id()] = StreamHead{event.stream_version(), event.hash(), 0};
      GL_RETURN_IF_ERROR(check_command(appends.Add(event)));
    }
    next = std::move(chunk.next);
  }
  absl::ReaderMutexLock lock(&db_mu_);
  GL_RETURN_IF_ERROR(CheckOpen());
  GL_RETURN_IF_ERROR(check_command(appends.Finish()));

  // Events past the end the partition head records are invisible to reads.
  const int64_t end = until.next_size() > 0 ? until.next(0).offset() : 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kLogFamily]));
  it->Seek(BigEndian64(static_cast<uint64_t>(end)));
  if (it->Valid() && !found.full()) {
    std::optional<uint64_t> beyond = ReadBigEndian64(View(it->key()));
    found.Add("heads", kPartitionHeadKey,
              absl::StrCat("says the log ends at offset ", end, "; it holds an event at ",
                           beyond ? static_cast<int64_t>(*beyond) : -1));
  }

  // Entries the log does not have, or heads that differ from it.
  GL_RETURN_IF_ERROR(CheckHeadEntries(*db_, handles_[kHeadsFamily], heads, found));
  GL_RETURN_IF_ERROR(CheckStreamEntries(*db_, handles_[kStreamsFamily], heads, found));
  GL_RETURN_IF_ERROR(CheckCommandEntries(
      *db_, handles_[kCommandsFamily], reported_commands,
      [this](int64_t offset) { return ReadAt(offset); }, found));
  return found.Take();
}

namespace {

// A store opened only to rebuild its indexes: reads through EmbeddedLog,
// writes the index families directly.
class EmbeddedReindexer final : public EmbeddedLog {
 public:
  explicit EmbeddedReindexer(EmbeddedDb db) : EmbeddedLog(std::move(db)) {}

  absl::StatusOr<AppendResult> Append(AppendRequest) override {
    return absl::FailedPreconditionError("store: open for reindexing");
  }

  absl::StatusOr<int64_t> Rebuild(const std::function<void(int64_t)>& progress) {
    // Everything the log does not say goes first.
    for (EmbeddedFamily f : {kStreamsFamily, kCommandsFamily, kHeadsFamily}) {
      std::unique_ptr<rocksdb::Iterator> it(db()->NewIterator({}, family(f)));
      rocksdb::WriteBatch batch;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        batch.Delete(family(f), it->key());
        if (batch.Count() >= 10000) GL_RETURN_IF_ERROR(Write(batch));
      }
      GL_RETURN_IF_ERROR(FromRocks(it->status(), "reindex: reading an index"));
      GL_RETURN_IF_ERROR(Write(batch));
    }
    // Then the log's own account, with the partition head last.
    int64_t events = 0;
    v1::Checkpoint next;
    StreamHead partition;
    absl::flat_hash_map<std::string, StreamHead> heads;
    AppendFolder appends;
    rocksdb::WriteBatch batch;
    auto put_command = [&](const std::optional<AppendFolder::Append>& append) {
      if (append) {
        batch.Put(family(kCommandsFamily), append->command_id, append->outcome.SerializeAsString());
      }
    };
    // Scans every stored event, whatever the partition head says.
    std::unique_ptr<rocksdb::Iterator> last(db()->NewIterator({}, family(kLogFamily)));
    last->SeekToLast();
    const int64_t stored_end =
        last->Valid() ? static_cast<int64_t>(ReadBigEndian64(View(last->key())).value_or(0)) + 1
                      : 0;
    last.reset();
    PublishEnd(stored_end);
    while (true) {
      GL_ASSIGN_OR_RETURN(ReadAllResult chunk, ReadAll(next, 4096));
      if (chunk.events.empty()) break;
      for (const v1::EventEnvelope& event : chunk.events) {
        const std::string offset = BigEndian64(static_cast<uint64_t>(event.position().offset()));
        batch.Put(family(kStreamsFamily), StreamKey(event.stream_id(), event.stream_version()),
                  offset);
        heads[event.stream_id()] = StreamHead{event.stream_version(), event.hash(), 0};
        put_command(appends.Add(event));
        partition = StreamHead{event.position().offset() + 1, event.partition_hash(), 0};
        ++events;
      }
      if (batch.Count() >= 10000) GL_RETURN_IF_ERROR(Write(batch));
      next = std::move(chunk.next);
      if (progress) progress(events);
    }
    put_command(appends.Finish());
    for (const auto& [stream, head] : heads) {
      batch.Put(family(kHeadsFamily), stream, EncodeHead(head.version, head.hash));
    }
    batch.Put(family(kDefaultFamily), kPartitionHeadKey,
              EncodeHead(partition.version, partition.hash));
    GL_RETURN_IF_ERROR(Write(batch));
    return events;
  }

 private:
  absl::Status Write(rocksdb::WriteBatch& batch) {
    rocksdb::WriteOptions synced;
    synced.sync = true;
    absl::Status written = FromRocks(db()->Write(synced, &batch), "reindex: writing");
    batch.Clear();
    return written;
  }
};

}  // namespace

absl::StatusOr<int64_t> RebuildEmbeddedIndexes(const std::string& path,
                                               const std::function<void(int64_t)>& progress) {
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", error)) {
    return absl::NotFoundError(absl::StrCat("store: no embedded store at ", path));
  }
  GL_ASSIGN_OR_RETURN(EmbeddedDb db, OpenEmbeddedDb(path, /*read_only=*/false));
  EmbeddedReindexer reindexer(std::move(db));
  return reindexer.Rebuild(progress);
}

absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedReadOnly(
    const std::string& path, std::shared_ptr<rocksdb::Env> env) {
  GL_ASSIGN_OR_RETURN(EmbeddedDb db, OpenEmbeddedDb(path, /*read_only=*/true, std::move(env)));
  return std::make_unique<EmbeddedReadOnly>(std::move(db));
}

}  // namespace gridledger::eventstore::internal
