#include "services/common/command_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "domain/common/event_schema.h"
#include "domain/common/org_units.h"

namespace gridledger::service {
namespace {

constexpr int kMaxAttempts = 5;

// The unit the stream's next events belong to, or why the principal may not
// touch the stream. A stream outside the principal's scope is refused as the
// rules refuse a stream that does not exist (they decide on no history), so
// the answer does not tell the two apart.
absl::StatusOr<std::string> UnitOfNextEvents(const CommandContext& context,
                                             const std::string& stream_id,
                                             const std::vector<v1::EventEnvelope>& history,
                                             const Decide& decide) {
  if (history.empty()) {
    return context.creates_in.empty() ? context.principal->org_unit : context.creates_in;
  }
  std::string unit = domain::StreamOrgUnit(history);
  if (domain::OrgUnitContains(context.principal->org_unit, unit)) return unit;
  if (context.creates) {
    return absl::AlreadyExistsError(absl::StrCat(stream_id, ": this id is taken"));
  }
  absl::StatusOr<std::vector<v1::DomainEvent>> as_if_absent = decide({});
  if (!as_if_absent.ok()) return as_if_absent.status();
  return absl::NotFoundError(absl::StrCat(stream_id, ": not found"));
}

}  // namespace

absl::StatusOr<CommandOutcome> ExecuteCommand(eventstore::EventStore& store,
                                              const CommandContext& context,
                                              const std::string& stream_id, const Decide& decide) {
  if (context.command_id.empty()) {
    return absl::InvalidArgumentError("command_id: must be set (a unique id per command)");
  }
  if (context.command_id.size() > 200) {
    return absl::InvalidArgumentError("command_id: must be at most 200 bytes");
  }
  GL_ASSIGN_OR_RETURN(std::optional<v1::AppendOutcome> first,
                      store.LookupCommandFor(stream_id, context.command_id));
  if (first) {
    if (first->stream_id() != stream_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "command_id: ", context.command_id, " was already used for ", first->stream_id()));
    }
    if (!context.request_digest.empty() && !first->request_digest().empty() &&
        first->request_digest() != context.request_digest) {
      return absl::AlreadyExistsError(
          absl::StrCat("command_id: ", context.command_id,
                       " was already used for a different request; a retry must repeat the "
                       "request exactly, a new request needs a new command id"));
    }
    return CommandOutcome{*std::move(first), true};
  }
  absl::Status last_conflict;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    GL_ASSIGN_OR_RETURN(std::vector<v1::EventEnvelope> history, store.ReadStream(stream_id));
    GL_ASSIGN_OR_RETURN(std::string unit, UnitOfNextEvents(context, stream_id, history, decide));
    GL_ASSIGN_OR_RETURN(std::vector<v1::DomainEvent> decided, decide(history));
    if (decided.empty()) return absl::InternalError("a command decided no events");
    eventstore::AppendRequest request;
    request.stream_id = stream_id;
    request.expected_version = static_cast<int64_t>(history.size());
    request.command_id = context.command_id;
    request.request_digest = context.request_digest;
    const absl::Time now = absl::Now();
    for (v1::DomainEvent& payload : decided) {
      v1::EventEnvelope envelope;
      envelope.set_type(eventstore::EventTypeOf(payload));
      envelope.set_schema_version(domain::CurrentSchemaVersion(payload));
      envelope.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(now));
      envelope.mutable_actor()->set_principal(context.principal->name);
      envelope.mutable_actor()->set_role(context.role);
      envelope.mutable_actor()->set_org_unit(context.principal->org_unit);
      envelope.set_correlation_id(context.correlation_id);
      envelope.set_org_unit(unit);
      unit = domain::OrgUnitAfter(unit, payload);
      *envelope.mutable_payload() = std::move(payload);
      request.events.push_back(std::move(envelope));
    }
    absl::StatusOr<eventstore::AppendResult> appended = store.Append(std::move(request));
    if (appended.ok()) return CommandOutcome{appended->outcome, appended->deduplicated};
    if (!absl::IsAborted(appended.status())) return appended.status();
    last_conflict = appended.status();  // someone else wrote first: decide again
  }
  return last_conflict;
}

}  // namespace gridledger::service
