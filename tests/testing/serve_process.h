// A real `gridledger serve` (or any) child process for end-to-end tests, and
// helpers around it.
#ifndef GRIDLEDGER_TESTS_TESTING_SERVE_PROCESS_H_
#define GRIDLEDGER_TESTS_TESTING_SERVE_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace gridledger::testing {

// Runs `binary args…` with stdout and stderr into one pipe, which a thread
// drains all the time (a child whose pipe filled while the test was not
// reading would block in its next write to stderr — librdkafka logs from its
// own threads — and wedge). Destroying it kills the process (SIGKILL) if
// still running.
class ServeProcess {
 public:
  ServeProcess(const std::string& binary, std::vector<std::string> args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // The next line of output without its newline; empty at end of output.
  std::string NextLine();
  // Reads lines until one contains `text` and returns it; at end of output
  // returns every line read, joined by " | ", so a failure shows them.
  std::string LineContaining(const std::string& text);
  // Sends `signal_number` (if not 0), waits, returns the exit status
  // (128 + signal when killed).
  int Wait(int signal_number = 0);
  // Sends a signal and leaves the process running.
  void Signal(int signal_number);

 private:
  void Drain();

  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::thread drainer_;
  absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);  // read, not yet taken
  bool ended_ ABSL_GUARDED_BY(mu_) = false;             // the pipe reached its end
};

// A `gridledger serve` started for a test on a fresh store of one backend
// ("embedded": RocksDB in `dir`; "kafka": new topics on the ctest broker),
// with a tokens file for `principals` (name → comma-separated roles).
struct ServedGridLedger {
  std::string store_uri;
  std::string address;                        // empty if it did not start
  std::map<std::string, std::string> tokens;  // principal name → bearer token
  std::unique_ptr<ServeProcess> process;
};

// A principal of a test: comma-separated roles, in an org unit.
struct TestPrincipal {
  std::string name;
  std::string roles;
  std::string org_unit = "sn/xa/huyi";
};

// The org units every test server has registered (as the registrar
// "test-registrar", an admin of "sn"): the province sn, its cities sn/xa and
// sn/bj, the counties sn/xa/huyi, sn/xa/lintong and sn/bj/chencang.
inline const std::vector<std::string>& TestOrgUnits() {
  static const std::vector<std::string> kUnits = {"sn",         "sn/xa",         "sn/bj",
                                                  "sn/xa/huyi", "sn/xa/lintong", "sn/bj/chencang"};
  return kUnits;
}

// Skips nothing itself: returns store_uri empty for "kafka" when no broker is
// configured (the caller decides to skip). Principals given as (name, roles)
// are of sn/xa/huyi. Once it serves, TestOrgUnits() are registered; address
// is empty if that fails.
ServedGridLedger StartGridLedgerAs(const std::string& binary, const std::string& backend,
                                   const std::string& dir,
                                   const std::vector<TestPrincipal>& principals);
ServedGridLedger StartGridLedger(
    const std::string& binary, const std::string& backend, const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& principals);

// Registers `units` (parents first) through MarketingDepartment.RegisterOrgUnit
// with `admin_token`; false (and a test failure) if one is refused for any
// reason but that it is registered already.
bool RegisterOrgUnits(const std::string& address, const std::string& admin_token,
                      const std::vector<std::string>& units);

// "gridledger: serving on 127.0.0.1:PORT store …" (or "projecting on") →
// "127.0.0.1:PORT"; empty if
// the line is not that.
std::string AddressFrom(const std::string& line);

// "embedded" → "Embedded", "kafka" → "Kafka": the names of the instances of
// a suite parameterised by backend.
std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info);

// A call context carrying `token` as "authorization: Bearer …" (none when
// empty), with a deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> CallAs(const std::string& token, int seconds = 30);

// grpc.health.v1.Health/Check of the server as a whole at `address`, waiting
// at most `seconds`: "SERVING", "NOT_SERVING", or "no answer: CODE message".
std::string HealthOf(const std::string& address, double seconds = 5);

// Runs a shell command and returns its stdout.
std::string RunCommand(const std::string& command);

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_TESTING_SERVE_PROCESS_H_
