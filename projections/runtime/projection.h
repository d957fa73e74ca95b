// The projection runtime: a view consumes the event store and keeps its state
// in its own RocksDB, writing each chunk's effects together with the position
// it reached (per partition) in one WriteBatch, so after any crash it resumes
// exactly where its state is: no event applied twice, none skipped. Positions
// are taken as given (not assumed contiguous).
//
// Example:
//   GL_ASSIGN_OR_RETURN(auto runner, ProjectionRunner::Open(store, std::move(view), dir));
//   runner->Start();                       // catch up, then follow
//   GL_RETURN_IF_ERROR(runner->WaitFor(position, absl::Seconds(5)));
//   view state is readable through runner->db()
#ifndef GRIDLEDGER_PROJECTIONS_RUNTIME_PROJECTION_H_
#define GRIDLEDGER_PROJECTIONS_RUNTIME_PROJECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "google/protobuf/message_lite.h"
#include "rocksdb/db.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/write_batch.h"

namespace gridledger::projections {

// What a view sees while applying one chunk: reads see the view's stored
// state plus everything staged earlier in the same chunk. Staged writes are
// kept per key (the last one wins), so a key written by many events of a
// chunk — a unit's totals — reaches RocksDB once.
class ViewTxn {
 public:
  explicit ViewTxn(rocksdb::DB* db) : db_(db) {}
  // NOT_FOUND when absent; DATA_LOSS / UNAVAILABLE from RocksDB.
  absl::StatusOr<std::string> Get(absl::string_view key) const;
  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);
  // Parses the value under `key` into `message`: false when absent,
  // DATA_LOSS when it does not parse.
  absl::StatusOr<bool> GetProto(absl::string_view key,
                                google::protobuf::MessageLite* message) const;
  void PutProto(absl::string_view key, const google::protobuf::MessageLite& message);

  // The keys starting with `prefix`, in order, as Get would see them (the
  // stored ones and those staged, less those staged as deleted).
  absl::StatusOr<std::vector<std::string>> Keys(absl::string_view prefix) const;

  // Adds every staged write to `batch`.
  void WriteTo(rocksdb::WriteBatch* batch) const;

 private:
  rocksdb::DB* db_;
  absl::flat_hash_map<std::string, std::optional<std::string>> staged_;  // nullopt: deleted
};

// A consistent read of a view: every read sees one RocksDB snapshot, and
// reflects() is the checkpoint stored in that same snapshot, so an answer
// says exactly which position it reflects.
class ViewReader {
 public:
  explicit ViewReader(rocksdb::DB* db);
  absl::StatusOr<std::string> Get(absl::string_view key) const;  // NOT_FOUND when absent
  absl::StatusOr<bool> GetProto(absl::string_view key,
                                google::protobuf::MessageLite* message) const;
  // Calls `visit(key, value)` for keys starting with `prefix`, from `start`
  // (≥ prefix; empty: from the prefix), until it returns false.
  absl::Status Scan(
      absl::string_view prefix, absl::string_view start,
      const std::function<bool(absl::string_view key, absl::string_view value)>& visit) const;
  const v1::Checkpoint& reflects() const { return reflects_; }

 private:
  rocksdb::DB* db_;
  rocksdb::ManagedSnapshot snapshot_;
  rocksdb::ReadOptions options_;
  v1::Checkpoint reflects_;
};

// A view: deterministic in the events it is given.
class View {
 public:
  virtual ~View() = default;
  virtual std::string name() const = 0;
  // Only matching events reach Apply (the position still advances past others).
  virtual eventstore::SubscriptionFilter filter() const { return {}; }
  // Stages the event's effect. An error stops the runner (nothing of the
  // chunk is written).
  virtual absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) = 0;
  // Called after each chunk's events, with the position after them (every
  // event before `applied` has been applied, matching or not). A view that
  // judges something once all events up to a point are in (the supervision
  // engine) does it here. An error stops the chunk as Apply's does; an
  // UNAVAILABLE one is retried.
  virtual absl::Status Settle(const v1::Checkpoint& applied, ViewTxn& txn) {
    (void)applied;
    (void)txn;
    return absl::OkStatus();
  }
};

struct RunnerOptions {
  int64_t chunk_events = 2048;  // events read and written per batch
  // Throttles catching up (events read per second; 0: as fast as it goes), so
  // a rebuild on a shared machine leaves the store and the API their share.
  int64_t max_events_per_second = 0;
  // Sees each chunk's batch just before it is written (benchmarks record them).
  std::function<void(const rocksdb::WriteBatch&)> on_write;
};

// Runs one view. Thread-safe: queries may read db() while it runs.
class ProjectionRunner {
 public:
  // Opens (creating) the view's RocksDB in `directory`.
  static absl::StatusOr<std::unique_ptr<ProjectionRunner>> Open(eventstore::EventStore* store,
                                                                std::unique_ptr<View> view,
                                                                const std::string& directory,
                                                                RunnerOptions options = {});
  ~ProjectionRunner();

  // Applies everything the store holds now, on the calling thread; returns
  // how many events were applied (matching the filter).
  absl::StatusOr<int64_t> CatchUp();

  // Catches up and follows on a background thread until Stop(). A read the
  // store cannot answer now (UNAVAILABLE: the broker away) is retried every
  // second, status() showing it meanwhile; any other error stops the thread.
  void Start();
  void Stop();
  // The error the runner stopped on, or the transient one it is retrying.
  absl::Status status() const;

  // The position applied so far (per partition, the next offset to read).
  v1::Checkpoint Applied() const;
  // Log end minus applied, summed over partitions (offsets, not events: on
  // Kafka transaction markers count too, while events remain to be read; 0
  // once nothing is left to read).
  absl::StatusOr<int64_t> Lag();
  // Waits, at most `timeout`, until `position` is applied. DEADLINE_EXCEEDED
  // naming the position otherwise.
  absl::Status WaitFor(const v1::Position& position, absl::Duration timeout);

  rocksdb::DB* db() const { return db_.get(); }
  const View& view() const { return *view_; }

  // The RocksDB options of a view's database.
  static rocksdb::Options DatabaseOptions();

  // The key the checkpoint is stored under (views must not use it).
  static constexpr char kCheckpointKey[] =
      "\xff"
      "checkpoint";

 private:
  ProjectionRunner(eventstore::EventStore* store, std::unique_ptr<eventstore::LogReader> reader,
                   std::unique_ptr<View> view, std::unique_ptr<rocksdb::DB> db,
                   v1::Checkpoint applied, RunnerOptions options);
  struct ChunkResult {
    int64_t read = 0;     // events read from the store
    int64_t applied = 0;  // of which matched the view's filter
  };
  absl::StatusOr<ChunkResult> ApplyChunk();
  void Throttle(int64_t events_read);

  eventstore::EventStore* const store_;
  const std::unique_ptr<eventstore::LogReader> reader_;  // under apply_mu_
  const std::unique_ptr<View> view_;
  const std::unique_ptr<rocksdb::DB> db_;
  const eventstore::SubscriptionFilter filter_;
  const RunnerOptions options_;

  mutable absl::Mutex mu_;
  v1::Checkpoint applied_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);

  absl::Mutex apply_mu_;  // one chunk at a time
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_RUNTIME_PROJECTION_H_
