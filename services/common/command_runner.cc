#include "services/common/command_runner.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "domain/common/business_time.h"
#include "domain/common/calendar.h"
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
  if (context.unscoped) return std::string();
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

// INVALID_ARGUMENT for a command id the store cannot keep.
absl::Status CheckStoredCommandId(const CommandContext& context) {
  if (context.command_id.empty()) {
    return absl::InvalidArgumentError("command_id: must be set (a unique id per command)");
  }
  if (context.command_id.size() > 200) {
    return absl::InvalidArgumentError("command_id: must be at most 200 bytes");
  }
  return absl::OkStatus();
}

// The first outcome of a command id already used (a retry), or nullopt; an
// error when it was used on another stream or for another request.
absl::StatusOr<std::optional<CommandOutcome>> FirstOutcome(eventstore::EventStore& store,
                                                           const CommandContext& context,
                                                           const std::string& stream_id) {
  GL_ASSIGN_OR_RETURN(std::optional<v1::AppendOutcome> first,
                      store.LookupCommandFor(stream_id, context.command_id));
  if (!first) return std::optional<CommandOutcome>();
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
  return std::optional<CommandOutcome>(CommandOutcome{*std::move(first), true});
}

// Reads the stream, checks scope, lets the rules decide, and builds the append
// of what they decided, expecting the stream's version as read.
absl::StatusOr<eventstore::AppendRequest> DecideAppend(eventstore::EventStore& store,
                                                       const CommandContext& context,
                                                       const std::string& stream_id,
                                                       const Decide& decide) {
  std::vector<v1::EventEnvelope> history;
  int64_t version = 0;
  if (context.latest_only) {
    GL_ASSIGN_OR_RETURN(version, store.StreamVersion(stream_id));
    if (version > 0) {
      GL_ASSIGN_OR_RETURN(history, store.ReadStream(stream_id, version, 1));
    }
  } else {
    GL_ASSIGN_OR_RETURN(history, store.ReadStream(stream_id));
    version = static_cast<int64_t>(history.size());
  }
  GL_ASSIGN_OR_RETURN(std::string unit, UnitOfNextEvents(context, stream_id, history, decide));
  GL_ASSIGN_OR_RETURN(std::vector<v1::DomainEvent> decided, decide(history));
  if (decided.empty()) return absl::InternalError("a command decided no events");
  const absl::Time now = absl::Now();
  const domain::BusinessTime business = domain::BusinessTimeOf(decided, context.stated_time, now);
  GL_RETURN_IF_ERROR(domain::CheckBusinessTime(business, now, history));
  if (context.stated_time && business.stated_by != "x-occurred-at") {
    // Stated but overruled by the event's own time: still held to the rules,
    // never silently ignored when it could not be true.
    GL_RETURN_IF_ERROR(
        domain::CheckBusinessTime({*context.stated_time, "x-occurred-at"}, now, history));
  }
  const google::protobuf::Timestamp occurred_at = domain::ToTimestamp(business.time);
  eventstore::AppendRequest request;
  request.stream_id = stream_id;
  request.expected_version = version;
  request.command_id = context.command_id;
  request.request_digest = context.request_digest;
  for (v1::DomainEvent& payload : decided) {
    v1::EventEnvelope envelope;
    envelope.set_type(eventstore::EventTypeOf(payload));
    envelope.set_schema_version(domain::CurrentSchemaVersion(payload));
    *envelope.mutable_occurred_at() = occurred_at;
    envelope.mutable_actor()->set_principal(context.principal->name);
    envelope.mutable_actor()->set_role(context.role);
    envelope.mutable_actor()->set_org_unit(context.principal->org_unit);
    envelope.set_correlation_id(context.correlation_id);
    envelope.set_causation_id(context.causation_id);
    envelope.set_org_unit(unit);
    unit = domain::OrgUnitAfter(unit, payload);
    *envelope.mutable_payload() = std::move(payload);
    request.events.push_back(std::move(envelope));
  }
  return request;
}

// Either the command's final answer (a retry's first outcome, a refusal) or
// the append it decided.
struct Prepared {
  std::optional<absl::StatusOr<CommandOutcome>> answer;
  eventstore::AppendRequest append;
};

Prepared Prepare(eventstore::EventStore& store, const BatchedCommand& command) {
  Prepared prepared;
  if (absl::Status id = CheckStoredCommandId(*command.context); !id.ok()) {
    prepared.answer = id;
    return prepared;
  }
  absl::StatusOr<std::optional<CommandOutcome>> first =
      FirstOutcome(store, *command.context, command.stream_id);
  if (!first.ok() || first->has_value()) {
    prepared.answer = first.ok() ? absl::StatusOr<CommandOutcome>(**std::move(first))
                                 : absl::StatusOr<CommandOutcome>(first.status());
    return prepared;
  }
  absl::StatusOr<eventstore::AppendRequest> append =
      DecideAppend(store, *command.context, command.stream_id, command.decide);
  if (!append.ok()) {
    prepared.answer = append.status();
  } else {
    prepared.append = *std::move(append);
  }
  return prepared;
}

// Runs work(i) for i in [0, count) on up to kPrepareWorkers threads.
constexpr size_t kPrepareWorkers = 8;
template <typename Work>
void InParallel(size_t count, const Work& work) {
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t i = next++; i < count; i = next++) work(i);
  };
  std::vector<std::thread> helpers;
  const size_t threads = std::min(kPrepareWorkers, count);
  helpers.reserve(threads);
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(run);
  run();
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace

absl::StatusOr<eventstore::AppendRequest> DecideWithoutAppending(eventstore::EventStore& store,
                                                                 const CommandContext& context,
                                                                 const std::string& stream_id,
                                                                 const Decide& decide) {
  return DecideAppend(store, context, stream_id, decide);
}

absl::StatusOr<CommandOutcome> ExecuteCommand(eventstore::EventStore& store,
                                              const CommandContext& context,
                                              const std::string& stream_id, const Decide& decide) {
  GL_RETURN_IF_ERROR(CheckStoredCommandId(context));
  GL_ASSIGN_OR_RETURN(std::optional<CommandOutcome> first, FirstOutcome(store, context, stream_id));
  if (first) return *std::move(first);
  absl::Status last_conflict;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    GL_ASSIGN_OR_RETURN(eventstore::AppendRequest request,
                        DecideAppend(store, context, stream_id, decide));
    absl::StatusOr<eventstore::AppendResult> appended = store.Append(std::move(request));
    if (appended.ok()) return CommandOutcome{appended->outcome, appended->deduplicated};
    if (!absl::IsAborted(appended.status())) return appended.status();
    last_conflict = appended.status();  // someone else wrote first: decide again
  }
  return last_conflict;
}

std::vector<absl::StatusOr<CommandOutcome>> ExecuteCommands(
    eventstore::EventStore& store, const std::vector<BatchedCommand>& commands) {
  std::vector<absl::StatusOr<CommandOutcome>> results(commands.size(),
                                                      absl::UnknownError("not run"));
  // Wave w holds each stream's w-th command.
  std::vector<std::vector<size_t>> waves;
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < commands.size(); ++i) {
    const size_t wave = seen[commands[i].stream_id]++;
    if (wave == waves.size()) waves.emplace_back();
    waves[wave].push_back(i);
  }
  for (const std::vector<size_t>& wave : waves) {
    std::vector<Prepared> prepared(wave.size());
    InParallel(wave.size(), [&](size_t k) { prepared[k] = Prepare(store, commands[wave[k]]); });
    std::vector<size_t> appending;
    std::vector<eventstore::AppendRequest> appends;
    for (size_t k = 0; k < wave.size(); ++k) {
      if (prepared[k].answer) {
        results[wave[k]] = *std::move(prepared[k].answer);
      } else {
        appending.push_back(wave[k]);
        appends.push_back(std::move(prepared[k].append));
      }
    }
    std::vector<absl::StatusOr<eventstore::AppendResult>> appended =
        store.AppendBatch(std::move(appends));
    std::vector<size_t> conflicted;
    for (size_t k = 0; k < appending.size(); ++k) {
      if (appended[k].ok()) {
        results[appending[k]] = CommandOutcome{appended[k]->outcome, appended[k]->deduplicated};
      } else if (absl::IsAborted(appended[k].status())) {
        conflicted.push_back(appending[k]);
      } else {
        results[appending[k]] = appended[k].status();
      }
    }
    InParallel(conflicted.size(), [&](size_t k) {
      const BatchedCommand& command = commands[conflicted[k]];
      results[conflicted[k]] =
          ExecuteCommand(store, *command.context, command.stream_id, command.decide);
    });
  }
  return results;
}

}  // namespace gridledger::service
