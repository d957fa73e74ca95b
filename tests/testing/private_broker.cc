#include "tests/testing/private_broker.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/testing/serve_process.h"

namespace gridledger::testing {

PrivateBroker::PrivateBroker() {
  const char* scripts = std::getenv("GRIDLEDGER_SCRIPTS_DIR");
  if (scripts != nullptr) script_ = absl::StrCat(scripts, "/kafka");
  bootstrap_ = Start();
}

PrivateBroker::~PrivateBroker() { RunCommand(Env() + script_ + " stop >/dev/null 2>&1"); }

void PrivateBroker::Signal(const char* signal) {
  RunCommand(absl::StrCat("kill -", signal, " $(cat ", dir_.path(), "/pid)"));
}

void PrivateBroker::Kill() {
  RunCommand(absl::StrCat("pid=$(cat ", dir_.path(), "/pid); kill -KILL $pid; ",
                          "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"));
}

bool PrivateBroker::Restart() { return Start() == bootstrap_ && !bootstrap_.empty(); }

std::string PrivateBroker::Env() const {
  return absl::StrCat("KAFKA_DIR=", dir_.path(), " KAFKA_PORT=0 ");
}

std::string PrivateBroker::Start() {
  std::string bootstrap = RunCommand(Env() + script_ + " start 2>/dev/null");
  while (!bootstrap.empty() && std::isspace(static_cast<unsigned char>(bootstrap.back()))) {
    bootstrap.pop_back();
  }
  return bootstrap;
}

}  // namespace gridledger::testing
