// The decision both backends make for one group of queued appends, apart from
// any I/O: for each request in arrival order, command-id dedup, the
// expected-version check, and sealing the accepted events into their stream's
// and their partition's hash chains, each request seeing what the earlier
// requests of the same group staged. A backend supplies what the log held
// before the group through LogHeads, then writes the decision its own way
// (a RocksDB WriteBatch, a Kafka transaction) and answers the callers.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_GROUP_DECIDER_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_GROUP_DECIDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ed25519.h"
#include "common/sha256.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/append_queue.h"

namespace gridledger::eventstore::internal {

// The head of a stream's chain: its version, the hash of its last event
// (genesis when it has none) and the partition its events go to.
struct StreamHead {
  int64_t version = 0;
  std::string hash = GenesisHash();
  int partition = 0;
};

// What the log held before the group, as the backend knows it. The decider
// calls it from the thread that calls DecideGroup, and only from there.
class LogHeads {
 public:
  virtual ~LogHeads() = default;

  // The first outcome of the append that used `command_id`; nullopt when none
  // did. An error refuses only the request that asked, with that error.
  virtual absl::StatusOr<std::optional<v1::AppendOutcome>> FindCommand(
      const std::string& command_id) = 0;

  // The head of `stream_id`, with the partition a first event goes to when the
  // stream has none yet. An error refuses only the request that asked.
  virtual absl::StatusOr<StreamHead> FindStream(const std::string& stream_id) = 0;

  // The hash of the last event of `partition` (genesis when it is empty).
  virtual std::string PartitionHash(int partition) = 0;
};

// One event of an accepted request, sealed into both chains.
struct SealedEvent {
  std::string record_bytes;  // the v1::EventRecord to store
  int64_t version = 0;       // its stream version
};

// The decision for one request.
struct Decision {
  enum class Kind {
    // Nothing of it is written; answer `refusal`.
    kRefused,
    // A retry of an earlier append: nothing is written; answer `outcome` with
    // deduplicated = true once that append is durable.
    kDeduplicated,
    // Its `events` are to be written, in order.
    kAppended,
  };
  Kind kind = Kind::kRefused;

  // kRefused: FAILED_PRECONDITION (command id used on another stream),
  // ABORTED from VersionConflict, or a LogHeads error.
  absl::Status refusal;

  // kDeduplicated: the first outcome. When that append is an earlier request
  // of this group, `first_request` is its index and `outcome` is what the
  // decider staged for it (as for kAppended: without positions).
  // kAppended: stream_id, first_version and last_version. Positions are the
  // backend's to add once it knows them.
  v1::AppendOutcome outcome;
  int first_request = -1;

  // kAppended: the stream's head after these events, and the events.
  StreamHead head;
  std::vector<SealedEvent> events;
};

// The decisions for a whole group.
struct GroupDecision {
  // One per request, in the group's order.
  std::vector<Decision> decisions;
  // After the group: the head of every stream it appends to ...
  absl::flat_hash_map<std::string, StreamHead> stream_heads;
  // ... and the hash of the last event of every partition it appends to.
  absl::flat_hash_map<int, std::string> partition_hashes;

  // Whether any request is kAppended.
  bool appends() const { return !partition_hashes.empty(); }
};

// Decides `group` in order against `log`, sealing accepted events with
// `recorded_at`. For each request:
//   1. a command id known to `log` or staged by an earlier request of the group
//      is kDeduplicated when used on the same stream, else kRefused with
//      FAILED_PRECONDITION "command_id: C was already used for stream S" —
//      before any version check;
//   2. expected_version other than kAnyVersion must equal the stream's version
//      (as `log` has it, or as an earlier request of the group left it), else
//      kRefused with VersionConflict (ABORTED, current version as payload);
//   3. otherwise kAppended, its events taking the next versions and chained on
//      the stream's and the partition's heads as the group has left them.
// A refused request changes nothing later requests see. Pure apart from the
// calls to `log`; not thread-safe with respect to `log`.
GroupDecision DecideGroup(const std::vector<std::unique_ptr<PendingAppend>>& group,
                          const google::protobuf::Timestamp& recorded_at, LogHeads& log);

// Signs, with the writer's key, the last event the group appends to each
// partition (EventRecord.writer_signature over its partition_hash, and
// writer_key): one signature per partition per group commit vouches for
// every record the commit adds there. Re-encodes those events' record_bytes.
void SignPartitionHeads(GroupDecision& group, const Ed25519Signer& signer);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_GROUP_DECIDER_H_
