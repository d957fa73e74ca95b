// EventGateway.Subscribe and ReadStream against a real `gridledger serve` on
// each backend: filters, resuming from a position, from now, org units,
// roles, and a subscriber that stops reading for a while and still gets
// every event, in order, none dropped.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

std::unique_ptr<grpc::ClientContext> As(const std::string& token, int seconds = 30) {
  return testing::CallAs(token, seconds);
}

class GatewayE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // The technician receives meters in the city sn/xa; the analyst and the
    // auditor are of the province.
    served_ = testing::StartGridLedgerAs(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                         {{"tech", "metering_technician", "sn/xa"},
                                          {"analyst", "analyst", "sn"},
                                          {"auditor", "auditor", "sn"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty());
    auto channel = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
    metering_ = v1::MeteringCenter::NewStub(channel);
    gateway_ = v1::EventGateway::NewStub(channel);
  }
  void TearDown() override {
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  void Receive(const std::string& bar_code) {
    v1::ReceiveMeterRequest request = testing::NewMeterRequest(bar_code, v1::STORE_TIER_CITY, "xa");
    v1::CommandReply reply;
    ASSERT_TRUE(metering_->ReceiveMeter(As(served_.tokens["tech"]).get(), request, &reply).ok());
  }

  // Reads `count` replies (or fewer if the stream ends first).
  std::vector<v1::SubscribeReply> Take(const v1::SubscribeRequest& request, int count,
                                       int seconds = 30) {
    auto context = As(served_.tokens["analyst"], seconds);
    auto reader = gateway_->Subscribe(context.get(), request);
    std::vector<v1::SubscribeReply> replies;
    v1::SubscribeReply reply;
    while (static_cast<int>(replies.size()) < count && reader->Read(&reply)) {
      replies.push_back(reply);
    }
    context->TryCancel();
    reader->Finish().IgnoreError();
    return replies;
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::unique_ptr<v1::MeteringCenter::Stub> metering_;
  std::unique_ptr<v1::EventGateway::Stub> gateway_;
};

TEST_P(GatewayE2eTest, FiltersResumesAndFollowsLive) {
  for (int i = 0; i < 5; ++i) Receive(absl::StrCat("G-", i));
  v1::SubscribeRequest request;
  request.add_event_types("gridledger.v1.MeterReceived");
  request.set_org_unit("sn/xa");
  std::vector<v1::SubscribeReply> all = Take(request, 5);
  ASSERT_EQ(all.size(), 5u);
  std::set<std::string> streams;
  for (const auto& r : all) streams.insert(r.event().stream_id());
  EXPECT_EQ(streams, (std::set<std::string>{"meter-G-0", "meter-G-1", "meter-G-2", "meter-G-3",
                                            "meter-G-4"}));
  // Resuming after the second: exactly the other three (order is per
  // partition; Kafka has several).
  v1::SubscribeRequest resume = request;
  *resume.mutable_from_position() = all[1].next();
  std::vector<v1::SubscribeReply> rest = Take(resume, 3);
  ASSERT_EQ(rest.size(), 3u);
  std::set<std::string> expected_rest, got_rest;
  for (int i = 2; i < 5; ++i) expected_rest.insert(all[i].event().event_id());
  for (const auto& r : rest) got_rest.insert(r.event().event_id());
  EXPECT_EQ(got_rest, expected_rest);
  // From now: only what comes after, live.
  v1::SubscribeRequest live = request;
  live.set_from_now(true);
  std::vector<v1::SubscribeReply> later;
  std::thread subscriber([&] { later = Take(live, 2); });
  absl::SleepFor(absl::Milliseconds(500));
  Receive("G-live-1");
  Receive("G-live-2");
  subscriber.join();
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ((std::set<std::string>{later[0].event().stream_id(), later[1].event().stream_id()}),
            (std::set<std::string>{"meter-G-live-1", "meter-G-live-2"}));
  // Another unit's events: none (the stream just waits).
  v1::SubscribeRequest elsewhere = request;
  elsewhere.set_org_unit("sn/bj");
  EXPECT_TRUE(Take(elsewhere, 1, 2).empty());
  // Roles: an auditor reads everything and changes nothing.
  v1::ReceiveMeterRequest command;
  command.set_command_id(NewUuid());
  command.mutable_meter()->set_bar_code("AUDIT-1");
  v1::CommandReply refused;
  EXPECT_EQ(
      metering_->ReceiveMeter(As(served_.tokens["auditor"]).get(), command, &refused).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A technician may not subscribe.
  auto context = As(served_.tokens["tech"]);
  auto reader = gateway_->Subscribe(context.get(), request);
  v1::SubscribeReply reply;
  EXPECT_FALSE(reader->Read(&reply));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_P(GatewayE2eTest, ASlowSubscriberGetsEveryEventInOrder) {
  constexpr int kMeters = 300;
  for (int i = 0; i < kMeters; ++i) Receive(absl::StrCat("S-", i));
  v1::SubscribeRequest request;
  request.add_stream_prefixes("meter-S-");
  auto context = As(served_.tokens["auditor"], 60);
  auto reader = gateway_->Subscribe(context.get(), request);
  v1::SubscribeReply reply;
  std::set<std::string> streams;
  std::map<std::string, int64_t> last_offset;  // per partition: strictly rising
  auto take = [&] {
    streams.insert(reply.event().stream_id());
    const v1::Position& at = reply.event().position();
    auto [it, first] = last_offset.emplace(at.partition(), at.offset());
    if (!first) {
      EXPECT_GT(at.offset(), it->second) << at.partition();
      it->second = at.offset();
    }
  };
  ASSERT_TRUE(reader->Read(&reply));
  take();
  absl::SleepFor(absl::Seconds(2));  // not reading: the server must wait, not drop
  while (static_cast<int>(streams.size()) < kMeters && reader->Read(&reply)) take();
  EXPECT_EQ(streams.size(), static_cast<size_t>(kMeters)) << "every meter, none twice";
  context->TryCancel();
  reader->Finish().IgnoreError();
}

// A subscription never ends by itself; a server that stops ends it at once,
// UNAVAILABLE, rather than after its grace period, and the server exits 0.
TEST_P(GatewayE2eTest, StoppingTheServerEndsLiveSubscriptionsUnavailable) {
  Receive("STOP-1");
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeReply>>> readers;
  for (int i = 0; i < 3; ++i) {
    contexts.push_back(As(served_.tokens["auditor"], 60));
    readers.push_back(gateway_->Subscribe(contexts.back().get(), v1::SubscribeRequest()));
    v1::SubscribeReply reply;
    ASSERT_TRUE(readers.back()->Read(&reply));  // caught up after this: waiting live
  }
  EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  served_.process.reset();
  for (auto& reader : readers) {
    v1::SubscribeReply reply;
    while (reader->Read(&reply)) {
    }
    grpc::Status ended = reader->Finish();
    EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
    EXPECT_THAT(ended.error_message(), ::testing::HasSubstr("shutting down"));
  }
}

// One principal holds at most 64 live subscriptions (serve's default): the
// next is refused RESOURCE_EXHAUSTED, and ending one frees its place.
TEST_P(GatewayE2eTest, OnePrincipalsSubscriptionsAreCapped) {
  Receive("CAP-1");
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeReply>>> readers;
  for (int i = 0; i < 64; ++i) {
    contexts.push_back(As(served_.tokens["auditor"], 60));
    readers.push_back(gateway_->Subscribe(contexts.back().get(), v1::SubscribeRequest()));
    v1::SubscribeReply reply;
    ASSERT_TRUE(readers.back()->Read(&reply)) << i;
  }
  auto one_more = [&] {
    auto context = As(served_.tokens["auditor"], 10);
    auto reader = gateway_->Subscribe(context.get(), v1::SubscribeRequest());
    v1::SubscribeReply reply;
    if (!reader->Read(&reply)) return reader->Finish();  // refused: its status
    context->TryCancel();
    reader->Finish().IgnoreError();
    return grpc::Status::OK;
  };
  grpc::Status refused = one_more();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("--max_subscriptions_per_principal"));
  // Another principal is not affected.
  auto analyst = As(served_.tokens["analyst"], 10);
  auto theirs = gateway_->Subscribe(analyst.get(), v1::SubscribeRequest());
  v1::SubscribeReply reply;
  EXPECT_TRUE(theirs->Read(&reply));
  analyst->TryCancel();
  theirs->Finish().IgnoreError();
  // Ending one frees its place (the server learns of it asynchronously).
  contexts.front()->TryCancel();
  readers.front()->Finish().IgnoreError();
  grpc::Status again;
  for (int i = 0; i < 50; ++i) {
    again = one_more();
    if (again.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(again.ok()) << again.error_message();
  for (size_t i = 1; i < contexts.size(); ++i) {
    contexts[i]->TryCancel();
    readers[i]->Finish().IgnoreError();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, GatewayE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
