// Org units and who may act where. The utility's org units form a tree of
// paths: a province ("sn"), its cities ("sn/xa"), their counties
// ("sn/xa/huyi"). Each is registered by an OrgUnitRegistered event on its own
// stream ("orgunit-sn.xa.huyi") before anything can be created in it.
//
// Every aggregate belongs to one org unit, fixed when it is created (the unit
// its creating request names, or else its creator's) and stamped on each of
// its events (EventEnvelope.org_unit). The one exception is a meter's
// custody: dispatching a meter to a unit (MeterDispatched.to_org_unit) moves
// it there for the events that follow.
//
// A principal acts within its unit's subtree: a province principal anywhere
// in its province, a county principal in its county only.
#ifndef GRIDLEDGER_DOMAIN_COMMON_ORG_UNITS_H_
#define GRIDLEDGER_DOMAIN_COMMON_ORG_UNITS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::domain {

inline constexpr int kMaxOrgUnitDepth = 3;  // province, city, county

// An org unit id: 1 to 3 segments separated by '/', each 1–32 of [a-z0-9-]
// starting with a letter or digit. INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckOrgUnit(absl::string_view field, absl::string_view org_unit);

// 1 for a province, 2 for a city, 3 for a county (the number of segments).
int OrgUnitDepth(absl::string_view org_unit);
// "province", "city" or "county".
absl::string_view OrgUnitLevelName(absl::string_view org_unit);
// The unit above ("sn/xa/huyi" → "sn/xa"); empty for a province.
std::string ParentOrgUnit(absl::string_view org_unit);

// Whether `org_unit` is `ancestor` or lies below it. An empty ancestor
// contains nothing; an empty unit is contained by nothing.
bool OrgUnitContains(absl::string_view ancestor, absl::string_view org_unit);

// The registry stream of an org unit: "/" becomes "." ("sn/xa" → "orgunit-sn.xa").
std::string OrgUnitStreamOf(absl::string_view org_unit);

// The org unit a stream's aggregate belongs to after `history` (oldest
// first): the unit stamped on its last event, moved by a MeterDispatched to
// its to_org_unit. Events recorded before units were stamped carry none; such
// a stream belongs to the unit of its first event's actor. Empty for an
// empty history.
std::string StreamOrgUnit(const std::vector<v1::EventEnvelope>& history);

// The unit an aggregate belongs to once `event` has happened to it, given the
// unit it belonged to before.
std::string OrgUnitAfter(const std::string& unit_before, const v1::DomainEvent& event);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_ORG_UNITS_H_
