#include "eventstore/internal/record_codec.h"

#include <random>

#include "absl/strings/match.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::eventstore::internal {
namespace {

using ::testing::HasSubstr;

v1::EventEnvelope MeterReadEvent() {
  v1::EventEnvelope event;
  event.set_type("gridledger.v1.MeterReadRecorded");
  auto* read = event.mutable_payload()->mutable_meter_read_recorded();
  read->set_read_id("r-1");
  read->set_account_id("6101000123");
  read->mutable_registers()->set_total_wh(123456789);
  return event;
}

AppendRequest ValidRequest() {
  AppendRequest request;
  request.stream_id = "account-6101000123";
  request.command_id = "cmd-1";
  request.events.push_back(MeterReadEvent());
  return request;
}

// The categories are domain/common/streams.h's (tested there); the codec
// refuses what that table does not know, before anything is written.
TEST(UnitOfStreamTest, TheCodecUsesTheDomainsCategories) {
  EXPECT_EQ(*UnitOfStream("tariff-1"), "billing");
  EXPECT_THAT(UnitOfStream("widget-1").status().message(), HasSubstr("unknown category"));
}

TEST(ValidateAppendRequestTest, AcceptsAValidRequest) {
  EXPECT_TRUE(ValidateAppendRequest(ValidRequest(), {}).ok());
}

TEST(ValidateAppendRequestTest, NamesTheFieldAndRule) {
  struct Case {
    std::function<void(AppendRequest&)> mutate;
    std::string expected;
  };
  std::vector<Case> cases = {
      {[](AppendRequest& r) { r.stream_id.clear(); }, "stream_id: must not be empty"},
      {[](AppendRequest& r) { r.stream_id = "account 1"; }, "stream_id: must not contain"},
      {[](AppendRequest& r) { r.command_id.clear(); }, "command_id: must not be empty"},
      {[](AppendRequest& r) { r.expected_version = -7; }, "expected_version"},
      {[](AppendRequest& r) { r.events.clear(); }, "events: must contain at least one"},
      {[](AppendRequest& r) { r.events[0].clear_type(); }, "events[0].type: must not be empty"},
      {[](AppendRequest& r) { r.events[0].set_type("gridledger.v1.BillIssued"); },
       "does not match the payload's type"},
      {[](AppendRequest& r) { r.events[0].clear_payload(); }, "events[0].payload"},
      {[](AppendRequest& r) { r.events[0].set_stream_id("account-2"); }, "events[0].stream_id"},
      {[](AppendRequest& r) { r.events[0].set_hash("x"); }, "set by the store"},
      {[](AppendRequest& r) { r.events[0].set_writer_signature("x"); }, "set by the store"},
      {[](AppendRequest& r) { r.events[0].set_writer_key("x"); }, "set by the store"},
      {[](AppendRequest& r) {
         r.events[0].mutable_payload()->mutable_meter_read_recorded()->set_reader(
             std::string(300000, 'x'));
       },
       "exceeds max_event_bytes"},
  };
  for (const Case& c : cases) {
    AppendRequest request = ValidRequest();
    c.mutate(request);
    absl::Status status = ValidateAppendRequest(request, {});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected));
  }
}

v1::Position At(int64_t offset) {
  v1::Position position;
  position.set_partition("log");
  position.set_offset(offset);
  return position;
}

TEST(SealAndOpenTest, RoundTripsAndChains) {
  v1::EventEnvelope event = MeterReadEvent();
  event.set_stream_id("account-1");
  event.set_stream_version(1);
  SealedRecord first = SealEnvelope(event, GenesisHash(), GenesisHash());
  absl::StatusOr<v1::EventEnvelope> opened = OpenRecord(first.record_bytes, At(0));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->hash(), first.hash);
  EXPECT_EQ(opened->prev_hash(), GenesisHash());
  EXPECT_EQ(opened->payload().meter_read_recorded().registers().total_wh(), 123456789);
  EXPECT_EQ(opened->position().offset(), 0);

  event.set_stream_version(2);
  SealedRecord second = SealEnvelope(event, first.hash, first.partition_hash);
  opened = OpenRecord(second.record_bytes, At(1));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->prev_hash(), first.hash);
  EXPECT_NE(second.hash, first.hash);
}

TEST(SealAndOpenTest, DetectsAlterationAndTruncation) {
  v1::EventEnvelope event = MeterReadEvent();
  event.set_stream_id("account-1");
  event.set_stream_version(1);
  SealedRecord sealed = SealEnvelope(event, GenesisHash(), GenesisHash());

  v1::EventRecord record;
  ASSERT_TRUE(record.ParseFromString(sealed.record_bytes));
  v1::EventEnvelope altered;
  ASSERT_TRUE(altered.ParseFromString(record.canonical_envelope()));
  altered.mutable_payload()->mutable_meter_read_recorded()->mutable_registers()->set_total_wh(1);
  record.set_canonical_envelope(altered.SerializeAsString());
  absl::Status status = OpenRecord(record.SerializeAsString(), At(7)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("log@7"));

  std::string truncated = sealed.record_bytes.substr(0, sealed.record_bytes.size() - 5);
  status = OpenRecord(truncated, At(3)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("log@3"));
}

// The writer's signature is the record's, never the canonical bytes': an
// opened (signed) event sealed again gives the same bytes every round (the
// fuzzer's fixed-point invariant; a found input once carried them inside).
TEST(SealAndOpenTest, WriterSignatureStaysOutOfTheCanonicalBytes) {
  v1::EventEnvelope event = MeterReadEvent();
  event.set_stream_id("account-1");
  event.set_stream_version(1);
  event.set_writer_signature("sig");
  event.set_writer_key("key");
  const SealedRecord first = SealEnvelope(event, GenesisHash(), GenesisHash());
  v1::EventRecord record;
  ASSERT_TRUE(record.ParseFromString(first.record_bytes));
  v1::EventEnvelope canonical;
  ASSERT_TRUE(canonical.ParseFromString(record.canonical_envelope()));
  EXPECT_TRUE(canonical.writer_signature().empty());
  EXPECT_TRUE(canonical.writer_key().empty());

  record.set_writer_signature("sig");  // as the group decider signs it
  absl::StatusOr<v1::EventEnvelope> opened = OpenRecord(record.SerializeAsString(), At(0));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->writer_signature(), "sig");
  opened->clear_hash();
  opened->clear_prev_hash();
  opened->clear_partition_hash();
  opened->clear_partition_prev_hash();
  opened->clear_position();
  EXPECT_EQ(SealEnvelope(*opened, GenesisHash(), GenesisHash()).record_bytes, first.record_bytes);
}

}  // namespace
}  // namespace gridledger::eventstore::internal

namespace gridledger::eventstore::internal {
namespace {

// Stored bytes are untrusted: every mutation of a valid record (flipped bits,
// truncation, garbage appended) is either rejected with DATA_LOSS or, when it
// happens to leave the record's meaning intact, verified — never a crash, and
// never an event whose contents differ from what was hashed.
TEST(OpenRecordTest, RandomMutationsAreRejectedNeverMisread) {
  v1::EventEnvelope event = MeterReadEvent();
  event.set_stream_id("account-1");
  event.set_stream_version(4);
  const SealedRecord sealed = SealEnvelope(event, GenesisHash(), GenesisHash());
  std::mt19937_64 random(20261126);
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = sealed.record_bytes;
    switch (random() % 3) {
      case 0:
        bytes[random() % bytes.size()] ^= static_cast<char>(1 << (random() % 8));
        break;
      case 1:
        bytes.resize(random() % bytes.size());
        break;
      default:
        bytes.append(1 + random() % 8, static_cast<char>(random()));
        break;
    }
    absl::StatusOr<v1::EventEnvelope> opened = OpenRecord(bytes, At(i));
    if (!opened.ok()) {
      ASSERT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << opened.status();
      ++rejected;
      continue;
    }
    // Accepted only if what it says is exactly what was sealed.
    EXPECT_EQ(opened->hash(), sealed.hash);
    EXPECT_EQ(opened->payload().meter_read_recorded().registers().total_wh(), 123456789);
    EXPECT_EQ(opened->stream_version(), 4);
  }
  EXPECT_GT(rejected, 19000);
}

}  // namespace
}  // namespace gridledger::eventstore::internal
