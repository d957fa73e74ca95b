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
// the id has no known category.
absl::StatusOr<absl::string_view> UnitOfStream(absl::string_view stream_id);

// Checks everything about a request that does not depend on stored state.
// Errors are INVALID_ARGUMENT naming the field ("events[2].type") and rule.
absl::Status ValidateAppendRequest(const AppendRequest& request, const StoreOptions& options);

// The result of sealing one event: the record to store and its two hashes.
struct SealedRecord {
  std::string record_bytes;  // serialized v1::EventRecord
  std::string hash;
  std::string partition_hash;
  size_t canonical_size = 0;
};

// Serializes `event` (whose store fields — stream_version, recorded_at, … —
// the caller has set; hash fields and position must be empty) canonically and
// links it after `stream_prev_hash` and `partition_prev_hash`.
SealedRecord SealEvent(const v1::EventEnvelope& event, absl::string_view stream_prev_hash,
                       absl::string_view partition_prev_hash);

// Parses a stored record found at `where`, verifies both of its hashes against
// its contents, and returns the envelope with hashes and position filled in.
// DATA_LOSS naming `where` if it does not parse or a hash does not match.
absl::StatusOr<v1::EventEnvelope> OpenRecord(absl::string_view record_bytes,
                                             const v1::Position& where);

// "log@17", "gridledger.billing.v1/2@1045": a position for messages.
std::string DescribePosition(const v1::Position& position);

// An ABORTED status for a version conflict, carrying the current version.
absl::Status VersionConflict(absl::string_view stream_id, int64_t expected, int64_t current);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_RECORD_CODEC_H_
