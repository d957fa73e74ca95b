// `gridledger serve` and `gridledger project` as an operator runs them: flags
// from a TOML --config file (a flag on the command line overrides it),
// Prometheus metrics that Prometheus's own `promtool check metrics` accepts
// and whose counters move with the demo, JSON log lines (every line of the
// process, the access log carrying the caller's x-request-id, a failed
// command with its principal and request id, start and stop), and the
// plaintext health port Kubernetes' gRPC probes use.
#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

// The body of GET http://127.0.0.1:PORT/PATH (HTTP/1.0: the server closes
// the connection after it); empty if the connection fails.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t got = 0;
      while ((got = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, got);
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The sum of every sample of `name` (exactly, not its _bucket/_sum
// siblings) whose labels contain `label_text`; nullopt if there is none.
std::optional<double> SumOf(const std::string& exposition, const std::string& name,
                            const std::string& label_text = "") {
  std::optional<double> sum;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos || line.substr(0, name_end) != name) continue;
    const size_t value_start = line.rfind(' ');
    if (!label_text.empty() && line.substr(0, value_start).find(label_text) == std::string::npos) {
      continue;
    }
    double value = 0;
    if (!absl::SimpleAtod(line.substr(value_start + 1), &value)) continue;
    sum = sum.value_or(0) + value;
  }
  return sum;
}

// promtool from scripts/deps --test (unpacked from Debian's prometheus
// package into the cache).
std::string PromtoolPath() {
  const char* cache = std::getenv("GRIDLEDGER_CACHE");
  const char* home = std::getenv("HOME");
  const std::string root =
      cache != nullptr ? cache : absl::StrCat(home ? home : "", "/.cache/gridledger");
  return root + "/promtool/usr/bin/promtool";
}

// `promtool check metrics` on `exposition`: its output and exit status.
std::string PromtoolCheck(const std::string& dir, const std::string& exposition) {
  const std::string file = dir + "/exposition.txt";
  std::ofstream(file) << exposition;
  return testing::RunCommand(
      absl::StrCat(PromtoolPath(), " check metrics < ", file, " 2>&1; echo \"exit=$?\""));
}

// A log line as a JSON object; nullopt if it is not one.
std::optional<google::protobuf::Struct> JsonLine(const std::string& line) {
  google::protobuf::Struct object;
  if (line.empty() || line.front() != '{') return std::nullopt;
  if (!google::protobuf::util::JsonStringToMessage(line, &object).ok()) return std::nullopt;
  return object;
}

std::string Field(const google::protobuf::Struct& object, const std::string& key) {
  auto found = object.fields().find(key);
  if (found == object.fields().end()) return "";
  if (found->second.has_number_value()) {
    return absl::StrCat(static_cast<int64_t>(found->second.number_value()));
  }
  return found->second.string_value();
}

class MetricsE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Tokens for the demo's roles (in sn/xa) and an admin of sn: the tokens
  // file serve reads and the credentials file the demo reads.
  void WriteTokens() {
    std::ofstream tokens(dir_.path() + "/tokens");
    std::ofstream credentials(dir_.path() + "/credentials");
    for (const char* role : {"customer_service", "marketing_manager", "metering_technician",
                             "meter_reader", "bill_checker", "collector", "auditor"}) {
      auto issued = service::IssueToken(absl::StrCat("demo-", role), "sn/xa", role);
      ASSERT_TRUE(issued.ok());
      tokens << issued->line << "\n";
      credentials << role << " " << issued->token << "\n";
    }
    auto admin = service::IssueToken("demo-admin", "sn", "admin");
    ASSERT_TRUE(admin.ok());
    admin_token_ = admin->token;
    tokens << admin->line << "\n";
    credentials << "admin " << admin->token << "\n";
  }

  std::string StoreUri() {
    if (GetParam() == "embedded") return "embedded:" + dir_.path() + "/store";
    std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
    if (!bootstrap) return "";
    return absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", testing::UniqueTopicPrefix(),
                        "&partitions=2&timeout_ms=8000");
  }

  testing::TempDir dir_;
  std::string admin_token_;
};

TEST_P(MetricsE2eTest, ConfigFileMetricsJsonLogsAndHealthAfterTheDemo) {
  const std::string store = StoreUri();
  if (store.empty()) GTEST_SKIP() << "no Kafka broker configured (GL_TEST_KAFKA_BOOTSTRAP)";
  WriteTokens();
  // Everything from the file but the log format, which the command line
  // overrides (the file says text; the lines must come out JSON).
  const std::string config = dir_.path() + "/gridledger.toml";
  std::ofstream(config) << "# gridledger serve, as a ConfigMap would mount it\n"
                        << "store = \"" << store << "\"\n"
                        << "listen = \"127.0.0.1:0\"\n"
                        << "tokens = \"" << dir_.path() << "/tokens\"\n"
                        << "view_dir = \"" << dir_.path() << "/views\"\n"
                        << "metrics_listen = \"127.0.0.1:0\"\n"
                        << "health_listen = \"127.0.0.1:0\"\n"
                        << "access_log = true\n"
                        << "log_format = \"text\"\n";
  testing::ServeProcess serve(GL_GRIDLEDGER_PATH,
                              {"serve", "--config", config, "--log_format", "json"});
  const std::string start_line = serve.LineContaining("server.start");
  std::optional<google::protobuf::Struct> start = JsonLine(start_line);
  ASSERT_TRUE(start.has_value()) << start_line;
  const std::string address = absl::StrCat("127.0.0.1:", Field(*start, "port"));
  int metrics_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Field(*start, "metrics_port"), &metrics_port)) << start_line;
  ASSERT_GT(metrics_port, 0) << start_line;
  // The store's label: the URI without its options (TLS file paths, …).
  EXPECT_FALSE(Field(*start, "store").empty());
  EXPECT_THAT(store, ::testing::StartsWith(Field(*start, "store")));

  // The plaintext health port answers for the whole server.
  EXPECT_EQ(testing::HealthOf(absl::StrCat("127.0.0.1:", Field(*start, "health_port"))), "SERVING");

  const std::string before = HttpGet(metrics_port, "/metrics");
  ASSERT_THAT(before, HasSubstr("gridledger_build_info"));
  EXPECT_THAT(PromtoolCheck(dir_.path(), before), HasSubstr("exit=0"));

  const std::string demo = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " demo --target ", address, " --credentials ", dir_.path(),
                   "/credentials --accounts 20 --applications 5 --tickets 3 --threads 2 2>&1"));
  ASSERT_THAT(demo, HasSubstr(", 0 failed")) << demo;

  // A command refused for its input, with the caller's request id.
  auto marketing = v1::MarketingDepartment::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::RegisterOrgUnitRequest bad;
  bad.set_command_id("metrics-e2e-bad-unit");
  bad.set_org_unit("NOT A UNIT");
  bad.set_name("refused");
  v1::CommandReply reply;
  auto context = testing::CallAs(admin_token_);
  context->AddMetadata("x-request-id", "req-metrics-e2e-1");
  EXPECT_EQ(marketing->RegisterOrgUnit(context.get(), bad, &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // The counters moved, and the views caught up (lag 0 everywhere).
  std::string after;
  for (int attempt = 0; attempt < 60; ++attempt) {
    after = HttpGet(metrics_port, "/metrics");
    if (SumOf(after, "gridledger_view_lag_events").value_or(-1) == 0) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_THAT(PromtoolCheck(dir_.path(), after), HasSubstr("exit=0"));
  const double ok_before =
      SumOf(before, "gridledger_grpc_requests_total", "code=\"OK\"").value_or(0);
  const double ok_after = SumOf(after, "gridledger_grpc_requests_total", "code=\"OK\"").value_or(0);
  EXPECT_GE(ok_after - ok_before, 20) << "the demo's 20 accounts alone are more calls";
  EXPECT_EQ(SumOf(after, "gridledger_grpc_requests_total",
                  "method=\"/gridledger.v1.MarketingDepartment/RegisterOrgUnit\"")
                .has_value(),
            true);
  EXPECT_GE(SumOf(after, "gridledger_grpc_requests_total", "code=\"INVALID_ARGUMENT\"").value_or(0),
            1);
  EXPECT_GE(SumOf(after, "gridledger_grpc_request_duration_seconds_count").value_or(0), ok_after);
  const double appends = SumOf(after, "gridledger_append_duration_seconds_count").value_or(0);
  EXPECT_GE(appends, 20);
  EXPECT_GE(SumOf(after, "gridledger_group_commits_total").value_or(0), 1);
  EXPECT_GE(SumOf(after, "gridledger_group_commit_events_sum").value_or(0), appends);
  EXPECT_GE(SumOf(after, "gridledger_view_applied_events_total").value_or(0), appends);
  EXPECT_GT(SumOf(after, "gridledger_view_applied_offset").value_or(0), 0);
  EXPECT_EQ(SumOf(after, "gridledger_view_lag_events").value_or(-1), 0) << after;
  EXPECT_EQ(SumOf(after, "gridledger_view_failed").value_or(-1), 0);
  EXPECT_EQ(SumOf(after, "gridledger_store_writable").value_or(0), 1);
  EXPECT_GE(SumOf(after, "gridledger_subscribers").value_or(-1), 0);
  if (GetParam() == "kafka") {
    EXPECT_GE(
        SumOf(after, "gridledger_kafka_transaction_duration_seconds_count", "outcome=\"committed\"")
            .value_or(0),
        1)
        << after;
    EXPECT_EQ(SumOf(after, "gridledger_kafka_fences_total").value_or(-1), 0);
  } else {
    EXPECT_GT(SumOf(after, "gridledger_rocksdb_live_sst_bytes", "db=\"store\"").value_or(0) +
                  SumOf(after, "gridledger_rocksdb_memtable_bytes", "db=\"store\"").value_or(0),
              0)
        << after;
  }

  // Every metric the Grafana dashboard and the alert rules of k8s/ use is one
  // this binary exposes (after a demo); owned partitions exist only on a
  // cluster instance (--instance).
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(GL_SOURCE_DIR) + "/k8s/base/monitoring")) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    static const std::regex kMetric(R"(\b(gridledger_[a-z0-9_]+))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kMetric);
         it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (name == "gridledger_kafka_owned_partitions") continue;
      // A family whose samples have labels appears once one happened (no
      // append failed here): its TYPE line is there regardless.
      const std::string family = std::regex_replace(name, std::regex("_(bucket|sum|count)$"), "");
      EXPECT_THAT(after, HasSubstr("# TYPE " + family + " ")) << entry.path() << " uses " << name;
    }
  }

  // Every line the process wrote is a JSON object with its four keys; the
  // access log and the failed command carry the request id.
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
  std::map<std::string, int> events;
  bool access_logged = false;
  bool failure_logged = false;
  for (std::string line = serve.NextLine(); !line.empty(); line = serve.NextLine()) {
    std::optional<google::protobuf::Struct> object = JsonLine(line);
    ASSERT_TRUE(object.has_value()) << "not a JSON line: " << line;
    for (const char* key : {"ts", "level", "event", "msg"}) {
      EXPECT_FALSE(Field(*object, key).empty()) << key << " missing: " << line;
    }
    ++events[Field(*object, "event")];
    if (Field(*object, "request_id") != "req-metrics-e2e-1") continue;
    if (Field(*object, "event") == "rpc") {
      access_logged = true;
      EXPECT_EQ(Field(*object, "method"), "/gridledger.v1.MarketingDepartment/RegisterOrgUnit");
      EXPECT_EQ(Field(*object, "code"), "INVALID_ARGUMENT");
    }
    if (Field(*object, "event") == "command.failed") {
      failure_logged = true;
      EXPECT_EQ(Field(*object, "principal"), "demo-admin");
      EXPECT_EQ(Field(*object, "command_id"), "metrics-e2e-bad-unit");
      EXPECT_THAT(Field(*object, "reason"), HasSubstr("org_unit"));
    }
  }
  EXPECT_TRUE(access_logged);
  EXPECT_TRUE(failure_logged);
  EXPECT_GE(events["rpc"], 20);
  EXPECT_EQ(events["server.stop"], 1);
  EXPECT_EQ(events["server.stopped"], 1);
}

// `gridledger project` takes the same metrics flag: its views' positions
// and apply counts, from the log the demo wrote.
TEST_P(MetricsE2eTest, ProjectExposesItsViews) {
  const std::string store = StoreUri();
  if (store.empty()) GTEST_SKIP() << "no Kafka broker configured (GL_TEST_KAFKA_BOOTSTRAP)";
  WriteTokens();
  {
    testing::ServeProcess serve(
        GL_GRIDLEDGER_PATH,
        {"serve", "--clock_tick_s", "0", "--store", store, "--listen", "127.0.0.1:0", "--tokens",
         dir_.path() + "/tokens", "--view_dir", dir_.path() + "/views"});
    const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
    ASSERT_FALSE(address.empty());
    const std::string demo = testing::RunCommand(
        absl::StrCat(GL_GRIDLEDGER_PATH, " demo --target ", address, " --credentials ", dir_.path(),
                     "/credentials --accounts 10 --applications 2 --tickets 1 --threads 2 2>&1"));
    ASSERT_THAT(demo, HasSubstr(", 0 failed")) << demo;
    EXPECT_EQ(serve.Wait(SIGTERM), 0);
  }
  testing::ServeProcess project(
      GL_GRIDLEDGER_PATH,
      {"project", "--store", store, "--listen", "127.0.0.1:0", "--tokens", dir_.path() + "/tokens",
       "--view_dir", dir_.path() + "/project-views", "--metrics_listen", "127.0.0.1:0"});
  const std::string banner = project.LineContaining("projecting on");
  const size_t at = banner.find("metrics on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << banner;
  int metrics_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(banner.substr(at + 21, banner.find(' ', at + 21) - (at + 21)),
                               &metrics_port))
      << banner;
  std::string exposition;
  for (int attempt = 0; attempt < 60; ++attempt) {
    exposition = HttpGet(metrics_port, "/metrics");
    if (SumOf(exposition, "gridledger_view_applied_events_total").value_or(0) > 0 &&
        SumOf(exposition, "gridledger_view_lag_events").value_or(-1) == 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_THAT(PromtoolCheck(dir_.path(), exposition), HasSubstr("exit=0"));
  EXPECT_GT(SumOf(exposition, "gridledger_view_applied_events_total").value_or(0), 0) << exposition;
  EXPECT_EQ(SumOf(exposition, "gridledger_view_lag_events").value_or(-1), 0) << exposition;
  EXPECT_EQ(SumOf(exposition, "gridledger_view_failed").value_or(-1), 0);
  // project serves queries only: nothing was appended through it.
  EXPECT_EQ(SumOf(exposition, "gridledger_append_duration_seconds_count").value_or(0), 0);
  EXPECT_EQ(project.Wait(SIGTERM), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricsE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
