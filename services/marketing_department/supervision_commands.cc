#include "services/marketing_department/supervision_commands.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "domain/marketing_department/marketing_rules.h"
#include "services/common/service_call.h"

namespace gridledger::marketing {
namespace {

// The system principal acting in the province of `org_unit` (the whole tree
// for an empty unit).
service::Principal SystemPrincipal(absl::string_view org_unit) {
  service::Principal principal;
  principal.name = kSupervisionPrincipal;
  principal.org_unit = std::string(org_unit.substr(0, org_unit.find('/')));
  principal.roles = {"admin"};
  return principal;
}

std::string TimeText(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, domain::UtilityZone());
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideClockTick(const std::vector<v1::EventEnvelope>& latest,
                                                absl::Time at, const v1::Checkpoint& covers) {
  if (!latest.empty() && latest.back().payload().has_clock_ticked()) {
    const absl::Time last = domain::FromTimestamp(latest.back().payload().clock_ticked().at());
    if (at < last) {
      return absl::FailedPreconditionError(
          absl::StrCat("at: ", TimeText(at), " is before the latest clock tick, ", TimeText(last),
                       "; the clock only goes forward"));
    }
  }
  v1::DomainEvent event;
  v1::ClockTicked* tick = event.mutable_clock_ticked();
  *tick->mutable_at() = domain::ToTimestamp(at);
  for (const v1::Position& end : covers.next()) {
    v1::PartitionMark* mark = tick->add_covers();
    mark->set_partition(end.partition());
    mark->set_next_offset(end.offset());
  }
  return event;
}

absl::Status RecordWallClockTick(eventstore::EventStore& store, absl::Time now,
                                 absl::Duration interval) {
  const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(interval));
  const int64_t start = absl::ToUnixSeconds(now) / seconds * seconds;
  const service::Principal principal = SystemPrincipal("");
  service::CommandContext context;
  context.principal = &principal;
  context.role = "admin";
  context.command_id = absl::StrCat("clock/", start);
  context.latest_only = true;
  context.unscoped = true;
  const absl::Time at = absl::FromUnixSeconds(start);
  absl::StatusOr<service::CommandOutcome> outcome = service::ExecuteCommand(
      store, context, std::string(domain::kClockStream),
      [&](const std::vector<v1::EventEnvelope>& latest)
          -> absl::StatusOr<std::vector<v1::DomainEvent>> {
        GL_ASSIGN_OR_RETURN(v1::Checkpoint covers, store.EndCheckpoint());
        GL_ASSIGN_OR_RETURN(v1::DomainEvent tick, DecideClockTick(latest, at, covers));
        return std::vector<v1::DomainEvent>{std::move(tick)};
      });
  // FAILED_PRECONDITION: a later tick is in already (an admin's, ahead of
  // this clock): the caller says so; nothing is recorded.
  return outcome.status();
}

absl::Status RecordEngineAlerts(eventstore::EventStore& store,
                                const std::vector<projections::AlertAction>& actions) {
  std::vector<service::Principal> principals;
  principals.reserve(actions.size());
  std::vector<service::CommandContext> contexts(actions.size());
  std::vector<service::BatchedCommand> commands;
  commands.reserve(actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    const projections::AlertAction& action = actions[i];
    principals.push_back(SystemPrincipal(action.org_unit));
    service::CommandContext& context = contexts[i];
    context.principal = &principals.back();
    context.role = "admin";
    context.command_id = action.command_id;
    context.stated_time = action.at;
    context.creates = action.raise;
    context.creates_in = action.org_unit;
    service::BatchedCommand& command = commands.emplace_back();
    command.context = &context;
    if (action.raise) {
      command.stream_id = domain::kAlert.StreamOf(action.raised.alert_id());
      command.decide = [&action](const std::vector<v1::EventEnvelope>& history) {
        return service::OneEvent(DecideRaiseAlert(history, action.raised));
      };
    } else {
      command.stream_id = domain::kAlert.StreamOf(action.resolved.alert_id());
      command.decide = [&action](const std::vector<v1::EventEnvelope>& history)
          -> absl::StatusOr<std::vector<v1::DomainEvent>> {
        GL_ASSIGN_OR_RETURN(
            v1::DomainEvent event,
            DecideResolveAlert(history, action.resolved.alert_id(), action.resolved.resolution()));
        *event.mutable_supervision_alert_resolved() = action.resolved;
        return std::vector<v1::DomainEvent>{std::move(event)};
      };
    }
  }
  std::vector<absl::StatusOr<service::CommandOutcome>> results =
      service::ExecuteCommands(store, commands);
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    const absl::Status& status = results[i].status();
    // Resolved by hand before the engine got to it: the alert is resolved.
    if (!actions[i].raise && absl::IsFailedPrecondition(status)) continue;
    return absl::UnavailableError(
        absl::StrCat("supervision: recording ", actions[i].command_id, ": ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::marketing
