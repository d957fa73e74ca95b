// The log under faults, through a real `gridledger serve` on each backend:
// the tools that only read (verify, checkpoint, replay, project) run beside
// a live server under load without disturbing its writes; health answers
// within a second and says whether the store can write (a paused broker, a
// fenced writer), and answers given meanwhile say how stale they are.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/private_broker.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

// How many events of each command the log at `store_uri` holds, read with a
// read-only store (beside a live server).
std::map<std::string, int> EventsPerCommand(const std::string& store_uri) {
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> reader =
      eventstore::OpenEventStore(store_uri, eventstore::ReadOnlyStoreOptions());
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::map<std::string, int> per_command;
  if (!reader.ok()) return per_command;
  v1::Checkpoint from;
  while (true) {
    absl::StatusOr<eventstore::ReadAllResult> batch = (*reader)->ReadAll(from, 1000);
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok() || batch->events.empty()) break;
    for (const v1::EventEnvelope& event : batch->events) ++per_command[event.command_id()];
    from = batch->next;
  }
  return per_command;
}

class ReadOnlyToolsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedger(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                       {{"tech", "metering_technician"}, {"admin", "admin"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "no Kafka broker (run through ctest)";
    ASSERT_FALSE(served_.address.empty());
  }

  // Client threads receiving new meters as fast as the server takes them;
  // every answer but OK is a failure (nothing here should disturb them).
  void StartLoad(int clients) {
    for (int c = 0; c < clients; ++c) {
      load_threads_.emplace_back([this, c] {
        auto stub = v1::MeteringCenter::NewStub(
            grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials()));
        for (int n = 0; !load_stop_.load(); ++n) {
          v1::ReceiveMeterRequest request = testing::NewMeterRequest(
              absl::StrCat("RO", c, "N", n), v1::STORE_TIER_PROVINCE, "sn-central");
          v1::CommandReply reply;
          grpc::Status status = stub->ReceiveMeter(
              testing::CallAs(served_.tokens["tech"], 30).get(), request, &reply);
          std::lock_guard<std::mutex> lock(load_mu_);
          if (status.ok()) {
            acknowledged_.push_back("tech:" + request.command_id());
          } else {
            failures_.push_back(absl::StrCat(status.error_code(), " ", status.error_message()));
          }
        }
      });
    }
  }

  void StopLoad() {
    load_stop_.store(true);
    for (std::thread& thread : load_threads_) thread.join();
    load_threads_.clear();
  }

  size_t Acknowledged() {
    std::lock_guard<std::mutex> lock(load_mu_);
    return acknowledged_.size();
  }

  // Waits (up to 60 s) until `more` further commands are acknowledged.
  void AwaitMoreAcknowledged(size_t more) {
    const size_t target = Acknowledged() + more;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (Acknowledged() < target && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_GE(Acknowledged(), target);
  }

  // Runs the gridledger binary with `args`; its exit status and output.
  std::pair<int, std::string> Run(const std::vector<std::string>& args) {
    testing::ServeProcess process(GL_GRIDLEDGER_PATH, args);
    std::string output;
    for (std::string line = process.NextLine(); !line.empty(); line = process.NextLine()) {
      output += line + "\n";
    }
    return {process.Wait(), output};
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::atomic<bool> load_stop_{false};
  std::vector<std::thread> load_threads_;
  std::mutex load_mu_;
  std::vector<std::string> acknowledged_;
  std::vector<std::string> failures_;
};

TEST_P(ReadOnlyToolsTest, ToolsThatOnlyReadRunBesideALiveServerUnderLoad) {
  const std::string& store = served_.store_uri;
  ASSERT_EQ(Run({"keygen", "--out", dir_.path() + "/signer"}).first, 0);
  StartLoad(2);
  ASSERT_NO_FATAL_FAILURE(AwaitMoreAcknowledged(20));

  auto [verified, verify_out] = Run({"verify", "--store", store});
  EXPECT_EQ(verified, 0) << verify_out;
  EXPECT_THAT(verify_out, ::testing::HasSubstr("intact:"));
  auto [signed_status, sign_out] =
      Run({"checkpoint", "--store", store, "--key", dir_.path() + "/signer.key", "--out",
           dir_.path() + "/checkpoint"});
  EXPECT_EQ(signed_status, 0) << sign_out;
  ASSERT_NO_FATAL_FAILURE(AwaitMoreAcknowledged(10));
  auto [replayed, replay_out] =
      Run({"replay", "--store", store, "--as-of",
           absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()), "--out",
           dir_.path() + "/replay"});
  EXPECT_EQ(replayed, 0) << replay_out;
  // The log grew after the checkpoint was signed, and still extends it.
  ASSERT_NO_FATAL_FAILURE(AwaitMoreAcknowledged(10));
  auto [extended, extend_out] =
      Run({"verify", "--store", store, "--checkpoint", dir_.path() + "/checkpoint", "--public_key",
           dir_.path() + "/signer.pub"});
  EXPECT_EQ(extended, 0) << extend_out;
  EXPECT_THAT(extend_out, ::testing::HasSubstr("extends the signed checkpoint"));

  // A projection process beside the server, with views of its own.
  {
    testing::ServeProcess project(
        GL_GRIDLEDGER_PATH, {"project", "--store", store, "--views", "assets", "--view_dir",
                             dir_.path() + "/project-views", "--listen", "127.0.0.1:0", "--tokens",
                             dir_.path() + "/tokens"});
    const std::string banner = project.LineContaining("projecting on");
    EXPECT_THAT(banner, ::testing::HasSubstr("projecting on")) << banner;
    ASSERT_NO_FATAL_FAILURE(AwaitMoreAcknowledged(10));
    project.Wait(SIGTERM);
  }

  ASSERT_NO_FATAL_FAILURE(AwaitMoreAcknowledged(10));
  StopLoad();
  EXPECT_THAT(failures_, ::testing::IsEmpty());
  EXPECT_EQ(testing::HealthOf(served_.address), "SERVING");

  // Every acknowledged command is in the log once, read with a read-only
  // store beside the live server.
  std::map<std::string, int> per_command = EventsPerCommand(store);
  for (const std::string& command_id : acknowledged_) {
    EXPECT_EQ(per_command[command_id], 1) << command_id;
  }
  // A read-only store refuses to write.
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> reader =
      eventstore::OpenEventStore(store, eventstore::ReadOnlyStoreOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  eventstore::AppendRequest append = testing::MeterReadAppend("meter-RO-1", 0, "ro-1");
  EXPECT_THAT((*reader)->Append(append),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, "read-only"));
}

// A `gridledger serve` on a Kafka store of the test's choice, with an admin
// and a metering technician of sn/xa/huyi.
class KafkaFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream tokens(dir_.path() + "/tokens");
    for (const auto& [name, unit, roles] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"registrar", "sn", "admin"}, {"tech", "sn/xa/huyi", "metering_technician"}}) {
      absl::StatusOr<service::IssuedToken> issued = service::IssueToken(name, unit, roles);
      ASSERT_TRUE(issued.ok());
      tokens_[name] = issued->token;
      tokens << issued->line << "\n";
    }
  }

  // Starts serve on `store_uri`; address_ is where it serves.
  void Serve(const std::string& store_uri) {
    serve_ = std::make_unique<testing::ServeProcess>(
        GL_GRIDLEDGER_PATH,
        std::vector<std::string>{"serve", "--clock_tick_s", "0", "--store", store_uri, "--listen",
                                 "127.0.0.1:0", "--tokens", dir_.path() + "/tokens", "--views",
                                 "assets", "--view_dir", dir_.path() + "/views"});
    address_ = testing::AddressFrom(serve_->LineContaining("serving on"));
    ASSERT_FALSE(address_.empty());
    ASSERT_TRUE(testing::RegisterOrgUnits(address_, tokens_["registrar"], testing::TestOrgUnits()));
  }

  grpc::Status ReceiveMeter(const std::string& bar_code) {
    auto stub = v1::MeteringCenter::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    v1::CommandReply reply;
    return stub->ReceiveMeter(
        testing::CallAs(tokens_["tech"], 30).get(),
        testing::NewMeterRequest(bar_code, v1::STORE_TIER_PROVINCE, "sn-central"), &reply);
  }

  // Asks for health every 100 ms until it says `wanted` (true) or `limit`
  // passes (false); every answer must come within one second.
  bool AwaitHealth(const std::string& wanted, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      const absl::Time asked = absl::Now();
      const std::string health = testing::HealthOf(address_, 1.0);
      EXPECT_FALSE(absl::StartsWith(health, "no answer")) << health;
      EXPECT_LT(absl::Now() - asked, absl::Seconds(1));
      if (health == wanted) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  // The trailing metadata of an answer from the assets view (the meter
  // received as `bar_code`), which a server answers from its own disk.
  std::multimap<std::string, std::string> AssetAnswerTrailers(const std::string& bar_code) {
    auto stub =
        v1::AssetQuery::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    v1::GetAssetRequest request;
    request.set_bar_code(bar_code);
    std::multimap<std::string, std::string> trailers;
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::unique_ptr<grpc::ClientContext> context = testing::CallAs(tokens_["registrar"], 5);
      v1::AssetReply reply;
      grpc::Status status = stub->GetAsset(context.get(), request, &reply);
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) {  // not applied yet
        absl::SleepFor(absl::Milliseconds(100));
        continue;
      }
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const auto& [key, value] : context->GetServerTrailingMetadata()) {
        trailers.emplace(std::string(key.data(), key.size()),
                         std::string(value.data(), value.size()));
      }
      break;
    }
    return trailers;
  }

  // The value of `key` in `trailers`, or "(none)".
  static std::string Trailer(const std::multimap<std::string, std::string>& trailers,
                             const std::string& key) {
    auto it = trailers.find(key);
    return it == trailers.end() ? "(none)" : it->second;
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string address_;
};

// Kills the broker (SIGKILL) while two clients send commands, restarts it,
// twenty times: clients retry what fails with the same command id, and in
// the end every acknowledged command is in the log exactly once and the
// chains verify.
//
// It once wedged after some rounds; the causes were a blocking purge in
// Recover, a stuck shared consumer, a consumer's destroy joining a wedged
// broker thread, and — in the test itself — serve's stderr pipe left
// undrained, so librdkafka's threads blocked logging "connection refused".
TEST_F(KafkaFaults, TheBrokerKilledMidTransactionTwentyTimesLosesAndDoublesNothing) {
  testing::PrivateBroker broker;
  ASSERT_FALSE(broker.bootstrap().empty()) << "the test's own broker did not start";
  const std::string store_uri =
      absl::StrCat("kafka://", broker.bootstrap(), "?topic_prefix=", testing::UniqueTopicPrefix(),
                   "&timeout_ms=5000");
  ASSERT_NO_FATAL_FAILURE(Serve(store_uri));
  std::atomic<bool> stop{false};
  std::atomic<bool> loop_done{false};
  std::atomic<int64_t> restarted_at{absl::ToUnixNanos(absl::Now())};
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<std::string> lost;
  int failed_attempts = 0;
  std::vector<std::thread> clients;
  clients.reserve(2);
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::MeteringCenter::NewStub(
          grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
      for (int n = 0; !stop.load(); ++n) {
        const v1::ReceiveMeterRequest request = testing::NewMeterRequest(
            absl::StrCat("KILL", c, "N", n), v1::STORE_TIER_PROVINCE, "sn-central");
        grpc::Status status;
        while (true) {
          v1::CommandReply reply;
          status = stub->ReceiveMeter(testing::CallAs(tokens_["tech"], 30).get(), request, &reply);
          // While the broker keeps dying a write may not get through at
          // all; a client keeps retrying until two minutes after the last
          // restart.
          const absl::Time last_restart = absl::FromUnixNanos(restarted_at.load());
          if (status.ok() ||
              (loop_done.load() && absl::Now() > last_restart + absl::Seconds(120))) {
            break;
          }
          const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
          if (!retryable) break;
          std::lock_guard<std::mutex> lock(mu);
          ++failed_attempts;
        }
        std::lock_guard<std::mutex> lock(mu);
        if (status.ok()) {
          acknowledged.push_back("tech:" + request.command_id());
        } else {
          lost.push_back(absl::StrCat(request.command_id(), ": ", status.error_code(), " ",
                                      status.error_message()));
        }
      }
    });
  }
  auto acknowledged_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acknowledged.size();
  };
  std::mt19937 random(20261202);
  for (int round = 0; round < 20; ++round) {
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(200, 900)(random)));
    broker.Kill();
    absl::SleepFor(absl::Milliseconds(200));
    if (!broker.Restart()) {
      ADD_FAILURE() << "the broker did not come back in round " << round;
      break;
    }
    restarted_at.store(absl::ToUnixNanos(absl::Now()));
  }
  loop_done.store(true);
  // Writes go through again after the last restart.
  const size_t before = acknowledged_count();
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (acknowledged_count() < before + 20 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  stop.store(true);
  for (std::thread& client : clients) client.join();
  EXPECT_THAT(lost, ::testing::IsEmpty());
  EXPECT_GE(acknowledged.size(), before + 20);
  EXPECT_GT(failed_attempts, 0) << "the kills should have failed some attempts";

  std::map<std::string, int> per_command = EventsPerCommand(store_uri);
  for (const std::string& command_id : acknowledged) {
    EXPECT_EQ(per_command[command_id], 1) << command_id;
  }
  for (const auto& [command_id, count] : per_command) EXPECT_EQ(count, 1) << command_id;
  const std::string out = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " verify --store '", store_uri, "' 2>&1; echo exit=$?"));
  EXPECT_THAT(out, ::testing::HasSubstr("exit=0"));
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("failed_attempts", failed_attempts);
}

TEST_F(KafkaFaults, HealthFollowsTheBrokerAndAnswersWithinASecond) {
  testing::PrivateBroker broker;
  ASSERT_FALSE(broker.bootstrap().empty()) << "the test's own broker did not start";
  ASSERT_NO_FATAL_FAILURE(Serve(absl::StrCat("kafka://", broker.bootstrap(), "?topic_prefix=",
                                             testing::UniqueTopicPrefix(), "&timeout_ms=5000")));
  ASSERT_TRUE(AwaitHealth("SERVING", absl::Seconds(5)));
  ASSERT_TRUE(ReceiveMeter("HEALTH-0").ok());
  EXPECT_EQ(Trailer(AssetAnswerTrailers("HEALTH-0"), "gridledger-stale-since"), "(none)");

  broker.Signal("STOP");
  EXPECT_TRUE(AwaitHealth("NOT_SERVING", absl::Seconds(5)));
  // Answers from what the server had read carry how stale they may be.
  const std::multimap<std::string, std::string> trailers = AssetAnswerTrailers("HEALTH-0");
  const std::string since = Trailer(trailers, "gridledger-stale-since");
  absl::Time stale_since;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, since, &stale_since, &error)) << since;
  EXPECT_LT(absl::Now() - stale_since, absl::Seconds(30)) << since;
  EXPECT_THAT(Trailer(trailers, "gridledger-store-unwritable"),
              ::testing::HasSubstr("no Kafka broker answered"));

  broker.Signal("CONT");
  EXPECT_TRUE(AwaitHealth("SERVING", absl::Seconds(30)));
  EXPECT_EQ(Trailer(AssetAnswerTrailers("HEALTH-0"), "gridledger-stale-since"), "(none)");
  grpc::Status after = ReceiveMeter("HEALTH-1");
  EXPECT_TRUE(after.ok()) << after.error_message();
}

// A second `serve` started by mistake on the same address, same store and
// same writer id, stops before it opens the store: the running one is not
// fenced and goes on writing.
TEST_F(KafkaFaults, ASecondServeOnABusyAddressFencesNothing) {
  std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
  if (!bootstrap) GTEST_SKIP() << "no Kafka broker (run through ctest)";
  const std::string store_uri =
      absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", testing::UniqueTopicPrefix());
  ASSERT_NO_FATAL_FAILURE(Serve(store_uri));
  ASSERT_TRUE(ReceiveMeter("BUSY-0").ok());
  testing::ServeProcess second(GL_GRIDLEDGER_PATH,
                               {"serve", "--clock_tick_s", "0", "--store", store_uri, "--listen",
                                address_, "--views", "none", "--without_tokens"});
  EXPECT_THAT(second.LineContaining("in use"), ::testing::HasSubstr("nothing was opened"));
  EXPECT_NE(second.Wait(), 0);
  EXPECT_TRUE(AwaitHealth("SERVING", absl::Seconds(2)));
  grpc::Status after = ReceiveMeter("BUSY-1");
  EXPECT_TRUE(after.ok()) << after.error_message();
}

TEST_F(KafkaFaults, AFencedServerIsNotServingAndReadsWhatTheNewWriterWrote) {
  std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
  if (!bootstrap) GTEST_SKIP() << "no Kafka broker (run through ctest)";
  const std::string store_uri =
      absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", testing::UniqueTopicPrefix());
  ASSERT_NO_FATAL_FAILURE(Serve(store_uri));
  ASSERT_TRUE(ReceiveMeter("FENCE-0").ok());
  ASSERT_TRUE(AwaitHealth("SERVING", absl::Seconds(5)));

  // A second process with the same writer id fences the server's writer.
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> newer =
      eventstore::OpenEventStore(store_uri);
  ASSERT_TRUE(newer.ok()) << newer.status();
  ASSERT_TRUE((*newer)->Append(testing::MeterReadAppend("meter-FENCE-NEW", 0, "fence-new")).ok());

  EXPECT_TRUE(AwaitHealth("NOT_SERVING", absl::Seconds(5)));
  grpc::Status refused = ReceiveMeter("FENCE-1");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("fenced"));
  EXPECT_THAT(Trailer(AssetAnswerTrailers("FENCE-0"), "gridledger-store-unwritable"),
              ::testing::HasSubstr("fenced"));
  // Reads of the fenced server follow the log the newer writer extends.
  auto gateway =
      v1::EventGateway::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  v1::ReadStreamRequest read;
  read.set_stream_id("meter-FENCE-NEW");
  v1::ReadStreamReply events;
  grpc::Status status =
      gateway->ReadStream(testing::CallAs(tokens_["registrar"], 10).get(), read, &events);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(events.events_size(), 1);
}

// Connections are bounded: a socket that never completes its handshake (an
// unauthenticated client that only connects) is closed after
// --handshake_timeout_s, and a channel that makes no call is closed after
// --idle_connection_s.
TEST(BoundedConnections, SilentAndIdleConnectionsAreClosed) {
  testing::TempDir dir;
  testing::ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/store", "--listen",
       "127.0.0.1:0", "--views", "none", "--view_dir", dir.path() + "/views",
       "--handshake_timeout_s", "1", "--idle_connection_s", "2", "--without_tokens"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  const int port = std::stoi(address.substr(address.rfind(':') + 1));

  // Fifty sockets that connect and say nothing.
  std::vector<int> sockets;
  for (int i = 0; i < 50; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(static_cast<uint16_t>(port));
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where), 0);
    sockets.push_back(fd);
  }
  absl::SleepFor(absl::Seconds(4));
  int closed = 0;
  for (int fd : sockets) {
    timeval wait{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char byte;
    // The server may write its settings first; it closes the socket after.
    ssize_t n;
    while ((n = recv(fd, &byte, 1, 0)) > 0) {
    }
    closed += n == 0;
    close(fd);
  }
  EXPECT_EQ(closed, 50) << "sockets the server still held open";

  // A channel that made one call and then stays idle is closed by the server.
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(testing::HealthOf(address), "SERVING");
  auto stub = grpc::health::v1::Health::NewStub(channel);
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(stub->Check(&context, {}, &response).ok());
  }
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (channel->GetState(false) == GRPC_CHANNEL_READY && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_NE(channel->GetState(false), GRPC_CHANNEL_READY) << "the idle connection was kept";
  serve.Wait(SIGTERM);
}

// A connection runs at most --max_streams_per_connection calls at once: with
// 2, two open Watch streams hold a connection's places and a third call on it
// waits (gRPC's client queues it), while another connection is served; when
// one stream ends the waiting place is free again.
TEST(BoundedConnections, ACallPastTheStreamCapWaitsOnItsConnection) {
  testing::TempDir dir;
  testing::ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/store", "--listen",
       "127.0.0.1:0", "--views", "none", "--max_streams_per_connection", "2", "--without_tokens"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  // A connection of its own per channel (no shared subchannel).
  auto own_connection = [&address] {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  };
  auto check = [](const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    return grpc::health::v1::Health::NewStub(channel)->Check(&context, {}, &response).error_code();
  };
  auto full = own_connection();
  auto stub = grpc::health::v1::Health::NewStub(full);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>>> watches;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    watches.push_back(stub->Watch(contexts.back().get(), {}));
    grpc::health::v1::HealthCheckResponse first;
    ASSERT_TRUE(watches.back()->Read(&first)) << i;
  }
  EXPECT_EQ(check(full), grpc::StatusCode::DEADLINE_EXCEEDED)
      << "a third call ran beside two open streams on one connection";
  EXPECT_EQ(check(own_connection()), grpc::StatusCode::OK) << "another connection was held up";
  contexts.front()->TryCancel();
  watches.front()->Finish().IgnoreError();
  EXPECT_EQ(check(full), grpc::StatusCode::OK) << "the freed place was not reused";
  contexts.back()->TryCancel();
  watches.back()->Finish().IgnoreError();
  serve.Wait(SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadOnlyToolsTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
