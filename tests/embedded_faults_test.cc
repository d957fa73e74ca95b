// The embedded store on a disk that fails (tests/testing/fault_fs.h): a full
// disk, an I/O error, a failed sync, a torn write while four writers append.
// Each failure is an error to its caller with the right code; the store then
// stops writing (CheckWritable says why, so health turns NOT_SERVING) rather
// than write past a failure, stays so while the disk fails, and recovers by
// itself once it heals (health SERVING again, no restart); after that and
// after a restart every acknowledged append is in the log exactly once, the
// chains verify, and a retry of each failed append with its command id lands
// exactly once. A failed read is an error,
// never an empty or short answer.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using eventstore::AppendRequest;
using eventstore::EventStore;
using Fault = testing::FaultFs::Fault;

struct FaultCase {
  const char* name;
  Fault fault;
  absl::StatusCode code;  // what the append that meets it fails with
};

class EmbeddedFaultsTest : public ::testing::TestWithParam<FaultCase> {
 protected:
  absl::StatusOr<std::unique_ptr<EventStore>> Open(bool faulty) {
    eventstore::StoreOptions options;
    if (faulty) options.embedded_env = testing::NewFaultEnv(fs_);
    return eventstore::OpenEventStore("embedded:" + dir_.path() + "/store", options);
  }

  // How many events of each command the log holds, and whether its chains
  // verify.
  std::map<std::string, int> EventsPerCommand(EventStore& store) {
    eventstore::ChainWalker walker;
    EXPECT_TRUE(walker.Advance(store).ok());
    std::map<std::string, int> per_command;
    v1::Checkpoint from;
    while (true) {
      auto chunk = store.ReadAll(from, 1000);
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok() || chunk->events.empty()) break;
      for (const v1::EventEnvelope& event : chunk->events) ++per_command[event.command_id()];
      from = chunk->next;
    }
    return per_command;
  }

  testing::TempDir dir_;
  std::shared_ptr<testing::FaultFs> fs_ = std::make_shared<testing::FaultFs>();
};

TEST_P(EmbeddedFaultsTest, AFailedWriteIsAnErrorAndNothingAcknowledgedIsLost) {
  const FaultCase& c = GetParam();
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<AppendRequest> failed;
  std::vector<absl::Status> errors;
  {
    auto store = Open(/*faulty=*/true);
    ASSERT_TRUE(store.ok()) << store.status();
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    writers.reserve(4);
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int n = 0; !stop.load(); ++n) {
          AppendRequest request = testing::MeterReadAppend(absl::StrCat("meter-F", w, "-", n % 5),
                                                           eventstore::kAnyVersion, NewUuid());
          absl::StatusOr<eventstore::AppendResult> result = (*store)->Append(request);
          std::lock_guard<std::mutex> lock(mu);
          if (result.ok()) {
            acknowledged.push_back(request.command_id);
          } else {
            errors.push_back(result.status());
            failed.push_back(std::move(request));
            if (failed.size() >= 8) stop.store(true);
          }
        }
      });
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acknowledged.size() >= 100) break;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    fs_->Arm(c.fault);
    for (std::thread& writer : writers) writer.join();
    EXPECT_GT(fs_->failures(), 0);
    ASSERT_FALSE(errors.empty());
    // The append that met the fault says what happened; those after it say
    // the store stopped writing.
    EXPECT_EQ(errors.front().code(), c.code) << errors.front();
    for (const absl::Status& error : errors) {
      EXPECT_TRUE(error.code() == c.code || absl::IsUnavailable(error)) << error;
    }
    // While the disk still fails, recovery (tried by CheckWritable at most
    // once a second) fails too: the store stays unwritable and says why.
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::Status writable = (*store)->CheckWritable(absl::Seconds(1));
      EXPECT_EQ(writable.code(), c.code) << writable;
      EXPECT_THAT(writable.message(), ::testing::HasSubstr("stopped writing")) << writable;
      absl::SleepFor(absl::Milliseconds(1100));
    }
    EXPECT_FALSE((*store)->Append(testing::MeterReadAppend("meter-after", 0, NewUuid())).ok())
        << "a store that failed a write does not write past it";
    // Reads go on meanwhile, whatever recovery did to the database.
    absl::StatusOr<eventstore::ReadAllResult> read = (*store)->ReadAll({}, 50);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->events.size(), 50u);
    absl::StatusOr<std::vector<v1::EventEnvelope>> stream = (*store)->ReadStream("meter-F0-0");
    EXPECT_TRUE(stream.ok()) << stream.status();
    // Once the disk heals the same store recovers by itself: writable again
    // within seconds, reads still answer, and appends land.
    fs_->Clear();
    const absl::Time healed_by = absl::Now() + absl::Seconds(10);
    absl::Status writable = (*store)->CheckWritable(absl::Seconds(1));
    while (!writable.ok() && absl::Now() < healed_by) {
      absl::SleepFor(absl::Milliseconds(200));
      writable = (*store)->CheckWritable(absl::Seconds(1));
    }
    ASSERT_TRUE(writable.ok()) << writable;
    for (int n = 0; n < 20; ++n) {
      AppendRequest request = testing::MeterReadAppend(absl::StrCat("meter-healed-", n % 3),
                                                       eventstore::kAnyVersion, NewUuid());
      absl::StatusOr<eventstore::AppendResult> result = (*store)->Append(request);
      ASSERT_TRUE(result.ok()) << result.status();
      acknowledged.push_back(request.command_id);
    }
    // A failed append retried on the recovered store lands at most once
    // (it may have reached the disk before the failure was seen).
    absl::StatusOr<eventstore::AppendResult> retried = (*store)->Append(failed.front());
    ASSERT_TRUE(retried.ok()) << retried.status();
    std::map<std::string, int> live = EventsPerCommand(**store);
    EXPECT_EQ(live[failed.front().command_id], 1);
    for (const std::string& command_id : acknowledged) {
      EXPECT_EQ(live[command_id], 1) << "acknowledged " << command_id;
    }
  }

  // A restart on the healed disk: everything acknowledged is there, once.
  auto store = Open(/*faulty=*/false);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->CheckWritable(absl::Seconds(1)).ok());
  std::map<std::string, int> per_command = EventsPerCommand(**store);
  ASSERT_GE(acknowledged.size(), 100u);
  for (const std::string& command_id : acknowledged) {
    EXPECT_EQ(per_command[command_id], 1) << "acknowledged " << command_id;
  }
  // An append that failed may or may not have reached the disk; its retry
  // with the same command id lands exactly once either way.
  for (const AppendRequest& request : failed) {
    EXPECT_LE(per_command[request.command_id], 1) << request.command_id;
    absl::StatusOr<eventstore::AppendResult> retried = (*store)->Append(request);
    EXPECT_TRUE(retried.ok()) << retried.status();
  }
  per_command = EventsPerCommand(**store);
  for (const AppendRequest& request : failed) EXPECT_EQ(per_command[request.command_id], 1);
  for (const auto& [command_id, count] : per_command) EXPECT_EQ(count, 1) << command_id;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, EmbeddedFaultsTest,
    ::testing::Values(FaultCase{"DiskFull", Fault::kNoSpace, absl::StatusCode::kResourceExhausted},
                      FaultCase{"IoError", Fault::kIoError, absl::StatusCode::kUnavailable},
                      FaultCase{"SyncError", Fault::kSyncError, absl::StatusCode::kUnavailable},
                      FaultCase{"TornWrite", Fault::kTornWrite, absl::StatusCode::kUnavailable},
                      FaultCase{"WholeDiskFull", Fault::kDiskFull,
                                absl::StatusCode::kResourceExhausted}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

TEST(EmbeddedReadFaultsTest, AFailedReadIsAnErrorNeverAShortAnswer) {
  testing::TempDir dir;
  auto fs = std::make_shared<testing::FaultFs>();
  const std::string uri = "embedded:" + dir.path() + "/store";
  {
    auto store = eventstore::OpenEventStore(uri);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          (*store)
              ->Append(testing::MeterReadAppend("meter-R1", eventstore::kAnyVersion, NewUuid()))
              .ok());
    }
  }
  eventstore::StoreOptions options;
  options.embedded_env = testing::NewFaultEnv(fs);
  auto store = eventstore::OpenEventStore(uri, options);  // the log is in table files now
  ASSERT_TRUE(store.ok()) << store.status();
  fs->Arm(Fault::kReadError);
  EXPECT_FALSE((*store)->ReadAll({}, 1000).ok());
  EXPECT_FALSE((*store)->ReadStream("meter-R1").ok());
  EXPECT_GT(fs->failures(), 0);
  fs->Clear();
  auto all = (*store)->ReadAll({}, 1000);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->events.size(), 200u);
}

}  // namespace
}  // namespace gridledger
