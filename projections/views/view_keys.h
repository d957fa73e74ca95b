// Key helpers shared by the views. Keys sort as their meaning
// does: periods as "yyyymm", dates as "yyyymmdd", sequence numbers as 16
// zero-padded digits. An org unit "sn/xa/huyi" is keyed as "sn/xa/huyi/|", so
// the prefix of a unit's key selects it and every unit under it.
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_VIEW_KEYS_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_VIEW_KEYS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::projections {

std::string PeriodKey(const v1::Period& period);  // "202611"
std::string DateKey(const v1::Date& date);        // "20261126"
std::string SequenceKey(int64_t sequence);        // "0000000000000042"
// "sn/xa/huyi" → "sn/xa/huyi/|"; the prefix for a unit and all under it is
// UnitPrefix(unit) = "sn/xa/huyi/".
std::string UnitKey(absl::string_view org_unit);
std::string UnitPrefix(absl::string_view org_unit);
// The unit and every unit above it: "sn/xa/huyi" → sn, sn/xa, sn/xa/huyi.
std::vector<std::string> UnitAndAncestors(absl::string_view org_unit);

// Dates from times and civil days: domain/common/calendar.h.
v1::Period PeriodOf(const v1::Date& date);
bool IsSet(const v1::Date& date);
bool IsSet(const v1::Period& period);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_VIEW_KEYS_H_
