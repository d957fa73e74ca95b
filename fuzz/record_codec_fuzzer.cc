// Fuzzes the stored-record decoder, OpenRecord (eventstore/internal/
// record_codec.h): the bytes a backend reads back from RocksDB or a Kafka
// topic, which a disk fault or anyone with produce rights may have altered.
// Each input is a stored v1::EventRecord (the seeds are records the store
// sealed). Per input:
//   1. OpenRecord(input) is OK or DATA_LOSS naming the record's position;
//   2. as a random change almost never keeps both SHA-256 hashes right, the
//      input's two hashes are recomputed over its (changed) canonical bytes
//      and the record opened again — so the envelope parser and the checks
//      behind the hashes are fuzzed too — and it must open exactly when its
//      previous hashes are 32 bytes and its envelope parses with a stream id
//      and a version;
//   3. whatever opens re-encodes to a record that opens again, and encoding
//      that one gives the same bytes (SealEnvelope is a fixed point after one
//      round).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "eventstore/internal/record_codec.h"
#include "fuzz/testing/checks.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::fuzzing {
namespace {

namespace internal = eventstore::internal;

v1::Position Where() {
  v1::Position where;
  where.set_partition("gridledger.billing.v1/2");
  where.set_offset(1045);
  return where;
}

// OpenRecord's answer must be OK or DATA_LOSS naming where the record is.
absl::StatusOr<v1::EventEnvelope> Open(absl::string_view bytes) {
  absl::StatusOr<v1::EventEnvelope> event = internal::OpenRecord(bytes, Where());
  if (!event.ok()) {
    FuzzCheck(absl::IsDataLoss(event.status()),
              absl::StrCat("OpenRecord: not DATA_LOSS: ", event.status().ToString()));
    FuzzCheck(absl::StrContains(event.status().message(), internal::DescribePosition(Where())),
              absl::StrCat("OpenRecord: the error does not name the position: ",
                           event.status().ToString()));
    return event;
  }
  v1::EventRecord record;  // it opened, so it parses
  FuzzCheck(record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())),
            "OpenRecord: an opened record does not parse");
  FuzzCheck(event->hash() == record.hash() &&
                record.hash() == Sha256Concat(record.prev_hash(), record.canonical_envelope()),
            "OpenRecord: an opened event's hash is not SHA-256(prev ‖ canonical)");
  FuzzCheck(!event->stream_id().empty() && event->stream_version() >= 1,
            "OpenRecord: an opened event lacks its stream id or version");
  return event;
}

// The record the store would write for `event` (as opened: hashes and
// position are dropped, the previous hashes kept).
std::string Reseal(v1::EventEnvelope event) {
  const std::string prev_hash = event.prev_hash();
  const std::string partition_prev_hash = event.partition_prev_hash();
  event.clear_prev_hash();
  event.clear_hash();
  event.clear_partition_prev_hash();
  event.clear_partition_hash();
  event.clear_position();
  return internal::SealEnvelope(std::move(event), prev_hash, partition_prev_hash).record_bytes;
}

void CheckReencodes(const v1::EventEnvelope& event) {
  const std::string first = Reseal(event);
  absl::StatusOr<v1::EventEnvelope> reopened = Open(first);
  FuzzCheck(reopened.ok(),
            absl::StrCat("a re-sealed record does not open: ", reopened.status().ToString()));
  FuzzCheck(Reseal(*reopened) == first, "re-sealing an opened record changes its bytes");
}

// The input with both hashes made right for its canonical bytes.
bool Repair(const uint8_t* data, size_t size, std::string* repaired, bool* should_open) {
  v1::EventRecord record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) return false;
  record.set_hash(Sha256Concat(record.prev_hash(), record.canonical_envelope()));
  record.set_partition_hash(
      Sha256Concat(record.partition_prev_hash(), record.canonical_envelope()));
  v1::EventEnvelope envelope;
  *should_open = record.prev_hash().size() == kSha256Bytes &&
                 record.partition_prev_hash().size() == kSha256Bytes &&
                 envelope.ParseFromString(record.canonical_envelope()) &&
                 !envelope.stream_id().empty() && envelope.stream_version() >= 1;
  return record.SerializeToString(repaired);
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger::fuzzing;  // NOLINT(google-build-using-namespace)
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<gridledger::v1::EventEnvelope> event = Open(input); event.ok()) {
    CheckReencodes(*event);
  }
  std::string repaired;
  bool should_open = false;
  if (!Repair(data, size, &repaired, &should_open)) return 0;
  absl::StatusOr<gridledger::v1::EventEnvelope> event = Open(repaired);
  FuzzCheck(event.ok() == should_open,
            absl::StrCat("a record with right hashes: ", event.status().ToString(),
                         should_open ? " but it should open" : " but it should not open"));
  if (event.ok()) CheckReencodes(*event);
  return 0;
}
