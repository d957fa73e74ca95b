// A whole server (server/server.h, as `serve` runs it) on an embedded store
// whose disk fills up (tests/testing/fault_fs.h), reached over gRPC on
// loopback: the command that meets the full disk fails RESOURCE_EXHAUSTED,
// health turns NOT_SERVING within the monitor's bound and stays so while the
// disk is full, then turns SERVING again by itself once it has room (no
// restart); the failed command's retry and new commands land, each once.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/sha256.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/generic_call.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using Fault = testing::FaultFs::Fault;

constexpr char kRegister[] = "/gridledger.v1.MarketingDepartment/RegisterOrgUnit";

std::string RegisterRequest(const std::string& command_id, const std::string& unit) {
  return absl::StrCat("command_id: \"", command_id, "\" org_unit: \"", unit, "\" name: \"unit ",
                      unit, "\"");
}

// Polls health until it reads `wanted` or `within` passes; the last answer.
std::string AwaitHealth(const std::string& address, const std::string& wanted,
                        absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  std::string health = testing::HealthOf(address, 1);
  while (health != wanted && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    health = testing::HealthOf(address, 1);
  }
  return health;
}

TEST(ServerFaultsTest, AFullDiskIsNotServingUntilItHasRoomAgainWithoutARestart) {
  testing::TempDir dir;
  const std::string token = "registrar-secret-token";
  {
    std::ofstream tokens(dir.path() + "/tokens");
    tokens << HexEncode(Sha256(token)) << " registrar sn admin\n";
  }
  auto fs = std::make_shared<testing::FaultFs>();
  const std::string uri = "embedded:" + dir.path() + "/store";
  {
    server::ServeOptions options(*eventstore::StoreUri::Parse(uri));
    options.listen = "127.0.0.1:0";
    options.tokens_file = dir.path() + "/tokens";
    options.views = "none";
    options.clock_tick_s = 0;  // only the test's commands in the log
    options.embedded_env = testing::NewFaultEnv(fs);
    absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    ASSERT_EQ(AwaitHealth(address, "SERVING", absl::Seconds(5)), "SERVING");
    ASSERT_EQ(testing::CallGeneric(channel, kRegister, RegisterRequest("reg-sn", "sn"), token).code,
              grpc::StatusCode::OK);

    fs->Arm(Fault::kDiskFull);
    const testing::Answer full =
        testing::CallGeneric(channel, kRegister, RegisterRequest("reg-xa", "sn/xa"), token);
    EXPECT_EQ(full.code, grpc::StatusCode::RESOURCE_EXHAUSTED) << full.message;
    EXPECT_EQ(AwaitHealth(address, "NOT_SERVING", absl::Seconds(3)), "NOT_SERVING");
    // Still full: recovery is tried every second and fails; health stays
    // NOT_SERVING all the while, and reads still answer.
    const absl::Time still_full_until = absl::Now() + absl::Milliseconds(2500);
    while (absl::Now() < still_full_until) {
      EXPECT_NE(testing::HealthOf(address, 5), "SERVING");
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_EQ(testing::CallGeneric(channel, "/gridledger.v1.EventGateway/ReadStream",
                                   "stream_id: \"orgunit-sn\"", token)
                  .code,
              grpc::StatusCode::OK);
    const testing::Answer still =
        testing::CallGeneric(channel, kRegister, RegisterRequest("reg-bj", "sn/bj"), token);
    EXPECT_NE(still.code, grpc::StatusCode::OK);
    EXPECT_GT(fs->failures(), 1) << "recovery probed the full disk";
    // And the serving process wrote no file of diagnostics onto that disk.
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/store/LOG"));

    fs->Clear();
    EXPECT_EQ(AwaitHealth(address, "SERVING", absl::Seconds(10)), "SERVING");
    for (const auto& [command_id, unit] :
         std::map<std::string, std::string>{{"reg-xa", "sn/xa"}, {"reg-bj", "sn/bj"}}) {
      const testing::Answer retried =
          testing::CallGeneric(channel, kRegister, RegisterRequest(command_id, unit), token);
      EXPECT_EQ(retried.code, grpc::StatusCode::OK) << unit << ": " << retried.message;
    }
    (*server)->Shutdown();
  }

  // Reopened on the real disk: each command is in the log once (command ids
  // are the principal's own).
  eventstore::StoreOptions read_only;
  read_only.read_only = true;
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(uri, read_only);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<eventstore::ReadAllResult> all = (*store)->ReadAll({}, 1000);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, int> per_command;
  for (const v1::EventEnvelope& event : all->events) ++per_command[event.command_id()];
  EXPECT_THAT(per_command, ::testing::ElementsAre(::testing::Pair("registrar:reg-bj", 1),
                                                  ::testing::Pair("registrar:reg-sn", 1),
                                                  ::testing::Pair("registrar:reg-xa", 1)));
}

}  // namespace
}  // namespace gridledger
