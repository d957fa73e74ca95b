#include "projections/replay/replay.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
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

// The marker a directory replay made carries; only such a directory (or an
// empty or new one) is wiped.
constexpr char kMarker[] = ".gridledger-replay";

// Makes `dir` an empty replay directory. Refuses an empty path and a
// directory replay did not make that holds anything: --out must never wipe
// a store or anyone's files.
absl::Status PrepareOutDir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return absl::InvalidArgumentError("--out: must name a directory");
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error)) {
      return absl::InvalidArgumentError(absl::StrCat("--out: ", dir, " is not a directory"));
    }
    const bool empty = fs::is_empty(dir, error);
    if (!empty && !fs::exists(fs::path(dir) / kMarker, error)) {
      return absl::FailedPreconditionError(
          absl::StrCat("--out: ", dir,
                       " holds files replay did not write; give a new or empty directory (replay "
                       "wipes its --out)"));
    }
    fs::remove_all(dir, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("--out: cannot clear ", dir, ": ", error.message()));
    }
  }
  fs::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("--out: cannot create ", dir, ": ", error.message()));
  }
  std::ofstream(fs::path(dir) / kMarker) << "made by gridledger replay; wiped by the next one\n";
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Replay>> Replay::Run(eventstore::EventStore* store,
                                                    const ReplayOptions& options) {
  GL_RETURN_IF_ERROR(PrepareOutDir(options.out_dir));
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
