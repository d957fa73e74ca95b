// The projections end to end, on each backend, with real processes:
//  - `gridledger project` killed with SIGKILL in the middle of a stream and
//    restarted ends with views byte-equal to those of an uninterrupted run;
//  - `gridledger serve` answers queries with read-your-writes (min_position),
//    says which position each answer reflects, refuses bad queries with the
//    field and the rule, and rebuilds a view live (`gridledger rebuild`)
//    while queries keep being answered.
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<grpc::ClientContext> As(const std::string& token, int seconds = 30) {
  return testing::CallAs(token, seconds);
}

int64_t Sum(const v1::Checkpoint& checkpoint) {
  int64_t sum = 0;
  for (const auto& p : checkpoint.next()) sum += p.offset();
  return sum;
}

class ProjectionProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "embedded") {
      store_uri_ = "embedded:" + dir_.path() + "/store";
    } else {
      std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
      if (!bootstrap) GTEST_SKIP() << "run through ctest: it starts the broker";
      store_uri_ =
          absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", testing::UniqueTopicPrefix(),
                       "&partitions=2&timeout_ms=8000");
    }
    absl::StatusOr<service::IssuedToken> admin = service::IssueToken("root", "sn", "admin");
    ASSERT_TRUE(admin.ok());
    admin_token_ = admin->token;
    std::ofstream(dir_.path() + "/tokens") << admin->line << "\n";
  }

  // Appends `per_writer` generated events from each of `writers` threads.
  void Prefill(int writers, int per_writer) {
    auto store = eventstore::OpenEventStore(store_uri_);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<std::thread> threads;
    threads.reserve(writers);
    std::atomic<int> failures{0};
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        testing::BusinessGenerator generator(1000 + w, 200, 200, absl::StrCat("w", w, "-"));
        for (int i = 0; i < per_writer; ++i) {
          if (!(*store)->Append(generator.Next()).ok()) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
  }

  std::unique_ptr<testing::ServeProcess> Project(const std::string& view_dir,
                                                 const std::string& max_rate,
                                                 std::string* address) {
    auto process = std::make_unique<testing::ServeProcess>(
        GL_GRIDLEDGER_PATH,
        std::vector<std::string>{"project", "--store", store_uri_, "--view_dir", view_dir,
                                 "--listen", "127.0.0.1:0", "--tokens", dir_.path() + "/tokens",
                                 "--max_apply_rate", max_rate, "--views", "ledger,assets,kpi"});
    *address = testing::AddressFrom(process->LineContaining("projecting on"));
    return process;
  }

  v1::ListViewsReply Views(const std::string& address) {
    auto stub =
        v1::ViewAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    v1::ListViewsReply reply;
    grpc::Status status = stub->ListViews(As(admin_token_).get(), {}, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  // Polls until every view has nothing left to apply.
  void WaitCaughtUp(const std::string& address) {
    for (int i = 0; i < 3000; ++i) {
      v1::ListViewsReply views = Views(address);
      bool done = views.views_size() == 3;
      for (const auto& v : views.views()) done = done && v.lag() == 0 && v.error().empty();
      if (done) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "views did not catch up";
  }

  // On Kafka each view's position is also the committed offsets of consumer
  // group "<topic_prefix>.view.<view>", for Kafka's own lag tools.
  void ExpectConsumerGroupsMirrorViews(const v1::ListViewsReply& views) {
    const size_t prefix_at = store_uri_.find("topic_prefix=") + 13;
    const std::string prefix =
        store_uri_.substr(prefix_at, store_uri_.find('&', prefix_at) - prefix_at);
    for (const v1::ViewStatus& view : views.views()) {
      char error[256];
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      const std::string group = absl::StrCat(prefix, ".view.", view.name());
      const std::string bootstrap = *testing::TestKafkaBootstrap();
      rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
      rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof error);
      rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
      ASSERT_NE(consumer, nullptr) << error;
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
      for (const v1::Position& p : view.applied().next()) {
        const size_t slash = p.partition().rfind('/');
        rd_kafka_topic_partition_list_add(list, p.partition().substr(0, slash).c_str(),
                                          std::stoi(p.partition().substr(slash + 1)));
      }
      ASSERT_EQ(rd_kafka_committed(consumer, list, 10000), RD_KAFKA_RESP_ERR_NO_ERROR) << group;
      int compared = 0;
      for (const v1::Position& p : view.applied().next()) {
        for (int i = 0; i < list->cnt; ++i) {
          const auto& tp = list->elems[i];
          if (absl::StrCat(tp.topic, "/", tp.partition) != p.partition()) continue;
          EXPECT_EQ(tp.offset, p.offset()) << group << " " << p.partition();
          ++compared;
        }
      }
      EXPECT_GT(compared, 0) << group;
      rd_kafka_topic_partition_list_destroy(list);
      rd_kafka_destroy(consumer);
    }
  }

  testing::TempDir dir_;
  std::string store_uri_, admin_token_;
};

TEST_P(ProjectionProcessTest, KilledMidStreamThenRestartedEqualsAnUninterruptedRun) {
  Prefill(4, GetParam() == "embedded" ? 8000 : 4000);
  const std::string interrupted = dir_.path() + "/views-interrupted";
  const std::string uninterrupted = dir_.path() + "/views-uninterrupted";
  {
    // Throttled so the kill lands mid-stream.
    std::string address;
    auto process = Project(interrupted, "20000", &address);
    ASSERT_FALSE(address.empty());
    bool mid_stream = false;
    for (int i = 0; i < 500 && !mid_stream; ++i) {
      v1::ListViewsReply views = Views(address);
      for (const auto& v : views.views()) {
        mid_stream = mid_stream || (Sum(v.applied()) > 0 && v.lag() > 0);
      }
      if (!mid_stream) absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(mid_stream) << "no view was caught mid-stream";
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_EQ(process->Wait(SIGKILL), 128 + SIGKILL);
  }
  {
    std::string address;
    auto process = Project(interrupted, "0", &address);
    ASSERT_FALSE(address.empty());
    WaitCaughtUp(address);
    EXPECT_EQ(process->Wait(SIGTERM), 0);
  }
  {
    std::string address;
    auto process = Project(uninterrupted, "0", &address);
    ASSERT_FALSE(address.empty());
    WaitCaughtUp(address);
    if (GetParam() == "kafka") ExpectConsumerGroupsMirrorViews(Views(address));
    EXPECT_EQ(process->Wait(SIGTERM), 0);
  }
  for (const std::string view : {"ledger", "assets", "kpi"}) {
    auto open = [&](const std::string& root) {
      rocksdb::DB* db = nullptr;
      rocksdb::Status s = rocksdb::DB::OpenForReadOnly(
          rocksdb::Options(), absl::StrCat(root, "/", view, "/gen-1"), &db);
      EXPECT_TRUE(s.ok()) << s.ToString();
      return std::unique_ptr<rocksdb::DB>(db);
    };
    auto a = open(interrupted);
    auto b = open(uninterrupted);
    ASSERT_TRUE(a && b);
    const auto dump = testing::DumpRocksDb(b.get());
    EXPECT_GT(dump.size(), 100u) << view;
    EXPECT_TRUE(testing::DumpRocksDb(a.get()) == dump) << "view " << view << " differs";
  }
}

class ServeQueryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedger(
        GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
        {{"tech", "metering_technician"}, {"root", "admin"}, {"analyst", "analyst"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty()) << "gridledger serve did not start";
    auto channel = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
    metering_ = v1::MeteringCenter::NewStub(channel);
    assets_ = v1::AssetQuery::NewStub(channel);
    kpis_ = v1::KpiQuery::NewStub(channel);
    admin_ = v1::ViewAdmin::NewStub(channel);
  }

  void TearDown() override {
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  v1::CommandReply Receive(const std::string& bar_code) {
    v1::ReceiveMeterRequest request =
        testing::NewMeterRequest(bar_code, v1::STORE_TIER_CITY, "xa-city");
    v1::CommandReply reply;
    grpc::Status status =
        metering_->ReceiveMeter(As(served_.tokens["tech"]).get(), request, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::MeteringCenter::Stub> metering_;
  std::unique_ptr<v1::AssetQuery::Stub> assets_;
  std::unique_ptr<v1::KpiQuery::Stub> kpis_;
  std::unique_ptr<v1::ViewAdmin::Stub> admin_;
};

TEST_P(ServeQueryTest, ReadYourWritesRefusalsAndALiveRebuild) {
  const std::string& analyst = served_.tokens["analyst"];
  // Each command's position, then a query that waits for it: always found.
  for (int i = 0; i < 20; ++i) {
    const std::string bar_code = absl::StrCat("RYW-", i);
    v1::CommandReply written = Receive(bar_code);
    ASSERT_EQ(written.positions_size(), 1);
    v1::GetAssetRequest request;
    request.set_bar_code(bar_code);
    *request.mutable_min_position() = written.positions(0);
    request.set_with_history(true);
    v1::AssetReply reply;
    grpc::Status status = assets_->GetAsset(As(analyst).get(), request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.meter().state(), v1::METER_LIFECYCLE_STATE_RECEIVED);
    EXPECT_EQ(reply.history_size(), 1);
    EXPECT_EQ(reply.calibration_status(), "unverified");
    bool reflected = false;
    for (const auto& p : reply.reflects().next()) {
      reflected = reflected || (p.partition() == written.positions(0).partition() &&
                                p.offset() > written.positions(0).offset());
    }
    EXPECT_TRUE(reflected) << reply.reflects().ShortDebugString();
  }
  // The inventory, two a page.
  int listed = 0;
  std::string token;
  do {
    v1::ListInventoryRequest request;
    request.set_tier(v1::STORE_TIER_CITY);
    request.set_state(v1::METER_LIFECYCLE_STATE_RECEIVED);
    request.set_page_size(3);
    request.set_page_token(token);
    v1::BarCodePage page;
    ASSERT_TRUE(assets_->ListInventory(As(analyst).get(), request, &page).ok());
    EXPECT_LE(page.bar_codes_size(), 3);
    listed += page.bar_codes_size();
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(listed, 20);

  // Refusals: who, which field, which rule.
  v1::GetAssetRequest anonymous;
  anonymous.set_bar_code("RYW-1");
  v1::AssetReply ignored;
  EXPECT_EQ(assets_->GetAsset(As("").get(), anonymous, &ignored).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::GetAssetRequest unknown;
  unknown.set_bar_code("NOPE");
  grpc::Status status = assets_->GetAsset(As(analyst).get(), unknown, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("bar_code"));
  v1::GetAssetRequest future = anonymous;
  future.mutable_min_position()->set_partition(Receive("RYW-X").positions(0).partition());
  future.mutable_min_position()->set_offset(1'000'000'000);
  status = assets_->GetAsset(As(analyst, 1).get(), future, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  v1::GetKpisRequest bad_period;
  bad_period.set_org_unit("sn");
  bad_period.mutable_period()->set_year(2026);
  bad_period.mutable_period()->set_month(13);
  v1::KpiReport report;
  status = kpis_->GetKpis(As(analyst).get(), bad_period, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("period"));
  v1::RebuildViewRequest rebuild;
  rebuild.set_view("assets");
  rebuild.set_wait(true);
  v1::RebuildViewReply rebuilt;
  EXPECT_EQ(admin_->RebuildView(As(analyst).get(), rebuild, &rebuilt).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RebuildViewRequest no_such = rebuild;
  no_such.set_view("nope");
  EXPECT_EQ(admin_->RebuildView(As(served_.tokens["root"]).get(), no_such, &rebuilt).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A live rebuild through the CLI while a reader keeps querying.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread reader([&] {
    while (!stop.load()) {
      v1::GetAssetRequest request;
      request.set_bar_code("RYW-7");
      v1::AssetReply reply;
      grpc::Status s = assets_->GetAsset(As(analyst).get(), request, &reply);
      (s.ok() && reply.meter().bar_code() == "RYW-7" ? answered : failed)++;
    }
  });
  const std::string token_file = dir_.path() + "/root.token";
  std::ofstream(token_file) << served_.tokens["root"] << "\n";
  const std::string output =
      testing::RunCommand(absl::StrCat(GL_GRIDLEDGER_PATH, " rebuild --view assets --target ",
                                       served_.address, " --token_file ", token_file, " 2>&1"));
  absl::SleepFor(absl::Milliseconds(200));
  stop.store(true);
  reader.join();
  EXPECT_THAT(output, HasSubstr("\"generation\":\"2\"")) << output;
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  v1::GetAssetRequest after;
  after.set_bar_code("RYW-19");
  after.set_with_history(true);
  v1::AssetReply reply;
  ASSERT_TRUE(assets_->GetAsset(As(analyst).get(), after, &reply).ok());
  EXPECT_EQ(reply.history_size(), 1);

  // KPIs of the unit: the twenty meters received are not yet verified.
  v1::GetKpisRequest kpi_request;
  kpi_request.set_org_unit("sn/xa/huyi");
  kpi_request.mutable_period()->set_year(2026);
  kpi_request.mutable_period()->set_month(11);
  ASSERT_TRUE(kpis_->GetKpis(As(analyst).get(), kpi_request, &report).ok());
  EXPECT_GT(report.values_size(), 10);
  EXPECT_GT(Sum(report.reflects()), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProjectionProcessTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);
INSTANTIATE_TEST_SUITE_P(Backends, ServeQueryTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
