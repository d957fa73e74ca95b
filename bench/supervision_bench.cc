// The supervision engine's cost of judging a clock tick: every open subject
// is read, its rules judged and (when something changed) written back. The
// baseline, in the same run: reading and parsing the very same subject
// records from the view's RocksDB with nothing judged — the floor under any
// tick. Subjects are unpaid, unchecked bills (each judged by the four bill
// rules); the first tick after their due date raises their alerts (the view
// runs without a command path, as in a replay, so the appends are not
// timed), later ticks find nothing new.
//
//   supervision_bench --dir DIR [--subjects N] [--ticks T]
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "eventstore/event_store_factory.h"
#include "projections/runtime/projection.h"
#include "projections/views/supervision_view.h"
#include "services/marketing_department/supervision_commands.h"

namespace gridledger {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

absl::Time Day(int month, int day) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, 9, 0, 0), domain::UtilityZone());
}

v1::EventEnvelope Envelope(v1::DomainEvent payload, absl::Time at) {
  v1::EventEnvelope e;
  e.set_type(eventstore::EventTypeOf(payload));
  *e.mutable_occurred_at() = domain::ToTimestamp(at);
  e.set_org_unit("sn/xa/huyi");
  *e.mutable_payload() = std::move(payload);
  return e;
}

absl::Status AppendTick(eventstore::EventStore& store, absl::Time at, int n) {
  GL_ASSIGN_OR_RETURN(v1::Checkpoint covers, store.EndCheckpoint());
  GL_ASSIGN_OR_RETURN(v1::DomainEvent tick, marketing::DecideClockTick({}, at, covers));
  eventstore::AppendRequest request;
  request.stream_id = std::string(domain::kClockStream);
  request.command_id = absl::StrCat("bench-tick-", n);
  request.events.push_back(Envelope(std::move(tick), at));
  return store.Append(request).status();
}

int Run(const std::string& dir, int64_t subjects, int ticks) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = eventstore::OpenEventStore("embedded:" + dir + "/store");
  if (!store.ok()) return 1;
  const auto fill = Clock::now();
  for (int64_t i = 0; i < subjects; i += 100) {
    std::vector<eventstore::AppendRequest> batch;
    for (int64_t j = i; j < std::min(subjects, i + 100); ++j) {
      v1::DomainEvent bill;
      v1::BillIssued* b = bill.mutable_bill_issued();
      b->set_bill_id("B-1");
      b->set_account_id(absl::StrCat(j));
      b->set_total_fen(10000);
      *b->mutable_due_date() = domain::ToDate(absl::CivilDay(2026, 6, 20));
      eventstore::AppendRequest& request = batch.emplace_back();
      request.stream_id = domain::kAccount.StreamOf(absl::StrCat(j));
      request.command_id = absl::StrCat("bench-bill-", j);
      request.events.push_back(Envelope(std::move(bill), Day(6, 5)));
    }
    for (const auto& result : (*store)->AppendBatch(batch)) {
      if (!result.ok()) return 1;
    }
  }
  std::printf("filled %lld bills in %.1f s\n", static_cast<long long>(subjects), Seconds(fill));
  auto runner = projections::ProjectionRunner::Open(
      store->get(), std::make_unique<projections::SupervisionView>(), dir + "/view");
  if (!runner.ok() || !(*runner)->CatchUp().ok()) return 1;

  double judged_s = 0, scanned_s = 0;
  for (int t = 0; t < ticks; ++t) {
    if (!AppendTick(**store, Day(6, 22) + absl::Minutes(t), t).ok()) return 1;
    const auto judge = Clock::now();
    if (!(*runner)->CatchUp().ok()) return 1;
    const double seconds = Seconds(judge);
    if (t > 0) judged_s += seconds;  // the first tick raises; later ones are the steady state
    std::printf("tick %d: judged %lld subjects in %.3f s\n", t, static_cast<long long>(subjects),
                seconds);
    // The floor: the same subject records read and parsed, nothing judged.
    const auto scan = Clock::now();
    int64_t parsed = 0;
    std::unique_ptr<rocksdb::Iterator> it((*runner)->db()->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("s/"); it->Valid() && it->key().starts_with("s/"); it->Next()) {
      v1::SupervisedSubject subject;
      if (subject.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        ++parsed;
      }
    }
    if (t > 0) scanned_s += Seconds(scan);
    if (parsed != subjects) {
      std::fprintf(stderr, "parsed %lld subjects, expected %lld\n", static_cast<long long>(parsed),
                   static_cast<long long>(subjects));
      return 1;
    }
  }
  const int steady = ticks - 1;
  std::printf(
      "steady ticks: %d; judging %.0f subjects/s; scan+parse floor %.0f subjects/s; "
      "ratio %.2f\n",
      steady, subjects * steady / judged_s, subjects * steady / scanned_s, scanned_s / judged_s);
  return 0;
}

}  // namespace
}  // namespace gridledger

int main(int argc, char** argv) {
  std::string dir;
  int64_t subjects = 100000;
  int ticks = 6;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--subjects") {
      if (!absl::SimpleAtoi(argv[i + 1], &subjects)) return 2;
    } else if (flag == "--ticks") {
      if (!absl::SimpleAtoi(argv[i + 1], &ticks)) return 2;
    }
  }
  if (dir.empty() || ticks < 2) {
    std::fprintf(stderr,
                 "usage: supervision_bench --dir DIR [--subjects N] [--ticks T (at least 2)]\n");
    return 2;
  }
  return gridledger::Run(dir, subjects, ticks);
}
