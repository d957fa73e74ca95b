// `gridledger serve` as a real process: it serves health and reflection over
// gRPC on loopback, refuses what it must, and shuts down cleanly on SIGTERM.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
std::string HealthCheck(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials()) {
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
                 [&](grpc::Status s) {
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
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes == std::string("\x08\x01", 2) ? "SERVING" : "status bytes " + bytes;
}

TEST(ServeE2eTest, ServesHealthAndReflectionThenStopsOnSigterm) {
  testing::TempDir dir;
  const std::string store = "embedded:" + dir.path() + "/store";
  ServeProcess serve(GL_GRIDLEDGER_PATH, {"serve", "--store", store, "--listen", "127.0.0.1:0"});
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
  ServeProcess second(GL_GRIDLEDGER_PATH, {"serve", "--store", store, "--listen", "127.0.0.1:0"});
  EXPECT_THAT(second.LineContaining("locked"), HasSubstr("is locked by another process"));
  EXPECT_EQ(second.Wait(), 1);

  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

TEST(ServeE2eTest, RefusesPlaintextOffLoopbackAndBadFlags) {
  ServeProcess remote(GL_GRIDLEDGER_PATH, {"serve", "--listen", "0.0.0.0:0"});
  EXPECT_THAT(remote.LineContaining("plaintext"),
              HasSubstr("plaintext is only allowed on loopback"));
  EXPECT_EQ(remote.Wait(), 2);
  ServeProcess bad_flag(GL_GRIDLEDGER_PATH, {"serve", "--colour", "red"});
  EXPECT_THAT(bad_flag.LineContaining("colour"), HasSubstr("not expected: red --colour"));
  EXPECT_EQ(bad_flag.Wait(), 2);
  ServeProcess bad_store(GL_GRIDLEDGER_PATH,
                         {"serve", "--store", "mysql://x", "--listen", "127.0.0.1:0"});
  EXPECT_THAT(bad_store.LineContaining("mysql"), HasSubstr("unknown URI \"mysql://x\""));
  EXPECT_EQ(bad_store.Wait(), 2) << "a store URI that does not parse is a usage error";
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
    ServeProcess serve(
        GL_GRIDLEDGER_PATH,
        {"serve", "--store", "embedded:" + dir.path() + "/a", "--listen", "127.0.0.1:0",
         "--tls_cert", certs + "/server.pem", "--tls_key", certs + "/server.key"});
    const std::string line = serve.LineContaining("serving on");
    EXPECT_THAT(line, HasSubstr("(TLS)"));
    const std::string address = AddressFrom(line);
    EXPECT_EQ(HealthCheck(address, grpc::SslCredentials(trusting)), "SERVING");
    EXPECT_THAT(HealthCheck(address), HasSubstr("error")) << "plaintext must not get through";
    EXPECT_EQ(serve.Wait(SIGTERM), 0);
  }
  ServeProcess serve(GL_GRIDLEDGER_PATH,
                     {"serve", "--store", "embedded:" + dir.path() + "/b", "--listen",
                      "127.0.0.1:0", "--tls_cert", certs + "/server.pem", "--tls_key",
                      certs + "/server.key", "--tls_client_ca", certs + "/ca.pem"});
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
  ServeProcess half(GL_GRIDLEDGER_PATH, {"serve", "--tls_cert", certs + "/server.pem"});
  EXPECT_THAT(half.LineContaining("tls"), HasSubstr("--tls_cert and --tls_key go together"));
  EXPECT_EQ(half.Wait(), 2);
}

}  // namespace
}  // namespace gridledger
