#include "projections/runtime/projection.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_util.h"

namespace gridledger::projections {
namespace {

using testing::MeterReadAppend;

// Counts the events of each stream; fails on purpose at a chosen event.
class CountingView : public View {
 public:
  explicit CountingView(std::string prefix = "", int64_t fail_at_version = -1)
      : prefix_(std::move(prefix)), fail_at_version_(fail_at_version) {}
  std::string name() const override { return "counting"; }
  eventstore::SubscriptionFilter filter() const override {
    eventstore::SubscriptionFilter filter;
    if (!prefix_.empty()) filter.stream_prefixes = {prefix_};
    return filter;
  }
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override {
    if (event.stream_version() == fail_at_version_) {
      return absl::InternalError("the view failed on purpose");
    }
    int64_t count = 0;
    absl::StatusOr<std::string> stored = txn.Get(event.stream_id());
    if (stored.ok() && !absl::SimpleAtoi(*stored, &count)) {
      return absl::DataLossError("bad count");
    }
    txn.Put(event.stream_id(), absl::StrCat(count + 1));
    return absl::OkStatus();
  }

 private:
  std::string prefix_;
  int64_t fail_at_version_;
};

int64_t CountOf(ProjectionRunner& runner, const std::string& stream) {
  std::string value;
  if (!runner.db()->Get({}, stream, &value).ok()) return 0;
  int64_t count = 0;
  EXPECT_TRUE(absl::SimpleAtoi(value, &count));
  return count;
}

class ProjectionRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + dir_.path() + "/store");
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
  }
  void Append(const std::string& stream, int events) {
    ASSERT_TRUE(
        store_->Append(MeterReadAppend(stream, eventstore::kAnyVersion, NewUuid(), events)).ok());
  }
  std::unique_ptr<ProjectionRunner> OpenRunner(std::unique_ptr<View> view) {
    auto runner = ProjectionRunner::Open(store_.get(), std::move(view), dir_.path() + "/view");
    EXPECT_TRUE(runner.ok()) << runner.status();
    return runner.ok() ? *std::move(runner) : nullptr;
  }
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
};

TEST_F(ProjectionRuntimeTest, EachEventOnceAcrossRestarts) {
  for (int i = 0; i < 50; ++i) Append(absl::StrCat("account-", i % 7), 3);
  {
    auto runner = OpenRunner(std::make_unique<CountingView>());
    ASSERT_TRUE(runner);
    absl::StatusOr<int64_t> applied = runner->CatchUp();
    ASSERT_TRUE(applied.ok()) << applied.status();
    EXPECT_EQ(*applied, 150);
    EXPECT_EQ(*runner->Lag(), 0);
  }
  for (int i = 0; i < 20; ++i) Append(absl::StrCat("account-", i % 7), 2);
  auto runner = OpenRunner(std::make_unique<CountingView>());
  ASSERT_TRUE(runner);
  EXPECT_EQ(*runner->Lag(), 40);
  absl::StatusOr<int64_t> applied = runner->CatchUp();
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 40) << "only what came after the stored position";
  for (int s = 0; s < 7; ++s) {
    const std::string stream = absl::StrCat("account-", s);
    EXPECT_EQ(CountOf(*runner, stream), *store_->StreamVersion(stream)) << stream;
  }
}

TEST_F(ProjectionRuntimeTest, AViewDirectoryOfAnotherStoreIsRefused) {
  Append("account-1", 30);
  {
    auto runner = OpenRunner(std::make_unique<CountingView>());
    ASSERT_TRUE(runner && runner->CatchUp().ok());
  }
  // A smaller store cannot have produced this view.
  testing::TempDir other_dir;
  auto other = eventstore::OpenEventStore("embedded:" + other_dir.path() + "/store");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Append(MeterReadAppend("account-1", eventstore::kAnyVersion, "c", 3)).ok());
  auto refused =
      ProjectionRunner::Open(other->get(), std::make_unique<CountingView>(), dir_.path() + "/view");
  EXPECT_THAT(refused.status(),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, "another store"));
}

TEST_F(ProjectionRuntimeTest, AFailedChunkWritesNothingAndIsRedone) {
  Append("account-a", 5);
  Append("account-b", 5);
  {
    auto runner = OpenRunner(std::make_unique<CountingView>("", /*fail_at_version=*/4));
    ASSERT_TRUE(runner);
    EXPECT_EQ(runner->CatchUp().status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(CountOf(*runner, "account-a"), 0) << "nothing of the failed chunk is written";
  }
  auto runner = OpenRunner(std::make_unique<CountingView>());
  ASSERT_TRUE(runner);
  ASSERT_TRUE(runner->CatchUp().ok());
  EXPECT_EQ(CountOf(*runner, "account-a"), 5);
  EXPECT_EQ(CountOf(*runner, "account-b"), 5);
}

TEST_F(ProjectionRuntimeTest, TheFilterSkipsEventsButThePositionAdvances) {
  Append("meter-1", 4);
  Append("account-1", 2);
  Append("meter-2", 4);
  auto runner = OpenRunner(std::make_unique<CountingView>("account-"));
  ASSERT_TRUE(runner);
  absl::StatusOr<int64_t> applied = runner->CatchUp();
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 2);
  EXPECT_EQ(CountOf(*runner, "meter-1"), 0);
  EXPECT_EQ(*runner->Lag(), 0);
}

TEST_F(ProjectionRuntimeTest, FollowsLiveAndAnswersReadYourWrites) {
  auto runner = OpenRunner(std::make_unique<CountingView>());
  ASSERT_TRUE(runner);
  runner->Start();
  absl::StatusOr<eventstore::AppendResult> appended =
      store_->Append(MeterReadAppend("account-live", 0, NewUuid(), 3));
  ASSERT_TRUE(appended.ok());
  const v1::Position last = appended->outcome.positions(2);
  ASSERT_TRUE(runner->WaitFor(last, absl::Seconds(10)).ok());
  EXPECT_EQ(CountOf(*runner, "account-live"), 3);
  v1::Position future = last;
  future.set_offset(last.offset() + 1000);
  EXPECT_EQ(runner->WaitFor(future, absl::Milliseconds(100)).code(),
            absl::StatusCode::kDeadlineExceeded);
  runner->Stop();
  EXPECT_TRUE(runner->status().ok());
}

}  // namespace
}  // namespace gridledger::projections
