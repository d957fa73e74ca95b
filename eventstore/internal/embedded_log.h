// The read side of the embedded store (embedded_store.h), shared by the
// writing store and by a read-only one: the RocksDB database, its column
// families, and every read the EventStore interface has (streams, the whole
// log, subscriptions, the log's end, the command index). A derived store
// publishes the log's end (PublishEnd) as it learns it: the writer after each
// sync, a read-only store after catching up with the writer's files.
//
// Thread-safe.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_EMBEDDED_LOG_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_EMBEDDED_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/group_decider.h"
#include "rocksdb/db.h"

namespace gridledger::eventstore::internal {

// The column families, in the order OpenEmbeddedDb opens them.
enum EmbeddedFamily {
  kDefaultFamily = 0,
  kLogFamily,
  kStreamsFamily,
  kCommandsFamily,
  kHeadsFamily
};

// The default family's key of the partition head: BE64(next offset) ‖ hash.
inline constexpr char kPartitionHeadKey[] = "partition_head";

// An opened database and what it says about the log.
struct EmbeddedDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by EmbeddedFamily
  StreamHead partition_head;                          // version = the next offset
  // A read-only open's own directory (RocksDB's secondary files), removed
  // when the store closes; empty for the writer.
  std::string scratch_dir;
  // The environment the database runs in when not the default; outlives it.
  std::shared_ptr<rocksdb::Env> env;
  // The directory it was opened from.
  std::string path;
};

// Opens the database in `path`. For writing: created if missing, exclusive
// (FAILED_PRECONDITION when another process or store holds it). Read-only: a
// RocksDB secondary instance beside whatever writes (NOT_FOUND when `path`
// holds no store), caught up once. DATA_LOSS when the partition head is
// corrupted.
// `env` (optional) is the RocksDB environment to open it in.
absl::StatusOr<EmbeddedDb> OpenEmbeddedDb(const std::string& path, bool read_only,
                                          std::shared_ptr<rocksdb::Env> env = nullptr);

// How OpenEmbeddedDbAs opens: for writing (the directory made if missing, one
// level); for writing again an existing store (the writer's recovery:
// creates nothing, so a vanished or unmounted directory is not replaced by
// an empty store); as a secondary beside a writer (OpenEmbeddedDb's
// read_only); or plainly read-only with no writer (the writer's fallback
// while it cannot reopen for writing: nothing is written, not even a lock).
enum class OpenMode { kWrite, kReopenForWriting, kSecondary, kReadOnlyFallback };
absl::StatusOr<EmbeddedDb> OpenEmbeddedDbAs(const std::string& path, OpenMode mode,
                                            std::shared_ptr<rocksdb::Env> env = nullptr);

// "<BE64 version><hash>" ↔ StreamHead.
std::string EncodeHead(int64_t number, const std::string& hash);
absl::StatusOr<StreamHead> DecodeHead(absl::string_view bytes, absl::string_view what);
// stream_id \0 BE64(version): a key of the streams family.
std::string StreamKey(absl::string_view stream_id, int64_t version);
v1::Position EmbeddedPosition(int64_t offset);
// A RocksDB status as ours: corruption → DATA_LOSS, no space →
// RESOURCE_EXHAUSTED, anything else → UNAVAILABLE; `doing` leads the message.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing);

class EmbeddedLog : public EventStore {
 public:
  // Destroys the handles, closes the database, removes the scratch directory.
  ~EmbeddedLog() override;

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override;
  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override;
  absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                          SubscriptionFilter filter,
                                                          EventHandler handler) override;
  absl::StatusOr<v1::Checkpoint> EndCheckpoint() override;
  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override;
  // Walks the log (up to its end now) and looks up each event's entries,
  // then walks each index for entries the log does not have. A read-only
  // store holds still meanwhile (no catching up with the writer), so the
  // answer is of one consistent state; on the writing store appends made
  // during the check may show as discrepancies.
  absl::StatusOr<std::vector<IndexDiscrepancy>> CheckIndexes(int64_t limit) override;

  // Blocks until the log holds an event at `offset` or `timeout` passes.
  virtual void AwaitOffset(int64_t offset, absl::Duration timeout);

 protected:
  // Takes db's database, handles and scratch directory (db.partition_head
  // stays for the caller).
  explicit EmbeddedLog(EmbeddedDb&& db);

  // Before each read: a read-only store catches up here, unless held still
  // (holding_still() > 0). OK by default.
  virtual absl::Status Refresh() { return absl::OkStatus(); }
  int holding_still() const { return hold_still_.load(); }

  // Makes events up to `next_offset` (exclusive) visible to readers.
  void PublishEnd(int64_t next_offset);
  // The end published so far (readers may have seen everything before it).
  int64_t PublishedEnd();

  // Closes the database and opens it again for writing (the writer, after a
  // failed write left RocksDB refusing writes): waits for reads in progress,
  // and holds new ones meanwhile. Returns the reopened log's partition head.
  // When that open fails, the database is opened read-only instead (reads
  // and subscriptions go on; appends must not be tried) and the error is
  // returned; not when another process holds the store now
  // (FAILED_PRECONDITION: it writes, what this one would read is stale), nor
  // when the read-only open fails too: then the store has no database until
  // a later reopen, reads failing UNAVAILABLE saying why. The caller makes
  // sure nothing else of its own (a decider, a syncer) touches the database
  // during the call.
  absl::StatusOr<StreamHead> ReopenForWriting();

  // Reads of the database. Readers hold db_mu_ shared (the public reads
  // take it); the writer's decider and syncer call them without it, which is
  // safe because ReopenForWriting's caller keeps them away meanwhile.
  absl::StatusOr<v1::EventEnvelope> ReadAt(int64_t offset);
  absl::StatusOr<StreamHead> LoadHeadFromDb(absl::string_view stream_id);
  absl::StatusOr<std::optional<v1::AppendOutcome>> LoadCommand(const std::string& command_id);

  // The directory the store lives in.
  const std::string& path() const { return path_; }
  // The database (read-only after a failed reopen, null when even that
  // failed: see ReopenForWriting).
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(EmbeddedFamily f) const { return handles_[f]; }
  // Held shared by every read, exclusively by ReopenForWriting.
  absl::Mutex& db_mutex() const { return db_mu_; }
  // UNAVAILABLE while there is no database (see ReopenForWriting), else OK.
  // Callers hold db_mu_ (or are the writer's own threads).
  absl::Status CheckOpen() const;

 private:
  // Destroys the handles and closes the database (best effort).
  void CloseDatabase();
  absl::StatusOr<int64_t> StreamVersionLocked(absl::string_view stream_id);

  std::shared_ptr<rocksdb::Env> env_;  // destroyed after the database
  const std::string path_;
  mutable absl::Mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string scratch_dir_;
  std::atomic<int> hold_still_{0};  // CheckIndexes in progress
  std::string reopen_failure_;      // why the last reopen failed; guarded by db_mu_

  // The durable end of the log.
  absl::Mutex state_mu_;
  int64_t next_offset_ ABSL_GUARDED_BY(state_mu_);
};

// Rebuilds the command index, the stream index, the stream heads and the
// partition head of the embedded store in `path` from its log (which must be
// intact: DATA_LOSS names the first break and nothing is rebuilt past it);
// returns how many events it indexed. Needs the store to itself
// (FAILED_PRECONDITION while `serve` holds it). `progress` gets the events
// indexed so far.
absl::StatusOr<int64_t> RebuildEmbeddedIndexes(const std::string& path,
                                               const std::function<void(int64_t)>& progress);

// A read-only embedded store (StoreOptions::read_only): appends fail
// FAILED_PRECONDITION; reads follow the writer, catching up with its files
// at most every 50 ms.
absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedReadOnly(
    const std::string& path, std::shared_ptr<rocksdb::Env> env = nullptr);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_EMBEDDED_LOG_H_
