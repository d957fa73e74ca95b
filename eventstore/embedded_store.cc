#include "eventstore/embedded_store.h"

#include <pthread.h>

#include <atomic>
#include <deque>
#include <future>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "eventstore/internal/append_queue.h"
#include "eventstore/internal/embedded_log.h"
#include "eventstore/internal/group_decider.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace gridledger::eventstore {
namespace {

using Pending = internal::PendingAppend;

// Most requests one group commit takes from the queue.
constexpr size_t kMaxGroupRequests = 4096;

using internal::EmbeddedDb;
using internal::EmbeddedPosition;
using internal::FromRocks;
using internal::StreamHead;  // partition always 0: the log is one partition

class EmbeddedStore final : public internal::EmbeddedLog {
 public:
  EmbeddedStore(EmbeddedDb db, StoreOptions options)
      : EmbeddedLog(std::move(db)),
        options_(std::move(options)),
        decided_offset_(db.partition_head.version),
        decided_partition_hash_(std::move(db.partition_head.hash)) {
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
  }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    return queue_.Submit(std::move(request), options_);
  }

  std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests) override {
    return queue_.SubmitAll(std::move(requests), options_);
  }

  // After a failed write, also tries (at most once a second) to recover:
  // see TryRecover.
  absl::Status CheckWritable(absl::Duration) override {
    {
      absl::MutexLock lock(&sync_mu_);
      if (broken_.ok()) return broken_;
    }
    absl::MutexLock recovering(&recover_mu_);
    const absl::Time now = absl::Now();
    if (now - last_recovery_ >= kRecoverEvery && !GaveUp()) {
      last_recovery_ = now;
      TryRecover();
    }
    absl::MutexLock lock(&sync_mu_);
    return broken_;
  }

  std::vector<RocksDbStats> StorageStats() const override {
    absl::ReaderMutexLock lock(&db_mutex());
    if (db() == nullptr) return {};
    return {ReadRocksDbStats("store", db())};
  }

 private:
  void WriterLoop() {
    while (true) {
      std::vector<std::unique_ptr<Pending>> group = queue_.TakeGroup(kMaxGroupRequests);
      if (group.empty()) return;  // closed, and every queued append answered
      absl::MutexLock deciding(&decide_mu_);
      CommitGroup(group);
    }
  }

  // Recovery from a failed write. RocksDB refuses writes after one (and its
  // own DB::Resume is not safe after a failed WAL append in the RocksDB we
  // build on), and the decider's state ran ahead of the disk; so, with the
  // decider held and the syncer idle (it fails every group it is handed
  // while broken):
  //   1. a probe file in the store directory is written and synced, and
  //      nothing more is tried while that fails (the database stays open for
  //      reads);
  //   2. the database is closed and opened again (RocksDB recovers its WAL,
  //      dropping a torn tail);
  //   3. a synced probe write goes through the database itself;
  //   4. the decider starts again from what the disk holds.
  // A group whose write failed may still have reached the disk (a failed
  // sync); its callers were told it failed, and their retries with the same
  // command ids are deduplicated against it.
  void TryRecover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(recover_mu_) {
    absl::MutexLock deciding(&decide_mu_);
    {
      absl::MutexLock lock(&sync_mu_);
      auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(sync_mu_) {
        return sync_queue_.empty() && !syncing_;
      };
      sync_mu_.Await(absl::Condition(&idle));
    }
    absl::Status healed = ProbeDirectory();
    absl::StatusOr<StreamHead> head;
    if (healed.ok()) {
      head = ReopenForWriting();
      healed = head.status();
    }
    if (absl::IsFailedPrecondition(healed)) {
      // Another process took the store while it was closed: it writes now.
      GiveUp(absl::FailedPreconditionError(absl::StrCat(
          "store: ", healed.message(),
          "; another process took the store while this one recovered: restart this one")));
      return;
    }
    if (healed.ok() && head->version < PublishedEnd()) {
      // The disk lost what it had said was synced: readers have seen events
      // it no longer holds. Writing on would give their offsets to others;
      // nothing is written, not even the probe below.
      GiveUp(absl::DataLossError(absl::StrCat(
          "store: the reopened log ends at offset ", head->version, " but offsets up to ",
          PublishedEnd(),
          " were acknowledged: the disk lost synced writes; stop, do not restart on it, and "
          "restore from a backup")));
      return;
    }
    if (healed.ok()) {
      rocksdb::WriteBatch probe;
      probe.Put(family(internal::kDefaultFamily), "writable_probe",
                absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()));
      healed = FromRocks(db()->Write(sync_write_, &probe), "probing a write");
    }
    absl::MutexLock lock(&sync_mu_);
    if (!healed.ok()) {
      broken_ = absl::Status(broken_.code(),
                             absl::StrCat(FirstSentence(broken_.message()),
                                          "; the embedded store stopped writing; recovery failed: ",
                                          healed.message(), " (tried again every second)"));
      return;
    }
    decided_offset_ = head->version;
    decided_partition_hash_ = head->hash;
    decided_heads_.clear();
    {
      absl::MutexLock inflight(&inflight_mu_);
      inflight_commands_.clear();
    }
    PublishEnd(head->version);
    broken_ = absl::OkStatus();
  }

  // Writes and syncs a small file in the store's directory, then removes it:
  // whether the disk takes writes again.
  absl::Status ProbeDirectory() {
    rocksdb::Env* env =
        options_.embedded_env ? options_.embedded_env.get() : rocksdb::Env::Default();
    const std::string name = path() + "/gridledger-write-probe";
    std::unique_ptr<rocksdb::WritableFile> file;
    rocksdb::Status s = env->NewWritableFile(name, &file, rocksdb::EnvOptions());
    if (s.ok()) s = file->Append(std::string(64 << 10, '\0'));
    if (s.ok()) s = file->Sync();
    if (file) file->Close().PermitUncheckedError();
    env->DeleteFile(name).PermitUncheckedError();
    return FromRocks(s, "probing the store directory");
  }

  // Recovery stops for good: the store stays unwritable with `why`.
  void GiveUp(absl::Status why) {
    absl::MutexLock lock(&sync_mu_);
    broken_ = std::move(why);
    gave_up_ = true;
  }
  bool GaveUp() {
    absl::MutexLock lock(&sync_mu_);
    return gave_up_;
  }

  static absl::string_view FirstSentence(absl::string_view message) {
    return message.substr(0, message.find("; the embedded store stopped writing"));
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
  void CommitGroup(std::vector<std::unique_ptr<Pending>>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(decide_mu_) {
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
    if (options_.writer_signer) internal::SignPartitionHeads(decision, *options_.writer_signer);
    std::unique_ptr<DecidedGroup> decided = StageGroup(group, decision);
    if (decided->accepted.empty()) return;
    for (auto& [stream_id, head] : decision.stream_heads) {
      decided_heads_[stream_id] = std::move(head);
    }
    if (auto it = decision.partition_hashes.find(0); it != decision.partition_hashes.end()) {
      decided_partition_hash_ = std::move(it->second);
    }
    decided->batch.Put(family(internal::kDefaultFamily), internal::kPartitionHeadKey,
                       internal::EncodeHead(decided_offset_, decided_partition_hash_));
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
                                           internal::GroupDecision& decision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(decide_mu_) {
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
                           rocksdb::WriteBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(decide_mu_) {
    AppendResult result{std::move(decision.outcome), false};
    for (internal::SealedEvent& event : decision.events) {
      const std::string offset = BigEndian64(static_cast<uint64_t>(decided_offset_));
      batch.Put(family(internal::kLogFamily), offset, event.record_bytes);
      batch.Put(family(internal::kStreamsFamily),
                internal::StreamKey(request.stream_id, event.version), offset);
      *result.outcome.add_positions() = EmbeddedPosition(decided_offset_);
      ++decided_offset_;
    }
    batch.Put(family(internal::kHeadsFamily), request.stream_id,
              internal::EncodeHead(decision.head.version, decision.head.hash));
    batch.Put(family(internal::kCommandsFamily), request.command_id,
              result.outcome.SerializeAsString());
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
        syncing_ = true;
        while (!sync_queue_.empty()) {
          groups.push_back(std::move(sync_queue_.front()));
          sync_queue_.pop_front();
        }
        broken = broken_;
      }
      absl::Status written = broken;
      const bool attempted = broken.ok();  // else nothing of these groups is written
      rocksdb::WriteOptions unsynced;
      for (size_t i = 0; i < groups.size() && written.ok(); ++i) {
        const bool last = i + 1 == groups.size();
        written = FromRocks(db()->Write(last ? sync_write_ : unsynced, &groups[i]->batch),
                            "appending to the log");
      }
      if (!written.ok()) {
        // Later groups were decided on top of these: nothing after them may
        // be written, and the decided state is no longer the disk's.
        absl::MutexLock lock(&sync_mu_);
        if (broken_.ok()) {
          // The cause's code (a full disk stays RESOURCE_EXHAUSTED).
          broken_ = absl::Status(
              written.code(),
              absl::StrCat(written.message(),
                           "; the embedded store stopped writing until it recovers (tried "
                           "every second)"));
        }
        // Their write failed, but a failed sync may still have left them on
        // disk: only a retry with the same command id can say.
        const absl::Status unknown(
            written.code(),
            absl::StrCat(broken_.message(),
                         "; whether this append reached the disk is unknown until a retry with "
                         "the same command_id answers"));
        for (auto& group : groups) {
          for (Accepted& a : group->accepted) {
            a.pending->promise.set_value(attempted ? unknown : broken_);
          }
        }
        syncing_ = false;
        continue;
      }
      PublishEnd(groups.back()->next_offset);
      {
        absl::MutexLock lock(&inflight_mu_);
        for (auto& group : groups) {
          for (const std::string& id : group->command_ids) inflight_commands_.erase(id);
        }
      }
      for (auto& group : groups) {
        for (Accepted& a : group->accepted) a.pending->promise.set_value(std::move(a.result));
      }
      absl::MutexLock lock(&sync_mu_);
      syncing_ = false;
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
  absl::StatusOr<StreamHead> DecidedHead(const std::string& stream_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(decide_mu_) {
    auto it = decided_heads_.find(stream_id);
    if (it != decided_heads_.end()) return it->second;
    GL_ASSIGN_OR_RETURN(StreamHead head, LoadHeadFromDb(stream_id));
    return decided_heads_.emplace(stream_id, std::move(head)).first->second;
  }

  const StoreOptions options_;
  rocksdb::WriteOptions sync_write_;

  internal::AppendQueue queue_{"embedded store is closing"};

  // The decider's view: what the log will hold once every decided group is
  // durable. Touched by the decider, and by recovery while it holds the
  // decider off.
  absl::Mutex decide_mu_;
  int64_t decided_offset_ ABSL_GUARDED_BY(decide_mu_);
  std::string decided_partition_hash_ ABSL_GUARDED_BY(decide_mu_);
  absl::flat_hash_map<std::string, StreamHead> decided_heads_ ABSL_GUARDED_BY(decide_mu_);

  // One recovery at a time, at most every kRecoverEvery.
  static constexpr absl::Duration kRecoverEvery = absl::Seconds(1);
  absl::Mutex recover_mu_;
  absl::Time last_recovery_ ABSL_GUARDED_BY(recover_mu_) = absl::InfinitePast();

  absl::Mutex inflight_mu_;
  absl::flat_hash_map<std::string, v1::AppendOutcome> inflight_commands_
      ABSL_GUARDED_BY(inflight_mu_);

  absl::Mutex sync_mu_;
  std::deque<std::unique_ptr<DecidedGroup>> sync_queue_ ABSL_GUARDED_BY(sync_mu_);
  bool decider_done_ ABSL_GUARDED_BY(sync_mu_) = false;
  bool syncing_ ABSL_GUARDED_BY(sync_mu_) = false;  // groups taken, not yet answered
  bool gave_up_ ABSL_GUARDED_BY(sync_mu_) = false;  // recovery stopped for good
  absl::Status broken_ ABSL_GUARDED_BY(sync_mu_);

  std::thread writer_;
  std::thread syncer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedStore(const std::string& path,
                                                              const StoreOptions& options) {
  if (options.read_only) return internal::OpenEmbeddedReadOnly(path, options.embedded_env);
  GL_ASSIGN_OR_RETURN(EmbeddedDb db,
                      internal::OpenEmbeddedDb(path, /*read_only=*/false, options.embedded_env));
  return std::make_unique<EmbeddedStore>(std::move(db), options);
}

absl::StatusOr<int64_t> RebuildEmbeddedIndexes(const std::string& path,
                                               const std::function<void(int64_t)>& progress) {
  return internal::RebuildEmbeddedIndexes(path, progress);
}

}  // namespace gridledger::eventstore
