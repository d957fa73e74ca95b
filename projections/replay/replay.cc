#include "projections/replay/replay.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "projections/views/as_of_view.h"

namespace gridledger::projections {
namespace {

// One view being replayed on its own thread.
struct Replaying {
  AsOfView* view = nullptr;  // owned by the runner
  std::unique_ptr<ProjectionRunner> runner;
  absl::Status status;
  double seconds = 0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Replay>> Replay::Run(eventstore::EventStore* store,
                                                    const ReplayOptions& options) {
  std::error_code ignored;  // a missing directory is fine; creating it is checked by RocksDB
  std::filesystem::remove_all(options.out_dir, ignored);
  std::filesystem::create_directories(options.out_dir, ignored);
  std::map<std::string, Replaying> replaying;
  for (const auto& [name, factory] : options.views) {
    auto view = std::make_unique<AsOfView>(factory(), options.axis, options.as_of);
    Replaying& r = replaying[name];
    r.view = view.get();
    absl::StatusOr<std::unique_ptr<ProjectionRunner>> runner =
        ProjectionRunner::Open(store, std::move(view), options.out_dir + "/" + name);
    if (!runner.ok()) return runner.status();
    r.runner = *std::move(runner);
  }
  // The views read the store independently, so each catches up on its own thread.
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.reserve(replaying.size());
  for (auto& [name, r] : replaying) {
    threads.emplace_back([&r = r, start] {
      r.status = r.runner->CatchUp().status();
      r.seconds = SecondsSince(start);
    });
  }
  for (std::thread& t : threads) t.join();

  auto replay = std::unique_ptr<Replay>(new Replay());
  for (auto& [name, r] : replaying) {
    if (!r.status.ok()) return r.status;
    replay->views_.push_back(ReplayedView{name, r.view->applied(), r.view->skipped(),
                                          r.view->recorded_late(), r.seconds});
    replay->runners_[name] = std::move(r.runner);
  }
  replay->seconds_ = SecondsSince(start);
  return replay;
}

std::unique_ptr<ViewReader> Replay::Reader(const std::string& name) const {
  auto it = runners_.find(name);
  if (it == runners_.end()) return nullptr;
  return std::make_unique<ViewReader>(it->second->db());
}

}  // namespace gridledger::projections
