// Shared test code: event builders, temporary directories, status matchers,
// and access to the Kafka broker that ctest's fixture starts.
#ifndef GRIDLEDGER_TESTS_TESTING_TEST_UTIL_H_
#define GRIDLEDGER_TESTS_TESTING_TEST_UTIL_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "gmock/gmock.h"
#include "gridledger/v1/metering_service.pb.h"
#include "rocksdb/db.h"

namespace gridledger::testing {

// A realistic MeterReadRecorded event (a TOU three-phase meter's monthly read).
v1::EventEnvelope MeterReadEvent(const std::string& read_id, int64_t total_wh = 1234567890);

// An AppendRequest of `events` MeterReadEvents for `stream_id`.
eventstore::AppendRequest MeterReadAppend(const std::string& stream_id, int64_t expected_version,
                                          const std::string& command_id, int events = 1);

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The bootstrap address of the broker ctest started (the file named by
// $GRIDLEDGER_TEST_KAFKA_BOOTSTRAP_FILE); nullopt when that variable is unset.
// Fails the calling test if the variable is set but the file is unreadable.
// A ReceiveMeter command for a new single-phase class-2 meter into a store,
// with a fresh command id.
v1::ReceiveMeterRequest NewMeterRequest(const std::string& bar_code, v1::StoreTier tier,
                                        const std::string& store_id);

// Every key and value of a RocksDB (default column family), in key order.
std::map<std::string, std::string> DumpRocksDb(rocksdb::DB* db);

std::optional<std::string> TestKafkaBootstrap();

// A topic prefix no other test uses ("t<random hex>").
std::string UniqueTopicPrefix();

// Directory of the project's scripts/ ($GRIDLEDGER_SCRIPTS_DIR).
std::string ScriptsDir();

namespace internal_status {
inline const absl::Status& Get(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& Get(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace internal_status

// StatusIs(code) and StatusIs(code, "substring of the message"), for Status
// and StatusOr<T>.
MATCHER_P(StatusIs, code, "") {
  const absl::Status& status = ::gridledger::testing::internal_status::Get(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, substring, "") {
  const absl::Status& status = ::gridledger::testing::internal_status::Get(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         std::string(status.message()).find(substring) != std::string::npos;
}

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_TESTING_TEST_UTIL_H_
