#include "eventstore/event_store.h"

#include "absl/strings/match.h"

namespace gridledger::eventstore {

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

}  // namespace gridledger::eventstore
