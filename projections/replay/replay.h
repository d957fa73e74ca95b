// The replay engine: the views as they stood at a time. Each named view is
// wrapped in an AsOfView (only the events that count at `as_of` on the
// chosen time axis) and rebuilt from the start of the log into
// <out_dir>/<view>, the views in parallel on threads of their own; the
// rebuilt views then answer queries through Reader().
//
//   ReplayOptions options{.axis = v1::TIME_AXIS_BUSINESS, .as_of = t, .out_dir = "/tmp/r"};
//   GL_ASSIGN_OR_RETURN(options.views, ViewsNamed("ledger,kpi"));
//   GL_ASSIGN_OR_RETURN(std::unique_ptr<Replay> replay, Replay::Run(store, std::move(options)));
//   std::unique_ptr<ViewReader> ledger = replay->Reader("ledger");
//
// Run's errors: the store's (DATA_LOSS naming the position of a broken
// record) and RocksDB's for the scratch directory. `store` must outlive the
// Replay. Reader() is thread-safe.
#ifndef GRIDLEDGER_PROJECTIONS_REPLAY_REPLAY_H_
#define GRIDLEDGER_PROJECTIONS_REPLAY_REPLAY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/common.pb.h"
#include "projections/runtime/projection.h"
#include "projections/runtime/view_host.h"

namespace gridledger::projections {

struct ReplayOptions {
  v1::TimeAxis axis = v1::TIME_AXIS_RECORDED;
  google::protobuf::Timestamp as_of;
  // Created (or, when an earlier replay made it, wiped first: a directory
  // holding anything else is refused); each view gets <out_dir>/<name>.
  std::string out_dir;
  std::map<std::string, ViewFactory> views;
};

// What replaying one view did.
struct ReplayedView {
  std::string name;
  int64_t applied = 0;  // events that counted at the time
  int64_t skipped = 0;  // later ones
  // Events that happened by then but were recorded later (business axis).
  std::vector<v1::Position> recorded_late;
  double seconds = 0;  // from the start of the replay to this view's end
};

class Replay {
 public:
  static absl::StatusOr<std::unique_ptr<Replay>> Run(eventstore::EventStore* store,
                                                     const ReplayOptions& options);

  // In name order.
  const std::vector<ReplayedView>& views() const { return views_; }
  double seconds() const { return seconds_; }
  // A reader of a replayed view; nullptr when `name` was not replayed.
  std::unique_ptr<ViewReader> Reader(const std::string& name) const;

 private:
  Replay() = default;

  std::map<std::string, std::unique_ptr<ProjectionRunner>> runners_;
  std::vector<ReplayedView> views_;
  double seconds_ = 0;
};

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_REPLAY_REPLAY_H_
