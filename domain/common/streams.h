// The one definition of GridLedger's streams: each aggregate's category, the
// unit whose topic carries it, and how an aggregate's id becomes its stream id
// ("<category>-<id>"). Every writer, view and test names streams through here.
//
//   const std::string stream = kAccount.StreamOf("42");   // "account-42"
//   if (kMeter.Holds(event.stream_id())) …
//   absl::StatusOr<absl::string_view> unit = UnitOfStream("meter-ZZ01");  // "metering"
//
// Pure and thread-safe.
#ifndef GRIDLEDGER_DOMAIN_COMMON_STREAMS_H_
#define GRIDLEDGER_DOMAIN_COMMON_STREAMS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::domain {

// The four units; each has one Kafka topic ("<prefix>.<unit>.v1").
inline constexpr absl::string_view kCustomerUnit = "customer";
inline constexpr absl::string_view kBillingUnit = "billing";
inline constexpr absl::string_view kMeteringUnit = "metering";
inline constexpr absl::string_view kMarketingUnit = "marketing";
inline constexpr absl::string_view kUnits[] = {kCustomerUnit, kBillingUnit, kMeteringUnit,
                                               kMarketingUnit};

// A kind of aggregate and its stream ids.
struct StreamCategory {
  absl::string_view name;    // "account"
  absl::string_view prefix;  // "account-": every stream id of the category starts so
  absl::string_view unit;    // "billing": whose topic carries its streams

  // prefix + id. The id is not checked here (see CheckId in validation.h).
  std::string StreamOf(absl::string_view id) const;
  // Whether `stream_id` belongs to this category.
  bool Holds(absl::string_view stream_id) const;
  // The aggregate id of one of this category's streams ("account-42" → "42");
  // `stream_id` must be Held.
  absl::string_view IdOf(absl::string_view stream_id) const;
};

inline constexpr StreamCategory kApplication{"application", "application-", kCustomerUnit};
inline constexpr StreamCategory kTicket{"ticket", "ticket-", kCustomerUnit};
inline constexpr StreamCategory kAccount{"account", "account-", kBillingUnit};
inline constexpr StreamCategory kTariff{"tariff", "tariff-", kBillingUnit};
inline constexpr StreamCategory kWholesale{"wholesale", "wholesale-", kBillingUnit};
inline constexpr StreamCategory kMeter{"meter", "meter-", kMeteringUnit};
inline constexpr StreamCategory kVoucher{"voucher", "voucher-", kMeteringUnit};
// Supply nodes (feeders, transformer areas) and their gateway reads.
inline constexpr StreamCategory kSupply{"supply", "supply-", kMeteringUnit};
inline constexpr StreamCategory kKpi{"kpi", "kpi-", kMarketingUnit};
inline constexpr StreamCategory kApproval{"approval", "approval-", kMarketingUnit};
inline constexpr StreamCategory kAlert{"alert", "alert-", kMarketingUnit};
inline constexpr StreamCategory kOutage{"outage", "outage-", kMarketingUnit};
// The org-unit registry: one stream per unit (org_units.h, OrgUnitStreamOf).
inline constexpr StreamCategory kOrgUnit{"orgunit", "orgunit-", kMarketingUnit};
// Supervision thresholds of one org unit (SupervisionStreamOf).
inline constexpr StreamCategory kSupervision{"supervision", "supervision-", kMarketingUnit};
// The clock the supervision engine judges time by: one stream, kClockStream.
inline constexpr StreamCategory kClock{"clock", "clock-", kMarketingUnit};
inline constexpr absl::string_view kClockStream = "clock-utility";

inline constexpr StreamCategory kStreamCategories[] = {
    kApplication, kTicket,   kAccount, kTariff, kWholesale, kMeter,       kVoucher, kSupply,
    kKpi,         kApproval, kAlert,   kOutage, kOrgUnit,   kSupervision, kClock,
};

// The KPI stream of an org unit: "/" becomes "." ("sn/xa/huyi" → "kpi-sn.xa.huyi").
std::string KpiStreamOf(absl::string_view org_unit);
// The supervision-threshold stream of an org unit, likewise
// ("sn/xa" → "supervision-sn.xa").
std::string SupervisionStreamOf(absl::string_view org_unit);

// The unit whose topic carries `stream_id`. INVALID_ARGUMENT (field
// "stream_id") unless it has the form <category>-<id> with a known category;
// the message lists the known ones.
absl::StatusOr<absl::string_view> UnitOfStream(absl::string_view stream_id);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_STREAMS_H_
