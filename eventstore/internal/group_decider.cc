#include "eventstore/internal/group_decider.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::eventstore::internal {
namespace {

// The log as the group has left it so far: `log` overlaid with what earlier
// requests of the group staged.
class GroupView {
 public:
  GroupView(LogHeads& log, GroupDecision& decided) : log_(log), decided_(decided) {}

  // The first outcome of `command_id` (or nullopt); sets *first_request when
  // an earlier request of the group is that append.
  absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(const std::string& command_id,
                                                               int* first_request) {
    if (auto it = staged_commands_.find(command_id); it != staged_commands_.end()) {
      *first_request = it->second;
      return decided_.decisions[it->second].outcome;
    }
    return log_.FindCommand(command_id);
  }

  absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) {
    if (auto it = decided_.stream_heads.find(stream_id); it != decided_.stream_heads.end()) {
      return it->second;
    }
    return log_.FindStream(stream_id);
  }

  std::string PartitionHash(int partition) {
    if (auto it = decided_.partition_hashes.find(partition);
        it != decided_.partition_hashes.end()) {
      return it->second;
    }
    return log_.PartitionHash(partition);
  }

  // Records request `index`, decided kAppended, as the group's latest word on
  // its command, its stream and its partition.
  void Stage(int index, const std::string& command_id, std::string partition_hash) {
    const Decision& decision = decided_.decisions[index];
    staged_commands_[command_id] = index;
    decided_.stream_heads[decision.outcome.stream_id()] = decision.head;
    decided_.partition_hashes[decision.head.partition] = std::move(partition_hash);
  }

 private:
  LogHeads& log_;
  GroupDecision& decided_;
  absl::flat_hash_map<std::string, int> staged_commands_;  // command id → request index
};

Decision Refused(absl::Status status) {
  Decision decision;
  decision.kind = Decision::Kind::kRefused;
  decision.refusal = std::move(status);
  return decision;
}

// Seals `request`'s events on `head` and `partition_hash`, advancing both.
Decision Appended(const PendingAppend& request, StreamHead head,
                  const google::protobuf::Timestamp& recorded_at, std::string* partition_hash) {
  Decision decision;
  decision.kind = Decision::Kind::kAppended;
  decision.outcome.set_stream_id(request.stream_id);
  decision.outcome.set_first_version(head.version + 1);
  decision.outcome.set_request_digest(request.request_digest);
  decision.events.reserve(request.events.size());
  for (const PreparedEvent& event : request.events) {
    SealedRecord sealed =
        SealEvent(event.body, ++head.version, recorded_at, head.hash, *partition_hash);
    head.hash = std::move(sealed.hash);
    *partition_hash = std::move(sealed.partition_hash);
    decision.events.push_back(SealedEvent{std::move(sealed.record_bytes), head.version});
  }
  decision.outcome.set_last_version(head.version);
  decision.head = std::move(head);
  return decision;
}

// Decides one request against the group so far.
Decision DecideOne(const PendingAppend& request, const google::protobuf::Timestamp& recorded_at,
                   GroupView& view, std::string* partition_hash) {
  // A retried command returns its first outcome, before any version check.
  int first_request = -1;
  absl::StatusOr<std::optional<v1::AppendOutcome>> first =
      view.FindCommand(request.command_id, &first_request);
  if (!first.ok()) return Refused(first.status());
  if (first->has_value()) {
    if ((*first)->stream_id() != request.stream_id) {
      return Refused(absl::FailedPreconditionError(absl::StrCat("command_id: ", request.command_id,
                                                                " was already used for stream ",
                                                                (*first)->stream_id())));
    }
    if (!request.request_digest.empty() && !(*first)->request_digest().empty() &&
        request.request_digest != (*first)->request_digest()) {
      return Refused(absl::AlreadyExistsError(
          absl::StrCat("command_id: ", request.command_id,
                       " was already used for a different request; a retry must repeat the "
                       "request exactly, a new request needs a new command id")));
    }
    Decision decision;
    decision.kind = Decision::Kind::kDeduplicated;
    decision.outcome = **std::move(first);
    decision.first_request = first_request;
    return decision;
  }
  absl::StatusOr<StreamHead> head = view.FindStream(request.stream_id);
  if (!head.ok()) return Refused(head.status());
  if (request.expected_version != kAnyVersion && request.expected_version != head->version) {
    return Refused(VersionConflict(request.stream_id, request.expected_version, head->version));
  }
  *partition_hash = view.PartitionHash(head->partition);
  return Appended(request, *std::move(head), recorded_at, partition_hash);
}

}  // namespace

GroupDecision DecideGroup(const std::vector<std::unique_ptr<PendingAppend>>& group,
                          const google::protobuf::Timestamp& recorded_at, LogHeads& log) {
  GroupDecision decided;
  decided.decisions.reserve(group.size());
  GroupView view(log, decided);
  for (const std::unique_ptr<PendingAppend>& request : group) {
    std::string partition_hash;
    decided.decisions.push_back(DecideOne(*request, recorded_at, view, &partition_hash));
    if (decided.decisions.back().kind == Decision::Kind::kAppended) {
      view.Stage(static_cast<int>(decided.decisions.size()) - 1, request->command_id,
                 std::move(partition_hash));
    }
  }
  return decided;
}

void SignPartitionHeads(GroupDecision& group, const Ed25519Signer& signer) {
  const std::string key = KeyFingerprint(signer.public_pem());
  absl::flat_hash_set<int> signed_partitions;
  for (auto it = group.decisions.rbegin(); it != group.decisions.rend(); ++it) {
    if (it->kind != Decision::Kind::kAppended || it->events.empty()) continue;
    if (!signed_partitions.insert(it->head.partition).second) continue;
    SealedEvent& last = it->events.back();
    v1::EventRecord record;
    if (!record.ParseFromString(last.record_bytes)) continue;  // sealed by us: always parses
    record.set_writer_signature(signer.Sign(record.partition_hash()));
    record.set_writer_key(key);
    last.record_bytes = record.SerializeAsString();
  }
}

}  // namespace gridledger::eventstore::internal
