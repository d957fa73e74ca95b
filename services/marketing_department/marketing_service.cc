#include "services/marketing_department/marketing_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/common/validation.h"
#include "domain/customer_service/application.h"
#include "domain/marketing_department/marketing_rules.h"
#include "domain/marketing_department/outage_coordination.h"
#include "domain/marketing_department/supervision_rules.h"
#include "domain/metering_center/supply_topology.h"
#include "projections/views/kpi_view.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"
#include "services/common/service_call.h"
#include "services/marketing_department/supervision_commands.h"

namespace gridledger::marketing {
namespace {

using service::CommandCall;
using service::Principal;

}  // namespace

grpc::Status MarketingService::SetKpiTarget(grpc::ServerContext* context,
                                            const v1::SetKpiTargetRequest* request,
                                            v1::CommandReply* reply) {
  const v1::KpiTargetSet& target = request->target();
  CommandCall call{
      {"marketing_manager"}, request->command_id(), domain::KpiStreamOf(target.org_unit())};
  call.precheck = [&](const Principal&) { return CheckKpiTarget(target); };
  call.creates = true;
  call.unit_field = "target.org_unit";
  call.unit = target.org_unit();
  call.decide = [&](const Principal&,
                    const History&) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    return std::vector<v1::DomainEvent>{DecideKpiTarget(target)};
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::DecideBayApproval(grpc::ServerContext* context,
                                                 const v1::DecideBayApprovalRequest* request,
                                                 v1::CommandReply* reply) {
  CommandCall call{{"marketing_manager"},
                   request->command_id(),
                   domain::kApproval.StreamOf(request->application_id())};
  call.precheck = [&](const Principal&) {
    return CheckBayDecision(request->application_id(), request->grant(), request->reason());
  };
  call.creates = true;
  call.decide = [&](const Principal& principal, const History& history) {
    absl::StatusOr<History> application =
        store_->ReadStream(domain::kApplication.StreamOf(request->application_id()));
    if (!application.ok()) return service::OneEvent(application.status());
    // An application outside the manager's unit is decided as one that does
    // not exist.
    if (!service::InScope(principal, domain::StreamOrgUnit(*application))) application->clear();
    return service::OneEvent(marketing::DecideBayApproval(
        customer::FoldApplication(*application), history, request->application_id(),
        request->grant(), request->reason(), principal.name));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::RaiseAlert(grpc::ServerContext* context,
                                          const v1::RaiseAlertRequest* request,
                                          v1::CommandReply* reply) {
  const v1::SupervisionAlertRaised& alert = request->alert();
  CommandCall call{
      {"marketing_manager"}, request->command_id(), domain::kAlert.StreamOf(alert.alert_id())};
  call.precheck = [&](const Principal& principal) -> absl::Status {
    if (absl::Status s = CheckAlert(alert); !s.ok()) return s;
    // The engine's alerts are its own: their ids, rules and evidence.
    if (absl::StartsWithIgnoreCase(alert.alert_id(), "sv.")) {
      return absl::InvalidArgumentError(
          "alert.alert_id: ids starting \"sv.\" (in any case) are the supervision engine's");
    }
    if (alert.rule() != v1::SUPERVISION_RULE_UNSPECIFIED || !alert.evidence().empty() ||
        alert.threshold() != 0 || alert.observed() != 0 || alert.has_found_at()) {
      return absl::InvalidArgumentError(
          "alert.rule, alert.threshold, alert.observed, alert.evidence, alert.found_at: set only "
          "by the supervision engine; leave them empty");
    }
    if (alert.subject_stream_id().empty()) return absl::OkStatus();
    // The subject must be a stream the manager may see: one outside the
    // manager's unit reads as one that does not exist.
    if (absl::Status s = domain::UnitOfStream(alert.subject_stream_id()).status(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("alert.subject_stream_id: ", s.message()));
    }
    absl::StatusOr<History> subject = store_->ReadStream(alert.subject_stream_id());
    if (!subject.ok()) return subject.status();
    if (subject->empty() || !service::InScope(principal, domain::StreamOrgUnit(*subject))) {
      return service::NotFoundInScope(
          absl::StrCat("alert.subject_stream_id: ", alert.subject_stream_id()));
    }
    return absl::OkStatus();
  };
  call.creates = true;
  call.unit_field = "alert.org_unit";
  call.unit = alert.org_unit();
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideRaiseAlert(history, alert));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::ResolveAlert(grpc::ServerContext* context,
                                            const v1::ResolveAlertRequest* request,
                                            v1::CommandReply* reply) {
  CommandCall call{
      {"marketing_manager"}, request->command_id(), domain::kAlert.StreamOf(request->alert_id())};
  call.precheck = [&](const Principal&) {
    return CheckResolution(request->alert_id(), request->resolution());
  };
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(
        DecideResolveAlert(history, request->alert_id(), request->resolution()));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::RegisterOrgUnit(grpc::ServerContext* context,
                                               const v1::RegisterOrgUnitRequest* request,
                                               v1::CommandReply* reply) {
  const std::string& unit = request->org_unit();
  CommandCall call{{"marketing_manager"}, request->command_id(), domain::OrgUnitStreamOf(unit)};
  call.precheck = [&](const Principal& principal) -> absl::Status {
    if (absl::Status s = CheckOrgUnitRegistration(unit, request->name()); !s.ok()) return s;
    const std::string parent = domain::ParentOrgUnit(unit);
    if (parent.empty()) {
      // A province is the root of everything in it: only its own admin.
      if (!principal.HasRole("admin") || principal.org_unit != unit) {
        return absl::PermissionDeniedError(
            absl::StrCat("org_unit: a province is registered only by an admin of that province; ",
                         principal.name, " is of ", principal.org_unit));
      }
      return absl::OkStatus();
    }
    return service::RequireUnitInScope(principal, "org_unit", parent);
  };
  call.creates = true;
  call.unit = unit;  // the registry entry belongs to the unit itself
  call.decide = [&](const Principal&, const History& history) {
    const std::string parent = domain::ParentOrgUnit(unit);
    bool parent_registered = false;
    if (!parent.empty()) {
      absl::StatusOr<bool> registered = service::IsRegisteredUnit(*store_, parent);
      if (!registered.ok()) return service::OneEvent(registered.status());
      parent_registered = *registered;
    }
    return service::OneEvent(
        DecideRegisterOrgUnit(history, unit, request->name(), parent_registered));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::SetSupervisionThreshold(
    grpc::ServerContext* context, const v1::SetSupervisionThresholdRequest* request,
    v1::CommandReply* reply) {
  const v1::SupervisionThresholdSet& threshold = request->threshold();
  CommandCall call{{"marketing_manager"},
                   request->command_id(),
                   domain::SupervisionStreamOf(threshold.org_unit())};
  call.precheck = [&](const Principal&) { return CheckSupervisionThreshold(threshold); };
  call.creates = true;
  call.unit_field = "threshold.org_unit";
  call.unit = threshold.org_unit();
  call.decide = [&](const Principal&,
                    const History&) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    v1::DomainEvent event;
    *event.mutable_supervision_threshold_set() = threshold;
    return std::vector<v1::DomainEvent>{std::move(event)};
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::RecordClockTick(grpc::ServerContext* context,
                                               const v1::RecordClockTickRequest* request,
                                               v1::CommandReply* reply) {
  CommandCall call{{"admin"}, request->command_id(), std::string(domain::kClockStream)};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (!request->has_at()) return absl::InvalidArgumentError("at: must be set");
    return absl::OkStatus();
  };
  call.latest_only = true;
  call.unscoped = true;
  call.decide = [&](const Principal&,
                    const History& latest) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    absl::StatusOr<v1::Checkpoint> covers = store_->EndCheckpoint();
    if (!covers.ok()) return covers.status();
    return service::OneEvent(
        DecideClockTick(latest, domain::FromTimestamp(request->at()), *covers));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::PlanCustomerMaintenance(
    grpc::ServerContext* context, const v1::PlanCustomerMaintenanceRequest* request,
    v1::CommandReply* reply) {
  const v1::CustomerMaintenancePlanned& plan = request->plan();
  CommandCall call{
      {"marketing_manager"}, request->command_id(), domain::kOutage.StreamOf(plan.plan_id())};
  call.precheck = [&](const Principal&) { return CheckCustomerMaintenance(plan); };
  const absl::Time at = service::CommandTime(*context);
  // The plan belongs to the account's unit (an account the caller may see).
  absl::StatusOr<std::string> unit =
      domain::CheckId("plan.account_id", plan.account_id()).ok()
          ? service::VisibleUnitOf(*store_, *tokens_, *context,
                                   domain::kAccount.StreamOf(plan.account_id()))
          : std::string();
  if (!unit.ok()) return service::ToGrpcStatus(unit.status());
  call.creates = true;
  call.unit_field = "plan.account_id";
  call.unit = *unit;
  call.decide = [&](const Principal& principal,
                    const History& history) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    GL_ASSIGN_OR_RETURN(History visible,
                        service::ReadStreamInScope(*store_, principal,
                                                   domain::kAccount.StreamOf(plan.account_id())));
    return service::OneEvent(DecideCustomerMaintenance(FoldOutagePlan(history), visible, plan, at));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::PlanGridOutage(grpc::ServerContext* context,
                                              const v1::PlanGridOutageRequest* request,
                                              v1::CommandReply* reply) {
  const v1::GridOutagePlanned& plan = request->plan();
  CommandCall call{
      {"marketing_manager"}, request->command_id(), domain::kOutage.StreamOf(plan.plan_id())};
  call.precheck = [&](const Principal&) { return CheckGridOutage(plan); };
  const absl::Time at = service::CommandTime(*context);
  absl::StatusOr<std::string> unit =
      domain::CheckId("plan.feeder_id", plan.feeder_id()).ok()
          ? service::VisibleUnitOf(*store_, *tokens_, *context,
                                   domain::kSupply.StreamOf(plan.feeder_id()))
          : std::string();
  if (!unit.ok()) return service::ToGrpcStatus(unit.status());
  call.creates = true;
  call.unit_field = "plan.feeder_id";
  call.unit = *unit;
  call.decide = [&](const Principal& principal,
                    const History& history) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    GL_ASSIGN_OR_RETURN(
        History visible,
        service::ReadStreamInScope(*store_, principal, domain::kSupply.StreamOf(plan.feeder_id())));
    const metering::SupplyNodeState node = metering::FoldSupplyNode(visible);
    std::optional<v1::SupplyNodeRegistered> registered;
    if (node.registered) registered = node.node;
    return service::OneEvent(DecideGridOutage(FoldOutagePlan(history), registered, plan, at));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::CoordinateOutage(grpc::ServerContext* context,
                                                const v1::CoordinateOutageRequest* request,
                                                v1::CommandReply* reply) {
  CommandCall call{{"marketing_manager"},
                   request->command_id(),
                   domain::kOutage.StreamOf(request->customer_plan_id())};
  call.precheck = [&](const Principal&) -> absl::Status {
    GL_RETURN_IF_ERROR(domain::CheckId("customer_plan_id", request->customer_plan_id()));
    GL_RETURN_IF_ERROR(domain::CheckId("grid_plan_id", request->grid_plan_id()));
    return CoordinationWithin(request->within_days()).status();
  };
  call.decide = [&](const Principal& principal,
                    const History& history) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    GL_ASSIGN_OR_RETURN(History grid,
                        service::ReadStreamInScope(
                            *store_, principal, domain::kOutage.StreamOf(request->grid_plan_id())));
    GL_ASSIGN_OR_RETURN(v1::DomainEvent event,
                        DecideCoordination(FoldOutagePlan(history), FoldOutagePlan(grid), *request,
                                           principal.name));
    // The substation the feeder leaves, for people reading the decision.
    GL_ASSIGN_OR_RETURN(
        History feeder,
        service::ReadStreamInScope(
            *store_, principal, domain::kSupply.StreamOf(event.outage_coordinated().feeder_id())));
    event.mutable_outage_coordinated()->set_substation(
        metering::FoldSupplyNode(feeder).node.substation());
    return std::vector<v1::DomainEvent>{std::move(event)};
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::MeasureKpis(grpc::ServerContext* context,
                                           const v1::MeasureKpisRequest* request,
                                           v1::CommandReply* reply) {
  // The unit: the request's, else the caller's (a failed authentication is
  // answered by ServeCommand).
  std::string unit = request->org_unit();
  if (unit.empty()) {
    absl::StatusOr<Principal> principal = service::Authenticate(*tokens_, *context);
    if (principal.ok()) unit = principal->org_unit;
  }
  CommandCall call{{"marketing_manager"}, request->command_id(), domain::KpiStreamOf(unit)};
  const v1::Period& period = request->period();
  call.precheck = [&](const Principal&) -> absl::Status {
    GL_RETURN_IF_ERROR(domain::CheckOrgUnit("org_unit", unit));
    if (period.year() < 1990 || period.year() > 2100 || period.month() < 1 || period.month() > 12) {
      return absl::InvalidArgumentError("period: must be a month of 1990–2100");
    }
    return absl::OkStatus();
  };
  call.creates = true;
  call.unit_field = "org_unit";
  call.unit = unit;
  call.decide = [&](const Principal&,
                    const History&) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    std::shared_ptr<projections::ProjectionRunner> kpis =
        views_ == nullptr ? nullptr : views_->Find("kpi");
    if (kpis == nullptr) {
      return absl::FailedPreconditionError(
          "this server hosts no kpi view (--views); measure on one that does");
    }
    const projections::ViewReader reader(kpis->db());
    GL_ASSIGN_OR_RETURN(v1::KpiReport report,
                        projections::ReadKpis(reader, unit, period, domain::UtilityToday()));
    v1::DomainEvent event;
    v1::KpiMeasured& measured = *event.mutable_kpi_measured();
    measured.set_org_unit(unit);
    *measured.mutable_period() = period;
    *measured.mutable_as_of() = report.as_of();
    for (const v1::KpiValue& v : report.values()) {
      if (!v.has_target()) continue;
      v1::KpiMeasurement& m = *measured.add_values();
      m.set_kpi(v.kpi());
      m.set_measure(v.measure());
      m.set_value(v.value());
      m.set_unit(v.unit());
      m.set_numerator(v.numerator());
      m.set_denominator(v.denominator());
      m.set_target_value(v.target_value());
      m.set_meets_target(v.meets_target());
    }
    if (measured.values().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no KPI target is set for ", unit, " and ", period.year(), "-",
                       period.month(), " (SetKpiTarget): nothing to measure against"));
    }
    for (const v1::Position& p : reader.reflects().next()) {
      v1::PartitionMark& mark = *measured.add_reflects();
      mark.set_partition(p.partition());
      mark.set_next_offset(p.offset());
    }
    return std::vector<v1::DomainEvent>{std::move(event)};
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

}  // namespace gridledger::marketing
