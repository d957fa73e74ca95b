// `gridledger serve` as a real process: it serves health and reflection over
// gRPC on loopback, refuses what it must, and shuts down cleanly on SIGTERM.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using testing::AddressFrom;
using testing::RunCommand;
using testing::ServeProcess;

using ::testing::HasSubstr;

// grpc.health.v1.Health/Check for the server as a whole, by raw bytes (an
// empty HealthCheckRequest; SERVING is field 1 = 1, bytes 08 01).
std::string HealthCheck(const std::string& address,
                        const std::shared_ptr<grpc::ChannelCredentials>& credentials =
                            grpc::InsecureChannelCredentials()) {
  auto channel = grpc::CreateChannel(address, credentials);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty_message("");
  grpc::ByteBuffer request(&empty_message, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](const grpc::Status& s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return "error: " + status.error_message();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "error: dump";
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes == std::string("\x08\x01", 2) ? "SERVING" : "status bytes " + bytes;
}

TEST(ServeE2eTest, ServesHealthAndReflectionThenStopsOnSigterm) {
  testing::TempDir dir;
  const std::string store = "embedded:" + dir.path() + "/store";
  ServeProcess serve(GL_GRIDLEDGER_PATH, {"serve", "--clock_tick_s", "0", "--store", store,
                                          "--listen", "127.0.0.1:0", "--without_tokens"});
  const std::string line = serve.LineContaining("serving on");
  const std::string address = AddressFrom(line);
  ASSERT_FALSE(address.empty()) << "serve said: " << line;
  EXPECT_EQ(HealthCheck(address), "SERVING");

  // A client without our sources finds its way by reflection.
  const char* grpcurl = std::getenv("GRIDLEDGER_GRPCURL");
  ASSERT_NE(grpcurl, nullptr)
      << "GRIDLEDGER_GRPCURL unset: run through ctest after scripts/deps --test";
  const std::string services = RunCommand(absl::StrCat(grpcurl, " -plaintext ", address, " list"));
  EXPECT_THAT(services, HasSubstr("grpc.health.v1.Health"));
  EXPECT_THAT(services, HasSubstr("grpc.reflection.v1alpha.ServerReflection"));
  const std::string health =
      RunCommand(absl::StrCat(grpcurl, " -plaintext ", address, " grpc.health.v1.Health/Check"));
  EXPECT_THAT(health, HasSubstr("\"SERVING\""));

  // The store is held: a second server on it is refused with the reason.
  ServeProcess second(GL_GRIDLEDGER_PATH, {"serve", "--clock_tick_s", "0", "--store", store,
                                           "--listen", "127.0.0.1:0", "--without_tokens"});
  EXPECT_THAT(second.LineContaining("locked"), HasSubstr("is locked by another process"));
  EXPECT_EQ(second.Wait(), 1);

  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

TEST(ServeE2eTest, RefusesPlaintextOffLoopbackAndBadFlags) {
  testing::TempDir dir;
  ServeProcess remote(GL_GRIDLEDGER_PATH, {"serve", "--store", "embedded:" + dir.path() + "/s",
                                           "--listen", "0.0.0.0:0", "--without_tokens"});
  EXPECT_THAT(remote.LineContaining("plaintext"),
              HasSubstr("plaintext is only allowed on loopback"));
  EXPECT_EQ(remote.Wait(), 2);
  ServeProcess bad_flag(GL_GRIDLEDGER_PATH, {"serve", "--store", "embedded:" + dir.path() + "/s",
                                             "--without_tokens", "--colour", "red"});
  EXPECT_THAT(bad_flag.LineContaining("colour"), HasSubstr("not expected: red --colour"));
  EXPECT_EQ(bad_flag.Wait(), 2);
  ServeProcess bad_store(GL_GRIDLEDGER_PATH,
                         {"serve", "--store", "mysql://x", "--listen", "127.0.0.1:0"});
  EXPECT_THAT(bad_store.LineContaining("mysql"), HasSubstr("unknown URI \"mysql://x\""));
  EXPECT_EQ(bad_store.Wait(), 2) << "a store URI that does not parse is a usage error";
}

// Safe defaults: where the data goes is always stated, and serving without
// tokens takes a flag and says so; each refusal is exit 2 naming the flag,
// before anything is opened or created.
TEST(ServeE2eTest, DefaultsAreSafeEachRefusalNamesItsFlag) {
  testing::TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"serve", "--listen", "127.0.0.1:0", "--without_tokens"}, "--store is required"},
      {{"serve", "--store", "embedded:" + dir.path() + "/a", "--listen", "127.0.0.1:0"},
       "--tokens: required"},
      {{"serve", "--store", "embedded:" + dir.path() + "/a", "--listen", "127.0.0.1:0", "--tokens",
        dir.path() + "/t", "--without_tokens"},
       "--without_tokens: contradicts --tokens"},
      // Checked before any broker is dialled: nothing listens on port 1.
      {{"serve", "--store", "kafka://127.0.0.1:1", "--listen", "127.0.0.1:0", "--without_tokens"},
       "--view_dir: required on Kafka"},
      {{"serve", "--store", "kafka://127.0.0.1:1", "--listen", "127.0.0.1:0", "--without_tokens",
        "--views", "none", "--instance", "i1"},
       "--state_dir: required with --instance"},
  };
  for (const Case& c : cases) {
    ServeProcess refused(GL_GRIDLEDGER_PATH, c.args);
    EXPECT_THAT(refused.LineContaining("required") + refused.LineContaining("contradicts"),
                HasSubstr(c.says));
    EXPECT_EQ(refused.Wait(), 2) << c.says;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/a")) << "a refused serve created its store";

  ServeProcess open(GL_GRIDLEDGER_PATH,
                    {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/b",
                     "--listen", "127.0.0.1:0", "--without_tokens"});
  EXPECT_THAT(open.LineContaining("WITHOUT TOKENS"), HasSubstr("refused UNAUTHENTICATED"));
  EXPECT_THAT(open.LineContaining("serving on"), HasSubstr("serving on"));
  EXPECT_EQ(open.Wait(SIGTERM), 0);
}

// --check_config refuses whatever serve would refuse at start (found by an
// operator: it passed combinations serve then refused), exit 2 naming the
// flag, and opens nothing.
TEST(ServeE2eTest, CheckConfigRefusesWhatServeWouldRefuse) {
  testing::TempDir dir;
  const std::string store = "embedded:" + dir.path() + "/a";
  RunCommand(absl::StrCat(GL_MAKE_CERTS, " ", dir.path(), "/certs"));
  const std::string certs = dir.path() + "/certs/";
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--checkpoint_key", dir.path() + "/k"}, "--checkpoint_key and --checkpoint_dir"},
      {{"--tls_cert", certs + "server.pem"}, "--tls_cert and --tls_key go together"},
      {{"--tls_cert", certs + "server.pem", "--tls_key", certs + "client.key"}, "do not pair"},
      {{"--tls_client_ca", certs + "ca.pem"}, "--tls_client_ca needs"},
      {{"--advertise", "127.0.0.1:7000"}, "need --instance"},
      {{"--metrics_listen", "127.0.0.1:http"}, "--metrics_listen"},
      {{"--health_listen", "nowhere.invalid:8081"}, "does not resolve"},
      {{"--views", "ledger,colour"}, "colour"},
      {{"--services", "billing,weather"}, "weather"},
  };
  for (const Case& c : cases) {
    std::string command = absl::StrCat(GL_GRIDLEDGER_PATH, " serve --store ", store,
                                       " --listen 127.0.0.1:0 ", "--without_tokens --check_config");
    for (const std::string& flag : c.flags) absl::StrAppend(&command, " ", flag);
    const std::string out = RunCommand(command + " 2>&1; echo exit=$?");
    EXPECT_THAT(out, HasSubstr(c.says)) << command;
    EXPECT_THAT(out, HasSubstr("exit=2")) << command;
  }
  const std::string good = RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " serve --store ", store,
                   " --listen 127.0.0.1:0 --without_tokens ", "--tls_cert ", certs,
                   "server.pem --tls_key ", certs, "server.key --check_config; echo exit=$?"));
  EXPECT_THAT(good, HasSubstr("configuration OK"));
  EXPECT_THAT(good, HasSubstr("exit=0"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/a")) << "--check_config created the store";
}

// Every subcommand `gridledger --help` lists answers --help with its own
// usage and exit 0; a missing required flag is exit 2 naming it.
TEST(ServeE2eTest, EverySubcommandAnswersHelp) {
  const std::string listing = RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " --help"));
  std::vector<std::string> subcommands;
  std::istringstream lines(listing.substr(listing.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) subcommands.push_back(name);
  }
  EXPECT_GE(subcommands.size(), 11u) << listing;
  for (const std::string& name : subcommands) {
    const std::string help =
        RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " ", name, " --help; echo exit=$?"));
    EXPECT_THAT(help, HasSubstr(absl::StrCat("Usage: gridledger ", name))) << name;
    EXPECT_THAT(help, HasSubstr("exit=0")) << name;
  }
  const std::string missing =
      RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " verify 2>&1; echo exit=$?"));
  EXPECT_THAT(missing, HasSubstr("--store is required"));
  EXPECT_THAT(missing, HasSubstr("exit=2"));
  const std::string typed =
      RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " tail --json --max many 2>&1; echo exit=$?"));
  EXPECT_THAT(typed, HasSubstr("--max"));
  EXPECT_THAT(typed, HasSubstr("exit=2"));
}

// ViewAdmin.ListViews as `tokens` (one authorization header each): the code.
grpc::StatusCode ListViewsAs(const std::string& address, const std::vector<std::string>& tokens,
                             std::string* message = nullptr) {
  auto stub =
      v1::ViewAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  for (const std::string& token : tokens) context.AddMetadata("authorization", "Bearer " + token);
  v1::ListViewsReply reply;
  grpc::Status status = stub->ListViews(&context, v1::ListViewsRequest(), &reply);
  if (message != nullptr) *message = status.error_message();
  return status.error_code();
}

// Writes `contents` to `path` as an editor or a deployment would: a new file
// renamed over the old one.
void ReplaceFile(const std::string& path, const std::string& contents) {
  {
    std::ofstream out(path + ".new");
    out << contents;
  }
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
}

// Polls until `done` holds, for at most 10 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 100; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `gridledger token` for an admin of "sn": the token and its tokens-file line.
std::pair<std::string, std::string> IssueAdmin(const std::string& name, const std::string& flags) {
  const std::string out = RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " token --principal ", name,
                                                  " --org_unit sn --roles admin ", flags));
  const size_t newline = out.find('\n');
  return {out.substr(0, newline), out.substr(newline + 1)};
}

// One principal has at most --max_calls_per_principal calls in flight across
// its connections: with 2, two open subscriptions (each on a connection of
// its own) take its places, a third call is refused RESOURCE_EXHAUSTED
// naming the flag, another principal is served, and when one subscription
// ends its place is free again.
TEST(ServeE2eTest, APrincipalsCallsInFlightAreCapped) {
  testing::TempDir dir;
  const std::pair<std::string, std::string> alice = IssueAdmin("alice", "");
  const std::pair<std::string, std::string> bob = IssueAdmin("bob", "");
  ReplaceFile(dir.path() + "/tokens", alice.second + bob.second);
  ServeProcess serve(GL_GRIDLEDGER_PATH,
                     {"serve", "--clock_tick_s", "0", "--store",
                      "embedded:" + dir.path() + "/store", "--listen", "127.0.0.1:0", "--tokens",
                      dir.path() + "/tokens", "--views", "none", "--max_calls_per_principal", "2"});
  const std::string address = AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeReply>>> subscriptions;
  for (int i = 0; i < 2; ++i) {
    grpc::ChannelArguments own_connection;
    own_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto gateway = v1::EventGateway::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), own_connection));
    contexts.push_back(testing::CallAs(alice.first, 60));
    subscriptions.push_back(gateway->Subscribe(contexts.back().get(), v1::SubscribeRequest()));
  }
  // The subscriptions are admitted as the server gets them.
  std::string message;
  EXPECT_TRUE(Eventually([&] {
    return ListViewsAs(address, {alice.first}, &message) == grpc::StatusCode::RESOURCE_EXHAUSTED;
  })) << message;
  EXPECT_THAT(message, HasSubstr("--max_calls_per_principal"));
  EXPECT_EQ(ListViewsAs(address, {bob.first}), grpc::StatusCode::OK);
  contexts.front()->TryCancel();
  subscriptions.front()->Finish().IgnoreError();
  EXPECT_TRUE(Eventually([&] {
    return ListViewsAs(address, {alice.first}) == grpc::StatusCode::OK;
  })) << "the ended subscription's place was not freed";
  contexts.back()->TryCancel();
  subscriptions.back()->Finish().IgnoreError();
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

// Tokens are revocable without a restart (the file is watched; SIGHUP
// reloads at once), may expire, and a call carries exactly one.
TEST(ServeE2eTest, TokensAreRevokedReloadedAndExpireWithoutARestart) {
  testing::TempDir dir;
  const std::string tokens_file = dir.path() + "/tokens";
  const std::pair<std::string, std::string> alice_issued = IssueAdmin("alice", "--valid_for 1d");
  const std::pair<std::string, std::string> bob_issued = IssueAdmin("bob", "");
  const std::string& alice = alice_issued.first;
  const std::string& alice_line = alice_issued.second;
  const std::string& bob = bob_issued.first;
  const std::string& bob_line = bob_issued.second;
  ASSERT_THAT(alice_line, HasSubstr(" expires="));
  // carol's token expired long ago.
  const std::string carol = "carol-token";
  const std::string carol_line =
      absl::StrCat(HexEncode(Sha256(carol)), " carol sn admin expires=2020-01-01T00:00:00Z\n");
  ReplaceFile(tokens_file, alice_line + bob_line + carol_line);

  ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/store", "--listen",
       "127.0.0.1:0", "--tokens", tokens_file, "--views", "none"});
  const std::string address = AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  EXPECT_EQ(ListViewsAs(address, {alice}), grpc::StatusCode::OK);
  std::string message;
  EXPECT_EQ(ListViewsAs(address, {carol}, &message), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(message, HasSubstr("expired"));
  EXPECT_EQ(ListViewsAs(address, {bob, alice}, &message), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(message, HasSubstr("exactly one"));
  EXPECT_EQ(ListViewsAs(address, {}, &message), grpc::StatusCode::UNAUTHENTICATED);

  // Revoking alice: her line removed, no restart.
  ReplaceFile(tokens_file, bob_line);
  EXPECT_TRUE(Eventually([&] {
    return ListViewsAs(address, {alice}) == grpc::StatusCode::UNAUTHENTICATED;
  })) << "a removed token must stop working within seconds";
  EXPECT_EQ(ListViewsAs(address, {bob}), grpc::StatusCode::OK);

  // A file that does not parse leaves the tokens in force as they were.
  ReplaceFile(tokens_file, "this is not a tokens file\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(ListViewsAs(address, {bob}), grpc::StatusCode::OK);
  EXPECT_EQ(ListViewsAs(address, {alice}), grpc::StatusCode::UNAUTHENTICATED);

  // SIGHUP reloads at once and does not stop the server.
  {
    std::ofstream out(tokens_file);  // rewritten in place
    out << alice_line << bob_line;
  }
  serve.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return ListViewsAs(address, {alice}) == grpc::StatusCode::OK; }));
  EXPECT_EQ(HealthCheck(address), "SERVING");
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

TEST(ServeE2eTest, ServesTlsAndMutualTls) {
  testing::TempDir dir;
  const std::string certs = dir.path() + "/certs";
  ASSERT_EQ(std::system(absl::StrCat(GL_MAKE_CERTS, " ", certs).c_str()), 0);
  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = ReadFile(certs + "/ca.pem");
  {
    ServeProcess serve(GL_GRIDLEDGER_PATH,
                       {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/a",
                        "--listen", "127.0.0.1:0", "--tls_cert", certs + "/server.pem", "--tls_key",
                        certs + "/server.key", "--without_tokens"});
    const std::string line = serve.LineContaining("serving on");
    EXPECT_THAT(line, HasSubstr("(TLS)"));
    const std::string address = AddressFrom(line);
    EXPECT_EQ(HealthCheck(address, grpc::SslCredentials(trusting)), "SERVING");
    EXPECT_THAT(HealthCheck(address), HasSubstr("error")) << "plaintext must not get through";
    EXPECT_EQ(serve.Wait(SIGTERM), 0);
  }
  ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/b", "--listen",
       "127.0.0.1:0", "--tls_cert", certs + "/server.pem", "--tls_key", certs + "/server.key",
       "--tls_client_ca", certs + "/ca.pem", "--without_tokens"});
  const std::string line = serve.LineContaining("serving on");
  EXPECT_THAT(line, HasSubstr("(mutual TLS)"));
  const std::string address = AddressFrom(line);
  EXPECT_THAT(HealthCheck(address, grpc::SslCredentials(trusting)), HasSubstr("error"))
      << "a client without a certificate must be refused";
  grpc::SslCredentialsOptions with_certificate = trusting;
  with_certificate.pem_private_key = ReadFile(certs + "/client.key");
  with_certificate.pem_cert_chain = ReadFile(certs + "/client.pem");
  EXPECT_EQ(HealthCheck(address, grpc::SslCredentials(with_certificate)), "SERVING");
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
  // Half a key pair is a flag error.
  ServeProcess half(GL_GRIDLEDGER_PATH,
                    {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/c",
                     "--without_tokens", "--tls_cert", certs + "/server.pem"});
  EXPECT_THAT(half.LineContaining("tls"), HasSubstr("--tls_cert and --tls_key go together"));
  EXPECT_EQ(half.Wait(), 2);
}

// The client subcommands speak TLS and mutual TLS with --tls_ca, --tls_cert
// and --tls_key: tail reaches a mutual-TLS server with them, and fails
// without the client certificate or in plaintext.
TEST(ServeE2eTest, ClientCommandsSpeakMutualTls) {
  testing::TempDir dir;
  const std::string certs = dir.path() + "/certs";
  ASSERT_EQ(std::system(absl::StrCat(GL_MAKE_CERTS, " ", certs).c_str()), 0);
  auto auditor = service::IssueToken("tls-auditor", "sn", "auditor");
  ASSERT_TRUE(auditor.ok());
  std::ofstream(dir.path() + "/tokens") << auditor->line << "\n";
  std::ofstream(dir.path() + "/auditor.token") << auditor->token << "\n";
  ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", "embedded:" + dir.path() + "/store", "--listen",
       "127.0.0.1:0", "--tls_cert", certs + "/server.pem", "--tls_key", certs + "/server.key",
       "--tls_client_ca", certs + "/ca.pem", "--tokens", dir.path() + "/tokens"});
  const std::string address = AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  const std::string tail =
      absl::StrCat(GL_GRIDLEDGER_PATH, " tail --target ", address, " --token_file ", dir.path(),
                   "/auditor.token", " --until now --json");
  const std::string ca = absl::StrCat(" --tls_ca ", certs, "/ca.pem");
  const std::string client =
      absl::StrCat(" --tls_cert ", certs, "/client.pem --tls_key ", certs, "/client.key");
  EXPECT_EQ(std::system((tail + ca + client + " >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((tail + ca + " >/dev/null 2>&1").c_str()), 0) << "no client certificate";
  EXPECT_NE(std::system((tail + " >/dev/null 2>&1").c_str()), 0) << "plaintext";
  EXPECT_THAT(testing::RunCommand(tail + ca + " --tls_cert " + certs + "/client.pem 2>&1"),
              HasSubstr("--tls_cert and --tls_key go together"));
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

}  // namespace
}  // namespace gridledger
