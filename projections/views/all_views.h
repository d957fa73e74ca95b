// The views GridLedger has, by name: "ledger", "assets", "kpi".
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "projections/runtime/view_host.h"

namespace gridledger::projections {

inline constexpr char kAllViewNames[] = "ledger,assets,kpi";

// Factories for a comma-separated list of names; INVALID_ARGUMENT naming an
// unknown one. "none" or "" gives no views.
absl::StatusOr<std::map<std::string, ViewFactory>> ViewsNamed(absl::string_view names);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_
