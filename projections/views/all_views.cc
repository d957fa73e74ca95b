#include "projections/views/all_views.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "projections/views/asset_lifecycle_view.h"
#include "projections/views/kpi_view.h"
#include "projections/views/ledger_view.h"
#include "projections/views/planning_view.h"

namespace gridledger::projections {

absl::StatusOr<std::map<std::string, ViewFactory>> ViewsNamed(absl::string_view names,
                                                              const AlertSink& alert_sink) {
  std::map<std::string, ViewFactory> views;
  if (names == "none") return views;
  for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipEmpty())) {
    if (name == "ledger") {
      views["ledger"] = [] { return std::make_unique<LedgerView>(); };
    } else if (name == "assets") {
      views["assets"] = [] { return std::make_unique<AssetLifecycleView>(); };
    } else if (name == "kpi") {
      views["kpi"] = [] { return std::make_unique<KpiView>(); };
    } else if (name == "planning") {
      views["planning"] = [] { return std::make_unique<PlanningView>(); };
    } else if (name == "supervision") {
      views["supervision"] = [alert_sink] { return std::make_unique<SupervisionView>(alert_sink); };
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--views: unknown view \"", name, "\"; available: ", kAllViewNames));
    }
  }
  return views;
}

}  // namespace gridledger::projections
