// The auditor's walk over a store: every record's own hashes (via ReadAll,
// which checks each record and each partition's chain as it reads), and every
// stream's chain — versions 1, 2, … with no gap or repeat, each event's
// prev_hash the hash of the stream's event before it. The first break is
// reported with its position: an event altered, removed, reordered or
// inserted shows as one. It can also hold the log to a checkpoint taken
// earlier (audit.proto): each partition must still have, at the checkpoint's
// offset, the event with the checkpoint's hash.
//
// Incremental: each Advance continues where the last one stopped, so a
// server can keep its checkpoints current by walking only what is new.
// Not thread-safe.
#ifndef GRIDLEDGER_EVENTSTORE_CHAIN_VERIFIER_H_
#define GRIDLEDGER_EVENTSTORE_CHAIN_VERIFIER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/audit.pb.h"

namespace gridledger::eventstore {

class ChainWalker {
 public:
  // Holds the walk to `checkpoint`'s heads (call before the first Advance).
  void Expect(const v1::ChainCheckpoint& checkpoint);

  // Walks from where the last call stopped to the store's end as it was when
  // the call began (a live log keeps growing; the next call continues). DATA_LOSS
  // naming the first break ("event at P@O: …"); other codes when the store
  // cannot be read. After a break the walker stays broken.
  absl::Status Advance(EventStore& store,
                       const std::function<void(int64_t events)>& progress = nullptr);

  // After the walk: DATA_LOSS when a partition of the expected checkpoint
  // ends before its signed offset (events were removed from its end).
  absl::Status ExpectedHeadsReached() const;

  // The heads walked so far (no taken_at or store filled in).
  v1::ChainCheckpoint Heads() const;
  int64_t events() const { return events_; }
  int64_t streams() const { return static_cast<int64_t>(streams_.size()); }

 private:
  struct StreamHead {
    int64_t version = 0;
    std::string hash;
  };
  absl::Status Walk(const v1::EventEnvelope& event);

  v1::Checkpoint next_;
  absl::flat_hash_map<std::string, StreamHead> streams_;
  std::map<std::string, v1::PartitionHead> heads_;     // by partition
  std::map<std::string, v1::PartitionHead> expected_;  // by partition, until reached
  int64_t events_ = 0;
  absl::Status broken_;
};

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_CHAIN_VERIFIER_H_
