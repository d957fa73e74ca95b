// The chain checks every reader of the log makes, in one place: that a stream
// read in version order has its versions without gaps, each event chained to
// the one before (the backends' ReadStream, the Kafka index at open, the
// ChainWalker), and that each event of a partition is chained to the one
// before it there (every ReadAll, subscription and log reader). A break is
// DATA_LOSS naming the event's position ("event at P@O: …"). Pure functions
// and value types; thread-compatible.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_CHAIN_CHECK_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_CHAIN_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"

namespace gridledger::eventstore::internal {

// Checks that `event`, found where version `version` of `stream_id` belongs,
// is that version of that stream and that its prev_hash is `prev_hash` (the
// hash of version - 1; genesis for version 1). An empty `prev_hash` means the
// reader does not know it (it began mid-stream): the link is not checked.
absl::Status CheckStreamLink(const v1::EventEnvelope& event, absl::string_view stream_id,
                             int64_t version, absl::string_view prev_hash);

// Checks that `event`'s partition_prev_hash is `prev_partition_hash`, the
// partition hash of the event before it in its partition.
absl::Status CheckPartitionLink(const v1::EventEnvelope& event,
                                absl::string_view prev_partition_hash);

// Follows the partition chains of a read over one or more partitions, in
// offset order within each: every record must link to the one read before it
// from its partition, and a record at offset 0 to genesis. The first record
// read from a partition mid-way links to nothing this reader has seen, so it
// is not checked. Partitions are told apart by position().partition().
class PartitionChainFollower {
 public:
  // CheckPartitionLink against what precedes `event`, then remembers it.
  absl::Status Next(const v1::EventEnvelope& event);

  // Forgets every partition (a read that starts over elsewhere).
  void Clear() { last_hash_.clear(); }

 private:
  absl::flat_hash_map<std::string, std::string> last_hash_;  // partition → partition hash
};

// Follows one stream read in version order from `from_version`: each event
// must be the next version, chained to the previous one. The link into
// from_version is checked only when it is 1 (onto genesis): a read that
// starts later has not seen the hash before it.
class StreamChainChecker {
 public:
  StreamChainChecker(absl::string_view stream_id, int64_t from_version);

  // CheckStreamLink for the next version, then advances past `event`.
  absl::Status Next(const v1::EventEnvelope& event);

  // The version the next event must have.
  int64_t next_version() const { return next_version_; }

 private:
  const std::string stream_id_;
  int64_t next_version_;
  std::string prev_hash_;  // empty: not known
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_CHAIN_CHECK_H_
