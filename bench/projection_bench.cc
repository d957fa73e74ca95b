// Projection throughput: events applied per second by each view from a
// pre-filled embedded store, beside the raw rate of RocksDB WriteBatch writes
// of exactly the same keys and values (the batches the view wrote, replayed
// into a fresh RocksDB with the same options), in the same run.
//
//   projection_bench --dir DIR [--events N] [--views ledger,assets,kpi]
//                    [--store URI]   (another store than DIR/store, e.g. kafka://…)
//
// DIR/store is filled once with N generated events (8 writers of the seeded
// business generator) and reused while it holds N events.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store_factory.h"
#include "projections/runtime/projection.h"
#include "projections/testing/business_generator.h"
#include "projections/views/all_views.h"

namespace gridledger {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int64_t Count(const v1::Checkpoint& checkpoint) {
  int64_t n = 0;
  for (const auto& p : checkpoint.next()) n += p.offset();
  return n;
}

int Fill(eventstore::EventStore& store, int64_t events) {
  constexpr int kWriters = 8;
  const int64_t per_writer = events / kWriters;
  const auto start = Clock::now();
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      testing::BusinessGenerator generator(7 + w, static_cast<int>(per_writer / 40),
                                           static_cast<int>(per_writer / 20),
                                           "w" + std::to_string(w) + "-");
      for (int64_t i = 0; i < per_writer; ++i) {
        if (!store.Append(generator.Next()).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  std::printf("filled %lld events in %.1f s (%d failed appends)\n",
              static_cast<long long>(per_writer) * kWriters, Seconds(start), failures.load());
  return failures.load();
}

int Run(const std::string& dir, const std::string& store_uri, int64_t events,
        const std::string& view_names) {
  std::filesystem::create_directories(dir);
  auto store =
      eventstore::OpenEventStore(store_uri.empty() ? "embedded:" + dir + "/store" : store_uri);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<v1::Checkpoint> end = (*store)->EndCheckpoint();
  if (!end.ok()) return 1;
  if (Count(*end) < events) {
    if (Fill(**store, events - Count(*end)) != 0) return 1;
    end = (*store)->EndCheckpoint();
  }
  // Events, not offsets (Kafka's transaction markers take offsets too).
  int64_t total = 0;
  {
    // Reading alone (every hash verified, every envelope parsed): the floor
    // under any view's time.
    const auto read_start = Clock::now();
    v1::Checkpoint from;
    int64_t read = 0;
    while (true) {
      absl::StatusOr<eventstore::ReadAllResult> chunk = (*store)->ReadAll(from, 2048);
      if (!chunk.ok()) return 1;
      if (chunk->events.empty()) break;
      read += static_cast<int64_t>(chunk->events.size());
      from = std::move(chunk->next);
    }
    const double read_seconds = Seconds(read_start);
    std::printf("read events=%lld read_s=%.2f read_events_per_s=%.0f\n",
                static_cast<long long>(read), read_seconds, read / read_seconds);
    total = read;
    std::fflush(stdout);
  }
  absl::StatusOr<std::map<std::string, projections::ViewFactory>> views =
      projections::ViewsNamed(view_names);
  if (!views.ok()) return 2;
  for (const auto& [name, factory] : *views) {
    const std::string view_dir = absl::StrCat(dir, "/view-", name);
    const std::string raw_dir = absl::StrCat(dir, "/raw-", name);
    std::filesystem::remove_all(view_dir);
    std::filesystem::remove_all(raw_dir);
    std::vector<std::string> batches;
    int64_t bytes = 0;
    projections::RunnerOptions options;
    options.on_write = [&](const rocksdb::WriteBatch& batch) {
      batches.push_back(batch.Data());
      bytes += static_cast<int64_t>(batch.GetDataSize());
    };
    auto runner = projections::ProjectionRunner::Open(store->get(), factory(), view_dir, options);
    if (!runner.ok()) return 1;
    const auto view_start = Clock::now();
    absl::StatusOr<int64_t> applied = (*runner)->CatchUp();
    const double view_seconds = Seconds(view_start);
    if (!applied.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), applied.status().ToString().c_str());
      return 1;
    }
    runner->reset();
    // The same batches, straight into RocksDB.
    // The same options the runner gives a view's RocksDB (projection.cc).
    rocksdb::Options raw_options = projections::ProjectionRunner::DatabaseOptions();
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(raw_options, raw_dir, &raw).ok()) return 1;
    const auto raw_start = Clock::now();
    for (const std::string& data : batches) {
      rocksdb::WriteBatch batch(data);
      if (!raw->Write(rocksdb::WriteOptions(), &batch).ok()) return 1;
    }
    const double raw_seconds = Seconds(raw_start);
    delete raw;
    std::printf(
        "view=%s events=%lld applied=%lld batches=%zu bytes=%lld view_s=%.2f "
        "view_events_per_s=%.0f "
        "raw_s=%.2f raw_events_per_s=%.0f ratio=%.2f\n",
        name.c_str(), static_cast<long long>(total), static_cast<long long>(*applied),
        batches.size(), static_cast<long long>(bytes), view_seconds, total / view_seconds,
        raw_seconds, total / raw_seconds, raw_seconds / view_seconds);
    std::fflush(stdout);
    std::filesystem::remove_all(view_dir);
    std::filesystem::remove_all(raw_dir);
  }
  return 0;
}

}  // namespace
}  // namespace gridledger

int main(int argc, char** argv) {
  std::string dir, store_uri, views = "ledger,assets,kpi";
  int64_t events = 5'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--store") {
      store_uri = value;
    } else if (flag == "--dir") {
      dir = value;
    } else if (flag == "--events" && absl::SimpleAtoi(value, &events)) {
    } else if (flag == "--views") {
      views = value;
    } else {
      std::fprintf(stderr, "projection_bench: unknown or bad flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: projection_bench --dir DIR [--events N] [--views LIST]\n");
    return 2;
  }
  return gridledger::Run(dir, store_uri, events, views);
}
