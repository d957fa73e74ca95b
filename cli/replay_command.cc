#include "cli/replay_command.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "eventstore/event_store_factory.h"
#include "projections/replay/replay.h"
#include "projections/views/all_views.h"
#include "projections/views/asset_lifecycle_view.h"
#include "projections/views/kpi_view.h"
#include "projections/views/ledger_view.h"
#include "projections/views/supervision_view.h"

namespace gridledger::cli {
namespace {

struct ReplayFlags {
  std::string store, as_of, time = "recorded", out, views = projections::kAllViewNames;
  std::string stream, ledger, asset, kpi, period, alerts;
};

// The flags made into what the engine and the queries need.
struct ReplayRequest {
  projections::ReplayOptions options;
  v1::Period period;
};

void PrintJson(absl::string_view label, const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  // The messages are ours and complete: printing them cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("{\"%s\":%s}\n", std::string(label).c_str(), json.c_str());
}

// What was not known at that time is an answer, not a failure.
void PrintNotKnown(const absl::Status& status) {
  std::printf("{\"notKnown\":\"%s\"}\n", std::string(status.message()).c_str());
}

absl::StatusOr<ReplayRequest> RequestOf(const ReplayFlags& flags) {
  ReplayRequest request;
  projections::ReplayOptions& options = request.options;
  absl::Time as_of;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, flags.as_of, &as_of, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--as-of: not an RFC 3339 time (", error, ")"));
  }
  options.as_of = domain::ToTimestamp(as_of);
  options.axis = flags.time == "business" ? v1::TIME_AXIS_BUSINESS : v1::TIME_AXIS_RECORDED;
  options.out_dir = flags.out;
  absl::StatusOr<std::map<std::string, projections::ViewFactory>> views =
      projections::ViewsNamed(flags.views);
  if (!views.ok()) return views.status();
  options.views = *std::move(views);
  if (!flags.kpi.empty()) {
    const std::string& text = flags.period;
    int year = 0, month = 0;
    if (text.size() != 7 || text[4] != '-' || !absl::SimpleAtoi(text.substr(0, 4), &year) ||
        !absl::SimpleAtoi(text.substr(5), &month) || month < 1 || month > 12) {
      return absl::InvalidArgumentError("--period: must be YYYY-MM with --kpi");
    }
    request.period.set_year(year);
    request.period.set_month(month);
  }
  for (const auto& [flag, value, view] :
       {std::make_tuple("--ledger", flags.ledger, "ledger"),
        std::make_tuple("--asset", flags.asset, "assets"),
        std::make_tuple("--kpi", flags.kpi, "kpi"),
        std::make_tuple("--alerts", flags.alerts, "supervision")}) {
    if (!value.empty() && !options.views.count(view)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " needs the ", view, " view (--views)"));
    }
  }
  return request;
}

absl::Status PrintStream(eventstore::EventStore& store, const ReplayFlags& flags,
                         const projections::ReplayOptions& options) {
  absl::StatusOr<std::vector<v1::EventEnvelope>> events = store.ReadStream(flags.stream);
  if (!events.ok()) return events.status();
  for (const v1::EventEnvelope& event : *events) {
    if (eventstore::CountsAsOf(event, options.axis, options.as_of)) PrintJson("event", event);
  }
  return absl::OkStatus();
}

void PrintReplayed(const projections::Replay& replay, const ReplayFlags& flags) {
  for (const projections::ReplayedView& view : replay.views()) {
    std::fprintf(stderr,
                 "replayed view %s as of %s (%s time): %lld events applied, %lld later ones "
                 "skipped, %zu recorded late, %.2f s\n",
                 view.name.c_str(), flags.as_of.c_str(), flags.time.c_str(),
                 static_cast<long long>(view.applied), static_cast<long long>(view.skipped),
                 view.recorded_late.size(), view.seconds);
    for (const v1::Position& late : view.recorded_late) {
      std::printf("{\"recordedLate\":{\"view\":\"%s\",\"position\":\"%s@%lld\"}}\n",
                  view.name.c_str(), late.partition().c_str(),
                  static_cast<long long>(late.offset()));
    }
  }
  std::fprintf(stderr, "replayed %zu view(s) in %.2f s\n", replay.views().size(), replay.seconds());
}

// The unit's alerts as the log recorded them by then ("alert" lines), what
// the engine replayed decides from the ticks by then ("decided"), and whether
// the two agree ("alertsAgree"; on the recorded axis: a time just after a
// tick, before the engine recorded what it found, shows the decision without
// its alert; on the business axis thresholds recorded later are not applied).
absl::Status PrintAlerts(const projections::ViewReader& reader, const std::string& unit) {
  GL_RETURN_IF_ERROR(domain::CheckOrgUnit("--alerts", unit));
  std::map<std::string, bool> recorded, decided;
  v1::ListAlertsRequest list;
  list.set_page_size(1000);
  for (;;) {
    GL_ASSIGN_OR_RETURN(v1::AlertPage page, projections::ListAlerts(reader, unit, list));
    for (v1::AlertRecord& alert : *page.mutable_alerts()) {
      alert.clear_reflects();
      if (alert.raised_by() == "system:supervision") {
        // Resolved by hand before the engine would have: open as the engine
        // sees it.
        recorded[alert.raised().alert_id()] =
            alert.state() == v1::ALERT_STATE_OPEN || alert.resolved_by() != "system:supervision";
      }
      PrintJson("alert", alert);
    }
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  GL_ASSIGN_OR_RETURN(std::vector<v1::AlertRecord> decisions, projections::EngineDecisions(reader));
  for (const v1::AlertRecord& d : decisions) {
    if (!domain::OrgUnitContains(unit, d.raised().org_unit())) continue;
    const bool open = d.state() == v1::ALERT_STATE_OPEN;
    decided[d.raised().alert_id()] = open;
    std::printf("{\"decided\":{\"alertId\":\"%s\",\"open\":%s}}\n", d.raised().alert_id().c_str(),
                d.state() == v1::ALERT_STATE_OPEN ? "true" : "false");
  }
  std::printf("{\"alertsAgree\":%s}\n", recorded == decided ? "true" : "false");
  return absl::OkStatus();
}

// The answers asked for, from the replayed views.
absl::Status PrintAnswers(const projections::Replay& replay, const ReplayFlags& flags,
                          const ReplayRequest& request) {
  const v1::Date as_of_date = domain::UtilityDate(request.options.as_of);
  if (!flags.ledger.empty()) {
    std::unique_ptr<projections::ViewReader> reader = replay.Reader("ledger");
    absl::StatusOr<v1::Statement> statement =
        projections::ReadStatement(*reader, flags.ledger, 1000, "");
    absl::StatusOr<v1::AccountBalance> balance =
        projections::ReadBalance(*reader, flags.ledger, as_of_date);
    if (absl::IsNotFound(statement.status())) {
      PrintNotKnown(statement.status());
    } else if (!statement.ok() || !balance.ok()) {
      return statement.ok() ? balance.status() : statement.status();
    } else {
      PrintJson("statement", *statement);
      PrintJson("balance", *balance);
    }
  }
  if (!flags.asset.empty()) {
    absl::StatusOr<v1::AssetReply> asset =
        projections::ReadAsset(*replay.Reader("assets"), flags.asset, true, as_of_date);
    if (absl::IsNotFound(asset.status())) {
      PrintNotKnown(asset.status());
    } else if (!asset.ok()) {
      return asset.status();
    } else {
      PrintJson("asset", *asset);
    }
  }
  if (!flags.kpi.empty()) {
    absl::StatusOr<v1::KpiReport> report =
        projections::ReadKpis(*replay.Reader("kpi"), flags.kpi, request.period, as_of_date);
    if (!report.ok()) return report.status();
    PrintJson("kpis", *report);
  }
  if (!flags.alerts.empty()) return PrintAlerts(*replay.Reader("supervision"), flags.alerts);
  return absl::OkStatus();
}

int RunReplay(const ReplayFlags& flags) {
  absl::StatusOr<ReplayRequest> request = RequestOf(flags);
  if (!request.ok()) return Report("replay", request.status());
  // An auditor's replay honours acknowledged damage whoever signed it, and
  // says so (verify --public_key checks the signer).
  eventstore::StoreOptions options = eventstore::ReadOnlyStoreOptions();
  options.accept_any_acknowledgement = true;
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags.store, options);
  if (!store.ok()) return Report("replay", store.status(), kExitFailed);
  for (const eventstore::Acknowledgement& ack : (*store)->DamageAcknowledgements()) {
    std::fprintf(stderr,
                 "gridledger replay: skipping %d record(s) acknowledged as damaged (\"%s\", by "
                 "%s, key %s)\n",
                 ack.statement.records_size(), ack.statement.reason().c_str(),
                 ack.statement.operator_name().c_str(), ack.signer.c_str());
  }
  if (!flags.stream.empty()) {
    if (absl::Status s = PrintStream(**store, flags, request->options); !s.ok()) {
      return Report("replay", s);
    }
  }
  absl::StatusOr<std::unique_ptr<projections::Replay>> replay =
      projections::Replay::Run(store->get(), request->options);
  if (!replay.ok()) return Report("replay", replay.status());
  PrintReplayed(**replay, flags);
  if (absl::Status s = PrintAnswers(**replay, flags, *request); !s.ok()) {
    return Report("replay", s);
  }
  return kExitOk;
}

}  // namespace

void AddReplayCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* command =
      app.add_subcommand("replay", "the views as they stood at a time, printed as JSON lines");
  command->add_option("--store", flags->store, "the event store")->required();
  command->add_option("--as-of", flags->as_of, "the time, RFC 3339 (2026-11-30T23:59:59+08:00)")
      ->required();
  command
      ->add_option("--time", flags->time,
                   "recorded (what the system knew) or business (what had happened)")
      ->check(CLI::IsMember({"recorded", "business"}))
      ->capture_default_str();
  command->add_option("--out", flags->out, "scratch directory for the replayed views (wiped)")
      ->required();
  command->add_option("--views", flags->views, "views to replay")->capture_default_str();
  command->add_option("--stream", flags->stream, "print this stream's events as of the time");
  command->add_option("--ledger", flags->ledger, "print this account's statement and balance");
  command->add_option("--asset", flags->asset, "print this meter's state and history");
  command->add_option("--kpi", flags->kpi, "print this org unit's KPIs (with --period)");
  command->add_option("--period", flags->period, "YYYY-MM, for --kpi");
  command->add_option("--alerts", flags->alerts,
                      "print this org unit's alerts as recorded then, the supervision engine's "
                      "decisions replayed from the clock ticks by then, and whether they agree");
  command->callback([flags, exit_code] { *exit_code = RunReplay(*flags); });
}

}  // namespace gridledger::cli
