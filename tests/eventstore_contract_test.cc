// The EventStore contract, run against both backends: embedded (RocksDB in a
// temp dir) and Kafka (the real broker ctest's fixture started) — the latter
// both as a single writer and as one instance of a three-instance cluster
// whose other two instances own most partitions (calls forwarded over gRPC).
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "eventstore/cluster.h"
#include "eventstore/event_store_factory.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_topology.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/cluster_service.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using eventstore::AppendRequest;
using eventstore::AppendResult;
using eventstore::EventStore;
using eventstore::kAnyVersion;
using eventstore::kNoStream;
using eventstore::ReadAllResult;
using eventstore::SubscriptionFilter;
using testing::MeterReadAppend;
using testing::StatusIs;

enum class Corruption { kAltered, kTruncated };

// What the contract tests need from a backend.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Uri() const = 0;
  absl::StatusOr<std::unique_ptr<EventStore>> Open() const {
    return eventstore::OpenEventStore(Uri(), options);
  }
  // Open, and wait until the store is ready for the contract's calls.
  virtual absl::StatusOr<std::unique_ptr<EventStore>> OpenReady() const { return Open(); }
  // Damages the stored record at `at` (the store must be closed): embedded
  // rewrites it in place through RocksDB; Kafka cannot rewrite, so it forges a
  // damaged copy as a new record right after it in the same partition.
  virtual void Corrupt(const v1::Position& at, Corruption kind) = 0;
  // Whether opening the store reads (and so verifies) every record.
  virtual bool VerifiesAtOpen() const = 0;
  // Whether stream reads come from the log itself (and so meet a damaged
  // record); a cluster instance reads streams from its owner state.
  virtual bool ReadsStreamsFromTheLog() const { return true; }
  // Whether a command id is known across every partition: in a cluster each
  // owner's command index covers its own partitions only.
  virtual bool CommandIdsAreGlobal() const { return true; }

  eventstore::StoreOptions options;
};

std::string Damage(const std::string& record_bytes, Corruption kind) {
  if (kind == Corruption::kTruncated) return record_bytes.substr(0, record_bytes.size() / 2);
  v1::EventRecord record;
  EXPECT_TRUE(record.ParseFromString(record_bytes));
  v1::EventEnvelope envelope;
  EXPECT_TRUE(envelope.ParseFromString(record.canonical_envelope()));
  // What a fraudster would change: the energy on the read.
  envelope.mutable_payload()->mutable_meter_read_recorded()->mutable_registers()->set_total_wh(1);
  record.set_canonical_envelope(envelope.SerializeAsString());
  return record.SerializeAsString();
}

class EmbeddedBackend : public Backend {
 public:
  std::string Uri() const override { return "embedded:" + dir_.path() + "/store"; }
  bool VerifiesAtOpen() const override { return false; }
  void Corrupt(const v1::Position& at, Corruption kind) override {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "log", "streams", "commands", "heads"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.path() + "/store", families, &handles, &db).ok());
    std::string key;
    for (int shift = 56; shift >= 0; shift -= 8) {
      key.push_back(static_cast<char>((static_cast<uint64_t>(at.offset()) >> shift) & 0xFF));
    }
    std::string value;
    ASSERT_TRUE(db->Get({}, handles[1], key, &value).ok());
    ASSERT_TRUE(db->Put({}, handles[1], key, Damage(value, kind)).ok());
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    delete db;
  }

 private:
  testing::TempDir dir_;
};

class KafkaBackend : public Backend {
 public:
  explicit KafkaBackend(std::string bootstrap)
      : bootstrap_(std::move(bootstrap)), prefix_(testing::UniqueTopicPrefix()) {}
  std::string Uri() const override {
    return absl::StrCat("kafka://", bootstrap_, "?topic_prefix=", prefix_,
                        "&partitions=2&timeout_ms=8000");
  }
  bool VerifiesAtOpen() const override { return true; }
  void Corrupt(const v1::Position& at, Corruption kind) override {
    // Read the genuine record, then forge a damaged copy after it.
    const size_t slash = at.partition().rfind('/');
    const std::string topic = at.partition().substr(0, slash);
    const int partition = std::stoi(at.partition().substr(slash + 1));
    absl::StatusOr<eventstore::internal::KafkaHandle> consumer =
        eventstore::internal::NewConsumer({{"bootstrap.servers", bootstrap_},
                                           {"group.id", "tamper"},
                                           {"enable.auto.commit", "false"}});
    ASSERT_TRUE(consumer.ok());
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = at.offset();
    ASSERT_EQ(rd_kafka_assign(consumer->get(), list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    std::string genuine;
    for (int i = 0; i < 200 && genuine.empty(); ++i) {
      eventstore::internal::KafkaMessage message(rd_kafka_consumer_poll(consumer->get(), 100));
      if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->offset == at.offset()) {
        genuine.assign(static_cast<const char*>(message->payload), message->len);
      }
    }
    ASSERT_FALSE(genuine.empty()) << "could not read back " << at.DebugString();
    const std::string forged = Damage(genuine, kind);
    absl::StatusOr<eventstore::internal::KafkaHandle> producer =
        eventstore::internal::NewProducer({{"bootstrap.servers", bootstrap_}}, nullptr);
    ASSERT_TRUE(producer.ok());
    ASSERT_EQ(rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_VALUE(const_cast<char*>(forged.data()), forged.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(producer->get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  std::string bootstrap_;
  std::string prefix_;
};

// Three instances of one deployment on the Kafka backend, in this process.
// The store under test is instance "c0"; "c1" and "c2" run beside it for the
// backend's lifetime, each with the Cluster gRPC service on a loopback port,
// so most of c0's partitions are owned elsewhere and its calls for them are
// forwarded (GrpcOwnerForwarder → ClusterService). c0 serves no Cluster
// service: only it is called, so nobody forwards to it. Damage is forged as
// for KafkaBackend.
class ClusterBackend : public KafkaBackend {
 public:
  explicit ClusterBackend(std::string bootstrap) : KafkaBackend(std::move(bootstrap)) {
    for (int i = 1; i <= 2; ++i) {
      Peer& peer = peers_.emplace_back();
      peer.port = FreeLoopbackPort();
      absl::StatusOr<std::unique_ptr<EventStore>> store = eventstore::OpenEventStore(
          Uri(), InstanceOptions(absl::StrCat("c", i), absl::StrCat("127.0.0.1:", peer.port)));
      EXPECT_TRUE(store.ok()) << store.status();
      if (!store.ok()) return;
      peer.store = *std::move(store);
      peer.service =
          std::make_unique<server::ClusterService>(peer.store->cluster(), &no_tokens_, kSecret);
      grpc::ServerBuilder builder;
      builder.AddListeningPort(absl::StrCat("127.0.0.1:", peer.port),
                               grpc::InsecureServerCredentials());
      builder.RegisterService(peer.service.get());
      peer.server = builder.BuildAndStart();
    }
    options = InstanceOptions("c0", "127.0.0.1:1");
  }
  ~ClusterBackend() override {
    for (Peer& peer : peers_) {
      if (peer.store != nullptr) peer.store->cluster()->BeginShutdown();
      if (peer.server != nullptr) peer.server->Shutdown();
    }
  }
  bool VerifiesAtOpen() const override { return false; }
  bool ReadsStreamsFromTheLog() const override { return false; }
  bool CommandIdsAreGlobal() const override { return false; }

  // Opens c0 and waits until every partition has a claim by a live instance.
  absl::StatusOr<std::unique_ptr<EventStore>> OpenReady() const override {
    absl::StatusOr<std::unique_ptr<EventStore>> store = Open();
    if (!store.ok()) return store;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::ClusterStatusReply> status = (*store)->cluster()->Status();
      bool settled = status.ok() && status->partitions_size() > 0;
      if (settled) {
        for (const v1::PartitionStatus& partition : status->partitions()) {
          // c0's partitions must be claimed by this very process (owned here).
          settled = settled && !partition.owner_instance().empty() &&
                    (partition.owner_instance() != "c0" || partition.owned_here());
        }
      }
      if (settled) return store;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return absl::DeadlineExceededError("the cluster's partitions were not all claimed in 60 s");
  }

 private:
  static constexpr char kSecret[] = "contract-suite-cluster-secret";
  struct Peer {
    int port = 0;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<server::ClusterService> service;
    std::unique_ptr<grpc::Server> server;
  };

  // A port nothing listens on now (the kernel's choice), for a peer's server.
  static int FreeLoopbackPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    close(fd);
    return ntohs(address.sin_port);
  }

  eventstore::StoreOptions InstanceOptions(const std::string& name, const std::string& advertise) {
    auto cluster = std::make_shared<eventstore::ClusterOptions>();
    cluster->instance = name;
    cluster->advertise = advertise;
    cluster->session_timeout_ms = 6000;
    cluster->handover_wait_ms = 20000;
    cluster->state_dir = absl::StrCat(state_.path(), "/", name);
    cluster->forwarder = std::make_shared<server::GrpcOwnerForwarder>(
        kSecret, grpc::InsecureChannelCredentials(), 10000);
    eventstore::StoreOptions options;
    options.cluster = std::move(cluster);
    return options;
  }

  testing::TempDir state_;
  service::TokenRegistry no_tokens_;
  std::vector<Peer> peers_;
};

class EventStoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() != "embedded" && !testing::TestKafkaBootstrap()) {
      GTEST_SKIP() << "GRIDLEDGER_TEST_KAFKA_BOOTSTRAP_FILE is unset; run through ctest";
    }
    UseFreshBackend();
  }

  // A new, empty log (a new directory, or new topics).
  void UseFreshBackend() {
    store_.reset();
    if (GetParam() == "embedded") {
      backend_ = std::make_unique<EmbeddedBackend>();
    } else if (GetParam() == "kafka") {
      backend_ = std::make_unique<KafkaBackend>(*testing::TestKafkaBootstrap());
    } else {
      backend_ = std::make_unique<ClusterBackend>(*testing::TestKafkaBootstrap());
    }
    Reopen();
  }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<EventStore>> store = backend_->OpenReady();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::vector<v1::EventEnvelope> ReadEverything() {
    std::vector<v1::EventEnvelope> all;
    v1::Checkpoint from;
    while (true) {
      absl::StatusOr<ReadAllResult> batch = store_->ReadAll(from, 500);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok() || batch->events.empty()) break;
      for (auto& e : batch->events) all.push_back(std::move(e));
      from = batch->next;
    }
    return all;
  }

  // ReadAll and Subscribe from the start both stop with DATA_LOSS naming
  // `where`.
  void ExpectLogReadsReportDamage(const std::string& where) {
    EXPECT_THAT(store_->ReadAll(v1::Checkpoint(), 1000),
                StatusIs(absl::StatusCode::kDataLoss, where));
    auto subscription =
        store_->Subscribe(v1::Checkpoint(), SubscriptionFilter(),
                          [](const v1::EventEnvelope&) { return absl::OkStatus(); });
    ASSERT_TRUE(subscription.ok());
    EXPECT_THAT((*subscription)->Wait(), StatusIs(absl::StatusCode::kDataLoss, where));
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<EventStore> store_;
};

TEST_P(EventStoreContractTest, AppendFillsTheEnvelopeAndReadStreamReturnsIt) {
  absl::StatusOr<AppendResult> result =
      store_->Append(MeterReadAppend("account-1001", kNoStream, NewUuid(), 3));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->deduplicated);
  EXPECT_EQ(result->outcome.first_version(), 1);
  EXPECT_EQ(result->outcome.last_version(), 3);
  ASSERT_EQ(result->outcome.positions_size(), 3);

  absl::StatusOr<std::vector<v1::EventEnvelope>> events = store_->ReadStream("account-1001");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  std::string prev = std::string(32, '\0');
  for (int i = 0; i < 3; ++i) {
    const v1::EventEnvelope& e = (*events)[i];
    EXPECT_EQ(e.stream_id(), "account-1001");
    EXPECT_EQ(e.stream_version(), i + 1);
    EXPECT_TRUE(IsUuid(e.event_id()));
    EXPECT_EQ(e.schema_version(), 1);
    EXPECT_GT(e.recorded_at().seconds(), 1700000000);
    EXPECT_EQ(e.actor().role(), "meter_reader");
    EXPECT_EQ(e.payload().meter_read_recorded().registers().total_wh(), 1234567890);
    EXPECT_EQ(e.prev_hash(), prev);
    EXPECT_EQ(e.hash().size(), 32u);
    EXPECT_EQ(e.position().partition(), result->outcome.positions(i).partition());
    EXPECT_EQ(e.position().offset(), result->outcome.positions(i).offset());
    prev = e.hash();
  }
  EXPECT_EQ(*store_->StreamVersion("account-1001"), 3);
  EXPECT_EQ(*store_->StreamVersion("account-nope"), 0);
  EXPECT_TRUE(store_->ReadStream("account-nope")->empty());
  // Reading from the middle, and a bounded count.
  events = store_->ReadStream("account-1001", 2, 1);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].stream_version(), 2);
}

TEST_P(EventStoreContractTest, VersionConflictIsAbortedWithTheCurrentVersion) {
  ASSERT_TRUE(store_->Append(MeterReadAppend("account-2002", kNoStream, NewUuid(), 2)).ok());
  absl::StatusOr<AppendResult> stale =
      store_->Append(MeterReadAppend("account-2002", 1, NewUuid()));
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted, "is at version 2, expected 1"));
  absl::optional<absl::Cord> current =
      stale.status().GetPayload(eventstore::kCurrentVersionPayload);
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(std::string(*current), "2");
  EXPECT_THAT(store_->Append(MeterReadAppend("account-2002", kNoStream, NewUuid())),
              StatusIs(absl::StatusCode::kAborted, "is at version 2, expected 0"));
  EXPECT_EQ(*store_->StreamVersion("account-2002"), 2);
  // The right expected version, and kAnyVersion, succeed.
  EXPECT_TRUE(store_->Append(MeterReadAppend("account-2002", 2, NewUuid())).ok());
  EXPECT_TRUE(store_->Append(MeterReadAppend("account-2002", kAnyVersion, NewUuid())).ok());
  EXPECT_EQ(*store_->StreamVersion("account-2002"), 4);
}

// Many appends in one call, each answered on its own, exactly as if alone:
// new streams on several partitions, two in order on one stream, a stale
// expected version, a retry of an earlier command, an invalid request — and
// nothing of the refused ones written.
TEST_P(EventStoreContractTest, AppendBatchAnswersEachRequestOnItsOwn) {
  const std::string earlier = NewUuid();
  ASSERT_TRUE(store_->Append(MeterReadAppend("account-7000", kNoStream, earlier)).ok());
  std::vector<AppendRequest> batch;
  for (int i = 1; i <= 6; ++i) {
    batch.push_back(MeterReadAppend(absl::StrCat("account-700", i), kNoStream, NewUuid(), 2));
  }
  batch.push_back(MeterReadAppend("meter-7100", kNoStream, NewUuid()));    // [6]
  batch.push_back(MeterReadAppend("meter-7100", 1, NewUuid()));            // [7] after [6]
  batch.push_back(MeterReadAppend("account-7000", kNoStream, NewUuid()));  // [8] stale
  batch.push_back(MeterReadAppend("account-7000", kAnyVersion, earlier));  // [9] a retry
  batch.push_back(MeterReadAppend("account-7009", kNoStream, NewUuid()));  // [10] invalid
  batch.back().events[0].clear_type();
  std::vector<absl::StatusOr<AppendResult>> results = store_->AppendBatch(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->outcome.stream_id(), batch[i].stream_id);
    EXPECT_EQ(results[i]->outcome.last_version(), 2);
    EXPECT_EQ(results[i]->outcome.positions_size(), 2);
    EXPECT_FALSE(results[i]->deduplicated);
  }
  ASSERT_TRUE(results[6].ok()) << results[6].status();
  ASSERT_TRUE(results[7].ok()) << results[7].status();
  EXPECT_EQ(results[7]->outcome.first_version(), 2);
  EXPECT_THAT(results[8], StatusIs(absl::StatusCode::kAborted, "is at version 1, expected 0"));
  absl::optional<absl::Cord> current =
      results[8].status().GetPayload(eventstore::kCurrentVersionPayload);
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(std::string(*current), "1");
  ASSERT_TRUE(results[9].ok()) << results[9].status();
  EXPECT_TRUE(results[9]->deduplicated);
  EXPECT_EQ(results[9]->outcome.last_version(), 1);
  EXPECT_THAT(results[10],
              StatusIs(absl::StatusCode::kInvalidArgument, "events[0].type: must not be empty"));
  EXPECT_EQ(*store_->StreamVersion("account-7000"), 1);
  EXPECT_EQ(*store_->StreamVersion("account-7009"), 0);
  EXPECT_EQ(*store_->StreamVersion("meter-7100"), 2);
  EXPECT_EQ(ReadEverything().size(), 1u + 12u + 2u);
}

TEST_P(EventStoreContractTest, RetriedCommandAppendsNothingAndReturnsTheFirstOutcome) {
  const std::string command = NewUuid();
  absl::StatusOr<AppendResult> first =
      store_->Append(MeterReadAppend("meter-3003", kNoStream, command, 2));
  ASSERT_TRUE(first.ok()) << first.status();
  // The retry carries a now-stale expected version: dedup comes first.
  absl::StatusOr<AppendResult> retry =
      store_->Append(MeterReadAppend("meter-3003", kNoStream, command, 2));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->outcome.first_version(), 1);
  EXPECT_EQ(retry->outcome.last_version(), 2);
  ASSERT_EQ(retry->outcome.positions_size(), 2);
  EXPECT_EQ(retry->outcome.positions(1).offset(), first->outcome.positions(1).offset());
  EXPECT_EQ(*store_->StreamVersion("meter-3003"), 2);
  // The command index answers for it, and not for an unknown id.
  absl::StatusOr<std::optional<v1::AppendOutcome>> known = store_->LookupCommand(command);
  ASSERT_TRUE(known.ok()) << known.status();
  ASSERT_TRUE(known->has_value());
  EXPECT_EQ((*known)->stream_id(), "meter-3003");
  EXPECT_EQ((*known)->last_version(), 2);
  EXPECT_FALSE(store_->LookupCommand("never-used")->has_value());
  // The same command id on another stream is refused, not silently merged
  // (in a cluster: another stream of the same partition; see
  // CommandIdsAreGlobal).
  std::string other = "meter-3004";
  for (int n = 0;
       !backend_->CommandIdsAreGlobal() && eventstore::internal::PartitionFor(other, 2) !=
                                               eventstore::internal::PartitionFor("meter-3003", 2);
       ++n) {
    other = absl::StrCat("meter-3004-", n);
  }
  EXPECT_THAT(
      store_->Append(MeterReadAppend(other, kNoStream, command)),
      StatusIs(absl::StatusCode::kFailedPrecondition, "already used for stream meter-3003"));
  // Dedup survives a restart.
  Reopen();
  retry = store_->Append(MeterReadAppend("meter-3003", kAnyVersion, command, 2));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(*store_->StreamVersion("meter-3003"), 2);
}

// Retries racing the first attempt land in the same group: every caller
// gets the one append's outcome, positions included, and it is written once.
TEST_P(EventStoreContractTest, ConcurrentRetriesOfOneCommandShareItsOutcome) {
  constexpr int kRounds = 20;
  constexpr int kCallers = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string stream = absl::StrCat("meter-race", round);
    const std::string command = NewUuid();
    std::vector<absl::StatusOr<AppendResult>> results(kCallers);
    std::vector<std::thread> callers;
    callers.reserve(kCallers);
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        results[c] = store_->Append(MeterReadAppend(stream, kAnyVersion, command, 2));
      });
    }
    for (std::thread& t : callers) t.join();
    int appended = 0;
    for (const absl::StatusOr<AppendResult>& result : results) {
      ASSERT_TRUE(result.ok()) << result.status();
      appended += result->deduplicated ? 0 : 1;
      ASSERT_EQ(result->outcome.positions_size(), 2) << "round " << round;
      EXPECT_EQ(result->outcome.positions(1).offset(), results[0]->outcome.positions(1).offset());
      EXPECT_EQ(result->outcome.last_version(), 2);
    }
    EXPECT_EQ(appended, 1) << "round " << round;
    EXPECT_EQ(*store_->StreamVersion(stream), 2) << "round " << round;
  }
}

TEST_P(EventStoreContractTest, EightThreadsOnOneStreamLeaveVersionsWithoutGapOrDuplicate) {
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 25;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        const std::string command = absl::StrCat("t", t, "-", i, "-", NewUuid());
        // Optimistic concurrency as a service would do it: read, append, retry.
        while (true) {
          const int64_t version = *store_->StreamVersion("account-4004");
          AppendRequest request = MeterReadAppend("account-4004", version, command);
          absl::StatusOr<AppendResult> result = store_->Append(std::move(request));
          if (result.ok()) break;
          ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
          ++conflicts;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  absl::StatusOr<std::vector<v1::EventEnvelope>> events = store_->ReadStream("account-4004");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), static_cast<size_t>(kThreads * kAppendsPerThread));
  std::set<std::string> commands;
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].stream_version(), static_cast<int64_t>(i + 1));
    EXPECT_TRUE(commands.insert((*events)[i].command_id()).second)
        << "command appended twice: " << (*events)[i].command_id();
  }
  RecordProperty("conflicts", conflicts.load());
}

TEST_P(EventStoreContractTest, SubscribeDeliversEachEventOnceInStreamOrderThenResumes) {
  const std::vector<std::string> streams = {"account-5001", "meter-5002", "application-5003",
                                            "kpi-5004"};
  auto append_round = [&](int round) {
    for (const std::string& stream : streams) {
      ASSERT_TRUE(store_->Append(MeterReadAppend(stream, kAnyVersion, NewUuid(), 2)).ok());
    }
  };
  append_round(0);  // caught up by the subscription

  absl::Mutex mu;
  std::vector<v1::EventEnvelope> seen;
  auto handler = [&](const v1::EventEnvelope& e) {
    absl::MutexLock lock(&mu);
    seen.push_back(e);
    return absl::OkStatus();
  };
  auto wait_for = [&](size_t count) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return seen.size() >= count; };
    mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return seen.size();
  };
  absl::StatusOr<std::unique_ptr<eventstore::Subscription>> subscription =
      store_->Subscribe(v1::Checkpoint(), SubscriptionFilter(), handler);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  ASSERT_EQ(wait_for(8), 8u);
  append_round(1);  // live
  ASSERT_EQ(wait_for(16), 16u);
  absl::SleepFor(absl::Milliseconds(300));  // nothing extra arrives
  (*subscription)->Stop();
  EXPECT_TRUE((*subscription)->Wait().ok());
  const v1::Checkpoint resume = (*subscription)->Resume();
  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(seen.size(), 16u);
    std::map<std::string, int64_t> last_version;
    std::set<std::string> ids;
    for (const auto& e : seen) {
      EXPECT_TRUE(ids.insert(e.event_id()).second) << "delivered twice: " << e.event_id();
      EXPECT_EQ(e.stream_version(), last_version[e.stream_id()] + 1) << e.stream_id();
      last_version[e.stream_id()] = e.stream_version();
    }
    seen.clear();
  }
  append_round(2);  // after the stop: the resumed subscription gets exactly these
  subscription = store_->Subscribe(resume, SubscriptionFilter(), handler);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  ASSERT_EQ(wait_for(8), 8u);
  absl::SleepFor(absl::Milliseconds(300));
  (*subscription)->Stop();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 8u);
  for (const auto& e : seen) EXPECT_GE(e.stream_version(), 5) << e.stream_id();
}

TEST_P(EventStoreContractTest, SubscriptionFiltersByTypeAndStreamPrefix) {
  ASSERT_TRUE(store_->Append(MeterReadAppend("account-6001", kAnyVersion, NewUuid(), 3)).ok());
  ASSERT_TRUE(store_->Append(MeterReadAppend("meter-6002", kAnyVersion, NewUuid(), 2)).ok());
  AppendRequest bill;
  bill.stream_id = "account-6001";
  bill.command_id = NewUuid();
  v1::EventEnvelope issued;
  issued.set_type("gridledger.v1.BillIssued");
  issued.mutable_payload()->mutable_bill_issued()->set_bill_id("b-1");
  issued.mutable_payload()->mutable_bill_issued()->set_total_fen(12345);
  bill.events.push_back(issued);
  ASSERT_TRUE(store_->Append(bill).ok());

  absl::Mutex mu;
  std::vector<std::string> seen;
  SubscriptionFilter filter;
  filter.stream_prefixes = {"account-"};
  filter.event_types = {"gridledger.v1.MeterReadRecorded"};
  auto subscription = store_->Subscribe(v1::Checkpoint(), filter, [&](const v1::EventEnvelope& e) {
    absl::MutexLock lock(&mu);
    seen.push_back(absl::StrCat(e.stream_id(), "#", e.stream_version()));
    return absl::OkStatus();
  });
  ASSERT_TRUE(subscription.ok());
  {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return seen.size() >= 3; };
    mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  }
  absl::SleepFor(absl::Milliseconds(500));
  (*subscription)->Stop();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(seen, ::testing::ElementsAre("account-6001#1", "account-6001#2", "account-6001#3"));
}

TEST_P(EventStoreContractTest, ReadAllPagesThroughEveryEvent) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(
        store_->Append(MeterReadAppend(absl::StrCat("account-70", i), kNoStream, NewUuid(), 2))
            .ok());
  }
  std::vector<v1::EventEnvelope> all;
  v1::Checkpoint from;
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<ReadAllResult> batch = store_->ReadAll(from, 5);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_LE(batch->events.size(), 5u);
    if (batch->events.empty()) break;
    for (auto& e : batch->events) all.push_back(std::move(e));
    from = batch->next;
  }
  EXPECT_EQ(all.size(), 24u);
  std::set<std::string> ids;
  for (const auto& e : all) ids.insert(e.event_id());
  EXPECT_EQ(ids.size(), 24u);
  absl::StatusOr<v1::Checkpoint> end = store_->EndCheckpoint();
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(end->next().empty());
}

TEST_P(EventStoreContractTest, DataSurvivesRestartAndVersionsContinue) {
  ASSERT_TRUE(store_->Append(MeterReadAppend("tariff-8001", kNoStream, NewUuid(), 4)).ok());
  const std::string hash_before = store_->ReadStream("tariff-8001")->back().hash();
  Reopen();
  EXPECT_EQ(*store_->StreamVersion("tariff-8001"), 4);
  absl::StatusOr<std::vector<v1::EventEnvelope>> events = store_->ReadStream("tariff-8001");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ(events->back().hash(), hash_before);
  ASSERT_TRUE(store_->Append(MeterReadAppend("tariff-8001", 4, NewUuid())).ok());
  events = store_->ReadStream("tariff-8001");
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ((*events)[4].prev_hash(), hash_before) << "the chain continues across the restart";
  EXPECT_EQ(ReadEverything().size(), 5u);
}

TEST_P(EventStoreContractTest, BadInputIsRefusedAndNothingIsWritten) {
  AppendRequest request = MeterReadAppend("account-9001", kNoStream, NewUuid(), 3);
  request.events[2].clear_type();
  EXPECT_THAT(store_->Append(request),
              StatusIs(absl::StatusCode::kInvalidArgument, "events[2].type: must not be empty"));
  request = MeterReadAppend("", kNoStream, NewUuid());
  EXPECT_THAT(store_->Append(request),
              StatusIs(absl::StatusCode::kInvalidArgument, "stream_id: must not be empty"));
  request = MeterReadAppend("gizmo-1", kNoStream, NewUuid());
  EXPECT_THAT(store_->Append(request),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown category \"gizmo\""));
  request = MeterReadAppend("account-9001", kNoStream, NewUuid(), 2);
  request.events[1].mutable_payload()->mutable_meter_read_recorded()->set_reader(
      std::string(size_t{300} * 1024, 'x'));
  EXPECT_THAT(store_->Append(request), StatusIs(absl::StatusCode::kInvalidArgument, "events[1]: "));
  EXPECT_EQ(*store_->StreamVersion("account-9001"), 0);
  EXPECT_TRUE(ReadEverything().empty());
}

TEST_P(EventStoreContractTest, CorruptedOrTruncatedEventIsReportedNotSkipped) {
  for (Corruption kind : {Corruption::kAltered, Corruption::kTruncated}) {
    SCOPED_TRACE(kind == Corruption::kAltered ? "altered" : "truncated");
    const std::string stream = absl::StrCat("meter-corrupt-", static_cast<int>(kind));
    absl::StatusOr<AppendResult> appended =
        store_->Append(MeterReadAppend(stream, kAnyVersion, NewUuid(), 3));
    ASSERT_TRUE(appended.ok()) << appended.status();
    const v1::Position victim = appended->outcome.positions(1);
    store_.reset();
    backend_->Corrupt(victim, kind);
    // A cluster instance that owned the damaged partition will not take it
    // over again (its catch-up meets the damage), so it is not waited for.
    absl::StatusOr<std::unique_ptr<EventStore>> reopened =
        backend_->ReadsStreamsFromTheLog() ? backend_->OpenReady() : backend_->Open();
    if (backend_->VerifiesAtOpen()) {
      EXPECT_THAT(reopened, StatusIs(absl::StatusCode::kDataLoss, victim.partition() + "@"));
      UseFreshBackend();  // this log stays damaged, as it should
      continue;
    }
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    store_ = *std::move(reopened);
    if (!backend_->ReadsStreamsFromTheLog()) {
      // The damaged copy follows the genuine record: whoever reads the log
      // meets it (an instance taking the partition over would too, and
      // refuse to write it); the owner's stream reads never included it.
      ASSERT_NO_FATAL_FAILURE(ExpectLogReadsReportDamage(victim.partition() + "@"));
      // The owner's stream read never includes the damaged copy: an owner
      // that has not re-read the partition answers the genuine events; one
      // that must catch up through the damage refuses to own it, and the
      // read finds no owner.
      absl::StatusOr<std::vector<v1::EventEnvelope>> events = store_->ReadStream(stream);
      if (events.ok()) {
        EXPECT_EQ(events->size(), 3u);
      } else {
        EXPECT_TRUE(absl::IsUnavailable(events.status()) || absl::IsDataLoss(events.status()))
            << events.status();
      }
      UseFreshBackend();
      continue;
    }
    const std::string where = absl::StrCat(victim.partition(), "@", victim.offset());
    EXPECT_THAT(store_->ReadStream(stream), StatusIs(absl::StatusCode::kDataLoss, where));
    ASSERT_NO_FATAL_FAILURE(ExpectLogReadsReportDamage(where));
    // Reading what comes before the damage still works.
    absl::StatusOr<std::vector<v1::EventEnvelope>> first = store_->ReadStream(stream, 1, 1);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->size(), 1u);
    UseFreshBackend();
  }
}

std::vector<std::string> Backends() { return {"embedded", "kafka", "cluster"}; }

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreContractTest, ::testing::ValuesIn(Backends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
