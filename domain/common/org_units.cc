#include "domain/common/org_units.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "domain/common/streams.h"

namespace gridledger::domain {
namespace {

constexpr size_t kMaxSegment = 32;

bool IsSegmentChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

absl::Status CheckOrgUnit(absl::string_view field, absl::string_view org_unit) {
  if (org_unit.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must be set"));
  const std::vector<absl::string_view> segments = absl::StrSplit(org_unit, '/');
  for (absl::string_view segment : segments) {
    if (segment.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": an org unit's parts are separated by single '/' with none empty, e.g. "
                       "sn/xa/huyi"));
    }
  }
  if (static_cast<int>(segments.size()) > kMaxOrgUnitDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": an org unit has at most ", kMaxOrgUnitDepth, " levels (province/city/county)"));
  }
  for (absl::string_view segment : segments) {
    bool valid = !segment.empty() && segment.size() <= kMaxSegment && segment.front() != '-';
    for (char c : segment) valid = valid && IsSegmentChar(c);
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": an org unit is province[/city[/county]], each part 1-",
                       kMaxSegment, " of a-z, 0-9 and '-' (not first), e.g. sn/xa/huyi"));
    }
  }
  return absl::OkStatus();
}

int OrgUnitDepth(absl::string_view org_unit) {
  if (org_unit.empty()) return 0;
  int depth = 1;
  for (char c : org_unit) depth += c == '/' ? 1 : 0;
  return depth;
}

absl::string_view OrgUnitLevelName(absl::string_view org_unit) {
  switch (OrgUnitDepth(org_unit)) {
    case 1:
      return "province";
    case 2:
      return "city";
    default:
      return "county";
  }
}

std::string ParentOrgUnit(absl::string_view org_unit) {
  const size_t slash = org_unit.rfind('/');
  if (slash == absl::string_view::npos) return "";
  return std::string(org_unit.substr(0, slash));
}

bool OrgUnitContains(absl::string_view ancestor, absl::string_view org_unit) {
  if (ancestor.empty() || org_unit.empty()) return false;
  if (org_unit.size() < ancestor.size() || org_unit.substr(0, ancestor.size()) != ancestor) {
    return false;
  }
  return org_unit.size() == ancestor.size() || org_unit[ancestor.size()] == '/';
}

std::string OrgUnitStreamOf(absl::string_view org_unit) {
  return kOrgUnit.StreamOf(absl::StrReplaceAll(org_unit, {{"/", "."}}));
}

std::string OrgUnitAfter(const std::string& unit_before, const v1::DomainEvent& event) {
  if (event.has_meter_dispatched() && !event.meter_dispatched().to_org_unit().empty()) {
    return event.meter_dispatched().to_org_unit();
  }
  return unit_before;
}

std::string StreamOrgUnit(const std::vector<v1::EventEnvelope>& history) {
  if (history.empty()) return "";
  std::string unit = history.front().actor().org_unit();
  for (const v1::EventEnvelope& event : history) {
    if (!event.org_unit().empty()) unit = event.org_unit();
    unit = OrgUnitAfter(unit, event.payload());
  }
  return unit;
}

}  // namespace gridledger::domain
