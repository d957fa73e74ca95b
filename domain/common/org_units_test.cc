#include "domain/common/org_units.h"

#include "domain/common/validation.h"
#include "gtest/gtest.h"

namespace gridledger::domain {
namespace {

TEST(OrgUnits, WellFormedUnitsPass) {
  for (const char* unit : {"sn", "sn/xa", "sn/xa/huyi", "sn/xa/lin-tong", "61/6101/610125"}) {
    EXPECT_TRUE(CheckOrgUnit("org_unit", unit).ok()) << unit;
  }
}

TEST(OrgUnits, MalformedUnitsAreRefusedNamingTheField) {
  for (const char* unit : {"", "SN", "sn/", "/sn", "sn//xa", "sn/xa/huyi/x", "sn xa", "sn/-a",
                           "sn/\x1b[31m", "sn/\xe2\x80\xae", "a.b"}) {
    const absl::Status s = CheckOrgUnit("account.org_unit", unit);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << unit;
    EXPECT_NE(s.message().find("account.org_unit"), absl::string_view::npos) << s;
  }
}

TEST(OrgUnits, ContainmentFollowsTheTreeNotTheSpelling) {
  EXPECT_TRUE(OrgUnitContains("sn", "sn"));
  EXPECT_TRUE(OrgUnitContains("sn", "sn/xa/huyi"));
  EXPECT_TRUE(OrgUnitContains("sn/xa", "sn/xa/huyi"));
  EXPECT_FALSE(OrgUnitContains("sn/xa/huyi", "sn/xa"));     // a parent
  EXPECT_FALSE(OrgUnitContains("sn/xa/huyi", "sn/xa/lt"));  // a sibling
  EXPECT_FALSE(OrgUnitContains("sn/x", "sn/xa"));           // a prefix is not a parent
  EXPECT_FALSE(OrgUnitContains("", "sn"));
  EXPECT_FALSE(OrgUnitContains("sn", ""));
}

TEST(OrgUnits, LevelsAndParents) {
  EXPECT_EQ(OrgUnitLevelName("sn"), "province");
  EXPECT_EQ(OrgUnitLevelName("sn/xa"), "city");
  EXPECT_EQ(OrgUnitLevelName("sn/xa/huyi"), "county");
  EXPECT_EQ(ParentOrgUnit("sn/xa/huyi"), "sn/xa");
  EXPECT_EQ(ParentOrgUnit("sn"), "");
  EXPECT_EQ(OrgUnitStreamOf("sn/xa/huyi"), "orgunit-sn.xa.huyi");
}

v1::EventEnvelope EventIn(const std::string& unit, const std::string& actor_unit) {
  v1::EventEnvelope event;
  event.set_org_unit(unit);
  event.mutable_actor()->set_org_unit(actor_unit);
  return event;
}

TEST(OrgUnits, AStreamBelongsToItsStampedUnitAndAMeterMovesWithItsDispatch) {
  EXPECT_EQ(StreamOrgUnit({}), "");
  EXPECT_EQ(StreamOrgUnit({EventIn("sn/xa/huyi", "sn")}), "sn/xa/huyi");
  // Before units were stamped: the first actor's unit.
  EXPECT_EQ(StreamOrgUnit({EventIn("", "sn/xa"), EventIn("", "sn/xa/huyi")}), "sn/xa");
  v1::EventEnvelope dispatched = EventIn("sn", "sn");
  dispatched.mutable_payload()->mutable_meter_dispatched()->set_to_org_unit("sn/xa/huyi");
  EXPECT_EQ(StreamOrgUnit({EventIn("sn", "sn"), dispatched}), "sn/xa/huyi");
  EXPECT_EQ(OrgUnitAfter("sn", dispatched.payload()), "sn/xa/huyi");
  EXPECT_EQ(OrgUnitAfter("sn", v1::DomainEvent()), "sn");
}

TEST(Text, ControlBidiAndBadUtf8AreRefused) {
  EXPECT_TRUE(CheckText("name", "户县供电分公司", 200, true).ok());
  EXPECT_TRUE(CheckText("reason", "", 200, false).ok());
  EXPECT_EQ(CheckText("name", "", 200, true).code(), absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"a\nb", "a\x7f", "\xc2\x85", "x\xe2\x80\xaey", "\xe2\x81\xa6", "\xff",
                          "\xc0\xaf", "\xed\xa0\x80", "\xe6\x88"}) {
    const absl::Status s = CheckText("detail", bad, 200, true);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("detail"), absl::string_view::npos);
  }
  EXPECT_EQ(CheckText("name", std::string(201, 'a'), 200, true).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridledger::domain
