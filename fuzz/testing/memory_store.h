// An EventStore held in memory, for the service fuzzers: one partition
// ("mem"), no threads, no disk. It is not a third backend: it goes through
// the parts both real backends share — ValidateAppendRequest, PrepareEvent,
// the group decider (command-id dedup, version check, sealing into both
// chains) — and every read opens the stored record with OpenRecord and checks
// the stream chain, so an event a service appends that could not be read
// back from a real store fails here too (DATA_LOSS).
//
//   MemoryStore store;
//   billing::BillingService service(&store, &tokens);
//
// Not thread-safe (the fuzzers call it from one thread). Subscribe, ReadAll
// and EndCheckpoint are UNIMPLEMENTED: no command service uses them.
#ifndef GRIDLEDGER_FUZZ_TESTING_MEMORY_STORE_H_
#define GRIDLEDGER_FUZZ_TESTING_MEMORY_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/group_decider.h"
#include "eventstore/store_options.h"

namespace gridledger::fuzzing {

class MemoryStore final : public eventstore::EventStore {
 public:
  explicit MemoryStore(eventstore::StoreOptions options = {}) : options_(std::move(options)) {}

  absl::StatusOr<eventstore::AppendResult> Append(eventstore::AppendRequest request) override;
  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override;
  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override;
  absl::StatusOr<eventstore::ReadAllResult> ReadAll(const v1::Checkpoint& from,
                                                    int64_t max_count) override;
  absl::StatusOr<std::unique_ptr<eventstore::Subscription>> Subscribe(
      const v1::Checkpoint& from, eventstore::SubscriptionFilter filter,
      eventstore::EventHandler handler) override;
  absl::StatusOr<v1::Checkpoint> EndCheckpoint() override;
  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override;

  // How many events the log holds.
  int64_t size() const { return static_cast<int64_t>(log_.size()); }

 private:
  class Heads;  // the decider's view of the log (LogHeads)

  const eventstore::StoreOptions options_;
  std::vector<std::string> log_;                         // offset → EventRecord bytes
  std::map<std::string, std::vector<int64_t>> streams_;  // stream → offsets, by version
  std::map<std::string, eventstore::internal::StreamHead> heads_;
  std::map<std::string, v1::AppendOutcome> commands_;  // command id → first outcome
  std::string partition_hash_;                         // of the last event; empty: genesis
};

}  // namespace gridledger::fuzzing

#endif  // GRIDLEDGER_FUZZ_TESTING_MEMORY_STORE_H_
