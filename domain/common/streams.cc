#include "domain/common/streams.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gridledger::domain {

std::string StreamCategory::StreamOf(absl::string_view id) const {
  return absl::StrCat(prefix, id);
}

bool StreamCategory::Holds(absl::string_view stream_id) const {
  return absl::StartsWith(stream_id, prefix);
}

absl::string_view StreamCategory::IdOf(absl::string_view stream_id) const {
  return stream_id.substr(prefix.size());
}

namespace {

// "sn/xa/huyi" → "sn.xa.huyi": a unit as the id part of a stream id.
std::string UnitAsId(absl::string_view org_unit) {
  std::string id(org_unit);
  std::replace(id.begin(), id.end(), '/', '.');
  return id;
}

}  // namespace

std::string KpiStreamOf(absl::string_view org_unit) { return kKpi.StreamOf(UnitAsId(org_unit)); }

std::string SupervisionStreamOf(absl::string_view org_unit) {
  return kSupervision.StreamOf(UnitAsId(org_unit));
}

absl::StatusOr<absl::string_view> UnitOfStream(absl::string_view stream_id) {
  const size_t dash = stream_id.find('-');
  if (dash == absl::string_view::npos || dash + 1 == stream_id.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream_id: must have the form <category>-<id>, got \"", stream_id, "\""));
  }
  const absl::string_view category = stream_id.substr(0, dash);
  for (const StreamCategory& entry : kStreamCategories) {
    if (entry.name == category) return entry.unit;
  }
  std::string known;
  for (const StreamCategory& entry : kStreamCategories) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", entry.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("stream_id: unknown category \"", category, "\"; known categories: ", known));
}

}  // namespace gridledger::domain
