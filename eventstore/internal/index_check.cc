#include "eventstore/internal/index_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace gridledger::eventstore::internal {

void Discrepancies::Add(std::string index, std::string key, std::string problem) {
  if (full()) return;
  found_.push_back({std::move(index), std::move(key), std::move(problem)});
}

std::optional<AppendFolder::Append> AppendFolder::Add(const v1::EventEnvelope& event) {
  std::optional<Append> ended;
  if (event.command_id() != current_.command_id ||
      event.stream_id() != current_.outcome.stream_id()) {
    ended = Finish();
    current_.command_id = event.command_id();
    current_.outcome.set_stream_id(event.stream_id());
    current_.outcome.set_first_version(event.stream_version());
    current_.outcome.set_request_digest(event.request_digest());
  }
  current_.outcome.set_last_version(event.stream_version());
  *current_.outcome.add_positions() = event.position();
  return ended;
}

std::optional<AppendFolder::Append> AppendFolder::Finish() {
  if (current_.command_id.empty()) return std::nullopt;
  return std::exchange(current_, Append());
}

std::string PrintedOutcome(const v1::AppendOutcome& outcome) {
  std::string positions;
  for (const v1::Position& p : outcome.positions()) {
    absl::StrAppend(&positions, positions.empty() ? "" : ",", p.offset());
  }
  return absl::StrCat(outcome.stream_id(), " v", outcome.first_version(), "-",
                      outcome.last_version(), " at ", positions);
}

bool SameOutcome(const v1::AppendOutcome& a, const v1::AppendOutcome& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace gridledger::eventstore::internal
