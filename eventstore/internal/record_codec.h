// How events become stored records and back, shared by both backends:
// request validation, the stream → unit mapping, sealing an event into the two
// hash chains, and opening (parsing + verifying) a stored record.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_RECORD_CODEC_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_RECORD_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore::internal {

// The unit ("customer", "billing", "metering", "marketing") that owns streams
// of the category in "<category>-<id>"; INVALID_ARGUMENT naming stream_id when
// the id has no known category. The categories are domain/common/streams.h's.
absl::StatusOr<absl::string_view> UnitOfStream(absl::string_view stream_id);

// Checks everything about a request that does not depend on stored state.
// Errors are INVALID_ARGUMENT naming the field ("events[2].type") and rule.
absl::Status ValidateAppendRequest(const AppendRequest& request, const StoreOptions& options);

// One event of an append, serialized by the appending thread: the envelope
// with every field but stream_version and recorded_at (which only the writer
// knows), hashes and position. Sealing then only appends those two fields and
// hashes, so the writer's serial work per event stays small.
struct PreparedEvent {
  std::string body;
  std::string type;
};

// Fills the store fields the appender knows (stream_id, command_id, a new
// event_id when empty, schema_version 1 when 0) and serializes the rest.
PreparedEvent PrepareEvent(v1::EventEnvelope& event, absl::string_view stream_id,
                           absl::string_view command_id);

// The result of sealing one event: the record to store and its two hashes.
struct SealedRecord {
  std::string record_bytes;  // serialized v1::EventRecord
  std::string hash;
  std::string partition_hash;
};

// The canonical bytes are body ‖ stream_version ‖ recorded_at (protobuf fields
// 3 and 7 of the envelope; a parser accepts fields in any order), kept
// verbatim in the record. hash = SHA-256(stream_prev_hash ‖ canonical) and
// partition_hash = SHA-256(partition_prev_hash ‖ canonical).
SealedRecord SealEvent(absl::string_view body, int64_t stream_version,
                       const google::protobuf::Timestamp& recorded_at,
                       absl::string_view stream_prev_hash, absl::string_view partition_prev_hash);

// Convenience for tests and tools: prepares and seals a complete envelope
// (whose stream_id, stream_version and recorded_at are set).
SealedRecord SealEnvelope(v1::EventEnvelope event, absl::string_view stream_prev_hash,
                          absl::string_view partition_prev_hash);

// Parses a stored record found at `where`, verifies both of its hashes against
// its contents, and returns the envelope with hashes and position filled in.
// DATA_LOSS naming `where` if it does not parse or a hash does not match.
absl::StatusOr<v1::EventEnvelope> OpenRecord(absl::string_view record_bytes,
                                             const v1::Position& where);

// absl::Now() as the recorded_at the store gives one group of appends.
google::protobuf::Timestamp StoreTimestamp();

// "log@17", "gridledger.billing.v1/2@1045": a position for messages.
std::string DescribePosition(const v1::Position& position);

// An ABORTED status for a version conflict, carrying the current version.
absl::Status VersionConflict(absl::string_view stream_id, int64_t expected, int64_t current);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_RECORD_CODEC_H_
