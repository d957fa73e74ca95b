#include "eventstore/internal/record_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/sha256.h"
#include "domain/common/streams.h"

namespace gridledger::eventstore::internal {
namespace {

// Room left, in the size check before sealing, for the fields the store adds
// (stream id, version, command id, recorded_at, event id).
constexpr int64_t kStoreFieldsAllowance = 512;
constexpr size_t kMaxIdLength = 200;

absl::Status CheckIdText(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be at most ", kMaxIdLength, " bytes, got ", value.size()));
  }
  for (char c : value) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must not contain spaces or control characters"));
    }
  }
  return absl::OkStatus();
}

std::string CanonicalBytes(const v1::EventEnvelope& event) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    event.SerializeWithCachedSizes(&coded);
  }
  return out;
}

}  // namespace

absl::StatusOr<absl::string_view> UnitOfStream(absl::string_view stream_id) {
  return domain::UnitOfStream(stream_id);
}

absl::Status ValidateAppendRequest(const AppendRequest& request, const StoreOptions& options) {
  if (absl::Status s = CheckIdText("stream_id", request.stream_id); !s.ok()) return s;
  if (absl::StatusOr<absl::string_view> unit = UnitOfStream(request.stream_id); !unit.ok()) {
    return unit.status();
  }
  if (absl::Status s = CheckIdText("command_id", request.command_id); !s.ok()) return s;
  if (request.expected_version < kAnyVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected_version: must be -1 (any), 0 (no stream) or a version, got ",
                     request.expected_version));
  }
  if (request.events.empty()) {
    return absl::InvalidArgumentError("events: must contain at least one event");
  }
  if (static_cast<int64_t>(request.events.size()) > options.max_events_per_append) {
    return absl::InvalidArgumentError(absl::StrCat("events: at most ",
                                                   options.max_events_per_append,
                                                   " per append, got ", request.events.size()));
  }
  for (size_t i = 0; i < request.events.size(); ++i) {
    const v1::EventEnvelope& event = request.events[i];
    const std::string field = absl::StrCat("events[", i, "]");
    if (!event.stream_id().empty() && event.stream_id() != request.stream_id) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".stream_id: \"", event.stream_id(),
                                                     "\" differs from the request's \"",
                                                     request.stream_id, "\""));
    }
    if (event.type().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".type: must not be empty"));
    }
    if (event.payload().event_case() == v1::DomainEvent::EVENT_NOT_SET) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".payload: must hold a domain event"));
    }
    const std::string payload_type = EventTypeOf(event.payload());
    if (event.type() != payload_type) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".type: \"", event.type(),
                                                     "\" does not match the payload's type \"",
                                                     payload_type, "\""));
    }
    if (!event.hash().empty() || !event.prev_hash().empty() || !event.partition_hash().empty() ||
        !event.partition_prev_hash().empty() || event.has_position() ||
        !event.writer_signature().empty() || !event.writer_key().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": hashes, position and writer signature are set by the store and must be empty"));
    }
    const int64_t size = static_cast<int64_t>(event.ByteSizeLong()) + kStoreFieldsAllowance;
    if (size > options.max_event_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", size, " bytes exceeds max_event_bytes ", options.max_event_bytes));
    }
  }
  return absl::OkStatus();
}

PreparedEvent PrepareEvent(v1::EventEnvelope& event, absl::string_view stream_id,
                           absl::string_view command_id) {
  event.set_stream_id(std::string(stream_id));
  event.set_command_id(std::string(command_id));
  if (event.event_id().empty()) event.set_event_id(NewUuid());
  if (event.schema_version() == 0) event.set_schema_version(1);
  event.clear_stream_version();
  event.clear_recorded_at();
  // The writer's signature lives beside the canonical bytes, in the record.
  event.clear_writer_signature();
  event.clear_writer_key();
  PreparedEvent prepared;
  event.ByteSizeLong();  // caches sizes for SerializeWithCachedSizes
  prepared.body = CanonicalBytes(event);
  prepared.type = event.type();
  return prepared;
}

namespace {

void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A length-delimited field: tag, length, bytes.
void PutBytesField(int field, absl::string_view bytes, std::string* out) {
  PutVarint((static_cast<uint64_t>(field) << 3) | 2, out);
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

}  // namespace

SealedRecord SealEvent(absl::string_view body, int64_t stream_version,
                       const google::protobuf::Timestamp& recorded_at,
                       absl::string_view stream_prev_hash, absl::string_view partition_prev_hash) {
  std::string canonical;
  canonical.reserve(body.size() + 32);
  canonical.append(body.data(), body.size());
  PutVarint((3 << 3) | 0, &canonical);  // stream_version
  PutVarint(static_cast<uint64_t>(stream_version), &canonical);
  std::string timestamp;
  if (recorded_at.seconds() != 0) {
    PutVarint((1 << 3) | 0, &timestamp);
    PutVarint(static_cast<uint64_t>(recorded_at.seconds()), &timestamp);
  }
  if (recorded_at.nanos() != 0) {
    PutVarint((2 << 3) | 0, &timestamp);
    PutVarint(static_cast<uint64_t>(recorded_at.nanos()), &timestamp);
  }
  PutBytesField(7, timestamp, &canonical);  // recorded_at
  SealedRecord sealed;
  sealed.hash = Sha256Concat(stream_prev_hash, canonical);
  sealed.partition_hash = Sha256Concat(partition_prev_hash, canonical);
  // v1::EventRecord, encoded by hand: the writer's hot path.
  std::string& record = sealed.record_bytes;
  record.reserve(canonical.size() + 4 * (kSha256Bytes + 2) + 8);
  PutBytesField(1, canonical, &record);
  PutBytesField(2, stream_prev_hash, &record);
  PutBytesField(3, sealed.hash, &record);
  PutBytesField(4, partition_prev_hash, &record);
  PutBytesField(5, sealed.partition_hash, &record);
  return sealed;
}

SealedRecord SealEnvelope(v1::EventEnvelope event, absl::string_view stream_prev_hash,
                          absl::string_view partition_prev_hash) {
  const int64_t version = event.stream_version();
  const google::protobuf::Timestamp recorded_at = event.recorded_at();
  const std::string stream_id = event.stream_id();
  const std::string command_id = event.command_id();
  PreparedEvent prepared = PrepareEvent(event, stream_id, command_id);
  return SealEvent(prepared.body, version, recorded_at, stream_prev_hash, partition_prev_hash);
}

absl::StatusOr<v1::EventEnvelope> OpenRecord(absl::string_view record_bytes,
                                             const v1::Position& where) {
  v1::EventRecord record;
  if (!record.ParseFromArray(record_bytes.data(), static_cast<int>(record_bytes.size()))) {
    return absl::DataLossError(absl::StrCat("event at ", DescribePosition(where),
                                            ": stored record does not parse (truncated or "
                                            "corrupted, ",
                                            record_bytes.size(), " bytes)"));
  }
  if (record.hash().size() != kSha256Bytes || record.prev_hash().size() != kSha256Bytes ||
      record.partition_hash().size() != kSha256Bytes ||
      record.partition_prev_hash().size() != kSha256Bytes) {
    return absl::DataLossError(absl::StrCat("event at ", DescribePosition(where),
                                            ": stored record lacks its chain hashes"));
  }
  if (Sha256Concat(record.prev_hash(), record.canonical_envelope()) != record.hash()) {
    return absl::DataLossError(absl::StrCat("event at ", DescribePosition(where),
                                            ": stream hash does not match its contents"));
  }
  if (Sha256Concat(record.partition_prev_hash(), record.canonical_envelope()) !=
      record.partition_hash()) {
    return absl::DataLossError(absl::StrCat("event at ", DescribePosition(where),
                                            ": partition hash does not match its contents"));
  }
  v1::EventEnvelope event;
  if (!event.ParseFromString(record.canonical_envelope()) || event.stream_id().empty() ||
      event.stream_version() < 1) {
    return absl::DataLossError(absl::StrCat("event at ", DescribePosition(where),
                                            ": envelope does not parse or lacks stream_id"));
  }
  event.set_prev_hash(std::move(*record.mutable_prev_hash()));
  event.set_hash(std::move(*record.mutable_hash()));
  event.set_partition_prev_hash(std::move(*record.mutable_partition_prev_hash()));
  event.set_partition_hash(std::move(*record.mutable_partition_hash()));
  event.set_writer_signature(std::move(*record.mutable_writer_signature()));
  event.set_writer_key(std::move(*record.mutable_writer_key()));
  *event.mutable_position() = where;
  return event;
}

google::protobuf::Timestamp StoreTimestamp() {
  const absl::Time now = absl::Now();
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(now));
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(timestamp.seconds()))));
  return timestamp;
}

std::string DescribePosition(const v1::Position& position) {
  return absl::StrCat(position.partition(), "@", position.offset());
}

absl::Status VersionConflict(absl::string_view stream_id, int64_t expected, int64_t current) {
  absl::Status status = absl::AbortedError(
      absl::StrCat("stream ", stream_id, " is at version ", current, ", expected ", expected));
  status.SetPayload(kCurrentVersionPayload, absl::Cord(absl::StrCat(current)));
  return status;
}

}  // namespace gridledger::eventstore::internal
