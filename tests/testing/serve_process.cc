#include "tests/testing/serve_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/auth.h"
#include "tests/testing/test_util.h"

namespace gridledger::testing {

ServeProcess::ServeProcess(const std::string& binary, std::vector<std::string> args) {
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    std::string program = binary;
    argv.push_back(program.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  out_ = fdopen(out[0], "r");
  if (out_ != nullptr) drainer_ = std::thread([this] { Drain(); });
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (drainer_.joinable()) drainer_.join();  // the pipe ends with the process
  if (out_ != nullptr) fclose(out_);
}

void ServeProcess::Drain() {
  // The most lines kept unread: a test that never reads keeps only the last.
  constexpr size_t kMostKept = 100000;
  std::string line;
  char buffer[4096];
  // Lines of any length: keep reading until the newline (or the end).
  while (fgets(buffer, sizeof buffer, out_) != nullptr) {
    line += buffer;
    if (line.back() != '\n') continue;
    line.pop_back();
    absl::MutexLock lock(&mu_);
    lines_.push_back(std::move(line));
    if (lines_.size() > kMostKept) lines_.pop_front();
    line.clear();
  }
  absl::MutexLock lock(&mu_);
  if (!line.empty()) lines_.push_back(std::move(line));
  ended_ = true;
}

std::string ServeProcess::NextLine() {
  if (out_ == nullptr) return "";
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ServeProcess* self)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return !self->lines_.empty() || self->ended_; },
      this));
  if (lines_.empty()) return "";
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

std::string ServeProcess::LineContaining(const std::string& text) {
  std::string seen;
  while (true) {
    std::string line = NextLine();
    if (line.find(text) != std::string::npos) return line;
    if (line.empty()) return seen;
    seen += (seen.empty() ? "" : " | ") + line;
  }
}

void ServeProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

int ServeProcess::Wait(int signal_number) {
  if (pid_ <= 0) return -1;
  if (signal_number != 0) kill(pid_, signal_number);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ServedGridLedger StartGridLedger(
    const std::string& binary, const std::string& backend, const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& principals) {
  std::vector<TestPrincipal> in_county;
  in_county.reserve(principals.size());
  for (const auto& [name, roles] : principals) in_county.push_back({name, roles});
  return StartGridLedgerAs(binary, backend, dir, in_county);
}

bool RegisterOrgUnits(const std::string& address, const std::string& admin_token,
                      const std::vector<std::string>& units) {
  auto stub = v1::MarketingDepartment::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (const std::string& unit : units) {
    v1::RegisterOrgUnitRequest request;
    request.set_command_id("register-" + unit);
    request.set_org_unit(unit);
    request.set_name("test unit " + unit);
    v1::CommandReply reply;
    const grpc::Status status = stub->RegisterOrgUnit(CallAs(admin_token).get(), request, &reply);
    if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      ADD_FAILURE() << "registering " << unit << ": " << status.error_message();
      return false;
    }
  }
  return true;
}

ServedGridLedger StartGridLedgerAs(const std::string& binary, const std::string& backend,
                                   const std::string& dir,
                                   const std::vector<TestPrincipal>& principals) {
  ServedGridLedger served;
  if (backend == "embedded") {
    served.store_uri = "embedded:" + dir + "/store";
  } else {
    std::optional<std::string> bootstrap = TestKafkaBootstrap();
    if (!bootstrap) return served;
    served.store_uri = absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", UniqueTopicPrefix(),
                                    "&partitions=2&timeout_ms=8000");
  }
  std::ofstream tokens(dir + "/tokens");
  std::vector<TestPrincipal> all = principals;
  all.push_back({"test-registrar", "admin", "sn"});
  for (const TestPrincipal& principal : all) {
    absl::StatusOr<service::IssuedToken> issued =
        service::IssueToken(principal.name, principal.org_unit, principal.roles);
    if (!issued.ok()) return served;
    served.tokens[principal.name] = issued->token;
    tokens << issued->line << "\n";
  }
  tokens.close();
  served.process = std::make_unique<ServeProcess>(
      binary,
      std::vector<std::string>{"serve", "--store", served.store_uri, "--listen", "127.0.0.1:0",
                               "--tokens", dir + "/tokens", "--view_dir", dir + "/views",
                               // Tests state the supervision clock's time themselves.
                               "--clock_tick_s", "0"});
  served.address = AddressFrom(served.process->LineContaining("serving on"));
  if (!served.address.empty() &&
      !RegisterOrgUnits(served.address, served.tokens["test-registrar"], TestOrgUnits())) {
    served.address.clear();
  }
  return served;
}

std::string AddressFrom(const std::string& line) {
  std::string marker = "serving on ";
  size_t start = line.find(marker);
  if (start == std::string::npos) {
    marker = "projecting on ";
    start = line.find(marker);
  }
  if (start == std::string::npos) return "";
  const size_t end = line.find(' ', start + marker.size());
  return line.substr(start + marker.size(), end - start - marker.size());
}

std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info) {
  if (info.param == "embedded") return "Embedded";
  return info.param == "cluster" ? "Cluster" : "Kafka";
}

std::unique_ptr<grpc::ClientContext> CallAs(const std::string& token, int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

std::string HealthOf(const std::string& address, double seconds) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, {}, &response);
  if (!status.ok()) {
    return absl::StrCat("no answer: ", status.error_code(), " ", status.error_message());
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

std::string RunCommand(const std::string& command) {
  std::array<char, 4096> buffer;
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  pclose(pipe);
  return output;
}

}  // namespace gridledger::testing
