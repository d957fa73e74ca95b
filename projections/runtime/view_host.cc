#include "projections/runtime/view_host.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gridledger::projections {
namespace {

namespace fs = std::filesystem;

std::string GenerationDir(const std::string& view_dir, int64_t generation) {
  return absl::StrCat(view_dir, "/gen-", generation);
}

// The live generation named by <view_dir>/CURRENT; 1 when there is none.
absl::StatusOr<int64_t> ReadCurrent(const std::string& view_dir) {
  std::ifstream in(view_dir + "/CURRENT");
  if (!in) return 1;
  std::string text;
  std::getline(in, text);
  int64_t generation = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &generation) || generation < 1) {
    return absl::DataLossError(absl::StrCat(view_dir, "/CURRENT: not a generation number"));
  }
  return generation;
}

// Replaces CURRENT atomically (write, fsync by close, rename).
absl::Status WriteCurrent(const std::string& view_dir, int64_t generation) {
  const std::string temporary = view_dir + "/CURRENT.tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << generation << "\n";
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  }
  std::error_code error;
  fs::rename(temporary, view_dir + "/CURRENT", error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot replace CURRENT: ", error.message()));
  }
  return absl::OkStatus();
}

// Removes every generation directory but `keep` (left over by a crash during
// a rebuild, or by a swap whose clean-up did not finish).
void RemoveOtherGenerations(const std::string& view_dir, int64_t keep) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(view_dir, error)) {
    const std::string name = entry.path().filename().string();
    int64_t generation = 0;
    if (absl::StartsWith(name, "gen-") && absl::SimpleAtoi(name.substr(4), &generation) &&
        generation != keep) {
      fs::remove_all(entry.path(), error);
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ViewHost>> ViewHost::Open(
    eventstore::EventStore* store, const std::string& directory,
    const std::map<std::string, ViewFactory>& views, const RunnerOptions& options) {
  std::unique_ptr<ViewHost> host(new ViewHost(store, options));
  absl::MutexLock lock(&host->mu_);
  for (const auto& [name, factory] : views) {
    Slot slot;
    slot.factory = factory;
    slot.directory = absl::StrCat(directory, "/", name);
    std::error_code error;
    fs::create_directories(slot.directory, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", slot.directory, ": ", error.message()));
    }
    GL_ASSIGN_OR_RETURN(slot.generation, ReadCurrent(slot.directory));
    RemoveOtherGenerations(slot.directory, slot.generation);
    GL_ASSIGN_OR_RETURN(
        std::unique_ptr<ProjectionRunner> runner,
        ProjectionRunner::Open(store, slot.factory(),
                               GenerationDir(slot.directory, slot.generation), options));
    GL_RETURN_IF_ERROR(WriteCurrent(slot.directory, slot.generation));
    slot.live = std::move(runner);
    host->slots_.emplace(name, std::move(slot));
  }
  return host;
}

ViewHost::~ViewHost() { Stop(); }

void ViewHost::Start() {
  absl::MutexLock lock(&mu_);
  started_ = true;
  for (auto& [name, slot] : slots_) slot.live->Start();
}

void ViewHost::Stop() {
  std::vector<std::thread> rebuilds;
  {
    absl::MutexLock lock(&mu_);
    started_ = false;
    rebuilds.swap(rebuilds_);
  }
  for (std::thread& t : rebuilds) t.join();
  absl::MutexLock lock(&mu_);
  for (auto& [name, slot] : slots_) slot.live->Stop();
}

std::shared_ptr<ProjectionRunner> ViewHost::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(name);
  return it == slots_.end() ? nullptr : it->second.live;
}

std::vector<std::string> ViewHost::names() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, slot] : slots_) names.push_back(name);
  return names;
}

absl::Status ViewHost::Rebuild(const std::string& name, bool wait) {
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(name);
    if (it == slots_.end()) {
      return absl::NotFoundError(absl::StrCat("view: no view named \"", name, "\" here"));
    }
    if (it->second.rebuilding) {
      return absl::FailedPreconditionError(absl::StrCat("view ", name, ": already rebuilding"));
    }
    it->second.rebuilding = true;
    it->second.rebuild_error.clear();
    if (!wait) {
      rebuilds_.emplace_back([this, name] { RunRebuild(name).IgnoreError(); });
      return absl::OkStatus();
    }
  }
  return RunRebuild(name);
}

absl::Status ViewHost::RunRebuild(const std::string& name) {
  std::string view_dir;
  int64_t next = 0;
  ViewFactory factory;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_.at(name);
    view_dir = slot.directory;
    next = slot.generation + 1;
    factory = slot.factory;
  }
  log::Info("view.rebuild_started",
            absl::StrCat("gridledger: view ", name, ": rebuilding as generation ", next),
            {{"view", name}, {"generation", next}});
  auto finish = [&](absl::Status status) {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_.at(name);
    slot.rebuilding = false;
    if (!status.ok()) {
      slot.rebuild_error = status.ToString();
      log::Error("view.rebuild_failed",
                 absl::StrCat("gridledger: view ", name, ": rebuild failed: ", status.ToString()),
                 {{"view", name}, {"generation", next}, {"reason", status.ToString()}});
    }
    return status;
  };
  std::error_code error;
  fs::remove_all(GenerationDir(view_dir, next), error);
  absl::StatusOr<std::unique_ptr<ProjectionRunner>> fresh =
      ProjectionRunner::Open(store_, factory(), GenerationDir(view_dir, next), options_);
  if (!fresh.ok()) return finish(fresh.status());
  std::shared_ptr<ProjectionRunner> rebuilt = *std::move(fresh);
  // Most of the log on this thread, beside the live view…
  if (absl::StatusOr<int64_t> applied = rebuilt->CatchUp(); !applied.ok()) {
    rebuilt.reset();
    fs::remove_all(GenerationDir(view_dir, next), error);
    return finish(applied.status());
  }
  std::shared_ptr<ProjectionRunner> retired;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_.at(name);
    // …then the swap: CURRENT first, so a crash from here on opens the new one.
    if (absl::Status s = WriteCurrent(view_dir, next); !s.ok()) {
      slot.rebuilding = false;
      slot.rebuild_error = s.ToString();
      return s;
    }
    if (started_) rebuilt->Start();
    retired = std::move(slot.live);
    slot.live = rebuilt;
    slot.generation = next;
    slot.rebuilding = false;
  }
  retired->Stop();
  // Queries that took the old generation before the swap finish on it.
  while (retired.use_count() > 1) absl::SleepFor(absl::Milliseconds(5));
  retired.reset();
  RemoveOtherGenerations(view_dir, next);
  log::Info("view.rebuilt", absl::StrCat("gridledger: view ", name, ": generation ", next, " live"),
            {{"view", name}, {"generation", next}});
  return absl::OkStatus();
}

std::vector<RocksDbStats> ViewHost::StorageStats() const {
  std::vector<std::pair<std::string, std::shared_ptr<ProjectionRunner>>> runners;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, slot] : slots_) runners.emplace_back(name, slot.live);
  }
  std::vector<RocksDbStats> stats;
  stats.reserve(runners.size());
  for (const auto& [name, runner] : runners) {
    stats.push_back(ReadRocksDbStats(absl::StrCat("view:", name), runner->db()));
  }
  return stats;
}

absl::StatusOr<v1::ViewStatus> ViewHost::StatusOf(const std::string& name) const {
  std::shared_ptr<ProjectionRunner> runner;
  v1::ViewStatus status;
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(name);
    if (it == slots_.end()) {
      return absl::NotFoundError(absl::StrCat("view: no view named \"", name, "\" here"));
    }
    runner = it->second.live;
    status.set_generation(it->second.generation);
    status.set_rebuilding(it->second.rebuilding);
    if (!it->second.rebuild_error.empty()) {
      status.set_error(absl::StrCat("last rebuild failed: ", it->second.rebuild_error));
    }
  }
  status.set_name(name);
  *status.mutable_applied() = runner->Applied();
  GL_ASSIGN_OR_RETURN(int64_t lag, runner->Lag());
  status.set_lag(lag);
  if (absl::Status stopped = runner->status(); !stopped.ok()) status.set_error(stopped.ToString());
  return status;
}

absl::StatusOr<std::vector<v1::ViewStatus>> ViewHost::Statuses() const {
  std::vector<v1::ViewStatus> statuses;
  for (const std::string& name : names()) {
    GL_ASSIGN_OR_RETURN(v1::ViewStatus status, StatusOf(name));
    statuses.push_back(std::move(status));
  }
  return statuses;
}

}  // namespace gridledger::projections
