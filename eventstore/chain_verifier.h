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
#include <vector>

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

  // Requires every event to be vouched for by a registered writer (call
  // before the first Advance): a writer signature (EventRecord.
  // writer_signature) by one of `public_pems` over the partition hash of the
  // event or of a later one in its partition. A signature by another key, or
  // one that does not verify, is a break at its event.
  void RequireWriters(const std::vector<std::string>& public_pems);
  // After the walk, with RequireWriters: DATA_LOSS naming the first
  // partition whose last events no registered writer signed (records
  // appended by someone without a writer's key).
  absl::Status WritersSignedAll() const;
  // How many writer signatures the walk checked.
  int64_t writer_signatures() const { return writer_signatures_; }

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
  absl::Status CheckWriter(const v1::EventEnvelope& event);

  // Unsigned events at the end of a partition so far.
  struct UnsignedRun {
    int64_t first_offset = 0;
    int64_t last_offset = 0;
    int64_t events = 0;
  };

  v1::Checkpoint next_;
  absl::flat_hash_map<std::string, StreamHead> streams_;
  std::map<std::string, v1::PartitionHead> heads_;     // by partition
  std::map<std::string, v1::PartitionHead> expected_;  // by partition, until reached
  int64_t events_ = 0;
  absl::Status broken_;
  // RequireWriters: fingerprint → public PEM; and per partition its
  // unsigned run.
  absl::flat_hash_map<std::string, std::string> writers_;
  bool writers_required_ = false;
  std::map<std::string, UnsignedRun> unsigned_;
  int64_t writer_signatures_ = 0;
};

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_CHAIN_VERIFIER_H_
