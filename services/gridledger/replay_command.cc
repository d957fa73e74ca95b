#include "services/gridledger/replay_command.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "eventstore/event_store_factory.h"
#include "gridledger/v1/common.pb.h"
#include "projections/views/all_views.h"
#include "projections/views/as_of_view.h"
#include "projections/views/asset_lifecycle_view.h"
#include "projections/views/kpi_view.h"
#include "projections/views/ledger_view.h"
#include "projections/views/view_keys.h"
#include "services/common/calendar.h"
#include "services/gridledger/command_line.h"

namespace gridledger::cli {
namespace {

void PrintJson(absl::string_view label, const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("{\"%s\":%s}\n", std::string(label).c_str(), json.c_str());
}

// What was not known at that time is an answer, not a failure.
void PrintNotKnown(const absl::Status& status) {
  std::printf("{\"notKnown\":\"%s\"}\n", std::string(status.message()).c_str());
}

int Fail(const std::string& message, int status) {
  std::fprintf(stderr, "gridledger replay: %s\n", message.c_str());
  return status;
}

}  // namespace

int RunReplay(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, FlagSpec{{"store", "as-of", "time", "out", "views", "stream", "ledger",
                                 "asset", "kpi", "period"},
                                {}});
  if (!flags.ok()) return Fail(std::string(flags.status().message()), 2);
  for (const char* needed : {"store", "as-of", "out"}) {
    if (!flags->count(needed)) return Fail(absl::StrCat("--", needed, ": must be given"), 2);
  }
  absl::Time as_of_time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, flags->at("as-of"), &as_of_time, &error)) {
    return Fail(absl::StrCat("--as-of: not an RFC 3339 time (", error, ")"), 2);
  }
  google::protobuf::Timestamp as_of;
  as_of.set_seconds(absl::ToUnixSeconds(as_of_time));
  as_of.set_nanos(static_cast<int32_t>((as_of_time - absl::FromUnixSeconds(as_of.seconds())) /
                                       absl::Nanoseconds(1)));
  v1::TimeAxis axis = v1::TIME_AXIS_RECORDED;
  if (flags->count("time")) {
    if (flags->at("time") == "business") {
      axis = v1::TIME_AXIS_BUSINESS;
    } else if (flags->at("time") != "recorded") {
      return Fail("--time: must be recorded or business", 2);
    }
  }
  v1::Period period;
  if (flags->count("kpi")) {
    int year = 0, month = 0;
    const std::string text = flags->count("period") ? flags->at("period") : "";
    if (text.size() != 7 || text[4] != '-' || !absl::SimpleAtoi(text.substr(0, 4), &year) ||
        !absl::SimpleAtoi(text.substr(5), &month) || month < 1 || month > 12) {
      return Fail("--period: must be YYYY-MM with --kpi", 2);
    }
    period.set_year(year);
    period.set_month(month);
  }
  absl::StatusOr<std::map<std::string, projections::ViewFactory>> views = projections::ViewsNamed(
      flags->count("views") ? flags->at("views") : projections::kAllViewNames);
  if (!views.ok()) return Fail(std::string(views.status().message()), 2);
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags->at("store"));
  if (!store.ok()) return Fail(store.status().ToString(), 1);

  if (flags->count("stream")) {
    absl::StatusOr<std::vector<v1::EventEnvelope>> events =
        (*store)->ReadStream(flags->at("stream"));
    if (!events.ok()) return Fail(events.status().ToString(), 1);
    for (const v1::EventEnvelope& event : *events) {
      if (eventstore::CountsAsOf(event, axis, as_of)) PrintJson("event", event);
    }
  }

  const std::string out = flags->at("out");
  std::error_code ignored;
  std::filesystem::remove_all(out, ignored);
  std::filesystem::create_directories(out, ignored);
  // Each view on its own thread: they read the store independently.
  struct Replayed {
    projections::AsOfView* view = nullptr;
    std::unique_ptr<projections::ProjectionRunner> runner;
    absl::Status status;
    double seconds = 0;
  };
  std::map<std::string, Replayed> replayed;
  for (const auto& [name, factory] : *views) {
    auto view = std::make_unique<projections::AsOfView>(factory(), axis, as_of);
    Replayed& r = replayed[name];
    r.view = view.get();
    absl::StatusOr<std::unique_ptr<projections::ProjectionRunner>> runner =
        projections::ProjectionRunner::Open(store->get(), std::move(view), out + "/" + name);
    if (!runner.ok()) return Fail(runner.status().ToString(), 1);
    r.runner = *std::move(runner);
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (auto& [name, r] : replayed) {
    threads.emplace_back([&r, start] {
      r.status = r.runner->CatchUp().status();
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::string, std::unique_ptr<projections::ProjectionRunner>> runners;
  for (auto& [name, r] : replayed) {
    if (!r.status.ok()) return Fail(r.status.ToString(), 1);
    std::fprintf(stderr,
                 "replayed view %s as of %s (%s time): %lld events applied, %lld later ones "
                 "skipped, %zu recorded late, %.2f s\n",
                 name.c_str(), flags->at("as-of").c_str(),
                 axis == v1::TIME_AXIS_BUSINESS ? "business" : "recorded",
                 static_cast<long long>(r.view->applied()),
                 static_cast<long long>(r.view->skipped()), r.view->recorded_late().size(),
                 r.seconds);
    for (const v1::Position& late : r.view->recorded_late()) {
      std::printf("{\"recordedLate\":{\"view\":\"%s\",\"position\":\"%s@%lld\"}}\n", name.c_str(),
                  late.partition().c_str(), static_cast<long long>(late.offset()));
    }
    runners[name] = std::move(r.runner);
  }
  std::fprintf(stderr, "replayed %zu view(s) in %.2f s\n", runners.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  const v1::Date as_of_date = service::UtilityDate(as_of);
  auto reader_of = [&](const std::string& name) -> std::unique_ptr<projections::ViewReader> {
    auto it = runners.find(name);
    if (it == runners.end()) return nullptr;
    return std::make_unique<projections::ViewReader>(it->second->db());
  };
  if (flags->count("ledger")) {
    auto reader = reader_of("ledger");
    if (!reader) return Fail("--ledger needs the ledger view (--views)", 2);
    absl::StatusOr<v1::Statement> statement =
        projections::ReadStatement(*reader, flags->at("ledger"), 1000, "");
    absl::StatusOr<v1::AccountBalance> balance =
        projections::ReadBalance(*reader, flags->at("ledger"), as_of_date);
    if (absl::IsNotFound(statement.status())) {
      PrintNotKnown(statement.status());
    } else if (!statement.ok() || !balance.ok()) {
      return Fail((statement.ok() ? balance.status() : statement.status()).ToString(), 1);
    } else {
      PrintJson("statement", *statement);
      PrintJson("balance", *balance);
    }
  }
  if (flags->count("asset")) {
    auto reader = reader_of("assets");
    if (!reader) return Fail("--asset needs the assets view (--views)", 2);
    absl::StatusOr<v1::AssetReply> asset =
        projections::ReadAsset(*reader, flags->at("asset"), true, as_of_date);
    if (absl::IsNotFound(asset.status())) {
      PrintNotKnown(asset.status());
    } else if (!asset.ok()) {
      return Fail(asset.status().ToString(), 1);
    } else {
      PrintJson("asset", *asset);
    }
  }
  if (flags->count("kpi")) {
    auto reader = reader_of("kpi");
    if (!reader) return Fail("--kpi needs the kpi view (--views)", 2);
    absl::StatusOr<v1::KpiReport> report =
        projections::ReadKpis(*reader, flags->at("kpi"), period, as_of_date);
    if (!report.ok()) return Fail(report.status().ToString(), 1);
    PrintJson("kpis", *report);
  }
  return 0;
}

}  // namespace gridledger::cli
