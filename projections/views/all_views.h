// The views GridLedger has, by name: "ledger", "assets", "kpi", "planning",
// "supervision".
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "projections/runtime/view_host.h"
#include "projections/views/supervision_view.h"

namespace gridledger::projections {

inline constexpr char kAllViewNames[] = "ledger,assets,kpi,planning,supervision";

// Factories for a comma-separated list of names; INVALID_ARGUMENT naming an
// unknown one. "none" or "" gives no views. The supervision view appends its
// alerts through `alert_sink`; without one it only decides (replay).
absl::StatusOr<std::map<std::string, ViewFactory>> ViewsNamed(
    absl::string_view names, const AlertSink& alert_sink = nullptr);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_ALL_VIEWS_H_
