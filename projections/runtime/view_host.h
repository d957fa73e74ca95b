// Hosts a process's views: each in its own RocksDB under
// <directory>/<view name>/gen-<N> (CURRENT names the live generation), caught
// up and followed on a thread per view. Rebuild builds generation N+1 from the
// start of the log beside the live one, swaps it in once it has caught up and
// then drops the old one, so queries are answered throughout.
//
// Example:
//   GL_ASSIGN_OR_RETURN(auto host, ViewHost::Open(store, "views", AllViews()));
//   host->Start();
//   std::shared_ptr<ProjectionRunner> ledger = host->Find("ledger");
#ifndef GRIDLEDGER_PROJECTIONS_RUNTIME_VIEW_HOST_H_
#define GRIDLEDGER_PROJECTIONS_RUNTIME_VIEW_HOST_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/rocksdb_stats.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

using ViewFactory = std::function<std::unique_ptr<View>()>;

class ViewHost {
 public:
  // Opens (creating) each view's live generation. `views` maps a name to a
  // factory whose views report that name.
  static absl::StatusOr<std::unique_ptr<ViewHost>> Open(
      eventstore::EventStore* store, const std::string& directory,
      const std::map<std::string, ViewFactory>& views, const RunnerOptions& options = {});
  ~ViewHost();

  // Starts every view following the store.
  void Start();
  // Stops them (and waits for any rebuild to finish).
  void Stop();

  // The live runner of a view; nullptr for an unknown name. Holding it keeps
  // that generation readable across a rebuild.
  std::shared_ptr<ProjectionRunner> Find(const std::string& name) const;
  std::vector<std::string> names() const;

  // Starts a rebuild of `name` (NOT_FOUND for an unknown view,
  // FAILED_PRECONDITION if one is already running). With `wait`, returns when
  // the new generation is live (or the rebuild failed).
  absl::Status Rebuild(const std::string& name, bool wait);

  // Applied position, lag, generation and rebuild state of each view.
  absl::StatusOr<std::vector<v1::ViewStatus>> Statuses() const;
  absl::StatusOr<v1::ViewStatus> StatusOf(const std::string& name) const;
  // Each live view's RocksDB figures, named "view:<name>" (for metrics).
  std::vector<RocksDbStats> StorageStats() const;

 private:
  struct Slot {
    ViewFactory factory;
    std::string directory;  // <root>/<name>
    std::shared_ptr<ProjectionRunner> live;
    int64_t generation = 0;
    bool rebuilding = false;
    std::string rebuild_error;
  };
  ViewHost(eventstore::EventStore* store, RunnerOptions options)
      : store_(store), options_(std::move(options)) {}
  absl::Status RunRebuild(const std::string& name);

  eventstore::EventStore* const store_;
  const RunnerOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> rebuilds_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_RUNTIME_VIEW_HOST_H_
