#include "eventstore/internal/chain_check.h"

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "eventstore/internal/record_codec.h"

namespace gridledger::eventstore::internal {

absl::Status CheckStreamLink(const v1::EventEnvelope& event, absl::string_view stream_id,
                             int64_t version, absl::string_view prev_hash) {
  const std::string where = DescribePosition(event.position());
  if (event.stream_id() != stream_id) {
    return absl::DataLossError(absl::StrCat("event at ", where, ": holds stream ",
                                            event.stream_id(), " version ", event.stream_version(),
                                            " where stream ", stream_id, " version ", version,
                                            " was expected (events reordered or replaced)"));
  }
  if (event.stream_version() != version) {
    return absl::DataLossError(absl::StrCat(
        "event at ", where, ": stream ", stream_id, " jumps from version ", version - 1, " to ",
        event.stream_version(), " (an event of the stream was removed, reordered or inserted)"));
  }
  if (!prev_hash.empty() && event.prev_hash() != prev_hash) {
    return absl::DataLossError(
        absl::StrCat("event at ", where, ": stream ", stream_id, " version ", version,
                     " does not chain to version ", version - 1,
                     " (an earlier event of the stream was altered or replaced)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPartitionLink(const v1::EventEnvelope& event,
                                absl::string_view prev_partition_hash) {
  if (event.partition_prev_hash() == prev_partition_hash) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "event at ", DescribePosition(event.position()),
      ": partition chain broken (an event before it was altered, removed or reordered, or this "
      "one was inserted)"));
}

absl::Status PartitionChainFollower::Next(const v1::EventEnvelope& event) {
  const std::string& partition = event.position().partition();
  auto it = last_hash_.find(partition);
  if (it != last_hash_.end()) {
    GL_RETURN_IF_ERROR(CheckPartitionLink(event, it->second));
    it->second = event.partition_hash();
    return absl::OkStatus();
  }
  if (event.position().offset() == 0) GL_RETURN_IF_ERROR(CheckPartitionLink(event, GenesisHash()));
  last_hash_.emplace(partition, event.partition_hash());
  return absl::OkStatus();
}

StreamChainChecker::StreamChainChecker(absl::string_view stream_id, int64_t from_version)
    : stream_id_(stream_id),
      next_version_(from_version),
      prev_hash_(from_version == 1 ? GenesisHash() : std::string()) {}

absl::Status StreamChainChecker::Next(const v1::EventEnvelope& event) {
  if (absl::Status linked = CheckStreamLink(event, stream_id_, next_version_, prev_hash_);
      !linked.ok()) {
    return linked;
  }
  prev_hash_ = event.hash();
  ++next_version_;
  return absl::OkStatus();
}

}  // namespace gridledger::eventstore::internal
