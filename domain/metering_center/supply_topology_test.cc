#include "domain/metering_center/supply_topology.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"
#include "domain/metering_center/line_loss.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::metering {
namespace {

using ::testing::HasSubstr;

absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2027, 1, 5, 10, 0, 0), domain::UtilityZone());
}

v1::Period Month(int year, int month) {
  v1::Period p;
  p.set_year(year);
  p.set_month(month);
  return p;
}

v1::EventEnvelope Envelope(v1::DomainEvent event, int64_t version = 1) {
  v1::EventEnvelope e;
  e.set_stream_version(version);
  *e.mutable_payload() = std::move(event);
  return e;
}

v1::SupplyNodeRegistered Feeder(const std::string& id = "F-1") {
  v1::SupplyNodeRegistered node;
  node.set_node_id(id);
  node.set_kind(v1::SUPPLY_NODE_KIND_FEEDER);
  node.set_name("10 kV Huyi line 3");
  node.set_substation("Huyi 110 kV");
  node.set_org_unit("sn/xa/huyi");
  return node;
}

v1::SupplyNodeRegistered Area(const std::string& id = "TA-1", const std::string& feeder = "F-1") {
  v1::SupplyNodeRegistered node;
  node.set_node_id(id);
  node.set_kind(v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA);
  node.set_name("Ganting village No. 2");
  node.set_feeder_id(feeder);
  return node;
}

SupplyNodeState Registered(const v1::SupplyNodeRegistered& node) {
  SupplyNodeState state;
  state.registered = true;
  state.node = node;
  return state;
}

GatewayMeter MeterAt(const std::string& node, const std::string& bar = "G-1",
                     int64_t installed_wh = 1000) {
  GatewayMeter meter;
  meter.meter.set_bar_code(bar);
  meter.meter.set_state(v1::METER_LIFECYCLE_STATE_INSTALLED);
  meter.meter.set_meter_type(v1::METER_TYPE_GATEWAY);
  meter.meter.set_supply_node_id(node);
  meter.installed_register_wh = installed_wh;
  return meter;
}

v1::RecordGatewayReadRequest Read(int64_t register_wh, const v1::Period& period = Month(2026, 11),
                                  const std::string& bar = "G-1") {
  v1::RecordGatewayReadRequest r;
  r.set_node_id("F-1");
  r.set_bar_code(bar);
  *r.mutable_period() = period;
  r.set_register_wh(register_wh);
  return r;
}

TEST(SupplyTopology, RegistersFeederAndAreaTakingTheFeedersUnit) {
  absl::StatusOr<v1::DomainEvent> feeder = DecideRegisterSupplyNode({}, {}, Feeder());
  ASSERT_TRUE(feeder.ok()) << feeder.status();
  absl::StatusOr<v1::DomainEvent> area = DecideRegisterSupplyNode({}, Registered(Feeder()), Area());
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ(area->supply_node_registered().org_unit(), "sn/xa/huyi");
  EXPECT_EQ(area->supply_node_registered().substation(), "Huyi 110 kV");
  v1::SupplyNodeRegistered elsewhere = Area();
  elsewhere.set_substation("Zhouzhi 35 kV");
  EXPECT_THAT(DecideRegisterSupplyNode({}, Registered(Feeder()), elsewhere).status().message(),
              HasSubstr("node.substation"));
  v1::SupplyNodeRegistered city_feeder = Feeder();
  city_feeder.set_org_unit("sn/xa");
  EXPECT_THAT(DecideRegisterSupplyNode({}, {}, city_feeder).status().message(),
              HasSubstr("county"));
}

TEST(SupplyTopology, RefusesBadRegistrations) {
  v1::SupplyNodeRegistered no_kind = Feeder();
  no_kind.clear_kind();
  EXPECT_THAT(DecideRegisterSupplyNode({}, {}, no_kind).status().message(), HasSubstr("node.kind"));
  v1::SupplyNodeRegistered no_unit = Feeder();
  no_unit.clear_org_unit();
  EXPECT_THAT(DecideRegisterSupplyNode({}, {}, no_unit).status().message(),
              HasSubstr("node.org_unit"));
  EXPECT_EQ(DecideRegisterSupplyNode(Registered(Feeder()), {}, Feeder()).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(DecideRegisterSupplyNode({}, {}, Area()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideRegisterSupplyNode({}, Registered(Area("TA-0")), Area()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::SupplyNodeRegistered elsewhere = Area();
  elsewhere.set_org_unit("sn/xa/zhouzhi");
  EXPECT_THAT(DecideRegisterSupplyNode({}, Registered(Feeder()), elsewhere).status().message(),
              HasSubstr("node.org_unit"));
}

TEST(GatewayRead, FirstReadCountsFromTheInstalledRegister) {
  absl::StatusOr<v1::DomainEvent> read =
      DecideGatewayRead(Registered(Feeder()), MeterAt("F-1"), 0, Read(51000), Now());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->gateway_read_recorded().previous_register_wh(), 1000);
  EXPECT_EQ(read->gateway_read_recorded().energy_wh(), 50000);
  EXPECT_EQ(read->gateway_read_recorded().read_on().day(), 5);
}

TEST(GatewayRead, OnlyAMonthThatIsOverAndNeverAFutureDay) {
  EXPECT_THAT(
      DecideGatewayRead(Registered(Feeder()), MeterAt("F-1"), 0, Read(51000, Month(2027, 1)), Now())
          .status()
          .message(),
      HasSubstr("has not ended"));
  v1::RecordGatewayReadRequest future = Read(51000);
  future.mutable_read_on()->set_year(2027);
  future.mutable_read_on()->set_month(1);
  future.mutable_read_on()->set_day(6);
  EXPECT_THAT(
      DecideGatewayRead(Registered(Feeder()), MeterAt("F-1"), 0, future, Now()).status().message(),
      HasSubstr("read_on"));
  v1::RecordGatewayReadRequest mid_month = Read(51000);
  mid_month.mutable_read_on()->set_year(2026);
  mid_month.mutable_read_on()->set_month(11);
  mid_month.mutable_read_on()->set_day(15);
  EXPECT_THAT(DecideGatewayRead(Registered(Feeder()), MeterAt("F-1"), 0, mid_month, Now())
                  .status()
                  .message(),
              HasSubstr("before 2026-11 ended"));
}

TEST(GatewayRead, NextReadCountsFromTheLastAndRefusesGoingBack) {
  SupplyNodeState node = Registered(Feeder());
  node.last_read =
      DecideGatewayRead(node, MeterAt("F-1"), 0, Read(51000), Now())->gateway_read_recorded();
  absl::StatusOr<v1::DomainEvent> next =
      DecideGatewayRead(node, MeterAt("F-1"), 0, Read(80000, Month(2026, 12)), Now());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->gateway_read_recorded().energy_wh(), 29000);
  EXPECT_THAT(DecideGatewayRead(node, MeterAt("F-1"), 0, Read(40000, Month(2026, 12)), Now())
                  .status()
                  .message(),
              HasSubstr("register_wh"));
  EXPECT_THAT(DecideGatewayRead(node, MeterAt("F-1"), 0, Read(90000, Month(2026, 11)), Now())
                  .status()
                  .message(),
              HasSubstr("period"));
}

TEST(GatewayRead, AnExchangedMeterCarriesTheOldMetersTail) {
  SupplyNodeState node = Registered(Feeder());
  node.last_read =
      DecideGatewayRead(node, MeterAt("F-1"), 0, Read(51000), Now())->gateway_read_recorded();
  absl::StatusOr<v1::DomainEvent> read = DecideGatewayRead(
      node, MeterAt("F-1", "G-2", 0), 7000, Read(20000, Month(2026, 12), "G-2"), Now());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->gateway_read_recorded().carried_wh(), 7000);
  EXPECT_EQ(read->gateway_read_recorded().energy_wh(), 27000);
}

TEST(GatewayRead, RefusesAMeterNotInstalledAtTheNodeAndAnUnknownNode) {
  EXPECT_EQ(
      DecideGatewayRead(Registered(Feeder()), MeterAt("F-2"), 0, Read(5), Now()).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideGatewayRead({}, MeterAt("F-1"), 0, Read(5), Now()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(DecideGatewayRead(Registered(Feeder()), MeterAt("F-1"), 0, Read(-1), Now())
                  .status()
                  .message(),
              HasSubstr("register_wh"));
}

std::vector<v1::EventEnvelope> OpenAccount(bool closed = false) {
  std::vector<v1::EventEnvelope> history;
  v1::DomainEvent opened;
  opened.mutable_account_opened()->set_account_id("A-1");
  history.push_back(Envelope(opened));
  if (closed) {
    v1::DomainEvent close;
    close.mutable_account_closed()->set_account_id("A-1");
    history.push_back(Envelope(close, 2));
  }
  return history;
}

TEST(ConnectAccount, CopiesTheAreasFeederAndUnitAndRefusesRepeats) {
  v1::SupplyNodeRegistered area = Area();
  area.set_org_unit("sn/xa/huyi");
  v1::ConnectAccountRequest request;
  request.set_account_id("A-1");
  request.set_transformer_area_id("TA-1");
  absl::StatusOr<v1::DomainEvent> connected =
      DecideConnectAccount(OpenAccount(), Registered(area), request);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->account_connected().feeder_id(), "F-1");
  EXPECT_EQ(connected->account_connected().org_unit(), "sn/xa/huyi");

  std::vector<v1::EventEnvelope> history = OpenAccount();
  history.push_back(Envelope(*connected, 2));
  EXPECT_EQ(DecideConnectAccount(history, Registered(area), request).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideConnectAccount(OpenAccount(true), Registered(area), request).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideConnectAccount({}, Registered(area), request).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideConnectAccount(OpenAccount(), Registered(Feeder()), request).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LineLossRate, RoundsHalfAwayFromZeroAndHasNoneWithoutEnergyIn) {
  EXPECT_EQ(LineLossRateBp(1000, 950), 500);
  EXPECT_EQ(LineLossRateBp(30000, 29000), 333);  // 333.3 bp
  EXPECT_EQ(LineLossRateBp(20000, 19999), 1);    // 0.5 bp
  EXPECT_EQ(LineLossRateBp(20000, 20001), -1);   // −0.5 bp
  EXPECT_EQ(LineLossRateBp(1000, 1100), -1000);
  EXPECT_EQ(LineLossRateBp(3, 4), -3333);
  EXPECT_EQ(LineLossRateBp(0, 5), std::nullopt);
}

// Seeded histories: the shares FoldLineLoss returns, summed per node and
// month, equal the sums taken straight from the events.
TEST(LineLoss, SharesSumToTheEventsTotals) {
  std::mt19937 random(20261204);
  InMemoryLineLossMemory memory;
  std::map<std::string, int64_t> folded;         // "<node>/<yyyymm>/in|billed"
  std::map<std::string, int64_t> expected;       // the same, from the events
  std::map<std::string, std::string> area_of;    // account → area
  std::map<std::string, std::string> feeder_of;  // area → feeder
  std::map<std::string, std::pair<std::string, std::pair<int, int64_t>>>
      bills;  // id → area, month, Wh
  auto fold = [&](const v1::DomainEvent& event) {
    absl::StatusOr<std::vector<EnergyShare>> shares = FoldLineLoss(Envelope(event), memory);
    ASSERT_TRUE(shares.ok()) << shares.status();
    for (const EnergyShare& s : *shares) {
      const std::string key = absl::StrCat(s.node_id, "/", s.period.month());
      folded[key + "/in"] += s.in_wh;
      folded[key + "/billed"] += s.billed_wh;
    }
  };
  for (int f = 0; f < 3; ++f) {
    v1::DomainEvent e;
    *e.mutable_supply_node_registered() = Feeder(absl::StrCat("F-", f));
    fold(e);
    for (int a = 0; a < 4; ++a) {
      const std::string area = absl::StrCat("TA-", f, "-", a);
      v1::SupplyNodeRegistered node = Area(area, absl::StrCat("F-", f));
      node.set_org_unit("sn/xa/huyi");
      *e.mutable_supply_node_registered() = node;
      fold(e);
      feeder_of[area] = absl::StrCat("F-", f);
    }
  }
  std::vector<std::string> areas;
  areas.reserve(feeder_of.size());
  for (const auto& [area, feeder] : feeder_of) areas.push_back(area);
  int bill_no = 0;
  for (int step = 0; step < 3000; ++step) {
    const int month = 1 + static_cast<int>(random() % 3);
    v1::DomainEvent e;
    switch (random() % 5) {
      case 0: {  // (re)connect an account
        const std::string account = absl::StrCat("A-", random() % 40);
        const std::string& area = areas[random() % areas.size()];
        v1::AccountConnected& c = *e.mutable_account_connected();
        c.set_account_id(account);
        c.set_transformer_area_id(area);
        c.set_feeder_id(feeder_of[area]);
        c.set_org_unit("sn/xa/huyi");
        area_of[account] = area;
        break;
      }
      case 1: {  // a gateway read
        const bool feeder = random() % 2 == 0;
        const std::string node =
            feeder ? absl::StrCat("F-", random() % 3) : areas[random() % areas.size()];
        v1::GatewayReadRecorded& r = *e.mutable_gateway_read_recorded();
        r.set_node_id(node);
        *r.mutable_period() = Month(2026, month);
        r.set_energy_wh(static_cast<int64_t>(random() % 100000));
        expected[absl::StrCat(node, "/", month, "/in")] += r.energy_wh();
        break;
      }
      case 4: {  // reverse a bill
        if (bills.empty()) continue;
        auto it = bills.begin();
        std::advance(it, random() % bills.size());
        e.mutable_bill_reversed()->set_bill_id(it->first);
        const auto& [area, when] = it->second;
        for (const std::string& node : {area, feeder_of[area]}) {
          expected[absl::StrCat(node, "/", when.first, "/billed")] -= when.second;
        }
        bills.erase(it);
        break;
      }
      default: {  // a bill
        const std::string account = absl::StrCat("A-", random() % 40);
        v1::BillIssued& b = *e.mutable_bill_issued();
        b.set_bill_id(absl::StrCat("B-", ++bill_no));
        b.set_account_id(account);
        *b.mutable_period() = Month(2026, month);
        b.set_energy_wh(static_cast<int64_t>(random() % 5000));
        auto connected = area_of.find(account);
        if (connected == area_of.end()) break;  // counted nowhere
        const std::string& area = connected->second;
        for (const std::string& node : {area, feeder_of[area]}) {
          expected[absl::StrCat(node, "/", month, "/billed")] += b.energy_wh();
        }
        bills[b.bill_id()] = {area, {month, b.energy_wh()}};
        break;
      }
    }
    fold(e);
  }
  for (auto it = folded.begin(); it != folded.end();) {
    it = it->second == 0 ? folded.erase(it) : std::next(it);
  }
  for (auto it = expected.begin(); it != expected.end();) {
    it = it->second == 0 ? expected.erase(it) : std::next(it);
  }
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(folded, expected);
}

}  // namespace
}  // namespace gridledger::metering
