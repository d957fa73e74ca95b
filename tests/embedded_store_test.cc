// What only the embedded backend promises: an acknowledged append survives
// kill -9 of the process; the directory is locked against a second process;
// removed or reordered records are reported.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/big_endian.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using eventstore::EventStore;
using eventstore::kAnyVersion;
using eventstore::OpenEventStore;
using testing::MeterReadAppend;
using testing::StatusIs;

// A running eventstore_crash_writer with a pipe from its stdout.
class CrashWriter {
 public:
  CrashWriter(const std::string& uri, const std::string& stream) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(GL_CRASH_WRITER_PATH, GL_CRASH_WRITER_PATH, uri.c_str(), stream.c_str(), nullptr);
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~CrashWriter() {
    KillNine();
    if (out_ != nullptr) fclose(out_);
  }
  // The next line the child printed, without its newline; empty at EOF.
  std::string NextLine() {
    char buffer[256];
    if (fgets(buffer, sizeof buffer, out_) == nullptr) return "";
    return std::string(absl::StripSuffix(buffer, "\n"));
  }
  void KillNine() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

TEST(EmbeddedStoreTest, AcknowledgedAppendsSurviveKillNine) {
  testing::TempDir dir;
  const std::string uri = "embedded:" + dir.path() + "/store";
  int64_t last_acked = 0;
  {
    CrashWriter writer(uri, "account-crash");
    ASSERT_EQ(writer.NextLine(), "ready");
    // While the child holds the store, this process cannot open it.
    EXPECT_THAT(OpenEventStore(uri),
                StatusIs(absl::StatusCode::kFailedPrecondition, "is locked by another process"));
    while (last_acked < 500) {
      const std::string text = writer.NextLine();
      absl::string_view line = text;
      ASSERT_TRUE(absl::ConsumePrefix(&line, "acked ")) << "child said: " << text;
      ASSERT_TRUE(absl::SimpleAtoi(line, &last_acked));
    }
    writer.KillNine();  // right after an acknowledgement, mid-stream
  }
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenEventStore(uri);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<int64_t> version = (*store)->StreamVersion("account-crash");
  ASSERT_TRUE(version.ok());
  EXPECT_GE(*version, last_acked) << "an acknowledged event was lost";
  absl::StatusOr<std::vector<v1::EventEnvelope>> events = (*store)->ReadStream("account-crash");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(static_cast<int64_t>(events->size()), *version);
  // And the store goes on from there.
  EXPECT_TRUE((*store)->Append(MeterReadAppend("account-crash", *version, NewUuid())).ok());
}

TEST(EmbeddedStoreTest, SecondOpenInTheSameProcessIsRefused) {
  testing::TempDir dir;
  const std::string uri = "embedded:" + dir.path();
  absl::StatusOr<std::unique_ptr<EventStore>> first = OpenEventStore(uri);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(OpenEventStore(uri), StatusIs(absl::StatusCode::kFailedPrecondition, "locked"));
}

TEST(EmbeddedStoreTest, AReadOnlyOpenFollowsTheWriterBesideIt) {
  testing::TempDir dir;
  const std::string uri = "embedded:" + dir.path() + "/store";
  EXPECT_THAT(OpenEventStore(uri, eventstore::ReadOnlyStoreOptions()),
              StatusIs(absl::StatusCode::kNotFound, "no embedded store"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/store"))
      << "a read-only open creates nothing";

  absl::StatusOr<std::unique_ptr<EventStore>> writer = OpenEventStore(uri);
  ASSERT_TRUE(writer.ok()) << writer.status();
  const std::string first_command = NewUuid();
  ASSERT_TRUE((*writer)
                  ->Append(MeterReadAppend("account-ro", eventstore::kNoStream, first_command, 2))
                  .ok());
  absl::StatusOr<std::unique_ptr<EventStore>> reader =
      OpenEventStore(uri, eventstore::ReadOnlyStoreOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader)->StreamVersion("account-ro"), 2);
  EXPECT_THAT((*reader)->Append(MeterReadAppend("account-ro", 2, NewUuid())),
              StatusIs(absl::StatusCode::kFailedPrecondition, "read-only"));
  EXPECT_THAT((*reader)->CheckWritable(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "read-only"));

  // What the writer appends next reaches the reader: the stream, the whole
  // log, the command index and a live subscription.
  std::atomic<int> delivered{0};
  auto subscription = (*reader)->Subscribe({}, {}, [&](const v1::EventEnvelope&) {
    delivered.fetch_add(1);
    return absl::OkStatus();
  });
  ASSERT_TRUE(subscription.ok());
  const std::string second_command = NewUuid();
  ASSERT_TRUE((*writer)->Append(MeterReadAppend("account-ro", 2, second_command)).ok());
  absl::SleepFor(absl::Milliseconds(100));  // past the reader's catch-up interval
  auto events = (*reader)->ReadStream("account-ro");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 3u);
  auto all = (*reader)->ReadAll({}, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), 3u);
  auto looked_up = (*reader)->LookupCommand(second_command);
  ASSERT_TRUE(looked_up.ok() && looked_up->has_value());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (delivered.load() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(delivered.load(), 3);
  (*subscription)->Stop();
  EXPECT_TRUE((*subscription)->Wait().ok());
  EXPECT_TRUE((*writer)->CheckWritable(absl::Seconds(1)).ok());
}

TEST(EmbeddedStoreTest, UrisAreCheckedWithClearErrors) {
  EXPECT_THAT(OpenEventStore("postgres://db/gl"),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown URI \"postgres://db/gl\""));
  EXPECT_THAT(OpenEventStore("embedded:"),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a directory"));
  EXPECT_THAT(OpenEventStore("kafka://nohost"),
              StatusIs(absl::StatusCode::kInvalidArgument, "must be HOST:PORT"));
  testing::TempDir dir;
  EXPECT_TRUE(OpenEventStore("embedded://" + dir.path()).ok());
}

TEST(EmbeddedStoreTest, PayloadOverTheConfiguredSizeIsRefused) {
  testing::TempDir dir;
  eventstore::StoreOptions options;
  options.max_event_bytes = 1024;
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      OpenEventStore("embedded:" + dir.path(), options);
  ASSERT_TRUE(store.ok());
  auto request = MeterReadAppend("account-big", kAnyVersion, NewUuid());
  request.events[0].mutable_payload()->mutable_meter_read_recorded()->set_reader(
      std::string(800, 'x'));
  EXPECT_THAT((*store)->Append(request),
              StatusIs(absl::StatusCode::kInvalidArgument, "exceeds max_event_bytes 1024"));
  EXPECT_EQ(*(*store)->StreamVersion("account-big"), 0);
}

// Rewrites the raw log with RocksDB itself, as a tamperer with disk access would.
void EditLog(const std::string& path,
             const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& edit) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {"default", "log", "streams", "commands", "heads"}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open({}, path, families, &handles, &db).ok());
  edit(db, handles[1]);
  for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  delete db;
}

TEST(EmbeddedStoreTest, RemovedOrReorderedEventsAreReported) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/store";
  {
    auto store = OpenEventStore("embedded:" + path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(MeterReadAppend("account-a", 0, NewUuid(), 3)).ok());
    ASSERT_TRUE((*store)->Append(MeterReadAppend("account-b", 0, NewUuid(), 3)).ok());
  }
  // Swap offsets 1 and 2 (both account-a).
  EditLog(path, [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    std::string one, two;
    ASSERT_TRUE(db->Get({}, log, BigEndian64(1), &one).ok());
    ASSERT_TRUE(db->Get({}, log, BigEndian64(2), &two).ok());
    ASSERT_TRUE(db->Put({}, log, BigEndian64(1), two).ok());
    ASSERT_TRUE(db->Put({}, log, BigEndian64(2), one).ok());
  });
  {
    auto store = OpenEventStore("embedded:" + path);
    ASSERT_TRUE(store.ok());
    EXPECT_THAT((*store)->ReadStream("account-a"), StatusIs(absl::StatusCode::kDataLoss, "log@1"));
    EXPECT_THAT((*store)->ReadAll({}, 100), StatusIs(absl::StatusCode::kDataLoss, "log@1"));
  }
  // Remove offset 4 (account-b version 2).
  EditLog(path, [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db->Delete({}, log, BigEndian64(4)).ok());
  });
  auto store = OpenEventStore("embedded:" + path);
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->ReadStream("account-b"),
              StatusIs(absl::StatusCode::kDataLoss, "log@4 is missing"));
  v1::Checkpoint from;
  from.add_next()->set_partition("log");
  from.mutable_next(0)->set_offset(4);
  EXPECT_THAT((*store)->ReadAll(from, 100),
              StatusIs(absl::StatusCode::kDataLoss, "log@4 is missing"));
}

}  // namespace
}  // namespace gridledger
