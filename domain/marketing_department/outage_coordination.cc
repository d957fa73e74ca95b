#include "domain/marketing_department/outage_coordination.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/validation.h"

namespace gridledger::marketing {
namespace {

constexpr size_t kMaxReasonBytes = 2000;
constexpr int64_t kMaxLoadW = 10'000'000'000;  // 10 GW

absl::Status CheckWindow(const google::protobuf::Timestamp& starts_at,
                         const google::protobuf::Timestamp& ends_at) {
  if (starts_at.seconds() <= 0) {
    return absl::InvalidArgumentError("plan.starts_at: required");
  }
  const absl::Time start = domain::FromTimestamp(starts_at);
  const absl::Time end = domain::FromTimestamp(ends_at);
  if (end <= start) {
    return absl::InvalidArgumentError("plan.ends_at: must be after plan.starts_at");
  }
  if (end - start > kMaxOutageWindow) {
    return absl::InvalidArgumentError("plan.ends_at: a planned outage lasts at most 30 days");
  }
  return absl::OkStatus();
}

absl::Duration Length(const google::protobuf::Timestamp& from,
                      const google::protobuf::Timestamp& to) {
  return domain::FromTimestamp(to) - domain::FromTimestamp(from);
}

}  // namespace

OutagePlanState FoldOutagePlan(const std::vector<v1::EventEnvelope>& history) {
  OutagePlanState state;
  for (const v1::EventEnvelope& envelope : history) {
    const v1::DomainEvent& event = envelope.payload();
    if (event.has_customer_maintenance_planned()) {
      state.customer = event.customer_maintenance_planned();
    } else if (event.has_grid_outage_planned()) {
      state.grid = event.grid_outage_planned();
    } else if (event.has_outage_coordinated()) {
      state.decision = event.outage_coordinated();
    }
  }
  return state;
}

absl::Status CheckCustomerMaintenance(const v1::CustomerMaintenancePlanned& plan) {
  GL_RETURN_IF_ERROR(domain::CheckId("plan.plan_id", plan.plan_id()));
  GL_RETURN_IF_ERROR(domain::CheckId("plan.account_id", plan.account_id()));
  GL_RETURN_IF_ERROR(CheckWindow(plan.starts_at(), plan.ends_at()));
  if (plan.load_w() <= 0 || plan.load_w() > kMaxLoadW) {
    return absl::InvalidArgumentError(
        "plan.load_w: the load the customer draws outside its maintenance, 1 W to 10 GW");
  }
  return domain::CheckText("plan.reason", plan.reason(), kMaxReasonBytes, false);
}

absl::Status CheckGridOutage(const v1::GridOutagePlanned& plan) {
  GL_RETURN_IF_ERROR(domain::CheckId("plan.plan_id", plan.plan_id()));
  GL_RETURN_IF_ERROR(domain::CheckId("plan.feeder_id", plan.feeder_id()));
  GL_RETURN_IF_ERROR(CheckWindow(plan.starts_at(), plan.ends_at()));
  return domain::CheckText("plan.reason", plan.reason(), kMaxReasonBytes, false);
}

namespace {

// A plan still to come (its window ends after `now`), in `unit` when it
// names one.
absl::Status RequireAhead(const google::protobuf::Timestamp& ends_at, absl::Time now) {
  if (domain::FromTimestamp(ends_at) <= now) {
    return absl::FailedPreconditionError(
        "plan.ends_at: the window is over by the command's time; plan outages still to come");
  }
  return absl::OkStatus();
}

absl::Status RequireUnit(const std::string& named, const std::string& unit,
                         absl::string_view whose) {
  if (!named.empty() && named != unit) {
    return absl::FailedPreconditionError(
        absl::StrCat("plan.org_unit: ", named, " is not ", whose, " unit ", unit));
  }
  return absl::OkStatus();
}

absl::Status RequireNew(const OutagePlanState& existing, const std::string& plan_id) {
  if (existing.customer || existing.grid) {
    return absl::AlreadyExistsError(
        absl::StrCat("plan.plan_id: outage plan ", plan_id, " exists already"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideCustomerMaintenance(
    const OutagePlanState& existing, const std::vector<v1::EventEnvelope>& account_history,
    v1::CustomerMaintenancePlanned plan, absl::Time now) {
  GL_RETURN_IF_ERROR(CheckCustomerMaintenance(plan));
  GL_RETURN_IF_ERROR(RequireNew(existing, plan.plan_id()));
  GL_RETURN_IF_ERROR(RequireAhead(plan.ends_at(), now));
  bool opened = false;
  bool closed = false;
  std::optional<v1::AccountConnected> connection;
  for (const v1::EventEnvelope& envelope : account_history) {
    opened = opened || envelope.payload().has_account_opened();
    closed = closed || envelope.payload().has_account_closed();
    if (envelope.payload().has_account_connected()) {
      connection = envelope.payload().account_connected();
    }
  }
  if (!opened) {
    return absl::NotFoundError(
        absl::StrCat("plan.account_id: account ", plan.account_id(), " is unknown"));
  }
  if (closed) {
    return absl::FailedPreconditionError(
        absl::StrCat("plan.account_id: account ", plan.account_id(), " is closed"));
  }
  if (!connection) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plan.account_id: account ", plan.account_id(),
        " is connected to no transformer area (MeteringCenter.ConnectAccount), so its feeder "
        "is unknown"));
  }
  if (!plan.feeder_id().empty() && plan.feeder_id() != connection->feeder_id()) {
    return absl::FailedPreconditionError(absl::StrCat("plan.feeder_id: ", plan.feeder_id(),
                                                      " is not the account's feeder ",
                                                      connection->feeder_id()));
  }
  const std::string unit = domain::StreamOrgUnit(account_history);
  GL_RETURN_IF_ERROR(RequireUnit(plan.org_unit(), unit, "the account's"));
  plan.set_feeder_id(connection->feeder_id());
  plan.set_org_unit(unit);
  v1::DomainEvent event;
  *event.mutable_customer_maintenance_planned() = std::move(plan);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideGridOutage(
    const OutagePlanState& existing, const std::optional<v1::SupplyNodeRegistered>& feeder,
    v1::GridOutagePlanned plan, absl::Time now) {
  GL_RETURN_IF_ERROR(CheckGridOutage(plan));
  GL_RETURN_IF_ERROR(RequireNew(existing, plan.plan_id()));
  GL_RETURN_IF_ERROR(RequireAhead(plan.ends_at(), now));
  if (!feeder) {
    return absl::NotFoundError(
        absl::StrCat("plan.feeder_id: feeder ", plan.feeder_id(), " is not registered"));
  }
  if (feeder->kind() != v1::SUPPLY_NODE_KIND_FEEDER) {
    return absl::FailedPreconditionError(
        absl::StrCat("plan.feeder_id: ", plan.feeder_id(), " is not a feeder"));
  }
  GL_RETURN_IF_ERROR(RequireUnit(plan.org_unit(), feeder->org_unit(), "the feeder's"));
  plan.set_org_unit(feeder->org_unit());
  v1::DomainEvent event;
  *event.mutable_grid_outage_planned() = std::move(plan);
  return event;
}

std::optional<v1::CoordinationProposal> Coordinate(const v1::CustomerMaintenancePlanned& customer,
                                                   const v1::GridOutagePlanned& grid,
                                                   absl::Duration within) {
  if (customer.feeder_id() != grid.feeder_id()) return std::nullopt;
  const absl::Time c_start = domain::FromTimestamp(customer.starts_at());
  const absl::Time c_end = domain::FromTimestamp(customer.ends_at());
  const absl::Time g_start = domain::FromTimestamp(grid.starts_at());
  const absl::Time g_end = domain::FromTimestamp(grid.ends_at());
  const absl::Duration gap =
      std::max(absl::ZeroDuration(), std::max(c_start, g_start) - std::min(c_end, g_end));
  if (gap > within) return std::nullopt;
  const absl::Duration customer_length = c_end - c_start;
  const absl::Duration grid_length = g_end - g_start;
  v1::CoordinationProposal proposal;
  *proposal.mutable_customer_plan() = customer;
  *proposal.mutable_grid_plan() = grid;
  *proposal.mutable_starts_at() = grid.starts_at();
  *proposal.mutable_ends_at() =
      domain::ToTimestamp(g_start + std::max(customer_length, grid_length));
  const int64_t shorter_s = absl::ToInt64Seconds(std::min(customer_length, grid_length));
  // W × s / 3600 = Wh; load ≤ 10^10 W and 30 days ≤ 2.6 × 10^6 s fit in 64 bits.
  proposal.set_energy_saved_wh((customer.load_w() * shorter_s + 1800) / 3600);
  proposal.set_gap_s(absl::ToInt64Seconds(gap));
  return proposal;
}

std::vector<v1::CoordinationProposal> ProposeCoordinations(
    const std::vector<v1::CustomerMaintenancePlanned>& customer_plans,
    const std::vector<v1::GridOutagePlanned>& grid_plans, absl::Duration within) {
  std::vector<v1::CoordinationProposal> proposals;
  for (const v1::CustomerMaintenancePlanned& customer : customer_plans) {
    for (const v1::GridOutagePlanned& grid : grid_plans) {
      if (std::optional<v1::CoordinationProposal> p = Coordinate(customer, grid, within)) {
        proposals.push_back(*std::move(p));
      }
    }
  }
  std::sort(proposals.begin(), proposals.end(),
            [](const v1::CoordinationProposal& a, const v1::CoordinationProposal& b) {
              return std::tie(a.customer_plan().feeder_id(), a.customer_plan().plan_id(),
                              a.grid_plan().plan_id()) < std::tie(b.customer_plan().feeder_id(),
                                                                  b.customer_plan().plan_id(),
                                                                  b.grid_plan().plan_id());
            });
  return proposals;
}

absl::StatusOr<absl::Duration> CoordinationWithin(int32_t within_days) {
  if (within_days == 0) return absl::Hours(24 * kDefaultCoordinationDays);
  if (within_days < 0 || within_days > kMaxCoordinationDays) {
    return absl::InvalidArgumentError(absl::StrCat("within_days: must be 1 to ",
                                                   kMaxCoordinationDays, " (0: the default ",
                                                   kDefaultCoordinationDays, ")"));
  }
  return absl::Hours(24 * within_days);
}

absl::StatusOr<v1::DomainEvent> DecideCoordination(const OutagePlanState& customer,
                                                   const OutagePlanState& grid,
                                                   const v1::CoordinateOutageRequest& request,
                                                   const std::string& principal) {
  GL_RETURN_IF_ERROR(domain::CheckId("customer_plan_id", request.customer_plan_id()));
  GL_RETURN_IF_ERROR(domain::CheckId("grid_plan_id", request.grid_plan_id()));
  GL_RETURN_IF_ERROR(
      domain::CheckText("reason", request.reason(), kMaxReasonBytes, !request.accept()));
  GL_ASSIGN_OR_RETURN(const absl::Duration within, CoordinationWithin(request.within_days()));
  if (!customer.customer) {
    return absl::NotFoundError(absl::StrCat("customer_plan_id: ", request.customer_plan_id(),
                                            " is not a customer's maintenance plan"));
  }
  if (!grid.grid) {
    return absl::NotFoundError(
        absl::StrCat("grid_plan_id: ", request.grid_plan_id(), " is not a grid outage plan"));
  }
  if (customer.decision) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer_plan_id: plan ", request.customer_plan_id(), " was decided already (",
        customer.decision->accepted() ? "coordinated with " : "declined with ",
        customer.decision->grid_plan_id(), ")"));
  }
  const v1::CustomerMaintenancePlanned& c = *customer.customer;
  const v1::GridOutagePlanned& g = *grid.grid;
  v1::DomainEvent event;
  v1::OutageCoordinated& decided = *event.mutable_outage_coordinated();
  decided.set_outage_id(c.plan_id());
  decided.set_account_id(c.account_id());
  decided.set_grid_plan_id(g.plan_id());
  decided.set_feeder_id(c.feeder_id());
  decided.set_accepted(request.accept());
  decided.set_decided_by(principal);
  decided.set_reason(request.reason());
  if (c.feeder_id() != g.feeder_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "grid_plan_id: plan ", g.plan_id(), " is on feeder ", g.feeder_id(),
        ", the customer's plan on ", c.feeder_id(), "; only plans of one feeder coordinate"));
  }
  if (request.accept()) {
    std::optional<v1::CoordinationProposal> proposal = Coordinate(c, g, within);
    if (!proposal) {
      return absl::FailedPreconditionError(
          absl::StrCat("the plans are more than ", absl::ToInt64Hours(within) / 24,
                       " days apart (within_days); they cannot be coordinated"));
    }
    *decided.mutable_starts_at() = proposal->starts_at();
    *decided.mutable_ends_at() = proposal->ends_at();
    decided.set_energy_saved_wh(proposal->energy_saved_wh());
  } else {
    *decided.mutable_starts_at() = c.starts_at();
    *decided.mutable_ends_at() = c.ends_at();
  }
  return event;
}

}  // namespace gridledger::marketing
