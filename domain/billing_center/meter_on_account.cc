#include "domain/billing_center/meter_on_account.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/tariff/rules.h"
#include "domain/common/calendar.h"

namespace gridledger::billing {
namespace {

absl::CivilDay DayOf(const google::protobuf::Timestamp& stated, bool is_set,
                     const v1::EventEnvelope& event) {
  return domain::UtilityDay(domain::FromTimestamp(is_set ? stated : event.occurred_at()));
}

}  // namespace

absl::Status CheckMeterOnAccount(const std::vector<v1::EventEnvelope>& meter_history,
                                 const std::string& bar_code, const std::string& account_id,
                                 absl::Time read_at) {
  const absl::CivilDay read_day = domain::UtilityDay(read_at);
  std::optional<absl::CivilDay> installed_on;  // on this account, not yet removed
  std::string last_account;                    // where it was last installed
  for (const v1::EventEnvelope& event : meter_history) {
    if (event.payload().has_meter_installed()) {
      const v1::MeterInstalled& installed = event.payload().meter_installed();
      last_account = installed.account_id();
      installed_on.reset();
      if (installed.account_id() == account_id) {
        installed_on = DayOf(installed.installed_at(), installed.has_installed_at(), event);
      }
    } else if (event.payload().has_meter_removed() && installed_on) {
      const v1::MeterRemoved& removed = event.payload().meter_removed();
      const absl::CivilDay removed_on =
          DayOf(removed.removed_at(), removed.has_removed_at(), event);
      if (*installed_on <= read_day && read_day <= removed_on) return absl::OkStatus();
      installed_on.reset();
    }
  }
  if (installed_on && *installed_on <= read_day) return absl::OkStatus();
  std::string where;
  if (meter_history.empty()) {
    where = "no such meter is registered";
  } else if (last_account.empty()) {
    where = "it was never installed";
  } else if (last_account != account_id) {
    where = "it is installed on another account";  // named to no one outside its scope
  } else {
    where = absl::StrCat("it was not installed there on ", absl::FormatCivilTime(read_day));
  }
  return absl::FailedPreconditionError(absl::StrCat("read.meter_bar_code: meter ", bar_code,
                                                    " is not on account ", account_id, " (", where,
                                                    "; ", rules::kMeterOnAccount, ")"));
}

}  // namespace gridledger::billing
