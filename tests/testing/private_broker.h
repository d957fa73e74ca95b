// A Kafka broker of one test's own (scripts/kafka with its own directory), so
// the test can pause, kill and restart it without disturbing other tests.
// Restarts keep its ports and data. Stopped when destroyed.
#ifndef GRIDLEDGER_TESTS_TESTING_PRIVATE_BROKER_H_
#define GRIDLEDGER_TESTS_TESTING_PRIVATE_BROKER_H_

#include <string>

#include "tests/testing/test_util.h"

namespace gridledger::testing {

class PrivateBroker {
 public:
  // Starts it (scripts/kafka from $GRIDLEDGER_SCRIPTS_DIR); bootstrap() is
  // empty when it did not start.
  PrivateBroker();
  ~PrivateBroker();
  PrivateBroker(const PrivateBroker&) = delete;
  PrivateBroker& operator=(const PrivateBroker&) = delete;

  // "127.0.0.1:PORT".
  const std::string& bootstrap() const { return bootstrap_; }
  // Sends the broker process `signal` ("STOP", "CONT", "KILL"…).
  void Signal(const char* signal);
  // SIGKILL, and waits until the process is gone.
  void Kill();
  // Starts it again on its ports and data; false when it did not come up.
  bool Restart();

 private:
  std::string Env() const;
  std::string Start();

  TempDir dir_;
  std::string script_ = "scripts/kafka";
  std::string bootstrap_;
};

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_TESTING_PRIVATE_BROKER_H_
