// A child process for the crash test: appends to an embedded store as fast as
// it can and prints "acked <version>" after each acknowledged append, until it
// is killed.
//
//   eventstore_crash_writer STORE_URI STREAM_ID
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventstore/event_store_factory.h"
#include "tests/testing/test_util.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_URI STREAM_ID\n", argv[0]);
    return 2;
  }
  auto store = gridledger::eventstore::OpenEventStore(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const std::string stream = argv[2];
  std::printf("ready\n");
  std::fflush(stdout);
  for (int64_t version = 0;;) {
    const int events = 1 + static_cast<int>(version % 3);
    auto result = (*store)->Append(gridledger::testing::MeterReadAppend(
        stream, version, absl::StrCat("crash-", version), events));
    if (!result.ok()) {
      std::fprintf(stderr, "append: %s\n", result.status().ToString().c_str());
      return 1;
    }
    version = result->outcome.last_version();
    std::printf("acked %lld\n", static_cast<long long>(version));
    std::fflush(stdout);
  }
}
