#include "eventstore/event_store.h"

#include "absl/strings/match.h"

namespace gridledger::eventstore {

std::string EventTypeOf(const v1::DomainEvent& payload) {
  const auto* oneof = payload.GetDescriptor()->FindOneofByName("event");
  const auto* field = payload.GetReflection()->GetOneofFieldDescriptor(payload, oneof);
  return field == nullptr ? "" : field->message_type()->full_name();
}

bool AtOrBefore(const google::protobuf::Timestamp& time, const google::protobuf::Timestamp& limit) {
  return time.seconds() < limit.seconds() ||
         (time.seconds() == limit.seconds() && time.nanos() <= limit.nanos());
}

bool CountsAsOf(const v1::EventEnvelope& event, v1::TimeAxis axis,
                const google::protobuf::Timestamp& as_of) {
  return AtOrBefore(axis == v1::TIME_AXIS_BUSINESS ? event.occurred_at() : event.recorded_at(),
                    as_of);
}

bool ReachedAll(const v1::Checkpoint& next, const v1::Checkpoint& until) {
  for (const v1::Position& end : until.next()) {
    int64_t offset = 0;
    for (const v1::Position& p : next.next()) {
      if (p.partition() == end.partition()) offset = p.offset();
    }
    if (offset < end.offset()) return false;
  }
  return true;
}

bool SubscriptionFilter::Matches(const v1::EventEnvelope& event) const {
  if (!event_types.empty()) {
    bool type_matches = false;
    for (const std::string& type : event_types) {
      if (event.type() == type) {
        type_matches = true;
        break;
      }
    }
    if (!type_matches) return false;
  }
  if (stream_prefixes.empty()) return true;
  for (const std::string& prefix : stream_prefixes) {
    if (absl::StartsWith(event.stream_id(), prefix)) return true;
  }
  return false;
}

namespace {

// Reads through the store's ReadAll; nothing to commit.
class ReadAllReader final : public LogReader {
 public:
  explicit ReadAllReader(EventStore* store) : store_(store) {}
  absl::StatusOr<ReadAllResult> Read(const v1::Checkpoint& from, int64_t max_count) override {
    return store_->ReadAll(from, max_count);
  }
  absl::Status Commit(const v1::Checkpoint&) override { return absl::OkStatus(); }

 private:
  EventStore* const store_;
};

}  // namespace

std::vector<absl::StatusOr<AppendResult>> EventStore::AppendBatch(
    std::vector<AppendRequest> requests) {
  std::vector<absl::StatusOr<AppendResult>> results;
  results.reserve(requests.size());
  for (AppendRequest& request : requests) results.push_back(Append(std::move(request)));
  return results;
}

absl::StatusOr<std::unique_ptr<LogReader>> EventStore::OpenReader(absl::string_view) {
  return std::unique_ptr<LogReader>(new ReadAllReader(this));
}

}  // namespace gridledger::eventstore
