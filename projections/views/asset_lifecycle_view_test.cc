// A model test: random valid meter lives (seeded, reproducible), appended to a
// real embedded store through the Metering Centre's own rules; the view, built
// in one go, in two halves across a restart, or rebuilt from zero, must equal
// the plain fold of each meter's stream, and its inventory the model's count.
#include "projections/views/asset_lifecycle_view.h"

#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "eventstore/event_store_factory.h"
#include "gtest/gtest.h"
#include "projections/views/view_keys.h"
#include "tests/testing/test_util.h"

namespace gridledger::projections {
namespace {

using google::protobuf::util::MessageDifferencer;

class AssetViewModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + dir_.path() + "/store");
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
  }

  // Tries one random command on one random meter; appends it when the rules accept it.
  void RandomStep(std::mt19937_64& random, int meters) {
    const std::string bar_code = absl::StrCat("M", random() % meters);
    std::vector<v1::EventEnvelope>& history = histories_[bar_code];
    const v1::MeterState meter = metering::FoldMeter(history);
    absl::StatusOr<v1::DomainEvent> event;
    switch (random() % 8) {
      case 0: {
        v1::MeterReceived m;
        m.set_bar_code(bar_code);
        m.set_asset_kind(v1::ASSET_KIND_METER);
        m.mutable_accuracy_class()->set_class_tenths(20);
        m.set_manufacturer("Linyang");
        m.set_store_tier(static_cast<v1::StoreTier>(1 + random() % 3));
        m.set_store_id(absl::StrCat("store-", random() % 4));
        event = metering::DecideReceive(meter, m);
        break;
      }
      case 1: {
        v1::MeterCalibrated c;
        c.set_bar_code(bar_code);
        c.set_passed(random() % 10 != 0);
        c.set_certificate_no("C");
        c.set_verifier("v");
        c.mutable_verified_on()->set_year(2026);
        c.mutable_verified_on()->set_month(11);
        c.mutable_verified_on()->set_day(1);
        auto* p = c.add_load_points();
        p->set_load_permille_of_ib(1000);
        p->set_error_ppm(c.passed() ? 100 : 30000);
        event = metering::DecideCalibration(meter, c);
        break;
      }
      case 2: {
        v1::MoveMeterRequest move;
        move.set_bar_code(bar_code);
        move.set_to_tier(static_cast<v1::StoreTier>(1 + random() % 3));
        move.set_to_store_id(absl::StrCat("store-", random() % 4));
        event = metering::DecideMove(meter, move);
        break;
      }
      case 3: {
        v1::MeterDispatched d;
        d.set_bar_code(bar_code);
        d.set_work_order("WO");
        event = metering::DecideDispatch(meter, d);
        break;
      }
      case 4: {
        v1::MeterInstalled i;
        i.set_bar_code(bar_code);
        i.set_account_id(absl::StrCat("acct-", random() % 100));
        i.set_metering_class(3);
        event = metering::DecideInstall(meter, i);
        break;
      }
      case 5: {
        v1::MeterRemoved r;
        r.set_bar_code(bar_code);
        r.set_reason(v1::REMOVAL_REASON_FAULT);
        r.mutable_final_registers()->set_total_wh(1000);
        event = metering::DecideRemove(meter, r, history);
        break;
      }
      case 6:
        event = metering::DecideReverification(meter, "fault");
        break;
      default:
        if (random() % 6 != 0) return;  // scrapping ends a life: keep it rare
        event = metering::DecideScrap(meter, "worn out");
        break;
    }
    if (!event.ok()) return;  // the rules refused it: try another
    eventstore::AppendRequest request;
    request.stream_id = "meter-" + bar_code;
    request.expected_version = static_cast<int64_t>(history.size());
    request.command_id = NewUuid();
    v1::EventEnvelope envelope;
    envelope.set_type(eventstore::EventTypeOf(*event));
    *envelope.mutable_payload() = *event;
    request.events.push_back(envelope);
    absl::StatusOr<eventstore::AppendResult> appended = store_->Append(std::move(request));
    ASSERT_TRUE(appended.ok()) << appended.status();
    envelope.set_stream_version(appended->outcome.last_version());
    history.push_back(envelope);
    ++events_;
  }

  std::unique_ptr<ProjectionRunner> Runner(const std::string& directory) {
    auto runner =
        ProjectionRunner::Open(store_.get(), std::make_unique<AssetLifecycleView>(), directory);
    EXPECT_TRUE(runner.ok()) << runner.status();
    return *std::move(runner);
  }

  void ExpectViewMatchesModel(rocksdb::DB* db) {
    std::map<std::pair<int, int>, int> inventory;  // (tier, state) → count
    int due = 0;
    ViewReader reader(db);
    for (const auto& [bar_code, history] : histories_) {
      if (history.empty()) continue;
      const std::vector<v1::EventEnvelope> stored = *store_->ReadStream("meter-" + bar_code);
      const v1::MeterState model = metering::FoldMeter(stored);
      absl::StatusOr<v1::AssetReply> viewed =
          ReadAsset(reader, bar_code, true, domain::UtilityToday());
      ASSERT_TRUE(viewed.ok()) << bar_code;
      EXPECT_TRUE(MessageDifferencer::Equals(model, viewed->meter()))
          << bar_code << "\nmodel: " << model.ShortDebugString()
          << "\nview:  " << viewed->meter().ShortDebugString();
      ASSERT_EQ(viewed->history_size(), static_cast<int>(stored.size())) << bar_code;
      for (size_t i = 0; i < stored.size(); ++i) {
        EXPECT_EQ(viewed->history(static_cast<int>(i)).event_id(), stored[i].event_id());
      }
      if (model.store_tier() != v1::STORE_TIER_UNSPECIFIED &&
          model.state() != v1::METER_LIFECYCLE_STATE_SCRAPPED) {
        ++inventory[{model.store_tier(), model.state()}];
      }
      if (model.state() != v1::METER_LIFECYCLE_STATE_SCRAPPED &&
          IsSet(model.next_verification_due())) {
        ++due;
      }
    }
    int listed_due = 0;
    std::string token;
    do {
      v1::Date far;
      far.set_year(2100);
      far.set_month(1);
      far.set_day(1);
      auto page = ReadDueForVerification(reader, far, 13, token);
      ASSERT_TRUE(page.ok()) << page.status();
      listed_due += page->items_size();
      token = page->next_page_token();
    } while (!token.empty());
    EXPECT_EQ(listed_due, due);
    EXPECT_GT(due, 0);
    for (int tier = 1; tier <= 3; ++tier) {
      for (int state = 1; state <= 8; ++state) {
        int listed = 0;
        std::string token;
        do {  // page through, 7 at a time
          auto page = ReadInventory(reader, static_cast<v1::StoreTier>(tier),
                                    static_cast<v1::MeterLifecycleState>(state), 7, token);
          ASSERT_TRUE(page.ok());
          EXPECT_LE(page->bar_codes_size(), 7);
          listed += page->bar_codes_size();
          token = page->next_page_token();
        } while (!token.empty());
        EXPECT_EQ(listed, (inventory[{tier, state}])) << "tier " << tier << " state " << state;
      }
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::map<std::string, std::vector<v1::EventEnvelope>> histories_;
  int64_t events_ = 0;
};

TEST_F(AssetViewModelTest, IncrementalRestartedAndRebuiltViewsEqualTheModel) {
  std::mt19937_64 random(20261126);
  for (int i = 0; i < 6000; ++i) RandomStep(random, 300);
  ASSERT_GT(events_, 1000) << "the random walk should produce a real history";
  // Built in two halves across a restart...
  {
    auto runner = Runner(dir_.path() + "/view");
    ASSERT_TRUE(runner->CatchUp().ok());
  }
  for (int i = 0; i < 6000; ++i) RandomStep(random, 300);
  auto runner = Runner(dir_.path() + "/view");
  ASSERT_TRUE(runner->CatchUp().ok());
  ExpectViewMatchesModel(runner->db());
  // ...and rebuilt from zero: the same answers.
  auto rebuilt = Runner(dir_.path() + "/rebuilt");
  ASSERT_TRUE(rebuilt->CatchUp().ok());
  ExpectViewMatchesModel(rebuilt->db());
  EXPECT_EQ(testing::DumpRocksDb(rebuilt->db()), testing::DumpRocksDb(runner->db()));
  EXPECT_GT(events_, 2000);
  RecordProperty("events", static_cast<int>(events_));
}

}  // namespace
}  // namespace gridledger::projections
