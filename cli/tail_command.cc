#include "cli/tail_command.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "cli/event_json.h"
#include "domain/common/calendar.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"

namespace gridledger::cli {
namespace {

absl::Status ParseTailStart(const std::string& from, v1::SubscribeRequest* request) {
  if (from.empty() || from == "start") return absl::OkStatus();
  if (from == "now") {
    request->set_from_now(true);
    return absl::OkStatus();
  }
  if (from.find('@') != std::string::npos) {
    v1::Checkpoint* checkpoint = request->mutable_from_position();
    for (absl::string_view part : absl::StrSplit(from, ',', absl::SkipEmpty())) {
      const size_t at = part.rfind('@');
      int64_t offset = 0;
      if (at == absl::string_view::npos || at == 0 ||
          !absl::SimpleAtoi(part.substr(at + 1), &offset) || offset < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--from: \"", part, "\" is not partition@offset"));
      }
      v1::Position* position = checkpoint->add_next();
      position->set_partition(std::string(part.substr(0, at)));
      position->set_offset(offset);
    }
    return absl::OkStatus();
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, from, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--from: must be start, now, partition@offset or an RFC 3339 time (", error, ")"));
  }
  request->mutable_from_time()->set_seconds(absl::ToUnixSeconds(time));
  request->mutable_from_time()->set_nanos(static_cast<int32_t>(
      (time - absl::FromUnixSeconds(absl::ToUnixSeconds(time))) / absl::Nanoseconds(1)));
  return absl::OkStatus();
}

struct TailFlags {
  ClientFlags client;
  std::string type, prefix, org_unit, from, until;
  int64_t max = 0;
  bool json = false;
  bool alerts = false;
};

// One line for people per alert event: when, what, which alert, where, why.
std::string AlertLine(const v1::EventEnvelope& event) {
  const std::string when = absl::FormatTime(
      "%Y-%m-%d %H:%M", domain::FromTimestamp(event.occurred_at()), domain::UtilityZone());
  if (event.payload().has_supervision_alert_raised()) {
    const v1::SupervisionAlertRaised& a = event.payload().supervision_alert_raised();
    return absl::StrCat(
        when, "  RAISED    ", a.alert_id(), "  ", a.org_unit(), "  ",
        a.rule() != v1::SUPERVISION_RULE_UNSPECIFIED ? v1::SupervisionRule_Name(a.rule())
                                                     : v1::AlertKind_Name(a.kind()),
        "  ", a.subject_stream_id(), "  ", a.detail(), "  by ", event.actor().principal());
  }
  const v1::SupervisionAlertResolved& r = event.payload().supervision_alert_resolved();
  return absl::StrCat(when, "  RESOLVED  ", r.alert_id(), "  ", r.resolution(), "  by ",
                      event.actor().principal());
}

absl::StatusOr<v1::SubscribeRequest> SubscribeRequestOf(const TailFlags& flags) {
  v1::SubscribeRequest request;
  if (!flags.json && !flags.alerts) {
    return absl::InvalidArgumentError(
        "--json: the only output there is (besides --alerts' lines); say it");
  }
  if (flags.alerts && !flags.type.empty()) {
    return absl::InvalidArgumentError("--type: --alerts already chooses the alert events");
  }
  if (absl::Status s = ParseTailStart(flags.from, &request); !s.ok()) return s;
  if (!flags.until.empty()) {
    if (flags.until != "now") {
      return absl::InvalidArgumentError(
          absl::StrCat("--until: \"", flags.until,
                       "\" is not supported; `now` ends once the log as it stood at the start "
                       "is printed (or --max N)"));
    }
    request.set_until_now(true);
  }
  const std::string types =
      flags.alerts ? "SupervisionAlertRaised,SupervisionAlertResolved" : flags.type;
  for (absl::string_view t : absl::StrSplit(types, ',', absl::SkipEmpty())) {
    request.add_event_types(
        absl::StartsWith(t, "gridledger.v1.") ? std::string(t) : absl::StrCat("gridledger.v1.", t));
  }
  for (absl::string_view p : absl::StrSplit(flags.prefix, ',', absl::SkipEmpty())) {
    request.add_stream_prefixes(std::string(p));
  }
  request.set_org_unit(flags.org_unit);
  return request;
}

int RunTail(const TailFlags& flags) {
  absl::StatusOr<v1::SubscribeRequest> request = SubscribeRequestOf(flags);
  if (!request.ok()) return Report("tail", request.status());
  absl::StatusOr<std::string> token = ClientToken(flags.client);
  if (!token.ok()) return Report("tail", token.status());
  const std::string& target = flags.client.target;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ClientChannel(flags.client);
  if (!channel.ok()) return Report("tail", channel.status());
  auto stub = v1::EventGateway::NewStub(*channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeReply>> reader =
      stub->Subscribe(&context, *request);
  v1::SubscribeReply reply;
  int64_t printed = 0;
  const int64_t max = flags.max;
  while (reader->Read(&reply)) {
    if (flags.alerts && !flags.json) {
      if (reply.has_event()) std::printf("%s\n", AlertLine(reply.event()).c_str());
    } else {
      std::printf("%s\n", ToJson(reply).c_str());
    }
    std::fflush(stdout);
    if (max > 0 && ++printed >= max) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok() && !(max > 0 && printed >= max)) {
    std::fprintf(stderr, "gridledger tail: %s: %s\n", target.c_str(),
                 status.error_message().c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void AddTailCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TailFlags>();
  CLI::App* command =
      app.add_subcommand("tail",
                         "print EventGateway.Subscribe as JSON lines (numbers as numbers), live "
                         "or --until now");
  AddClientFlags(*command, flags->client);
  command->add_option("--type", flags->type,
                      "only these event types, comma-separated (BillIssued or "
                      "gridledger.v1.BillIssued)");
  command->add_option("--prefix", flags->prefix,
                      "only streams starting so, comma-separated (account-, meter-12)");
  command->add_option("--org_unit", flags->org_unit,
                      "only events of aggregates (accounts, meters, …) in this org unit's subtree");
  command->add_option("--from", flags->from,
                      "start, now, PARTITION@OFFSET[,…] or an RFC 3339 time (default: start)");
  command->add_option("--until", flags->until,
                      "now: stop once every event in the log when tail started is printed");
  command->add_option("--max", flags->max, "stop after N events")->check(CLI::PositiveNumber);
  command->add_flag("--json", flags->json, "print JSON lines");
  command->add_flag("--alerts", flags->alerts,
                    "only supervision alerts raised and resolved, one line each for people "
                    "(with --json: as JSON)");
  command->callback([flags, exit_code] { *exit_code = RunTail(*flags); });
}

}  // namespace gridledger::cli
