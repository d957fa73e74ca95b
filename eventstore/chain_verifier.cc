#include "eventstore/chain_verifier.h"

#include "absl/strings/str_cat.h"
#include "common/ed25519.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/internal/chain_check.h"

namespace gridledger::eventstore {
namespace {

std::string Where(const v1::EventEnvelope& event) {
  return absl::StrCat(event.position().partition(), "@", event.position().offset());
}

}  // namespace

void ChainWalker::Expect(const v1::ChainCheckpoint& checkpoint) {
  for (const v1::PartitionHead& head : checkpoint.heads()) expected_[head.partition()] = head;
}

void ChainWalker::RequireWriters(const std::vector<std::string>& public_pems) {
  writers_required_ = true;
  for (const std::string& pem : public_pems) writers_[KeyFingerprint(pem)] = pem;
}

absl::Status ChainWalker::CheckWriter(const v1::EventEnvelope& event) {
  if (!writers_required_) return absl::OkStatus();
  const std::string& partition = event.position().partition();
  if (event.writer_signature().empty()) {
    UnsignedRun& run = unsigned_[partition];
    if (run.events == 0) run.first_offset = event.position().offset();
    run.last_offset = event.position().offset();
    ++run.events;
    return absl::OkStatus();
  }
  auto writer = writers_.find(event.writer_key());
  if (writer == writers_.end()) {
    return absl::DataLossError(absl::StrCat("event at ", Where(event), ": signed by key ",
                                            event.writer_key(), ", which is no registered writer"));
  }
  if (!Ed25519Verify(writer->second, event.partition_hash(), event.writer_signature()).ok()) {
    return absl::DataLossError(absl::StrCat("event at ", Where(event),
                                            ": its writer signature does not verify with key ",
                                            event.writer_key()));
  }
  ++writer_signatures_;
  unsigned_.erase(partition);
  return absl::OkStatus();
}

absl::Status ChainWalker::WritersSignedAll() const {
  for (const auto& [partition, run] : unsigned_) {
    return absl::DataLossError(absl::StrCat(
        "events at ", partition, "@", run.first_offset, "…", run.last_offset, " (", run.events,
        "): signed by no registered writer (written without a writer's key, or appended by "
        "someone other than the writers)"));
  }
  return absl::OkStatus();
}

absl::Status ChainWalker::Walk(const v1::EventEnvelope& event) {
  StreamHead& stream = streams_[event.stream_id()];
  if (absl::Status linked =
          internal::CheckStreamLink(event, event.stream_id(), stream.version + 1,
                                    stream.version == 0 ? GenesisHash() : stream.hash);
      !linked.ok()) {
    return linked;
  }
  auto expected = expected_.find(event.position().partition());
  if (expected != expected_.end() && expected->second.last_offset() == event.position().offset()) {
    if (expected->second.partition_hash() != event.partition_hash()) {
      return absl::DataLossError(absl::StrCat(
          "event at ", Where(event),
          ": differs from the signed checkpoint (the log no longer extends it: an event at or "
          "before it was altered, removed, reordered or inserted)"));
    }
    expected_.erase(expected);
  }
  GL_RETURN_IF_ERROR(CheckWriter(event));
  stream.version = event.stream_version();
  stream.hash = event.hash();
  v1::PartitionHead& head = heads_[event.position().partition()];
  head.set_partition(event.position().partition());
  head.set_last_offset(event.position().offset());
  head.set_partition_hash(event.partition_hash());
  ++events_;
  return absl::OkStatus();
}

absl::Status ChainWalker::Advance(EventStore& store,
                                  const std::function<void(int64_t events)>& progress) {
  if (!broken_.ok()) return broken_;
  // A live log keeps growing: walk it up to its end as of now.
  absl::StatusOr<v1::Checkpoint> until = store.EndCheckpoint();
  if (!until.ok()) return until.status();
  while (!ReachedAll(next_, *until)) {
    absl::StatusOr<ReadAllResult> chunk = store.ReadAll(next_, 4096);
    if (!chunk.ok()) {
      if (absl::IsDataLoss(chunk.status())) broken_ = chunk.status();
      return chunk.status();
    }
    if (chunk->events.empty()) return absl::OkStatus();
    for (const v1::EventEnvelope& event : chunk->events) {
      if (absl::Status walked = Walk(event); !walked.ok()) {
        broken_ = walked;
        return walked;
      }
    }
    next_ = std::move(chunk->next);
    if (progress) progress(events_);
  }
  return absl::OkStatus();
}

absl::Status ChainWalker::ExpectedHeadsReached() const {
  for (const auto& [partition, head] : expected_) {
    const auto walked = heads_.find(partition);
    return absl::DataLossError(
        absl::StrCat("partition ", partition, " ends at ",
                     walked == heads_.end() ? std::string("its start")
                                            : absl::StrCat("offset ", walked->second.last_offset()),
                     ", before offset ", head.last_offset(),
                     " of the signed checkpoint (events were removed from its end)"));
  }
  return absl::OkStatus();
}

v1::ChainCheckpoint ChainWalker::Heads() const {
  v1::ChainCheckpoint checkpoint;
  for (const auto& [partition, head] : heads_) *checkpoint.add_heads() = head;
  checkpoint.set_events(events_);
  checkpoint.set_streams(streams());
  return checkpoint;
}

}  // namespace gridledger::eventstore
