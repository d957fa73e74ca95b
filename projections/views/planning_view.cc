#include "projections/views/planning_view.h"

#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "projections/views/outage_view.h"
#include "projections/views/view_keys.h"

namespace gridledger::projections {
namespace {

std::string ApplicationKey(absl::string_view id) { return absl::StrCat("pa/", id); }

std::string RowKey(absl::string_view unit, const v1::Period& period, int32_t voltage_class) {
  return absl::StrCat("pd/", unit, "/|", PeriodKey(period), "/", voltage_class);
}

bool IsDemand(v1::ApplicationType type) {
  return type == v1::APPLICATION_TYPE_NEW_CONNECTION ||
         type == v1::APPLICATION_TYPE_CAPACITY_INCREASE;
}

// Adds to the row of the application's unit and of every unit above it.
absl::Status Count(ViewTxn& txn, const v1::PlanningApplication& a,
                   const std::function<void(v1::DemandRow&)>& change) {
  for (const std::string& unit : UnitAndAncestors(a.org_unit())) {
    const std::string key = RowKey(unit, a.period(), a.voltage_class());
    v1::DemandRow row;
    GL_RETURN_IF_ERROR(txn.GetProto(key, &row).status());
    change(row);
    txn.PutProto(key, row);
  }
  return absl::OkStatus();
}

void AddRow(const v1::DemandRow& from, v1::DemandRow* to) {
  to->set_applied(to->applied() + from.applied());
  to->set_applied_kva(to->applied_kva() + from.applied_kva());
  to->set_accepted(to->accepted() + from.accepted());
  to->set_accepted_kva(to->accepted_kva() + from.accepted_kva());
  to->set_energised(to->energised() + from.energised());
  to->set_energised_kva(to->energised_kva() + from.energised_kva());
  to->set_ended(to->ended() + from.ended());
  to->set_ended_kva(to->ended_kva() + from.ended_kva());
  to->set_pending(to->pending() + from.pending());
  to->set_pending_kva(to->pending_kva() + from.pending_kva());
}

}  // namespace

eventstore::SubscriptionFilter PlanningView::filter() const {
  eventstore::SubscriptionFilter filter;
  filter.stream_prefixes = {std::string(domain::kApplication.prefix),
                            std::string(domain::kOutage.prefix)};
  return filter;
}

absl::Status PlanningView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  if (domain::kOutage.Holds(event.stream_id())) return ApplyOutageEvent(event, txn);
  const std::string id(domain::kApplication.IdOf(event.stream_id()));
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_application_submitted()) {
    const v1::ApplicationSubmitted& submitted = payload.application_submitted();
    if (!IsDemand(submitted.application_type())) return absl::OkStatus();
    v1::PlanningApplication a;
    a.set_org_unit(event.org_unit().empty() ? submitted.org_unit() : event.org_unit());
    const google::protobuf::Timestamp& at =
        submitted.has_submitted_at() ? submitted.submitted_at() : event.occurred_at();
    *a.mutable_period() = PeriodOf(domain::UtilityDate(at));
    a.set_voltage_class(submitted.voltage_class());
    a.set_capacity_kva(submitted.requested_capacity_kva());
    txn.PutProto(ApplicationKey(id), a);
    return Count(txn, a, [&](v1::DemandRow& row) {
      row.set_applied(row.applied() + 1);
      row.set_applied_kva(row.applied_kva() + a.capacity_kva());
    });
  }
  v1::PlanningApplication a;
  GL_ASSIGN_OR_RETURN(bool known, txn.GetProto(ApplicationKey(id), &a));
  if (!known) return absl::OkStatus();  // not demand
  switch (payload.event_case()) {
    case v1::DomainEvent::kApplicationAccepted:
      if (a.accepted()) return absl::OkStatus();
      a.set_accepted(true);
      GL_RETURN_IF_ERROR(Count(txn, a, [&](v1::DemandRow& row) {
        row.set_accepted(row.accepted() + 1);
        row.set_accepted_kva(row.accepted_kva() + a.capacity_kva());
      }));
      break;
    case v1::DomainEvent::kSupplyEnergised:
      if (a.energised() || a.ended()) return absl::OkStatus();
      a.set_energised(true);
      GL_RETURN_IF_ERROR(Count(txn, a, [&](v1::DemandRow& row) {
        row.set_energised(row.energised() + 1);
        row.set_energised_kva(row.energised_kva() + a.capacity_kva());
      }));
      break;
    case v1::DomainEvent::kApplicationRejected:
    case v1::DomainEvent::kApplicationWithdrawn:
      if (a.energised() || a.ended()) return absl::OkStatus();
      a.set_ended(true);
      GL_RETURN_IF_ERROR(Count(txn, a, [&](v1::DemandRow& row) {
        row.set_ended(row.ended() + 1);
        row.set_ended_kva(row.ended_kva() + a.capacity_kva());
      }));
      break;
    default:
      return absl::OkStatus();
  }
  txn.PutProto(ApplicationKey(id), a);
  return absl::OkStatus();
}

absl::StatusOr<v1::DemandReport> ReadDemand(const ViewReader& reader, const std::string& org_unit,
                                            const v1::Period& from, const v1::Period& to) {
  v1::DemandReport report;
  report.set_org_unit(org_unit);
  const std::string prefix = absl::StrCat("pd/", org_unit, "/|");
  const std::string first = absl::StrCat(prefix, PeriodKey(from), "/");
  const std::string last = PeriodKey(to);
  absl::Status error;
  GL_RETURN_IF_ERROR(
      reader.Scan(prefix, first, [&](absl::string_view key, absl::string_view value) {
        const absl::string_view rest = key.substr(prefix.size());  // yyyymm/<class>
        if (rest.substr(0, 6) > last) return false;
        v1::DemandRow row;
        if (!row.ParseFromString(std::string(value))) {
          error = absl::DataLossError(absl::StrCat("view record ", key, " does not parse"));
          return false;
        }
        int year = 0, month = 0, voltage = 0;
        if (std::sscanf(std::string(rest).c_str(), "%4d%2d/%d", &year, &month, &voltage) != 3) {
          error = absl::DataLossError(absl::StrCat("view key ", key, " is malformed"));
          return false;
        }
        row.mutable_period()->set_year(year);
        row.mutable_period()->set_month(month);
        row.set_voltage_class(static_cast<v1::VoltageClass>(voltage));
        row.set_pending(row.applied() - row.energised() - row.ended());
        row.set_pending_kva(row.applied_kva() - row.energised_kva() - row.ended_kva());
        AddRow(row, report.mutable_total());
        *report.add_rows() = std::move(row);
        return true;
      }));
  GL_RETURN_IF_ERROR(error);
  *report.mutable_reflects() = reader.reflects();
  return report;
}

}  // namespace gridledger::projections
