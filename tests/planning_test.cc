// The planning view on a real embedded store: a seeded mix of applications
// (every type, voltage class, unit and fate) and the demand report checked
// against sums taken straight from the events, for a county, its city and
// the province, over one month and several.
#include <map>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "eventstore/event_store_factory.h"
#include "gtest/gtest.h"
#include "projections/views/planning_view.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

struct Expected {
  int64_t applied = 0, applied_kva = 0, accepted = 0, accepted_kva = 0, energised = 0,
          energised_kva = 0, ended = 0, ended_kva = 0;
};

TEST(PlanningViewTest, DemandEqualsSumsTakenFromTheEvents) {
  testing::TempDir dir;
  auto store = eventstore::OpenEventStore("embedded:" + dir.path() + "/store");
  ASSERT_TRUE(store.ok());
  const char* units[] = {"sn/xa/huyi", "sn/xa/lintong", "sn/bj/chencang"};
  // (unit, yyyymm, voltage class) → what the events say.
  std::map<std::tuple<std::string, int, int>, Expected> expected;
  std::mt19937_64 random(2026);
  for (int i = 0; i < 300; ++i) {
    const std::string id = absl::StrCat("A-", i);
    const std::string unit = units[random() % 3];
    const int month = 1 + static_cast<int>(random() % 4);
    const auto type = static_cast<v1::ApplicationType>(1 + random() % 5);
    const auto voltage = static_cast<v1::VoltageClass>(1 + random() % 4);
    const int64_t kva = 5 + static_cast<int64_t>(random() % 2000);
    const absl::Time submitted = absl::FromCivil(
        absl::CivilSecond(2026, month, 1 + i % 28, 10, 0, 0), domain::UtilityZone());
    std::vector<v1::DomainEvent> events(1);
    v1::ApplicationSubmitted* a = events[0].mutable_application_submitted();
    a->set_application_id(id);
    a->set_application_type(type);
    a->set_voltage_class(voltage);
    a->set_requested_capacity_kva(kva);
    a->set_org_unit(unit);
    *a->mutable_submitted_at() = domain::ToTimestamp(submitted);
    // 0 open, 1 accepted, 2 energised, 3 rejected, 4 withdrawn after acceptance.
    const int fate = static_cast<int>(random() % 5);
    if (fate >= 1 && fate != 3) {
      events.emplace_back().mutable_application_accepted()->set_application_id(id);
    }
    if (fate == 2) events.emplace_back().mutable_supply_energised()->set_application_id(id);
    if (fate == 3) events.emplace_back().mutable_application_rejected()->set_application_id(id);
    if (fate == 4) events.emplace_back().mutable_application_withdrawn()->set_application_id(id);
    eventstore::AppendRequest request;
    request.stream_id = domain::kApplication.StreamOf(id);
    request.command_id = NewUuid();
    for (v1::DomainEvent& payload : events) {
      v1::EventEnvelope& e = request.events.emplace_back();
      e.set_type(eventstore::EventTypeOf(payload));
      *e.mutable_occurred_at() = domain::ToTimestamp(submitted);
      e.set_org_unit(unit);
      *e.mutable_payload() = std::move(payload);
    }
    ASSERT_TRUE((*store)->Append(request).ok());
    if (type != v1::APPLICATION_TYPE_NEW_CONNECTION &&
        type != v1::APPLICATION_TYPE_CAPACITY_INCREASE) {
      continue;  // not demand
    }
    Expected& x = expected[{unit, 202600 + month, voltage}];
    ++x.applied;
    x.applied_kva += kva;
    if (fate == 1 || fate == 2 || fate == 4) {
      ++x.accepted;
      x.accepted_kva += kva;
    }
    if (fate == 2) {
      ++x.energised;
      x.energised_kva += kva;
    }
    if (fate == 3 || fate == 4) {
      ++x.ended;
      x.ended_kva += kva;
    }
  }
  auto runner = projections::ProjectionRunner::Open(
      store->get(), std::make_unique<projections::PlanningView>(), dir.path() + "/planning");
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->CatchUp().ok());
  projections::ViewReader reader((*runner)->db());

  for (const std::string unit : {"sn/xa/huyi", "sn/xa", "sn"}) {
    for (const auto& [from_month, to_month] : {std::pair{2, 2}, std::pair{1, 4}}) {
      SCOPED_TRACE(absl::StrCat(unit, " months ", from_month, "..", to_month));
      v1::Period from, to;
      from.set_year(2026);
      from.set_month(from_month);
      to.set_year(2026);
      to.set_month(to_month);
      absl::StatusOr<v1::DemandReport> report = projections::ReadDemand(reader, unit, from, to);
      ASSERT_TRUE(report.ok()) << report.status();
      std::map<std::pair<int, int>, Expected> want;
      Expected want_total;
      for (const auto& [key, x] : expected) {
        const auto& [u, yyyymm, voltage] = key;
        const int month = yyyymm % 100;
        if (!domain::OrgUnitContains(unit, u) || month < from_month || month > to_month) continue;
        Expected& w = want[{yyyymm, voltage}];
        for (Expected* sum : {&w, &want_total}) {
          sum->applied += x.applied;
          sum->applied_kva += x.applied_kva;
          sum->accepted += x.accepted;
          sum->accepted_kva += x.accepted_kva;
          sum->energised += x.energised;
          sum->energised_kva += x.energised_kva;
          sum->ended += x.ended;
          sum->ended_kva += x.ended_kva;
        }
      }
      ASSERT_EQ(report->rows_size(), static_cast<int>(want.size()));
      for (const v1::DemandRow& row : report->rows()) {
        const Expected& w =
            want[{row.period().year() * 100 + row.period().month(), row.voltage_class()}];
        EXPECT_EQ(row.applied(), w.applied);
        EXPECT_EQ(row.applied_kva(), w.applied_kva);
        EXPECT_EQ(row.accepted_kva(), w.accepted_kva);
        EXPECT_EQ(row.energised_kva(), w.energised_kva);
        EXPECT_EQ(row.ended_kva(), w.ended_kva);
        EXPECT_EQ(row.pending_kva(), w.applied_kva - w.energised_kva - w.ended_kva);
        EXPECT_EQ(row.pending(), w.applied - w.energised - w.ended);
      }
      EXPECT_EQ(report->total().applied_kva(), want_total.applied_kva);
      EXPECT_EQ(report->total().energised(), want_total.energised);
      EXPECT_EQ(report->total().pending_kva(),
                want_total.applied_kva - want_total.energised_kva - want_total.ended_kva);
    }
  }
}

}  // namespace
}  // namespace gridledger
