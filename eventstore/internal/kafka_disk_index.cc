// The disk kind of KafkaIndex (kafka_index.h): a cluster instance's owner
// state in RocksDB. Keys, each with a one-letter kind:
//   "m"                          the store label (topic prefix) it belongs to
//   "p" <partition name>         next offset (8 bytes, big-endian) ‖ chain head hash
//   "h" <stream id>              version (8) ‖ partition index (8) ‖ stream hash
//   "e" <stream id> 0 <version>  offset (8) ‖ the stored record (as in Kafka)
//   "c" <command id>             the first AppendOutcome, serialized
// Every record or committed transaction is one WriteBatch (the WAL is not
// synced: Kafka holds the truth, and a batch lost in a crash is read again
// from the partition's stored next offset).
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/rocksdb_logger.h"
#include "common/status_macros.h"
#include "eventstore/internal/chain_check.h"
#include "eventstore/internal/index_check.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/record_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace gridledger::eventstore::internal {
namespace {

// The 8-byte big-endian integer at `at` of `bytes` (whose size the caller
// checked).
int64_t Int64At(absl::string_view bytes, size_t at) {
  return static_cast<int64_t>(ReadBigEndian64(bytes.substr(at)).value_or(0));
}

std::string PartitionKey(const std::string& name) { return absl::StrCat("p", name); }
std::string HeadKey(absl::string_view stream) { return absl::StrCat("h", stream); }
std::string CommandKey(absl::string_view command) { return absl::StrCat("c", command); }
std::string EventPrefix(absl::string_view stream) {
  std::string key = absl::StrCat("e", stream);
  key.push_back('\0');
  return key;
}
std::string EventKey(absl::string_view stream, int64_t version) {
  std::string key = EventPrefix(stream);
  AppendBigEndian64(static_cast<uint64_t>(version), &key);
  return key;
}

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view doing) {
  if (status.ok()) return absl::OkStatus();
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(doing,
                     " is in use by another process (another instance with this "
                     "--instance name and --state_dir on this machine?): ",
                     status.ToString()));
  }
  return absl::UnavailableError(absl::StrCat(doing, ": ", status.ToString()));
}

struct PartitionState {
  int64_t next_read = 0;
  std::string head_hash = GenesisHash();
};

class DiskKafkaIndex final : public KafkaIndex {
 public:
  DiskKafkaIndex(const KafkaTopology* topology, std::unique_ptr<rocksdb::DB> db)
      : topology_(topology), db_(std::move(db)), partitions_(topology->size()) {}

  absl::Status Load(const std::string& label) {
    std::string stored;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), "m", &stored);
    if (got.IsNotFound()) {
      GL_RETURN_IF_ERROR(FromRocks(db_->Put(WriteOptions(), "m", label), "owner state"));
    } else if (!got.ok()) {
      return FromRocks(got, "owner state");
    } else if (stored != label) {
      return absl::FailedPreconditionError(
          absl::StrCat("owner state: this directory holds the state of store \"", stored,
                       "\", not \"", label, "\"; give each store a --state_dir of its own"));
    }
    for (int i = 0; i < topology_->size(); ++i) {
      std::string value;
      rocksdb::Status status =
          db_->Get(rocksdb::ReadOptions(), PartitionKey(topology_->partition(i).name), &value);
      if (status.IsNotFound()) continue;
      GL_RETURN_IF_ERROR(FromRocks(status, "owner state"));
      if (value.size() < 8) return absl::DataLossError("owner state: a partition entry is cut");
      partitions_[i].next_read = Int64At(value, 0);
      partitions_[i].head_hash = value.substr(8);
    }
    return absl::OkStatus();
  }

  absl::Status ApplyRecord(int partition, int64_t offset, absl::string_view bytes) override {
    GL_ASSIGN_OR_RETURN(v1::EventEnvelope event,
                        OpenRecord(bytes, topology_->PositionOf(partition, offset)));
    GL_ASSIGN_OR_RETURN(StoredHead head, ReadHead(event.stream_id()));
    const std::string partition_hash = PartitionHash(partition);
    GL_RETURN_IF_ERROR(CheckPartitionLink(event, partition_hash));
    GL_RETURN_IF_ERROR(
        CheckStreamLink(event, event.stream_id(), head.head.version + 1, head.head.hash));
    if (head.exists && head.head.partition != partition) {
      return absl::DataLossError(absl::StrCat(
          "event at ", DescribePosition(event.position()), ": stream ", event.stream_id(),
          " lives in partition ", topology_->partition(head.head.partition).name, ", not here"));
    }
    rocksdb::WriteBatch batch;
    PutHead(batch, event.stream_id(), event.stream_version(), partition, event.hash());
    PutEvent(batch, event.stream_id(), event.stream_version(), offset, bytes);
    GL_ASSIGN_OR_RETURN(std::optional<v1::AppendOutcome> outcome, ReadCommand(event.command_id()));
    if (!outcome) {
      outcome.emplace();
      outcome->set_stream_id(event.stream_id());
      outcome->set_first_version(event.stream_version());
      outcome->set_request_digest(event.request_digest());
    }
    outcome->set_last_version(event.stream_version());
    *outcome->add_positions() = event.position();
    batch.Put(CommandKey(event.command_id()), outcome->SerializeAsString());
    PartitionState next{offset + 1, event.partition_hash()};
    PutPartition(batch, partition, next);
    GL_RETURN_IF_ERROR(FromRocks(db_->Write(WriteOptions(), &batch), "owner state"));
    absl::MutexLock lock(&mu_);
    partitions_[partition] = std::move(next);
    return absl::OkStatus();
  }

  absl::Status SkipRecord(int partition, int64_t offset) override {
    PartitionState next{offset + 1, PartitionHash(partition)};
    rocksdb::WriteBatch batch;
    PutPartition(batch, partition, next);
    GL_RETURN_IF_ERROR(FromRocks(db_->Write(WriteOptions(), &batch), "owner state"));
    absl::MutexLock lock(&mu_);
    partitions_[partition] = std::move(next);
    return absl::OkStatus();
  }

  absl::Status ApplyCommitted(
      const std::vector<CommittedAppend>& appends,
      const absl::flat_hash_map<int, std::string>& partition_hashes) override {
    rocksdb::WriteBatch batch;
    absl::flat_hash_map<int, int64_t> next_reads;
    for (const CommittedAppend& append : appends) {
      const v1::AppendOutcome& outcome = *append.outcome;
      for (int i = 0; i < outcome.positions_size(); ++i) {
        const int64_t offset = outcome.positions(i).offset();
        PutEvent(batch, outcome.stream_id(), outcome.first_version() + i, offset,
                 (*append.events)[i].record_bytes);
        next_reads[append.partition] = offset + 1;
      }
      PutHead(batch, outcome.stream_id(), outcome.last_version(), append.partition,
              *append.stream_hash);
      batch.Put(CommandKey(*append.command_id), outcome.SerializeAsString());
    }
    absl::flat_hash_map<int, PartitionState> after;
    for (const auto& [index, hash] : partition_hashes) {
      PartitionState& state = after[index];
      state.head_hash = hash;
      auto next = next_reads.find(index);
      state.next_read = next == next_reads.end() ? NextRead(index) : next->second;
      PutPartition(batch, index, state);
    }
    GL_RETURN_IF_ERROR(FromRocks(db_->Write(WriteOptions(), &batch), "owner state"));
    absl::MutexLock lock(&mu_);
    for (auto& [index, state] : after) partitions_[index] = std::move(state);
    return absl::OkStatus();
  }

  PartitionOffsets NextReads() const override {
    absl::MutexLock lock(&mu_);
    PartitionOffsets next;
    next.reserve(partitions_.size());
    for (size_t i = 0; i < partitions_.size(); ++i) {
      next.emplace_back(static_cast<int>(i), partitions_[i].next_read);
    }
    return next;
  }

  int64_t StreamVersion(absl::string_view stream_id) const override {
    absl::StatusOr<StoredHead> head = ReadHead(stream_id);
    return head.ok() ? head->head.version : 0;
  }

  StreamOffsets FindOffsets(absl::string_view stream_id, int64_t from_version,
                            int64_t max_count) const override {
    StreamOffsets found;
    ForEachEvent(stream_id, from_version, max_count,
                 [&](int64_t, int64_t offset, absl::string_view) {
                   found.offsets.push_back(offset);
                   return absl::OkStatus();
                 })
        .IgnoreError();  // none found on a read error: ReadEvents reports it
    if (!found.offsets.empty()) {
      absl::StatusOr<StoredHead> head = ReadHead(stream_id);
      found.partition = head.ok() ? head->head.partition : -1;
    }
    return found;
  }

  std::optional<v1::AppendOutcome> LookupCommand(const std::string& command_id) const override {
    absl::StatusOr<std::optional<v1::AppendOutcome>> found = ReadCommand(command_id);
    return found.ok() ? *found : std::nullopt;
  }

  std::optional<absl::StatusOr<std::vector<v1::EventEnvelope>>> ReadEvents(
      absl::string_view stream_id, int64_t from_version, int64_t max_count) const override {
    std::vector<v1::EventEnvelope> events;
    absl::StatusOr<StoredHead> head = ReadHead(stream_id);
    if (!head.ok()) return absl::StatusOr<std::vector<v1::EventEnvelope>>(head.status());
    if (!head->exists) return absl::StatusOr<std::vector<v1::EventEnvelope>>(std::move(events));
    StreamChainChecker chain(stream_id, from_version);
    // Up to the head read above: a commit landing meanwhile is not half seen.
    const int64_t expected =
        std::min<int64_t>(max_count, std::max<int64_t>(0, head->head.version - from_version + 1));
    absl::Status read = ForEachEvent(
        stream_id, from_version, expected,
        [&](int64_t version, int64_t offset, absl::string_view record) -> absl::Status {
          GL_ASSIGN_OR_RETURN(
              v1::EventEnvelope event,
              OpenRecord(record, topology_->PositionOf(head->head.partition, offset)));
          GL_RETURN_IF_ERROR(chain.Next(event));
          events.push_back(std::move(event));
          return absl::OkStatus();
        });
    if (!read.ok()) return absl::StatusOr<std::vector<v1::EventEnvelope>>(read);
    if (static_cast<int64_t>(events.size()) != expected) {
      return absl::StatusOr<std::vector<v1::EventEnvelope>>(absl::DataLossError(absl::StrCat(
          "owner state: stream ", stream_id, " version ", chain.next_version(), " is missing")));
    }
    return absl::StatusOr<std::vector<v1::EventEnvelope>>(std::move(events));
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
      const std::string& command_id) override {
    return ReadCommand(command_id);
  }

  absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) override {
    GL_ASSIGN_OR_RETURN(StoredHead head, ReadHead(stream_id));
    // A stream's first event goes where the partitioner says.
    if (!head.exists) head.head.partition = topology_->PartitionOfStream(stream_id);
    return head.head;
  }

  std::string PartitionHash(int partition) override {
    absl::MutexLock lock(&mu_);
    return partitions_[partition].head_hash;
  }

 private:
  struct StoredHead {
    bool exists = false;
    StreamHead head;
  };

  static rocksdb::WriteOptions WriteOptions() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return options;
  }

  int64_t NextRead(int partition) const {
    absl::MutexLock lock(&mu_);
    return partitions_[partition].next_read;
  }

  absl::StatusOr<StoredHead> ReadHead(absl::string_view stream_id) const {
    StoredHead head;
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), HeadKey(stream_id), &value);
    if (status.IsNotFound()) return head;
    GL_RETURN_IF_ERROR(FromRocks(status, "owner state"));
    if (value.size() < 16) return absl::DataLossError("owner state: a stream head is cut");
    head.exists = true;
    head.head.version = Int64At(value, 0);
    head.head.partition = static_cast<int>(Int64At(value, 8));
    head.head.hash = value.substr(16);
    return head;
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> ReadCommand(
      const std::string& command_id) const {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), CommandKey(command_id), &value);
    if (status.IsNotFound()) return std::optional<v1::AppendOutcome>();
    GL_RETURN_IF_ERROR(FromRocks(status, "owner state"));
    v1::AppendOutcome outcome;
    if (!outcome.ParseFromString(value)) {
      return absl::DataLossError("owner state: a command index entry does not parse");
    }
    return std::optional<v1::AppendOutcome>(std::move(outcome));
  }

  // Calls fn(version, offset, record) for versions from_version… (at most
  // max_count) in order; stops at the first error.
  template <typename Fn>
  absl::Status ForEachEvent(absl::string_view stream_id, int64_t from_version, int64_t max_count,
                            const Fn& fn) const {
    if (max_count <= 0) return absl::OkStatus();
    const std::string prefix = EventPrefix(stream_id);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    int64_t count = 0;
    for (it->Seek(EventKey(stream_id, from_version)); it->Valid() && count < max_count;
         it->Next(), ++count) {
      const rocksdb::Slice key = it->key();
      if (!key.starts_with(prefix)) break;
      const rocksdb::Slice value = it->value();
      if (value.size() < 8 || key.size() != prefix.size() + 8) {
        return absl::DataLossError("owner state: an event entry is cut");
      }
      const absl::string_view view(value.data(), value.size());
      GL_RETURN_IF_ERROR(fn(Int64At(absl::string_view(key.data(), key.size()), prefix.size()),
                            Int64At(view, 0), view.substr(8)));
    }
    return FromRocks(it->status(), "owner state");
  }

  static void PutHead(rocksdb::WriteBatch& batch, absl::string_view stream, int64_t version,
                      int partition, absl::string_view hash) {
    std::string value;
    AppendBigEndian64(static_cast<uint64_t>(version), &value);
    AppendBigEndian64(static_cast<uint64_t>(partition), &value);
    value.append(hash.data(), hash.size());
    batch.Put(HeadKey(stream), value);
  }

  static void PutEvent(rocksdb::WriteBatch& batch, absl::string_view stream, int64_t version,
                       int64_t offset, absl::string_view record) {
    std::string value;
    value.reserve(8 + record.size());
    AppendBigEndian64(static_cast<uint64_t>(offset), &value);
    value.append(record.data(), record.size());
    batch.Put(EventKey(stream, version), value);
  }

  void PutPartition(rocksdb::WriteBatch& batch, int partition, const PartitionState& state) const {
    std::string value;
    AppendBigEndian64(static_cast<uint64_t>(state.next_read), &value);
    value += state.head_hash;
    batch.Put(PartitionKey(topology_->partition(partition).name), value);
  }

  const KafkaTopology* const topology_;
  const std::unique_ptr<rocksdb::DB> db_;
  mutable absl::Mutex mu_;
  std::vector<PartitionState> partitions_ ABSL_GUARDED_BY(mu_);  // by partition index
};

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaIndex>> OpenDiskKafkaIndex(const KafkaTopology* topology,
                                                               const std::string& directory,
                                                               const std::string& store_label) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("owner state: cannot create ", directory, ": ", error.message()));
  }
  rocksdb::Options options;
  options.info_log = NewRocksDbLogger("owner state");  // no LOG file on its disk
  options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  GL_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, directory, &raw),
                               absl::StrCat("owner state in ", directory)));
  auto index = std::make_unique<DiskKafkaIndex>(topology, std::unique_ptr<rocksdb::DB>(raw));
  GL_RETURN_IF_ERROR(index->Load(store_label));
  return index;
}

namespace {

// A secondary (read-only) open of an owner state beside the instance that
// writes it, with its scratch directory; both go when it does.
struct SecondaryState {
  std::unique_ptr<rocksdb::DB> db;
  std::string scratch;
  ~SecondaryState() {
    db.reset();
    std::error_code ignored;
    if (!scratch.empty()) std::filesystem::remove_all(scratch, ignored);
  }
};

absl::Status OpenSecondary(const std::string& directory, SecondaryState& state) {
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::path(directory) / "CURRENT", error)) {
    return absl::NotFoundError(absl::StrCat("owner state: none in ", directory));
  }
  state.scratch = (std::filesystem::temp_directory_path() / "gridledger-owner-XXXXXX").string();
  if (mkdtemp(state.scratch.data()) == nullptr) {
    state.scratch.clear();
    return absl::UnavailableError("owner state: cannot make a scratch directory");
  }
  rocksdb::Options options;
  options.max_open_files = -1;  // the instance's compactions cannot pull files away
  options.info_log = NewRocksDbLogger("owner state (read-only)");
  rocksdb::DB* raw = nullptr;
  GL_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::OpenAsSecondary(options, directory, state.scratch, &raw),
                absl::StrCat("owner state in ", directory)));
  state.db.reset(raw);
  // One catch-up: the check compares this state (whole write batches, so
  // consistent) with a log read after it, which holds all of it.
  return FromRocks(state.db->TryCatchUpWithPrimary(), "owner state: catching up");
}

// What the log says, below each partition's applied offset, of one stream.
struct LoggedHead {
  int64_t version = 0;
  std::string hash;
  bool seen = false;  // the state has its head entry
};

// Calls fn(key without its prefix, value) for each key starting `prefix`.
template <typename Fn>
absl::Status ForEachWithPrefix(rocksdb::DB& db, absl::string_view prefix, Discrepancies& found,
                               const Fn& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && !found.full() &&
       it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    fn(key.substr(prefix.size()), absl::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status(), "owner state");
}

// One check of an owner state (opened as a secondary) against the log.
class OwnerStateCheck {
 public:
  OwnerStateCheck(rocksdb::DB& db, EventStore& log, int64_t limit)
      : db_(db), log_(log), found_(limit) {}

  absl::StatusOr<std::vector<IndexDiscrepancy>> Run() {
    GL_RETURN_IF_ERROR(LoadApplied());
    GL_RETURN_IF_ERROR(WalkLog());
    GL_RETURN_IF_ERROR(CheckPartitions());
    GL_RETURN_IF_ERROR(CheckHeadEntries());
    GL_RETURN_IF_ERROR(CheckEventEntries());
    GL_RETURN_IF_ERROR(CheckCommandEntries());
    return found_.Take();
  }

 private:
  // What the state says it applied: per partition, the offset after it.
  absl::Status LoadApplied() {
    return ForEachWithPrefix(
        db_, "p", found_, [&](absl::string_view name, absl::string_view value) {
          if (value.size() < 8) {
            found_.Add("partitions", std::string(name), "the entry is cut");
            return;
          }
          applied_[name] = PartitionState{Int64At(value, 0), std::string(value.substr(8))};
        });
  }

  // The log below the applied offsets, event by event against the state.
  absl::Status WalkLog() {
    GL_ASSIGN_OR_RETURN(const v1::Checkpoint end, log_.EndCheckpoint());
    for (const v1::Position& p : end.next()) log_end_[p.partition()] = p.offset();
    absl::flat_hash_map<std::string, AppendFolder> appends;  // by partition
    v1::Checkpoint next;
    // Read only as far as the state applied (a busy log keeps growing).
    while (!found_.full() && !ReadFarEnough(next)) {
      GL_ASSIGN_OR_RETURN(ReadAllResult chunk, log_.ReadAll(next, 4096));
      if (chunk.events.empty()) break;
      for (const v1::EventEnvelope& event : chunk.events) {
        const std::string& partition = event.position().partition();
        auto covered = applied_.find(partition);
        if (covered == applied_.end() || event.position().offset() >= covered->second.next_read) {
          continue;
        }
        GL_RETURN_IF_ERROR(CheckEventEntry(event));
        heads_[event.stream_id()] = LoggedHead{event.stream_version(), event.hash(), false};
        logged_commands_.insert(event.command_id());
        GL_RETURN_IF_ERROR(CheckCommand(appends[partition].Add(event)));
        last_applied_[partition] = event;
      }
      next = std::move(chunk.next);
    }
    for (auto& [partition, folder] : appends) GL_RETURN_IF_ERROR(CheckCommand(folder.Finish()));
    return absl::OkStatus();
  }

  // Whether `next` is past what the state applied in every partition it
  // covers (or the log's end at the start, whichever is first).
  bool ReadFarEnough(const v1::Checkpoint& next) const {
    absl::flat_hash_map<std::string, int64_t> at;
    for (const v1::Position& p : next.next()) at[p.partition()] = p.offset();
    for (const auto& [partition, state] : applied_) {
      const auto ends = log_end_.find(partition);
      const int64_t until =
          std::min(state.next_read, ends == log_end_.end() ? int64_t{0} : ends->second);
      const auto reached = at.find(partition);
      if ((reached == at.end() ? 0 : reached->second) < until) return false;
    }
    return true;
  }

  absl::Status CheckEventEntry(const v1::EventEnvelope& event) {
    const std::string& partition = event.position().partition();
    const int64_t offset = event.position().offset();
    const std::string key = absl::StrCat(event.stream_id(), "@", event.stream_version());
    std::string value;
    rocksdb::Status read = db_.Get(rocksdb::ReadOptions(),
                                   EventKey(event.stream_id(), event.stream_version()), &value);
    if (read.IsNotFound()) {
      found_.Add("events", key,
                 absl::StrCat("missing (the log has it at ", partition, "@", offset, ")"));
      return absl::OkStatus();
    }
    GL_RETURN_IF_ERROR(FromRocks(read, "owner state"));
    if (value.size() >= 8 && Int64At(value, 0) != offset) {
      found_.Add("events", key,
                 absl::StrCat("points at offset ", Int64At(value, 0), "; the log has it at ",
                              partition, "@", offset));
      return absl::OkStatus();
    }
    absl::StatusOr<v1::EventEnvelope> stored =
        value.size() < 8 ? absl::DataLossError("cut")
                         : OpenRecord(absl::string_view(value).substr(8), event.position());
    if (!stored.ok() || stored->hash() != event.hash()) {
      found_.Add("events", key,
                 absl::StrCat("holds another record than the log's at ", partition, "@", offset));
    }
    return absl::OkStatus();
  }

  absl::Status CheckCommand(const std::optional<AppendFolder::Append>& append) {
    if (!append) return absl::OkStatus();
    std::string value;
    rocksdb::Status read = db_.Get(rocksdb::ReadOptions(), CommandKey(append->command_id), &value);
    if (read.IsNotFound()) {
      found_.Add("commands", append->command_id,
                 absl::StrCat("missing (the log has ", PrintedOutcome(append->outcome), ")"));
      return absl::OkStatus();
    }
    GL_RETURN_IF_ERROR(FromRocks(read, "owner state"));
    v1::AppendOutcome stored;
    if (!stored.ParseFromString(value)) {
      found_.Add("commands", append->command_id, "does not parse");
    } else if (!SameOutcome(stored, append->outcome)) {
      found_.Add("commands", append->command_id,
                 absl::StrCat("says ", PrintedOutcome(stored), "; the log has ",
                              PrintedOutcome(append->outcome)));
    }
    return absl::OkStatus();
  }

  // Each partition's applied offset and chain head against the log.
  absl::Status CheckPartitions() {
    for (const auto& [partition, state] : applied_) {
      const auto ends = log_end_.find(partition);
      const int64_t log_next = ends == log_end_.end() ? 0 : ends->second;
      if (state.next_read > log_next) {
        found_.Add("partitions", partition,
                   absl::StrCat("says it applied up to offset ", state.next_read,
                                "; the log ends at ", log_next));
        continue;
      }
      const auto last = last_applied_.find(partition);
      if (last != last_applied_.end() && last->second.position().offset() + 1 == state.next_read &&
          last->second.partition_hash() != state.head_hash) {
        found_.Add("partitions", partition,
                   absl::StrCat("chain head differs from the log's at ", partition, "@",
                                last->second.position().offset()));
      }
    }
    return absl::OkStatus();
  }

  // Stream heads against the log's last event of each stream (applied).
  absl::Status CheckHeadEntries() {
    GL_RETURN_IF_ERROR(
        ForEachWithPrefix(db_, "h", found_, [&](absl::string_view stream, absl::string_view value) {
          auto logged = heads_.find(stream);
          if (logged == heads_.end()) {
            found_.Add("heads", std::string(stream), "not in the log");
            return;
          }
          logged->second.seen = true;
          const int64_t version = value.size() >= 16 ? Int64At(value, 0) : -1;
          if (version != logged->second.version ||
              (value.size() >= 16 && value.substr(16) != logged->second.hash)) {
            found_.Add("heads", std::string(stream),
                       absl::StrCat("says version ", version,
                                    "; the log ends the stream at version ", logged->second.version,
                                    version == logged->second.version ? " with another hash" : ""));
          }
        }));
    for (const auto& [stream, head] : heads_) {
      if (!head.seen) found_.Add("heads", stream, "missing");
    }
    return absl::OkStatus();
  }

  // Event entries past the end of their stream in the log (applied).
  absl::Status CheckEventEntries() {
    return ForEachWithPrefix(db_, "e", found_, [&](absl::string_view key, absl::string_view) {
      const size_t zero = key.find('\0');
      const absl::string_view stream = key.substr(0, zero);
      const int64_t version =
          zero == absl::string_view::npos || key.size() != zero + 9 ? -1 : Int64At(key, zero + 1);
      auto logged = heads_.find(stream);
      if (version < 1 || logged == heads_.end() || version > logged->second.version) {
        found_.Add("events", absl::StrCat(stream, "@", version), "not in the log");
      }
    });
  }

  // Command entries of no command in the log (applied).
  absl::Status CheckCommandEntries() {
    return ForEachWithPrefix(db_, "c", found_, [&](absl::string_view command, absl::string_view) {
      if (!logged_commands_.contains(command)) {
        found_.Add("commands", std::string(command), "not in the log");
      }
    });
  }

  rocksdb::DB& db_;
  EventStore& log_;
  Discrepancies found_;
  absl::flat_hash_map<std::string, PartitionState> applied_;
  absl::flat_hash_map<std::string, int64_t> log_end_;
  absl::flat_hash_map<std::string, LoggedHead> heads_;
  absl::flat_hash_set<std::string> logged_commands_;
  absl::flat_hash_map<std::string, v1::EventEnvelope> last_applied_;  // by partition
};

}  // namespace

absl::StatusOr<std::vector<IndexDiscrepancy>> CheckDiskKafkaIndex(EventStore& log,
                                                                  const std::string& directory,
                                                                  const std::string& store_label,
                                                                  int64_t limit) {
  SecondaryState state;
  GL_RETURN_IF_ERROR(OpenSecondary(directory, state));
  std::string label;
  rocksdb::Status got = state.db->Get(rocksdb::ReadOptions(), "m", &label);
  if (!got.ok() && !got.IsNotFound()) return FromRocks(got, "owner state");
  if (got.IsNotFound()) {
    // An instance writes the label just after it creates the state: empty,
    // it is starting; with entries but no label, it is damaged.
    std::unique_ptr<rocksdb::Iterator> any(state.db->NewIterator(rocksdb::ReadOptions()));
    any->SeekToFirst();
    if (!any->Valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "owner state in ", directory, " is empty (an instance starting?); try again"));
    }
    return absl::DataLossError(
        absl::StrCat("owner state in ", directory, " names no store (its \"m\" entry is missing)"));
  }
  if (got.ok() && label != store_label) {
    return absl::FailedPreconditionError(absl::StrCat(
        "owner state in ", directory, " is of store \"", label, "\", not \"", store_label, "\""));
  }
  return OwnerStateCheck(*state.db, log, limit).Run();
}

}  // namespace gridledger::eventstore::internal
