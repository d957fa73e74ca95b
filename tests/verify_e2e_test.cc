// `gridledger verify` against tampered stores: records rewritten through
// RocksDB itself (embedded) and forged records produced straight to a topic
// (Kafka). Each tampering — an event altered, removed, reordered or inserted,
// and an alteration whose partition chain was recomputed after it — must be
// reported with its position and a non-zero exit status; an intact store
// verifies with status 0.
#include <librdkafka/rdkafka.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/ed25519.h"
#include "common/sha256.h"
#include "eventstore/event_store_factory.h"
#include "eventstore/internal/embedded_log.h"
#include "eventstore/internal/record_codec.h"
#include "gmock/gmock.h"
#include "gridledger/v1/envelope.pb.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "rocksdb/db.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

struct Verified {
  int status = -1;
  std::string output;
};

// Runs `gridledger args…` to its end: its exit status and output.
Verified RunGridLedger(std::vector<std::string> args) {
  testing::ServeProcess process(GL_GRIDLEDGER_PATH, std::move(args));
  Verified verified;
  for (std::string line = process.NextLine(); !line.empty(); line = process.NextLine()) {
    verified.output += line + "\n";
  }
  verified.status = process.Wait();
  return verified;
}

Verified Verify(const std::string& store_uri) {
  return RunGridLedger({"verify", "--store", store_uri});
}

// A record for `envelope` (stream_id, stream_version and recorded_at set),
// sealed with the store's own codec onto the given chain links.
v1::EventRecord Sealed(const v1::EventEnvelope& envelope, const std::string& prev_hash,
                       const std::string& partition_prev_hash) {
  v1::EventRecord record;
  EXPECT_TRUE(record.ParseFromString(
      eventstore::internal::SealEnvelope(envelope, prev_hash, partition_prev_hash).record_bytes));
  return record;
}

// Relinks a record's unchanged contents onto other chain links, recomputing
// its two hashes.
void Relink(v1::EventRecord& record, const std::string& prev_hash,
            const std::string& partition_prev_hash) {
  record.set_prev_hash(prev_hash);
  record.set_hash(Sha256Concat(prev_hash, record.canonical_envelope()));
  record.set_partition_prev_hash(partition_prev_hash);
  record.set_partition_hash(Sha256Concat(partition_prev_hash, record.canonical_envelope()));
}

// The embedded store's log, opened behind the store's back.
class RawLog {
 public:
  explicit RawLog(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "log", "streams", "commands", "heads"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::Options(), path, families, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~RawLog() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  }
  v1::EventRecord Get(int64_t offset) {
    std::string value;
    EXPECT_TRUE(db_->Get({}, handles_[1], BigEndian64(offset), &value).ok());
    v1::EventRecord record;
    EXPECT_TRUE(record.ParseFromString(value));
    return record;
  }
  void Put(int64_t offset, const v1::EventRecord& record) {
    EXPECT_TRUE(db_->Put({}, handles_[1], BigEndian64(offset), record.SerializeAsString()).ok());
  }
  void Delete(int64_t offset) {
    EXPECT_TRUE(db_->Delete({}, handles_[1], BigEndian64(offset)).ok());
  }
  // Any column family, by its place in {default, log, streams, commands, heads}.
  void PutIn(int family, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put({}, handles_[family], key, value).ok());
  }
  void DeleteIn(int family, const std::string& key) {
    EXPECT_TRUE(db_->Delete({}, handles_[family], key).ok());
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Changes the event's business time and recomputes its own two hashes, as a
// forger who knows the hash scheme would.
v1::EventRecord Altered(const v1::EventRecord& record) {
  v1::EventEnvelope envelope;
  EXPECT_TRUE(envelope.ParseFromString(record.canonical_envelope()));
  envelope.mutable_occurred_at()->set_seconds(envelope.occurred_at().seconds() + 86400);
  return Sealed(envelope, record.prev_hash(), record.partition_prev_hash());
}

constexpr int kEvents = 400;

class VerifyEmbeddedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + Path());
    ASSERT_TRUE(store.ok());
    testing::BusinessGenerator generator(5, 40, 40);
    for (int i = 0; i < kEvents; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
  }
  std::string Path() const { return dir_.path() + "/store"; }
  testing::TempDir dir_;
};

TEST_F(VerifyEmbeddedTest, AnIntactStoreVerifies) {
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr(absl::StrCat("intact: ", kEvents, " events")));
}

TEST_F(VerifyEmbeddedTest, AnAlteredEventIsCaught) {
  {
    RawLog log(Path());
    log.Put(150, Altered(log.Get(150)));
  }
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output, HasSubstr("BROKEN: event at log@151"));
}

TEST_F(VerifyEmbeddedTest, ARemovedEventIsCaughtEvenWithTheLogClosedUp) {
  {
    RawLog log(Path());
    for (int64_t offset = 150; offset + 1 < kEvents; ++offset) log.Put(offset, log.Get(offset + 1));
    log.Delete(kEvents - 1);
  }
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output, HasSubstr("BROKEN: event at log@150"));
}

TEST_F(VerifyEmbeddedTest, ReorderedEventsAreCaught) {
  {
    RawLog log(Path());
    v1::EventRecord a = log.Get(150), b = log.Get(151);
    log.Put(150, b);
    log.Put(151, a);
  }
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output, HasSubstr("BROKEN: event at log@150"));
}

TEST_F(VerifyEmbeddedTest, AnInsertedEventIsCaught) {
  {
    RawLog log(Path());
    // A forged event chained to the one before it, and the rest moved up.
    v1::EventRecord previous = log.Get(149);
    v1::EventRecord forged = Altered(previous);
    Relink(forged, forged.prev_hash(), previous.partition_hash());
    for (int64_t offset = kEvents - 1; offset >= 150; --offset) {
      log.Put(offset + 1, log.Get(offset));
    }
    log.Put(150, forged);
  }
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output, HasSubstr("BROKEN: event at log@151"));
}

TEST_F(VerifyEmbeddedTest, IndexEntriesThatDisagreeWithTheLogAreCaughtAndReindexRepairsThem) {
  v1::EventEnvelope event;
  {
    auto store =
        eventstore::OpenEventStore("embedded:" + Path(), eventstore::ReadOnlyStoreOptions());
    ASSERT_TRUE(store.ok());
    auto all = (*store)->ReadAll({}, kEvents);
    ASSERT_TRUE(all.ok());
    event = all->events[100];
  }
  const std::string stream_key = absl::StrCat(event.stream_id(), "@", event.stream_version());
  {
    RawLog log(Path());
    log.DeleteIn(3, event.command_id());  // a retry would append it again
    log.PutIn(2, eventstore::internal::StreamKey(event.stream_id(), event.stream_version()),
              BigEndian64(5));
    log.PutIn(4, "account-ghost", eventstore::internal::EncodeHead(1, std::string(32, 'x')));
    v1::AppendOutcome ghost;
    ghost.set_stream_id("account-ghost");
    *ghost.add_positions() = eventstore::internal::EmbeddedPosition(0);
    log.PutIn(3, "ghost-command", ghost.SerializeAsString());
  }
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("intact: "));  // the chains are fine
  EXPECT_THAT(verified.output, HasSubstr(absl::StrCat("BROKEN: index commands, key ",
                                                      event.command_id(), ": missing")));
  EXPECT_THAT(verified.output, HasSubstr(absl::StrCat("BROKEN: index streams, key ", stream_key,
                                                      ": points at offset 5; the log has it at ",
                                                      event.position().offset())));
  EXPECT_THAT(verified.output, HasSubstr("BROKEN: index heads, key account-ghost: not in the log"));
  EXPECT_THAT(verified.output,
              HasSubstr("BROKEN: index commands, key ghost-command: not in the log"));

  testing::ServeProcess reindex(GL_GRIDLEDGER_PATH, {"reindex", "--store", "embedded:" + Path()});
  EXPECT_THAT(reindex.NextLine(), HasSubstr(absl::StrCat("reindexed ", kEvents, " events")));
  EXPECT_EQ(reindex.Wait(), 0);
  verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output,
              HasSubstr("indexes: the command index, stream index and stream heads "
                        "agree with the log"));
  auto store = eventstore::OpenEventStore("embedded:" + Path());
  ASSERT_TRUE(store.ok());
  auto retry = (*store)->LookupCommand(event.command_id());
  ASSERT_TRUE(retry.ok() && retry->has_value()) << "a retry finds its first outcome again";
  EXPECT_EQ((*retry)->stream_id(), event.stream_id());
}

TEST_F(VerifyEmbeddedTest, ARechainedPartitionStillBreaksTheStreamChain) {
  int64_t next_in_stream = -1;
  {
    RawLog log(Path());
    v1::EventRecord altered = Altered(log.Get(150));
    log.Put(150, altered);
    v1::EventEnvelope target;
    ASSERT_TRUE(target.ParseFromString(altered.canonical_envelope()));
    // Recompute every later partition hash, so the partition chain holds.
    std::string partition_hash = altered.partition_hash();
    for (int64_t offset = 151; offset < kEvents; ++offset) {
      v1::EventRecord record = log.Get(offset);
      v1::EventEnvelope envelope;
      ASSERT_TRUE(envelope.ParseFromString(record.canonical_envelope()));
      if (next_in_stream < 0 && envelope.stream_id() == target.stream_id()) next_in_stream = offset;
      Relink(record, record.prev_hash(), partition_hash);
      partition_hash = record.partition_hash();
      log.Put(offset, record);
    }
  }
  ASSERT_GT(next_in_stream, 150) << "the altered event's stream should go on after it";
  Verified verified = Verify("embedded:" + Path());
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output,
              HasSubstr(absl::StrCat("BROKEN: event at log@", next_in_stream, ": stream")));
  EXPECT_THAT(verified.output, HasSubstr("does not chain"));
}

// Signed checkpoints: what a forger who recomputes every hash cannot fake.
class SignedCheckpointTest : public VerifyEmbeddedTest {
 protected:
  void SetUp() override {
    VerifyEmbeddedTest::SetUp();
    keys_ = dir_.path() + "/auditor";
    ASSERT_EQ(Run({"keygen", "--out", keys_}).status, 0);
    checkpoint_ = dir_.path() + "/checkpoint.json";
    Verified taken = Run({"checkpoint", "--store", "embedded:" + Path(), "--key", keys_ + ".key",
                          "--out", checkpoint_});
    ASSERT_EQ(taken.status, 0) << taken.output;
  }
  static Verified Run(std::vector<std::string> args) { return RunGridLedger(std::move(args)); }
  Verified VerifyAgainstCheckpoint(const std::string& public_key) {
    return Run({"verify", "--store", "embedded:" + Path(), "--checkpoint", checkpoint_,
                "--public_key", public_key});
  }
  std::string keys_, checkpoint_;
};

TEST_F(SignedCheckpointTest, ALogThatGrewStillExtendsItsCheckpoint) {
  {
    auto store = eventstore::OpenEventStore("embedded:" + Path());
    ASSERT_TRUE(store.ok());
    testing::BusinessGenerator generator(9, 10, 10, "later-");
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
  }
  Verified verified = VerifyAgainstCheckpoint(keys_ + ".pub");
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("extends the signed checkpoint"));
  // Another key does not vouch for it.
  ASSERT_EQ(Run({"keygen", "--out", dir_.path() + "/stranger"}).status, 0);
  verified = VerifyAgainstCheckpoint(dir_.path() + "/stranger.pub");
  EXPECT_EQ(verified.status, 1);
  EXPECT_THAT(verified.output, HasSubstr("signature"));
}

// The file reads as it is: every field named, hashes and the signature in
// hex; a readable copy changed to say something else is caught.
TEST_F(SignedCheckpointTest, TheFileIsReadableAndItsReadableCopyIsChecked) {
  std::ifstream in(checkpoint_);
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  EXPECT_THAT(json, HasSubstr("\"partition_hash_hex\": \""));
  EXPECT_THAT(json, HasSubstr("\"signature_hex\": \""));
  EXPECT_THAT(json, HasSubstr("\"taken_at\": \"20"));
  const std::regex hash("\"partition_hash_hex\": \"([0-9a-f]{64})\"");
  std::smatch found;
  ASSERT_TRUE(std::regex_search(json, found, hash)) << json;
  const std::string forged = std::string(64, 'a');
  json.replace(found.position(1), 64, forged);
  std::ofstream(checkpoint_, std::ios::trunc) << json;
  Verified verified = VerifyAgainstCheckpoint(keys_ + ".pub");
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("readable copy differs from what is signed"));
}

TEST_F(SignedCheckpointTest, AForgerWhoRechainsEverythingIsCaughtOnlyByTheCheckpoint) {
  {
    // Alter event 150, then recompute every stream and partition hash after it.
    RawLog log(Path());
    std::map<std::string, std::string> stream_heads;
    std::string partition_hash;
    for (int64_t offset = 0; offset < kEvents; ++offset) {
      v1::EventRecord record = offset == 150 ? Altered(log.Get(offset)) : log.Get(offset);
      v1::EventEnvelope envelope;
      ASSERT_TRUE(envelope.ParseFromString(record.canonical_envelope()));
      std::string& stream_head = stream_heads[envelope.stream_id()];
      if (offset >= 150) {
        Relink(record, stream_head.empty() ? GenesisHash() : stream_head, partition_hash);
        log.Put(offset, record);
      }
      stream_head = record.hash();
      partition_hash = record.partition_hash();
    }
  }
  // A thorough forger rebuilds the indexes from the forged log as well.
  ASSERT_EQ(Run({"reindex", "--store", "embedded:" + Path()}).status, 0);
  Verified plain = Verify("embedded:" + Path());
  EXPECT_EQ(plain.status, 0) << "a perfect re-chaining is self-consistent: " << plain.output;
  Verified verified = VerifyAgainstCheckpoint(keys_ + ".pub");
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr(absl::StrCat("event at log@", kEvents - 1)));
  EXPECT_THAT(verified.output, HasSubstr("differs from the signed checkpoint"));
}

TEST_F(SignedCheckpointTest, EventsCutFromTheEndAreCaught) {
  {
    RawLog log(Path());
    for (int64_t offset = kEvents - 5; offset < kEvents; ++offset) log.Delete(offset);
  }
  Verified verified = VerifyAgainstCheckpoint(keys_ + ".pub");
  EXPECT_EQ(verified.status, 1) << verified.output;
  // The embedded store itself knows where its log ended; a checkpoint would
  // catch the cut even if that were rewritten too.
  EXPECT_THAT(verified.output,
              ::testing::AnyOf(HasSubstr(absl::StrCat("log@", kEvents - 5, " is missing")),
                               HasSubstr(absl::StrCat("before offset ", kEvents - 1))));
}

TEST_F(SignedCheckpointTest, ServeSignsOnStartAndOnSigusr1) {
  const std::string exported = dir_.path() + "/exported";
  std::filesystem::create_directories(exported);
  testing::ServeProcess serve(GL_GRIDLEDGER_PATH,
                              {"serve", "--clock_tick_s", "0", "--store", "embedded:" + Path(),
                               "--listen", "127.0.0.1:0", "--views", "none", "--checkpoint_key",
                               keys_ + ".key", "--checkpoint_dir", exported, "--without_tokens"});
  ASSERT_THAT(serve.LineContaining("serving on"), HasSubstr("serving on"));
  auto count = [&] {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(exported)) {
      files += entry.path().filename().string().rfind("checkpoint-", 0) == 0;
    }
    return files;
  };
  for (int i = 0; i < 100 && count() < 1; ++i) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(count(), 1);
  absl::SleepFor(absl::Seconds(1));  // the next file's name has a later second
  serve.Signal(SIGUSR1);
  for (int i = 0; i < 100 && count() < 2; ++i) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(count(), 2);
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
  checkpoint_ = exported + "/latest.json";
  Verified verified = VerifyAgainstCheckpoint(keys_ + ".pub");
  EXPECT_EQ(verified.status, 0) << verified.output;
}

// `serve --writer_key` signs every group commit: what its commands wrote
// verifies against the writer's public key, and not against another's.
TEST_F(SignedCheckpointTest, ServeSignsEveryCommitWithItsWriterKey) {
  const std::string store = "embedded:" + dir_.path() + "/signed-store";
  const std::string tokens = dir_.path() + "/tokens";
  const std::string issued = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " token --principal ops --org_unit sn --roles admin"));
  const std::string token = issued.substr(0, issued.find('\n'));
  {
    std::ofstream out(tokens);
    out << issued.substr(issued.find('\n') + 1);
  }
  testing::ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", store, "--listen", "127.0.0.1:0", "--views",
       "none", "--tokens", tokens, "--writer_key", keys_ + ".key"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  ASSERT_TRUE(testing::RegisterOrgUnits(address, token, testing::TestOrgUnits()));
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
  Verified verified = Run({"verify", "--store", store, "--writer_key", keys_ + ".pub"});
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("every event vouched for by a registered writer"));
  testing::TempDir other;
  ASSERT_EQ(Run({"keygen", "--out", other.path() + "/k"}).status, 0);
  Verified foreign = Run({"verify", "--store", store, "--writer_key", other.path() + "/k.pub"});
  EXPECT_EQ(foreign.status, 1) << foreign.output;
}

// Kafka: records produced straight to a topic partition, outside the store.
class VerifyKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
    if (!bootstrap) GTEST_SKIP() << "run through ctest: it starts the broker";
    bootstrap_ = *bootstrap;
    prefix_ = testing::UniqueTopicPrefix();
    uri_ = absl::StrCat("kafka://", bootstrap_, "?topic_prefix=", prefix_,
                        "&partitions=1&timeout_ms=8000");
    auto store = eventstore::OpenEventStore(uri_);
    ASSERT_TRUE(store.ok()) << store.status();
    testing::BusinessGenerator generator(6, 20, 20);
    for (int i = 0; i < 120; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
  }

  // Produces `value` to partition 0 of the billing topic; returns its offset.
  int64_t Produce(const std::string& value) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), error, sizeof error);
    static int64_t delivered_offset;
    delivered_offset = -1;
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* message, void*) {
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) delivered_offset = message->offset;
    });
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    EXPECT_NE(producer, nullptr) << error;
    const std::string topic = prefix_ + ".billing.v1";
    EXPECT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_flush(producer, 10000);
    rd_kafka_destroy(producer);
    return delivered_offset;
  }

  // A self-consistent billing event whose chain links are made up.
  std::string ForgedRecord(const std::string& partition_prev_hash) {
    v1::EventEnvelope envelope;
    envelope.set_event_id("forged");
    envelope.set_stream_id("account-FORGED");
    envelope.set_stream_version(1);
    envelope.set_type("gridledger.v1.PaymentPosted");
    envelope.mutable_payload()->mutable_payment_posted()->set_amount_fen(100000000);
    return Sealed(envelope, GenesisHash(), partition_prev_hash).SerializeAsString();
  }

  std::string bootstrap_, prefix_, uri_;
};

TEST_F(VerifyKafkaTest, AnIntactTopicVerifiesAndAForgedRecordIsCaught) {
  Verified intact = Verify(uri_);
  EXPECT_EQ(intact.status, 0) << intact.output;
  EXPECT_THAT(intact.output, HasSubstr("intact: 120 events"));
  // A forger appends a well-formed event that does not follow the partition's chain.
  const int64_t offset = Produce(ForgedRecord(std::string(32, '\x07')));
  ASSERT_GE(offset, 0);
  Verified verified = Verify(uri_);
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_THAT(verified.output,
              HasSubstr(absl::StrCat("event at ", prefix_, ".billing.v1/0@", offset)));
}

TEST_F(VerifyKafkaTest, AReplayedRecordIsCaught) {
  // A copy of an earlier record of the partition, appended again.
  auto store = eventstore::OpenEventStore(uri_);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<eventstore::ReadAllResult> all = (*store)->ReadAll({}, 1000);
  ASSERT_TRUE(all.ok());
  const v1::EventEnvelope* first_billing = nullptr;
  for (const auto& e : all->events) {
    if (e.position().partition() == prefix_ + ".billing.v1/0") {
      first_billing = &e;
      break;
    }
  }
  ASSERT_NE(first_billing, nullptr);
  v1::EventEnvelope canonical = *first_billing;
  for (auto* field :
       {canonical.mutable_prev_hash(), canonical.mutable_hash(),
        canonical.mutable_partition_prev_hash(), canonical.mutable_partition_hash()}) {
    field->clear();
  }
  canonical.clear_position();
  const v1::EventRecord record =
      Sealed(canonical, first_billing->prev_hash(), first_billing->partition_prev_hash());
  store->reset();
  const int64_t offset = Produce(record.SerializeAsString());
  ASSERT_GE(offset, 0);
  Verified verified = Verify(uri_);
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_THAT(verified.output,
              HasSubstr(absl::StrCat("event at ", prefix_, ".billing.v1/0@", offset)));
}

// The audited way past damage: a forged record makes the log refuse to
// open; an acknowledgement naming anything but the damage is refused and
// writes nothing; the right one, signed, lets a writer that trusts its key
// continue the chain past the record, and verify names the damage from then
// on (and breaks when another key signed it, or on damage not acknowledged).
TEST_F(VerifyKafkaTest, ADamagedTopicIsRefusedAcknowledgedAndContinuedWithTheDamageReported) {
  const int64_t offset = Produce(ForgedRecord(std::string(32, '\x07')));
  ASSERT_GE(offset, 0);
  const std::string damaged = absl::StrCat(prefix_, ".billing.v1/0@", offset);
  EXPECT_TRUE(absl::IsDataLoss(eventstore::OpenEventStore(uri_).status()));

  testing::TempDir keys;
  const std::string key = keys.path() + "/ops", other = keys.path() + "/other";
  ASSERT_EQ(RunGridLedger({"keygen", "--out", key}).status, 0);
  ASSERT_EQ(RunGridLedger({"keygen", "--out", other}).status, 0);
  // The operator is an admin of the deployment's tokens file; anyone else
  // is refused before anything is read.
  const std::string tokens = keys.path() + "/tokens";
  auto issue = [&](const std::string& name, const std::string& roles) {
    Verified issued = RunGridLedger(
        {"token", "--principal", name, "--org_unit", "sn", "--roles", roles, "--append", tokens});
    EXPECT_EQ(issued.status, 0) << issued.output;
    std::string token_file = keys.path() + "/" + name + ".token";
    std::ofstream(token_file) << issued.output.substr(0, issued.output.find('\n')) << "\n";
    return token_file;
  };
  const std::string admin_token = issue("duty-engineer", "admin");
  const std::string auditor_token = issue("an-auditor", "auditor");
  const std::vector<std::string> acknowledge = {
      "acknowledge",      "--store",  uri_,   "--key",        key + ".key", "--reason",
      "forged by a test", "--tokens", tokens, "--token_file", admin_token};
  const std::string unknown_token = keys.path() + "/unknown.token";
  std::ofstream(unknown_token) << "not-a-token-of-this-deployment\n";
  for (const std::string& who : {auditor_token, unknown_token}) {
    std::vector<std::string> not_admin = {
        "acknowledge", "--store", uri_,           "--key", key + ".key", "--reason", "x",
        "--tokens",    tokens,    "--token_file", who,     "--position", damaged};
    Verified denied = RunGridLedger(not_admin);
    EXPECT_EQ(denied.status, 2) << denied.output;
    EXPECT_THAT(denied.output,
                ::testing::AnyOf(HasSubstr("PERMISSION_DENIED"), HasSubstr("UNAUTHENTICATED")))
        << denied.output;
  }
  // The last record before the damage (the one before it is the commit
  // marker of its transaction) is not damage: acknowledging it leaves the
  // log broken, so nothing is written.
  std::vector<std::string> wrong = acknowledge;
  wrong.insert(wrong.end(), {"--position", absl::StrCat(prefix_, ".billing.v1/0@", offset - 2)});
  Verified refused = RunGridLedger(wrong);
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("nothing was written"));
  EXPECT_TRUE(absl::IsDataLoss(eventstore::OpenEventStore(uri_).status()));

  std::vector<std::string> right = acknowledge;
  right.insert(right.end(), {"--position", damaged});
  Verified acknowledged = RunGridLedger(right);
  ASSERT_EQ(acknowledged.status, 0) << acknowledged.output;

  // A writer that does not trust the signer still refuses; one that does continues.
  EXPECT_TRUE(absl::IsFailedPrecondition(eventstore::OpenEventStore(uri_).status()));
  std::ifstream public_file(key + ".pub");
  const std::string public_pem((std::istreambuf_iterator<char>(public_file)),
                               std::istreambuf_iterator<char>());
  ASSERT_FALSE(public_pem.empty());
  eventstore::StoreOptions trusting;
  trusting.trusted_acknowledgement_keys.push_back(public_pem);
  {
    auto store = eventstore::OpenEventStore(uri_, trusting);
    ASSERT_TRUE(store.ok()) << store.status();
    testing::BusinessGenerator generator(7, 10, 10, "later-");
    for (int i = 0; i < 30; ++i) {
      absl::StatusOr<eventstore::AppendResult> appended = (*store)->Append(generator.Next());
      ASSERT_TRUE(appended.ok()) << appended.status();
    }
  }
  Verified verified = Verify(uri_);
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("intact: 150 events"));
  EXPECT_THAT(verified.output, HasSubstr("ACKNOWLEDGED damage: " + damaged));
  EXPECT_THAT(verified.output, HasSubstr("forged by a test"));
  EXPECT_THAT(verified.output, HasSubstr("duty-engineer (admin of sn)"));
  Verified trusted = RunGridLedger({"verify", "--store", uri_, "--public_key", key + ".pub"});
  EXPECT_EQ(trusted.status, 0) << trusted.output;
  EXPECT_THAT(trusted.output, HasSubstr("signed by the trusted key"));
  Verified untrusted = RunGridLedger({"verify", "--store", uri_, "--public_key", other + ".pub"});
  EXPECT_EQ(untrusted.status, 1) << untrusted.output;
  EXPECT_THAT(untrusted.output, HasSubstr("not the trusted key"));

  // Damage nobody acknowledged is a break as before.
  const int64_t again = Produce(ForgedRecord(std::string(32, '\x09')));
  Verified broken = Verify(uri_);
  EXPECT_EQ(broken.status, 1) << broken.output;
  EXPECT_THAT(broken.output, HasSubstr(absl::StrCat(prefix_, ".billing.v1/0@", again)));
}

// Signed writers: a well-chained forgery appended by anyone with produce
// rights verifies as intact by the chains alone; with the registry of
// writers' keys, verify names the events no registered writer signed.
TEST_F(VerifyKafkaTest, AWellChainedForgeryIsCaughtByWriterSignatures) {
  prefix_ = testing::UniqueTopicPrefix();
  uri_ = absl::StrCat("kafka://", bootstrap_, "?topic_prefix=", prefix_,
                      "&partitions=1&timeout_ms=8000");
  testing::TempDir keys;
  const std::string key = keys.path() + "/writer", other = keys.path() + "/other";
  ASSERT_EQ(RunGridLedger({"keygen", "--out", key}).status, 0);
  ASSERT_EQ(RunGridLedger({"keygen", "--out", other}).status, 0);
  std::ifstream key_file(key + ".key");
  const std::string private_pem((std::istreambuf_iterator<char>(key_file)),
                                std::istreambuf_iterator<char>());
  absl::StatusOr<std::shared_ptr<const Ed25519Signer>> signer = Ed25519Signer::FromPem(private_pem);
  ASSERT_TRUE(signer.ok()) << signer.status();
  eventstore::StoreOptions signing;
  signing.writer_signer = *signer;
  std::string billing_head;
  {
    auto store = eventstore::OpenEventStore(uri_, signing);
    ASSERT_TRUE(store.ok()) << store.status();
    testing::BusinessGenerator generator(8, 20, 20);
    for (int i = 0; i < 120; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
    absl::StatusOr<eventstore::ReadAllResult> all = (*store)->ReadAll({}, 1000);
    ASSERT_TRUE(all.ok());
    for (const auto& e : all->events) {
      if (e.position().partition() == prefix_ + ".billing.v1/0") billing_head = e.partition_hash();
    }
  }
  ASSERT_FALSE(billing_head.empty());
  Verified signed_log = RunGridLedger({"verify", "--store", uri_, "--writer_key", key + ".pub"});
  EXPECT_EQ(signed_log.status, 0) << signed_log.output;
  EXPECT_THAT(signed_log.output, HasSubstr("every event vouched for by a registered writer"));
  Verified wrong_registry =
      RunGridLedger({"verify", "--store", uri_, "--writer_key", other + ".pub"});
  EXPECT_EQ(wrong_registry.status, 1) << wrong_registry.output;
  EXPECT_THAT(wrong_registry.output, HasSubstr("which is no registered writer"));

  // The forger chains onto the partition's real head.
  const int64_t offset = Produce(ForgedRecord(billing_head));
  ASSERT_GE(offset, 0);
  Verified chains_only = Verify(uri_);
  EXPECT_EQ(chains_only.status, 0) << chains_only.output;  // the chains alone cannot tell
  Verified with_writers = RunGridLedger({"verify", "--store", uri_, "--writer_key", key + ".pub"});
  EXPECT_EQ(with_writers.status, 1) << with_writers.output;
  EXPECT_THAT(with_writers.output,
              HasSubstr(absl::StrCat("events at ", prefix_, ".billing.v1/0@", offset, "…", offset,
                                     " (1): signed by no registered writer")));
}

}  // namespace
}  // namespace gridledger
