#include "projections/runtime/projection.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/rocksdb_logger.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace gridledger::projections {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(doing, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(doing, ": ", s.ToString()));
}

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

int64_t NextOffset(const v1::Checkpoint& checkpoint, const std::string& partition) {
  for (const v1::Position& p : checkpoint.next()) {
    if (p.partition() == partition) return p.offset();
  }
  return 0;
}

// A Get's answer parsed into `message`: false when the key was absent.
absl::StatusOr<bool> ParseFound(absl::string_view key, const absl::StatusOr<std::string>& value,
                                google::protobuf::MessageLite* message) {
  if (absl::IsNotFound(value.status())) return false;
  if (!value.ok()) return value.status();
  if (!message->ParseFromString(*value)) {
    return absl::DataLossError(absl::StrCat("view record ", key, " does not parse"));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ViewTxn::Get(absl::string_view key) const {
  auto staged = staged_.find(key);
  if (staged != staged_.end()) {
    if (!staged->second) return absl::NotFoundError(absl::StrCat("no view key ", key));
    return *staged->second;
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no view key ", key));
  if (!s.ok()) return FromRocks(s, "reading the view");
  return value;
}

void ViewTxn::Put(absl::string_view key, absl::string_view value) {
  staged_.insert_or_assign(std::string(key), std::string(value));
}

void ViewTxn::Delete(absl::string_view key) {
  staged_.insert_or_assign(std::string(key), std::nullopt);
}

absl::StatusOr<std::vector<std::string>> ViewTxn::Keys(absl::string_view prefix) const {
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
       it->Next()) {
    const std::string key = it->key().ToString();
    if (!staged_.contains(key)) keys.push_back(key);
  }
  GL_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the view"));
  for (const auto& [key, value] : staged_) {
    if (value && absl::StartsWith(key, prefix)) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void ViewTxn::WriteTo(rocksdb::WriteBatch* batch) const {
  // A WriteBatch Put fails only for oversize entries (> 4 GiB).
  for (const auto& [key, value] : staged_) {
    if (value) {
      batch->Put(key, *value).PermitUncheckedError();
    } else {
      batch->Delete(key).PermitUncheckedError();
    }
  }
}

absl::StatusOr<bool> ViewTxn::GetProto(absl::string_view key,
                                       google::protobuf::MessageLite* message) const {
  return ParseFound(key, Get(key), message);
}

void ViewTxn::PutProto(absl::string_view key, const google::protobuf::MessageLite& message) {
  // Deterministic (map entries in key order), so a view's bytes depend only
  // on the events applied, whatever order its maps were filled in.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  Put(key, bytes);
}

ViewReader::ViewReader(rocksdb::DB* db) : db_(db), snapshot_(db) {
  options_.snapshot = snapshot_.snapshot();
  std::string stored;
  if (db_->Get(options_, ProjectionRunner::kCheckpointKey, &stored).ok()) {
    reflects_.ParseFromString(stored);
  }
}

absl::StatusOr<std::string> ViewReader::Get(absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(options_, ToSlice(key), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no view key ", key));
  if (!s.ok()) return FromRocks(s, "reading the view");
  return value;
}

absl::StatusOr<bool> ViewReader::GetProto(absl::string_view key,
                                          google::protobuf::MessageLite* message) const {
  return ParseFound(key, Get(key), message);
}

absl::Status ViewReader::Scan(
    absl::string_view prefix, absl::string_view start,
    const std::function<bool(absl::string_view key, absl::string_view value)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options_));
  for (it->Seek(ToSlice(start.empty() ? prefix : start)); it->Valid(); it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    if (!absl::StartsWith(key, prefix)) break;
    if (!visit(key, absl::string_view(it->value().data(), it->value().size()))) break;
  }
  return FromRocks(it->status(), "scanning the view");
}

rocksdb::Options ProjectionRunner::DatabaseOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Views read a key before most writes, often one that does not exist yet (a
  // new account, a first read of a period): bloom filters answer those
  // without touching the files, a block cache the rest.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(128 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Views write many small records in big batches: larger memtables and room
  // for flushes and compactions to keep up, instead of write stalls.
  options.write_buffer_size = 128 << 20;
  options.max_write_buffer_number = 4;
  options.max_background_jobs = 4;
  options.level0_slowdown_writes_trigger = 40;
  options.level0_stop_writes_trigger = 64;
  options.target_file_size_base = 64 << 20;
  options.max_bytes_for_level_base = 512 << 20;
  return options;
}

absl::StatusOr<std::unique_ptr<ProjectionRunner>> ProjectionRunner::Open(
    eventstore::EventStore* store, std::unique_ptr<View> view, const std::string& directory,
    RunnerOptions options) {
  rocksdb::Options db_options = DatabaseOptions();
  // Diagnostics to stderr, never a LOG file on the view's disk.
  db_options.info_log = NewRocksDbLogger("view " + view->name());
  // Made here: RocksDB would log a missing directory as an error first.
  std::error_code ignored;
  std::filesystem::create_directories(directory, ignored);
  rocksdb::DB* raw = nullptr;
  GL_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, directory, &raw),
                               absl::StrCat("opening view ", view->name(), " in ", directory)));
  std::unique_ptr<rocksdb::DB> db(raw);
  v1::Checkpoint applied;
  std::string stored;
  rocksdb::Status s = db->Get({}, kCheckpointKey, &stored);
  if (s.ok()) {
    if (!applied.ParseFromString(stored)) {
      return absl::DataLossError(absl::StrCat("view ", view->name(), ": checkpoint is corrupted"));
    }
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the view checkpoint");
  }
  // A view directory belongs to one store: refuse one built from another.
  if (applied.next_size() > 0) {
    GL_ASSIGN_OR_RETURN(v1::Checkpoint end, store->EndCheckpoint());
    for (const v1::Position& p : applied.next()) {
      const int64_t end_offset = NextOffset(end, p.partition());
      const bool known =
          std::any_of(end.next().begin(), end.next().end(),
                      [&](const v1::Position& e) { return e.partition() == p.partition(); });
      if (!known || p.offset() > end_offset) {
        return absl::FailedPreconditionError(absl::StrCat(
            "view ", view->name(), " in ", directory, " was built from another store (it read ",
            p.partition(), " up to ", p.offset(), ", which this store ",
            known ? absl::StrCat("ends at ", end_offset) : std::string("does not have"),
            "); give it its own directory"));
      }
    }
  }
  GL_ASSIGN_OR_RETURN(std::unique_ptr<eventstore::LogReader> reader,
                      store->OpenReader(view->name()));
  return std::unique_ptr<ProjectionRunner>(
      new ProjectionRunner(store, std::move(reader), std::move(view), std::move(db),
                           std::move(applied), std::move(options)));
}

ProjectionRunner::ProjectionRunner(eventstore::EventStore* store,
                                   std::unique_ptr<eventstore::LogReader> reader,
                                   std::unique_ptr<View> view, std::unique_ptr<rocksdb::DB> db,
                                   v1::Checkpoint applied, RunnerOptions options)
    : store_(store),
      reader_(std::move(reader)),
      view_(std::move(view)),
      db_(std::move(db)),
      filter_(view_->filter()),
      options_(std::move(options)),
      applied_(std::move(applied)) {}

ProjectionRunner::~ProjectionRunner() { Stop(); }

absl::StatusOr<ProjectionRunner::ChunkResult> ProjectionRunner::ApplyChunk() {
  absl::MutexLock apply_lock(&apply_mu_);
  const v1::Checkpoint from = Applied();
  GL_ASSIGN_OR_RETURN(eventstore::ReadAllResult chunk,
                      reader_->Read(from, std::max<int64_t>(1, options_.chunk_events)));
  if (chunk.events.empty()) return ChunkResult{};
  ViewTxn txn(db_.get());
  int64_t applied = 0;
  for (const v1::EventEnvelope& event : chunk.events) {
    if (!filter_.Matches(event)) continue;
    GL_RETURN_IF_ERROR(view_->Apply(event, txn));
    ++applied;
  }
  GL_RETURN_IF_ERROR(view_->Settle(chunk.next, txn));
  // The chunk's effects and the position after it, atomically.
  txn.Put(kCheckpointKey, chunk.next.SerializeAsString());
  rocksdb::WriteBatch batch;
  txn.WriteTo(&batch);
  if (options_.on_write) options_.on_write(batch);
  GL_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "writing the view"));
  // Best effort: the checkpoint above is the truth; the consumer group's
  // offsets catch up on the next chunk if the broker refuses this one.
  reader_->Commit(chunk.next).IgnoreError();
  absl::MutexLock lock(&mu_);
  applied_ = std::move(chunk.next);
  metrics::RecordViewApplied(view_->name(), applied);
  return ChunkResult{static_cast<int64_t>(chunk.events.size()), applied};
}

void ProjectionRunner::Throttle(int64_t events_read) {
  if (options_.max_events_per_second <= 0 || events_read == 0) return;
  absl::SleepFor(absl::Seconds(1) * events_read / options_.max_events_per_second);
}

absl::StatusOr<int64_t> ProjectionRunner::CatchUp() {
  // A live log keeps growing: catch up with its end as of now.
  GL_ASSIGN_OR_RETURN(const v1::Checkpoint until, store_->EndCheckpoint());
  int64_t total = 0;
  while (!eventstore::ReachedAll(Applied(), until)) {
    GL_ASSIGN_OR_RETURN(ChunkResult chunk, ApplyChunk());
    // An empty read is the end (a chunk of only non-matching events is not).
    if (chunk.read == 0) break;
    total += chunk.applied;
    Throttle(chunk.read);
  }
  return total;
}

void ProjectionRunner::Start() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      absl::StatusOr<ChunkResult> chunk = ApplyChunk();
      if (!chunk.ok()) {
        const bool transient = absl::IsUnavailable(chunk.status());
        {
          absl::MutexLock lock(&mu_);
          status_ = chunk.status();
        }
        if (!transient) return;
        for (int i = 0; i < 10 && !stop_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
        continue;
      }
      {
        absl::MutexLock lock(&mu_);
        status_ = absl::OkStatus();
      }
      if (chunk->read == 0) absl::SleepFor(absl::Milliseconds(20));
      Throttle(chunk->read);
    }
  });
}

void ProjectionRunner::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::Status ProjectionRunner::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

v1::Checkpoint ProjectionRunner::Applied() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

absl::StatusOr<int64_t> ProjectionRunner::Lag() {
  GL_ASSIGN_OR_RETURN(v1::Checkpoint end, store_->EndCheckpoint());
  const v1::Checkpoint applied = Applied();
  int64_t lag = 0;
  for (const v1::Position& p : end.next()) {
    lag += std::max<int64_t>(0, p.offset() - NextOffset(applied, p.partition()));
  }
  if (lag == 0) return 0;
  // On Kafka the end counts transaction markers no event stands for.
  GL_ASSIGN_OR_RETURN(eventstore::ReadAllResult probe, store_->ReadAll(applied, 1));
  return probe.events.empty() ? 0 : lag;
}

absl::Status ProjectionRunner::WaitFor(const v1::Position& position, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, &position]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return NextOffset(applied_, position.partition()) > position.offset() || !status_.ok();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("view ", view_->name(), " has not applied ",
                                                    position.partition(), "@", position.offset(),
                                                    " within ", absl::FormatDuration(timeout)));
  }
  return status_;
}

}  // namespace gridledger::projections
