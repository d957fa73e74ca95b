// A clustered deployment on the ctest broker (Kafka only): real `gridledger
// serve --instance` processes owning partitions by Kafka's group assignment,
// killed with SIGKILL or paused with SIGSTOP under a command load. Afterwards
// the log is read with a store of its own: every acknowledged command is there
// exactly once, every stream's versions are contiguous, and `gridledger
// verify` passes.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "eventstore/internal/kafka_topology.h"
#include "gmock/gmock.h"
#include "gridledger/v1/cluster.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "services/common/auth.h"
#include "tests/testing/private_broker.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

constexpr int kPartitions = 3;
constexpr int kSessionTimeoutS = 6;

std::string FreePort() {
  return testing::RunCommand(
      "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
      "print(s.getsockname()[1], end=\"\")'");
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
    if (!bootstrap) GTEST_SKIP() << "no Kafka broker (run through ctest)";
    prefix_ = testing::UniqueTopicPrefix();
    store_uri_ = absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", prefix_,
                              "&partitions=", kPartitions, "&timeout_ms=8000");
    std::ofstream tokens(dir_.path() + "/tokens");
    for (const auto& [name, unit, roles] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"registrar", "sn", "admin"}, {"tech", "sn/xa/huyi", "metering_technician"}}) {
      absl::StatusOr<service::IssuedToken> issued = service::IssueToken(name, unit, roles);
      ASSERT_TRUE(issued.ok());
      tokens_[name] = issued->token;
      tokens << issued->line << "\n";
    }
    std::ofstream(dir_.path() + "/secret") << "a-cluster-secret-for-tests-" << NewUuid() << "\n";
  }

  void TearDown() override {
    for (auto& instance : instances_) {
      if (instance.process) instance.process->Wait(SIGKILL);
    }
  }

  struct Instance {
    std::string name;
    std::string address;
    std::string state_dir;
    std::unique_ptr<testing::ServeProcess> process;
  };

  // Starts instance i (a new one gets a port of its own, kept across
  // restarts) and waits for it to serve. A broker started moments ago may
  // not answer group requests within serve's timeout on a busy machine:
  // a start refused UNAVAILABLE is tried again, a few times.
  void StartInstance(size_t i) {
    if (instances_.size() <= i) PrepareInstances(i + 1);
    Instance& instance = instances_[i];
    std::string banner;
    for (int attempt = 0; attempt < 4; ++attempt) {
      banner = LaunchInstance(instance);
      if (absl::StrContains(banner, "serving on") || !absl::StrContains(banner, "UNAVAILABLE")) {
        break;
      }
      instance.process->Wait();
      absl::SleepFor(absl::Seconds(2));
    }
    ASSERT_TRUE(absl::StrContains(banner, "serving on")) << banner;
  }

  // Starts instance's serve process; its "serving on" line or what it said.
  std::string LaunchInstance(Instance& instance) {
    instance.process = std::make_unique<testing::ServeProcess>(
        GL_GRIDLEDGER_PATH, std::vector<std::string>{"serve",
                                                     "--clock_tick_s",
                                                     "0",
                                                     "--store",
                                                     store_uri_,
                                                     "--listen",
                                                     instance.address,
                                                     "--instance",
                                                     instance.name,
                                                     "--advertise",
                                                     instance.address,
                                                     "--cluster_secret",
                                                     dir_.path() + "/secret",
                                                     "--session_timeout_s",
                                                     absl::StrCat(kSessionTimeoutS),
                                                     "--handover_wait_ms",
                                                     "20000",
                                                     "--tokens",
                                                     dir_.path() + "/tokens",
                                                     "--views",
                                                     "none",
                                                     "--state_dir",
                                                     instance.state_dir});
    return instance.process->LineContaining("serving on");
  }

  // n instances c0… started, every partition claimed with each of them
  // owning some, and the test org units registered.
  void StartCluster(size_t n) {
    PrepareInstances(n);
    std::set<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_NO_FATAL_FAILURE(StartInstance(i));
      names.insert(instances_[i].name);
    }
    ASSERT_TRUE(AwaitOwners(0, names, absl::Seconds(60)));
    ASSERT_TRUE(testing::RegisterOrgUnits(instances_[0].address, tokens_["registrar"],
                                          testing::TestOrgUnits()));
  }

  // The cluster's status as instance i sees it.
  std::optional<v1::ClusterStatusReply> Status(size_t i) {
    auto stub = v1::Cluster::NewStub(
        grpc::CreateChannel(instances_[i].address, grpc::InsecureChannelCredentials()));
    v1::ClusterStatusReply reply;
    if (!stub->Status(testing::CallAs(tokens_["registrar"], 5).get(), {}, &reply).ok()) {
      return std::nullopt;
    }
    return reply;
  }

  // Waits until every partition's claim names an instance in `owners` and
  // each of them owns at least one.
  bool AwaitOwners(size_t asking, const std::set<std::string>& owners, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      if (std::optional<v1::ClusterStatusReply> status = Status(asking)) {
        std::set<std::string> seen;
        bool all_owned = true;
        for (const v1::PartitionStatus& partition : status->partitions()) {
          all_owned = all_owned && owners.count(partition.owner_instance()) > 0;
          seen.insert(partition.owner_instance());
        }
        if (all_owned && seen == owners) return true;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

  // The owner (by the last claim) of the partition `stream_id` is in.
  std::string OwnerOf(size_t asking, const std::string& stream_id) {
    const std::string name = absl::StrCat(
        prefix_, ".metering.v1/", eventstore::internal::PartitionFor(stream_id, kPartitions));
    std::optional<v1::ClusterStatusReply> status = Status(asking);
    if (!status) return "";
    for (const v1::PartitionStatus& partition : status->partitions()) {
      if (partition.partition() == name) return partition.owner_instance();
    }
    return "";
  }

  // Sends `request` to instance `first`, then to the next ones while the
  // answer is UNAVAILABLE (the client's retry with the same command id),
  // for up to `limit`. Counts the failed attempts in *errors.
  grpc::Status ReceiveWithRetries(const v1::ReceiveMeterRequest& request, size_t first,
                                  absl::Duration limit, int* errors) {
    const absl::Time deadline = absl::Now() + limit;
    grpc::Status status;
    for (size_t attempt = 0;; ++attempt) {
      const Instance& instance = instances_[(first + attempt) % active_.load()];
      auto stub = v1::MeteringCenter::NewStub(
          grpc::CreateChannel(instance.address, grpc::InsecureChannelCredentials()));
      v1::CommandReply reply;
      status = stub->ReceiveMeter(testing::CallAs(tokens_["tech"], 30).get(), request, &reply);
      if (status.ok()) return status;
      ++*errors;
      // What a client retries with the same command id: no answer, or a
      // call the server gave up (CANCELLED by a stopping instance: its
      // outcome is unknown, and the command id makes the retry safe).
      const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                             status.error_code() == grpc::StatusCode::CANCELLED;
      if (!retryable || absl::Now() >= deadline) return status;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Sends `request` once to instance i on a thread of its own (up to 90 s);
  // its status lands in *status when the thread is joined.
  std::thread ReceiveInBackground(size_t i, const v1::ReceiveMeterRequest& request,
                                  grpc::Status* status) {
    return std::thread([this, i, &request, status] {
      auto stub = v1::MeteringCenter::NewStub(
          grpc::CreateChannel(instances_[i].address, grpc::InsecureChannelCredentials()));
      v1::CommandReply reply;
      *status = stub->ReceiveMeter(testing::CallAs(tokens_["tech"], 90).get(), request, &reply);
    });
  }

  // Names and addresses for n instances (started later): the load may send
  // to any of the first active_ of them.
  void PrepareInstances(size_t n) {
    instances_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      instances_[i].name = absl::StrCat("c", i);
      instances_[i].address = "127.0.0.1:" + FreePort();
      instances_[i].state_dir = absl::StrCat(dir_.path(), "/state-", i);
    }
    active_.store(n);
  }

  // Client threads sending new meters, each to the next instance in turn,
  // retrying UNAVAILABLE elsewhere with the same command id.
  void StartLoad(int clients) {
    for (int c = 0; c < clients; ++c) {
      load_threads_.emplace_back([this, c] {
        for (int n = 0; !load_stop_.load(); ++n) {
          v1::ReceiveMeterRequest request =
              testing::NewMeterRequest(absl::StrCat("L", c, "N", n, "-", load_round_),
                                       v1::STORE_TIER_PROVINCE, "sn-central");
          int attempt_errors = 0;
          grpc::Status status =
              ReceiveWithRetries(request, c + n, absl::Seconds(60), &attempt_errors);
          std::lock_guard<std::mutex> lock(load_mu_);
          load_.errors += attempt_errors;
          if (!status.ok()) {
            ++load_.failed;
            ADD_FAILURE() << "not acknowledged after retries: " << status.error_message();
            continue;
          }
          load_.acknowledged.push_back(request.command_id());
        }
      });
    }
  }

  struct LoadResult {
    std::vector<std::string> acknowledged;  // command ids
    int errors = 0;                         // failed attempts, retried
    int failed = 0;                         // commands never acknowledged
  };

  LoadResult StopLoad() {
    load_stop_.store(true);
    for (std::thread& thread : load_threads_) thread.join();
    load_threads_.clear();
    load_stop_.store(false);
    ++load_round_;
    std::lock_guard<std::mutex> lock(load_mu_);
    return std::exchange(load_, LoadResult());
  }

  // Every acknowledged command is in the log exactly once, nothing is there
  // twice, and verify passes.
  void ExpectExactlyOnce(const LoadResult& load) {
    const std::map<std::string, int> per_command = EventsPerCommand();
    EXPECT_GT(load.acknowledged.size(), 20u);
    for (const std::string& command_id : load.acknowledged) {
      auto it = per_command.find("tech:" + command_id);
      ASSERT_NE(it, per_command.end()) << "acknowledged but missing: " << command_id;
      EXPECT_EQ(it->second, 1) << command_id;
    }
    for (const auto& [command_id, count] : per_command) EXPECT_EQ(count, 1) << command_id;
    ExpectVerifies();
    EXPECT_EQ(load.failed, 0);
  }

  // Reads the whole log with a read-only store of its own (it fences no
  // one; opening verifies every chain) and returns how
  // many events each command id has, failing on non-contiguous versions.
  std::map<std::string, int> EventsPerCommand() {
    absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
        eventstore::OpenEventStore(store_uri_, eventstore::ReadOnlyStoreOptions());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    std::map<std::string, int> per_command;
    std::map<std::string, int64_t> last_version;
    v1::Checkpoint from;
    while (true) {
      absl::StatusOr<eventstore::ReadAllResult> batch = (*store)->ReadAll(from, 1000);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok() || batch->events.empty()) break;
      for (const v1::EventEnvelope& event : batch->events) {
        ++per_command[event.command_id()];
        int64_t& last = last_version[event.stream_id()];
        EXPECT_EQ(event.stream_version(), last + 1) << event.stream_id();
        last = event.stream_version();
      }
      from = batch->next;
    }
    return per_command;
  }

  // verify passes, and each instance's owner state (beside the instance,
  // running or not) agrees with the log.
  void ExpectVerifies() {
    const std::string out = testing::RunCommand(
        absl::StrCat(GL_GRIDLEDGER_PATH, " verify --store '", store_uri_, "' 2>&1; echo exit=$?"));
    EXPECT_TRUE(absl::StrContains(out, "exit=0")) << out;
    for (const Instance& instance : instances_) {
      if (!std::filesystem::exists(instance.state_dir + "/CURRENT")) continue;
      const std::string checked = VerifyOwnerState(instance.state_dir);
      EXPECT_TRUE(absl::StrContains(checked, "agree with the log")) << checked;
      EXPECT_TRUE(absl::StrContains(checked, "exit=0")) << checked;
    }
  }

  std::string VerifyOwnerState(const std::string& state_dir) {
    return testing::RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " verify --store '", store_uri_,
                                            "' --state_dir '", state_dir, "' 2>&1; echo exit=$?"));
  }

  testing::TempDir dir_;
  std::string prefix_;
  std::string store_uri_;
  std::map<std::string, std::string> tokens_;
  std::vector<Instance> instances_;
  std::atomic<size_t> active_{0};
  std::atomic<bool> load_stop_{false};
  int load_round_ = 0;
  std::vector<std::thread> load_threads_;
  std::mutex load_mu_;
  LoadResult load_;
};

TEST_F(ClusterTest, OwnershipSpreadsAndAnyInstanceAnswers) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  // A meter received through each instance, whoever owns its partition.
  int errors = 0;
  for (size_t i = 0; i < 3; ++i) {
    v1::ReceiveMeterRequest request =
        testing::NewMeterRequest(absl::StrCat("ANY-", i), v1::STORE_TIER_PROVINCE, "sn-central");
    grpc::Status status = ReceiveWithRetries(request, i, absl::Seconds(1), &errors);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(errors, 0);
  // A forwarding call without the cluster secret is refused.
  auto stub = v1::Cluster::NewStub(
      grpc::CreateChannel(instances_[1].address, grpc::InsecureChannelCredentials()));
  v1::ForwardAppendsRequest forged;
  forged.add_appends()->set_stream_id("meter-FORGED");
  forged.mutable_appends(0)->set_command_id("x");
  v1::ForwardAppendsReply reply;
  grpc::Status refused =
      stub->ForwardAppends(testing::CallAs(tokens_["registrar"], 5).get(), forged, &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Smart clients: Locate names each stream's partition and its owner, as
  // the operator's status does; any valid token may ask, none is refused.
  v1::LocateRequest locate;
  for (int n = 0; n < 6; ++n) {
    locate.add_stream_ids(absl::StrCat("meter-ANY-", n));
    locate.add_stream_ids(absl::StrCat("account-ANY-", n));
  }
  std::map<std::string, std::string> owner_of_partition;
  std::optional<v1::ClusterStatusReply> status = Status(0);
  ASSERT_TRUE(status.has_value());
  for (const v1::PartitionStatus& partition : status->partitions()) {
    owner_of_partition[partition.partition()] = partition.owner_instance();
  }
  v1::LocateReply located;
  grpc::Status asked = stub->Locate(testing::CallAs(tokens_["tech"], 5).get(), locate, &located);
  ASSERT_TRUE(asked.ok()) << asked.error_message();
  ASSERT_EQ(located.locations_size(), 12);
  std::set<std::string> owners;
  for (const v1::StreamLocation& location : located.locations()) {
    EXPECT_EQ(location.owner_instance(), owner_of_partition[location.partition()]);
    EXPECT_FALSE(location.owner_advertise().empty());
    owners.insert(location.owner_instance());
  }
  for (const std::string& owner : owners) {
    EXPECT_TRUE(owner == "c0" || owner == "c1" || owner == "c2") << owner;
  }
  locate.add_stream_ids("gizmo-1");
  grpc::Status bad = stub->Locate(testing::CallAs(tokens_["tech"], 5).get(), locate, &located);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), ::testing::HasSubstr("stream_ids[12]: "));
  EXPECT_EQ(stub->Locate(testing::CallAs("", 5).get(), locate, &located).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // verify checks each owner state beside its running instance; then one,
  // stopped, is damaged (a command entry deleted, an event entry added, a
  // stream head altered) and verify names each damaged key.
  ExpectVerifies();
  const std::string state_dir = instances_[0].state_dir;
  ASSERT_EQ(instances_[0].process->Wait(SIGTERM), 0);
  std::string deleted_command;
  std::string altered_stream;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), state_dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("c"); it->Valid() && it->key().starts_with("c"); it->Next()) {
      deleted_command = it->key().ToString().substr(1);
    }
    for (it->Seek("h"); it->Valid() && it->key().starts_with("h"); it->Next()) {
      altered_stream = it->key().ToString().substr(1);
    }
    it.reset();
    ASSERT_FALSE(deleted_command.empty());
    ASSERT_FALSE(altered_stream.empty());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "c" + deleted_command).ok());
    std::string head;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "h" + altered_stream, &head).ok());
    head.back() ^= 0x01;  // the hash's last byte
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "h" + altered_stream, head).ok());
    std::string forged_key = std::string("emeter-FORGED") + '\0';
    forged_key.append("\0\0\0\0\0\0\0\x01", 8);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), forged_key, std::string(8, '\0')).ok());
  }
  const std::string damaged = VerifyOwnerState(state_dir);
  EXPECT_THAT(damaged, ::testing::HasSubstr(absl::StrCat("BROKEN: owner state commands, key ",
                                                         deleted_command, ": missing")));
  EXPECT_THAT(damaged, ::testing::HasSubstr(absl::StrCat("BROKEN: owner state heads, key ",
                                                         altered_stream, ": says version")));
  EXPECT_THAT(damaged, ::testing::HasSubstr(
                           "BROKEN: owner state events, key meter-FORGED@1: not in the log"));
  EXPECT_THAT(damaged, ::testing::HasSubstr("exit=1"));
}

// Ten SIGKILLs of instances under a command load spread over all three: some
// restarted at once (static membership keeps their partitions), some only
// after their partitions moved to the others.
TEST_F(ClusterTest, KillsUnderLoadLoseNothingAndDoubleNothing) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  StartLoad(4);
  constexpr int kKills = 10;
  for (int k = 0; k < kKills; ++k) {
    absl::SleepFor(absl::Milliseconds(1500));
    const size_t victim = k % 3;
    instances_[victim].process->Wait(SIGKILL);
    if (k % 2 == 1) absl::SleepFor(absl::Seconds(kSessionTimeoutS + 3));  // its partitions move
    StartInstance(victim);
  }
  absl::SleepFor(absl::Seconds(2));
  const LoadResult load = StopLoad();
  ExpectExactlyOnce(load);
  std::printf("cluster: %zu commands acknowledged over %d kills; %d failed attempts retried\n",
              load.acknowledged.size(), kKills, load.errors);
}

// Every instance stopped (SIGTERM) and started again in turn under load.
TEST_F(ClusterTest, RollingRestartLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  StartLoad(4);
  for (size_t i = 0; i < 3; ++i) {
    absl::SleepFor(absl::Seconds(2));
    EXPECT_EQ(instances_[i].process->Wait(SIGTERM), 0);
    StartInstance(i);
  }
  absl::SleepFor(absl::Seconds(2));
  const LoadResult load = StopLoad();
  ExpectExactlyOnce(load);
  std::printf("rolling restart: %zu commands acknowledged; %d client-visible errors, retried\n",
              load.acknowledged.size(), load.errors);
}

// One instance, then three (the new ones take partitions over), then one
// again (the two stopped ones' partitions come back after their session).
TEST_F(ClusterTest, ScaleOneToThreeToOneUnderLoad) {
  PrepareInstances(3);
  active_.store(1);
  StartInstance(0);
  ASSERT_TRUE(AwaitOwners(0, {"c0"}, absl::Seconds(60)));
  ASSERT_TRUE(testing::RegisterOrgUnits(instances_[0].address, tokens_["registrar"],
                                        testing::TestOrgUnits()));
  StartLoad(3);
  absl::SleepFor(absl::Seconds(2));
  StartInstance(1);
  StartInstance(2);
  active_.store(3);
  EXPECT_TRUE(AwaitOwners(0, {"c0", "c1", "c2"}, absl::Seconds(60)));
  absl::SleepFor(absl::Seconds(2));
  active_.store(1);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(instances_[1].process->Wait(SIGTERM), 0);
  EXPECT_EQ(instances_[2].process->Wait(SIGTERM), 0);
  EXPECT_TRUE(AwaitOwners(0, {"c0"}, absl::Seconds(kSessionTimeoutS * 5)));
  absl::SleepFor(absl::Seconds(2));
  const LoadResult load = StopLoad();
  ExpectExactlyOnce(load);
  std::printf("scale 1-3-1: %zu commands acknowledged; %d client-visible errors, retried\n",
              load.acknowledged.size(), load.errors);
}

// A deployment whose store URI states another partition count than the
// topics have is refused before it owns anything: streams would land in
// other partitions than the other instances put them.
TEST_F(ClusterTest, PartitionCountOtherThanTheTopicsIsRefused) {
  PrepareInstances(1);
  StartInstance(0);  // makes the topics with kPartitions
  std::string other_uri = store_uri_;
  other_uri.replace(other_uri.find(absl::StrCat("partitions=", kPartitions)),
                    std::string("partitions=3").size(), "partitions=2");
  const std::string address = "127.0.0.1:" + FreePort();
  testing::ServeProcess wrong(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", other_uri, "--listen", address, "--instance",
       "c9", "--advertise", address, "--cluster_secret", dir_.path() + "/secret", "--tokens",
       dir_.path() + "/tokens", "--views", "none", "--state_dir", dir_.path() + "/state-c9"});
  const std::string said = wrong.LineContaining("partitions");
  EXPECT_THAT(said, ::testing::HasSubstr("has 3 partitions, the deployment expects 2")) << said;
  EXPECT_NE(wrong.Wait(), 0);
}

// An owner paused past its session is a zombie: its partitions move, and
// when it resumes, what it still tries to write on them is fenced. A command
// sent to it while paused is answered (through the new owner) and lands once.
TEST_F(ClusterTest, ZombieIsFencedAndWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  // A meter whose partition the future zombie (c0) owns.
  std::string bar_code;
  for (int n = 0; bar_code.empty(); ++n) {
    ASSERT_LT(n, 100);
    const std::string candidate = absl::StrCat("Z", n);
    if (OwnerOf(1, "meter-" + candidate) == "c0") bar_code = candidate;
  }
  int errors = 0;
  ASSERT_TRUE(
      ReceiveWithRetries(testing::NewMeterRequest(bar_code, v1::STORE_TIER_PROVINCE, "sn-central"),
                         0, absl::Seconds(5), &errors)
          .ok());
  // Through c1 too: c1 now holds a connection to the owner, as a busy
  // instance would when the owner hangs.
  ASSERT_TRUE(ReceiveWithRetries(
                  testing::NewMeterRequest(bar_code + "-1", v1::STORE_TIER_PROVINCE, "sn-central"),
                  1, absl::Seconds(5), &errors)
                  .ok());
  instances_[0].process->Signal(SIGSTOP);
  // Sent to the paused owner: it sits in its socket until it resumes.
  v1::ReceiveMeterRequest late =
      testing::NewMeterRequest(bar_code + "-2", v1::STORE_TIER_PROVINCE, "sn-central");
  grpc::Status late_status;
  std::thread late_call = ReceiveInBackground(0, late, &late_status);
  // Sent to the other instance, which forwards to the paused owner: the
  // forward gives up after its attempt timeout and finds the new owner
  // (c1 itself) within the handover wait, so the call succeeds at once.
  v1::ReceiveMeterRequest forwarded =
      testing::NewMeterRequest(bar_code + "-3", v1::STORE_TIER_PROVINCE, "sn-central");
  grpc::Status forwarded_status;
  std::thread forwarded_call = ReceiveInBackground(1, forwarded, &forwarded_status);
  ASSERT_TRUE(AwaitOwners(1, {"c1"}, absl::Seconds(kSessionTimeoutS * 4)));
  forwarded_call.join();
  EXPECT_TRUE(forwarded_status.ok()) << forwarded_status.error_message();
  instances_[0].process->Signal(SIGCONT);
  late_call.join();
  if (!late_status.ok()) {
    // Refused by the zombie: the client retries elsewhere with the same id.
    EXPECT_EQ(late_status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << late_status.error_message();
    ASSERT_TRUE(ReceiveWithRetries(late, 1, absl::Seconds(30), &errors).ok());
  }
  // The zombie rejoins and gets partitions again; the log stays whole.
  ASSERT_TRUE(AwaitOwners(1, {"c0", "c1"}, absl::Seconds(60)));
  const std::map<std::string, int> per_command = EventsPerCommand();
  auto it = per_command.find("tech:" + late.command_id());
  ASSERT_NE(it, per_command.end());
  EXPECT_EQ(it->second, 1);
  ExpectVerifies();
}

// An instance cut off from the broker (the broker paused) refuses writes
// with UNAVAILABLE within its timeouts and writes nothing of them; once the
// broker is back the retry with the same command id is applied once and new
// commands go through.
TEST_F(ClusterTest, CutOffFromTheBrokerRefusesWritesAndResumesAfter) {
  testing::PrivateBroker broker;
  ASSERT_FALSE(broker.bootstrap().empty()) << "the test's own broker did not start";
  store_uri_ = absl::StrCat("kafka://", broker.bootstrap(), "?topic_prefix=", prefix_,
                            "&partitions=", kPartitions, "&timeout_ms=8000");
  ASSERT_NO_FATAL_FAILURE(StartCluster(1));
  LoadResult load;
  v1::ReceiveMeterRequest before =
      testing::NewMeterRequest("CUT-0", v1::STORE_TIER_PROVINCE, "sn-central");
  ASSERT_TRUE(ReceiveWithRetries(before, 0, absl::Seconds(10), &load.errors).ok());
  load.acknowledged.push_back(before.command_id());
  broker.Signal("STOP");
  v1::ReceiveMeterRequest during =
      testing::NewMeterRequest("CUT-1", v1::STORE_TIER_PROVINCE, "sn-central");
  auto stub = v1::MeteringCenter::NewStub(
      grpc::CreateChannel(instances_[0].address, grpc::InsecureChannelCredentials()));
  v1::CommandReply reply;
  const absl::Time sent = absl::Now();
  grpc::Status refused =
      stub->ReceiveMeter(testing::CallAs(tokens_["tech"], 90).get(), during, &reply);
  const absl::Duration waited = absl::Now() - sent;
  broker.Signal("CONT");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_LT(waited, absl::Seconds(60));
  std::printf("cut off: refused after %.1f s: %s\n", absl::ToDoubleSeconds(waited),
              refused.error_message().c_str());
  // Back: the retry is applied once, and new commands go through.
  ASSERT_TRUE(ReceiveWithRetries(during, 0, absl::Seconds(60), &load.errors).ok());
  load.acknowledged.push_back(during.command_id());
  for (int n = 2; n < 25; ++n) {
    v1::ReceiveMeterRequest after =
        testing::NewMeterRequest(absl::StrCat("CUT-", n), v1::STORE_TIER_PROVINCE, "sn-central");
    ASSERT_TRUE(ReceiveWithRetries(after, 0, absl::Seconds(30), &load.errors).ok());
    load.acknowledged.push_back(after.command_id());
  }
  ExpectExactlyOnce(load);
}

// A second process started with a name already in use (an operator's
// mistake): Kafka's static membership fences the first (FENCED_INSTANCE_ID);
// it lets every partition go, says why, and only forwards from then on; the
// newcomer writes the name's partitions. Commands through either process are
// applied exactly once.
TEST_F(ClusterTest, TwoInstancesWithOneNameTheNewerTakesItOver) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  // The same name, another address (and on another machine: another state).
  instances_.push_back(
      Instance{"c0", "127.0.0.1:" + FreePort(), dir_.path() + "/state-2", nullptr});
  ASSERT_NO_FATAL_FAILURE(StartInstance(2));
  // On one machine with one --state_dir, a second process is refused at once.
  {
    testing::ServeProcess same_state(
        GL_GRIDLEDGER_PATH,
        {"serve", "--clock_tick_s", "0", "--store", store_uri_, "--listen", "127.0.0.1:0",
         "--instance", "c0", "--advertise", "127.0.0.1:1", "--cluster_secret",
         dir_.path() + "/secret", "--tokens", dir_.path() + "/tokens", "--views", "none",
         "--state_dir", dir_.path() + "/state-2"});
    EXPECT_THAT(same_state.LineContaining("in use by another process"),
                ::testing::HasSubstr("--state_dir"));
    EXPECT_NE(same_state.Wait(), 0);
  }
  active_.store(3);
  // Every partition of the name "c0" is claimed by the newcomer, and the
  // first process writes none.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool moved = false;
  std::string last_seen;
  while (!moved && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    std::optional<v1::ClusterStatusReply> seen_by_c1 = Status(1);
    std::optional<v1::ClusterStatusReply> seen_by_old = Status(0);
    last_seen =
        absl::StrCat("c1 sees: ", seen_by_c1 ? seen_by_c1->ShortDebugString() : "-",
                     "; the first c0 sees: ", seen_by_old ? seen_by_old->ShortDebugString() : "-");
    if (!seen_by_c1 || !seen_by_old) continue;
    moved = true;
    int newcomer_partitions = 0;
    for (const v1::PartitionStatus& partition : seen_by_c1->partitions()) {
      if (partition.owner_instance() == "c0") {
        moved = moved && partition.owner_advertise() == instances_[2].address;
        ++newcomer_partitions;
      }
    }
    moved = moved && newcomer_partitions > 0;
    for (const v1::PartitionStatus& partition : seen_by_old->partitions()) {
      moved = moved && !partition.owned_here();
    }
  }
  if (!moved) {
    instances_[0].process->Wait(SIGTERM);
    std::printf("first c0 said: %s\n", instances_[0].process->LineContaining("@@").c_str());
  }
  ASSERT_TRUE(moved) << "the newcomer (" << instances_[2].address
                     << ") did not take the name's partitions over from " << instances_[0].address
                     << ": " << last_seen;
  // Commands through each of the three processes, the fenced one included.
  LoadResult load;
  for (int n = 0; n < 30; ++n) {
    v1::ReceiveMeterRequest request =
        testing::NewMeterRequest(absl::StrCat("TWIN-", n), v1::STORE_TIER_PROVINCE, "sn-central");
    grpc::Status status = ReceiveWithRetries(request, n % 3, absl::Seconds(30), &load.errors);
    ASSERT_TRUE(status.ok()) << status.error_message();
    load.acknowledged.push_back(request.command_id());
  }
  // Through the fenced process, the first attempt already succeeds: it forwards.
  EXPECT_EQ(load.errors, 0);
  EXPECT_EQ(instances_[0].process->Wait(SIGTERM), 0);
  EXPECT_THAT(instances_[0].process->LineContaining("same --instance name"),
              ::testing::HasSubstr("FENCED_INSTANCE_ID"));
  ExpectExactlyOnce(load);
}

}  // namespace
}  // namespace gridledger
