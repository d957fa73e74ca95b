// Append throughput and latency of an EventStore, or of the raw RocksDB
// baseline, with realistic events (a TOU meter read in its envelope).
//
//   eventstore_bench --store URI --batch N --concurrency C --events E [--signed_writer]
//   eventstore_bench --raw_rocksdb PATH --batch N --concurrency C --events E
//   eventstore_bench --print_record_size
//
// C threads each append batches of N events (one Append call, or for the
// baseline one synced WriteBatch of the same record bytes) until E events are
// written. Prints one line: mode, batch, concurrency, events, seconds,
// events/s, p50 and p99 latency of one call in microseconds. --signed_writer:
// the store signs every group commit with a fresh Ed25519 key (the cost of
// writer signatures against the same run without).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/big_endian.h"
#include "common/ed25519.h"
#include "common/ids.h"
#include "common/sha256.h"
#include "eventstore/event_store_factory.h"
#include "eventstore/internal/record_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace gridledger::bench {
namespace {

struct Options {
  std::string store;
  std::string raw_rocksdb;
  int batch = 1;
  int concurrency = 16;
  int64_t events = 100000;
  bool signed_writer = false;  // a fresh writer key signs every group commit
};

v1::EventEnvelope MeterRead(int64_t n) {
  v1::EventEnvelope event;
  event.set_type("gridledger.v1.MeterReadRecorded");
  event.mutable_occurred_at()->set_seconds(1795000000 + n);
  event.mutable_actor()->set_principal("reader-0042");
  event.mutable_actor()->set_role("meter_reader");
  event.mutable_actor()->set_org_unit("sn/xa/huyi");
  event.set_correlation_id(NewUuid());
  auto* read = event.mutable_payload()->mutable_meter_read_recorded();
  read->set_read_id(absl::StrCat("read-2026-11-", n));
  read->set_account_id(absl::StrCat("61010", 100000 + n % 100000));
  read->set_meter_bar_code(absl::StrCat("33100010", 10000000000000 + n));
  read->mutable_period()->set_year(2026);
  read->mutable_period()->set_month(11);
  auto* r = read->mutable_registers();
  r->set_total_wh(1234567890 + n);
  r->set_sharp_wh(123456789);
  r->set_peak_wh(370370367);
  r->set_flat_wh(493827156);
  r->set_valley_wh(246913578 + n);
  r->set_reactive_varh(411522630);
  r->set_max_demand_w(812000);
  read->mutable_read_at()->set_seconds(1795000000 + n);
  read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
  read->set_reader("reader-0042");
  read->set_multiplier(1);
  return event;
}

// The bytes the store would keep for one such event.
std::string RecordBytes(int64_t n) {
  v1::EventEnvelope event = MeterRead(n);
  event.set_event_id(NewUuid());
  event.set_stream_id(absl::StrCat("account-", 100000 + n % 100000));
  event.set_stream_version(1 + n / 100000);
  event.set_command_id(NewUuid());
  event.mutable_recorded_at()->set_seconds(1795000000);
  event.set_schema_version(1);
  return eventstore::internal::SealEnvelope(event, GenesisHash(), GenesisHash()).record_bytes;
}

struct Result {
  double seconds = 0;
  int64_t events = 0;
  std::vector<int64_t> latencies_us;
};

template <typename AppendFn>
Result Drive(const Options& options, AppendFn append) {
  std::atomic<int64_t> next_batch{0};
  const int64_t batches = options.events / options.batch;
  std::vector<std::vector<int64_t>> latencies(options.concurrency);
  std::atomic<bool> failed{false};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  threads.reserve(options.concurrency);
  for (int t = 0; t < options.concurrency; ++t) {
    threads.emplace_back([&, t] {
      while (!failed.load()) {
        const int64_t b = next_batch.fetch_add(1);
        if (b >= batches) break;
        const absl::Time begin = absl::Now();
        if (!append(t, b)) {
          failed.store(true);
          break;
        }
        latencies[t].push_back(absl::ToInt64Microseconds(absl::Now() - begin));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Result result;
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed.load()) std::exit(1);
  for (auto& l : latencies) {
    result.latencies_us.insert(result.latencies_us.end(), l.begin(), l.end());
  }
  result.events = static_cast<int64_t>(result.latencies_us.size()) * options.batch;
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  return result;
}

void Print(const std::string& mode, const Options& options, const Result& result) {
  auto percentile = [&](double p) {
    if (result.latencies_us.empty()) return int64_t{0};
    return result.latencies_us[static_cast<size_t>(p * (result.latencies_us.size() - 1))];
  };
  std::printf(
      "%s batch=%d concurrency=%d events=%lld seconds=%.3f events_per_s=%.0f p50_us=%lld "
      "p99_us=%lld\n",
      mode.c_str(), options.batch, options.concurrency, static_cast<long long>(result.events),
      result.seconds, result.events / result.seconds, static_cast<long long>(percentile(0.50)),
      static_cast<long long>(percentile(0.99)));
}

int RunStore(const Options& options) {
  eventstore::StoreOptions store_options;
  if (options.signed_writer) {
    absl::StatusOr<Ed25519KeyPair> pair = GenerateEd25519KeyPair();
    absl::StatusOr<std::shared_ptr<const Ed25519Signer>> signer =
        pair.ok() ? Ed25519Signer::FromPem(pair->private_pem)
                  : absl::StatusOr<std::shared_ptr<const Ed25519Signer>>(pair.status());
    if (!signer.ok()) {
      std::fprintf(stderr, "%s\n", signer.status().ToString().c_str());
      return 1;
    }
    store_options.writer_signer = *std::move(signer);
  }
  auto store = eventstore::OpenEventStore(options.store, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  // Pre-build the requests so the timed part is the store's work.
  const int64_t batches = options.events / options.batch;
  std::vector<eventstore::AppendRequest> requests(batches);
  for (int64_t b = 0; b < batches; ++b) {
    auto& request = requests[b];
    request.stream_id = absl::StrCat("account-", 610100000 + b);
    request.expected_version = eventstore::kNoStream;
    request.command_id = NewUuid();
    for (int i = 0; i < options.batch; ++i) {
      request.events.push_back(MeterRead(b * options.batch + i));
    }
  }
  Result result = Drive(options, [&](int, int64_t b) {
    auto appended = (*store)->Append(std::move(requests[b]));
    if (!appended.ok()) std::fprintf(stderr, "append: %s\n", appended.status().ToString().c_str());
    return appended.ok();
  });
  const std::string mode = absl::StrCat(options.store.rfind("kafka", 0) == 0 ? "kafka" : "embedded",
                                        options.signed_writer ? "+signed" : "");
  Print(mode, options, result);
  return 0;
}

int RunRawRocksDb(const Options& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  db_options.write_buffer_size = 64 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.raw_rocksdb, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> records(1000);
  for (size_t i = 0; i < records.size(); ++i) records[i] = RecordBytes(static_cast<int64_t>(i));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  Result result = Drive(options, [&](int, int64_t b) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < options.batch; ++i) {
      const int64_t n = b * options.batch + i;
      batch.Put(BigEndian64(static_cast<uint64_t>(n)), records[n % records.size()]);
    }
    return db->Write(sync, &batch).ok();
  });
  Print("raw_rocksdb", options, result);
  return 0;
}

}  // namespace
}  // namespace gridledger::bench

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as gridledger does
  gridledger::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--store") {
      options.store = value();
    } else if (arg == "--raw_rocksdb") {
      options.raw_rocksdb = value();
    } else if (arg == "--batch") {
      options.batch = std::atoi(value().c_str());
    } else if (arg == "--concurrency") {
      options.concurrency = std::atoi(value().c_str());
    } else if (arg == "--events") {
      options.events = std::atoll(value().c_str());
    } else if (arg == "--signed_writer") {
      options.signed_writer = true;
    } else if (arg == "--print_record_size") {
      std::printf("%zu\n", gridledger::bench::RecordBytes(12345).size());
      return 0;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      return 2;
    }
  }
  if (options.batch < 1 || options.concurrency < 1 || options.events < options.batch) {
    std::fprintf(stderr, "--batch, --concurrency and --events must be positive, events >= batch\n");
    return 2;
  }
  if (!options.raw_rocksdb.empty()) return gridledger::bench::RunRawRocksDb(options);
  if (!options.store.empty()) return gridledger::bench::RunStore(options);
  std::fprintf(stderr, "give --store URI or --raw_rocksdb PATH\n");
  return 2;
}
