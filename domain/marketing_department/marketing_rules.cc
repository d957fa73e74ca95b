#include "domain/marketing_department/marketing_rules.h"

#include "absl/strings/str_cat.h"
#include "domain/common/org_units.h"
#include "domain/common/validation.h"

namespace gridledger::marketing {

absl::Status CheckKpiTarget(const v1::KpiTargetSet& target) {
  if (absl::Status s = domain::CheckOrgUnit("target.org_unit", target.org_unit()); !s.ok()) {
    return s;
  }
  if (target.kpi() == v1::KPI_UNSPECIFIED) {
    return absl::InvalidArgumentError("target.kpi: must be set");
  }
  if (target.period().year() < 1990 || target.period().month() < 1 ||
      target.period().month() > 12) {
    return absl::InvalidArgumentError("target.period: must be a valid month");
  }
  if (!v1::Kpi_IsValid(target.kpi())) {
    return absl::InvalidArgumentError(
        absl::StrCat("target.kpi: ", static_cast<int>(target.kpi()), " is not a known KPI"));
  }
  // The unit the KPI view reports the KPI in (KPIS.md).
  const std::string unit = target.kpi() == v1::KPI_ARREARS ? "fen"
                           : target.kpi() == v1::KPI_METERS_OVERDUE_FOR_VERIFICATION ||
                                   target.kpi() == v1::KPI_VOUCHERS_REFUSED
                               ? "count"
                               : "bp";
  if (target.target_unit() != unit) {
    return absl::InvalidArgumentError(
        absl::StrCat("target.target_unit: ", v1::Kpi_Name(target.kpi()), " is in ", unit,
                     ", not \"", target.target_unit(), "\""));
  }
  if (target.target_value() < 0) {
    return absl::InvalidArgumentError("target.target_value: must be 0 or more");
  }
  if (target.target_unit() == "bp" &&
      (target.target_value() < 0 || target.target_value() > 10000)) {
    return absl::InvalidArgumentError("target.target_value: a rate must be 0..10000 bp");
  }
  return absl::OkStatus();
}

v1::DomainEvent DecideKpiTarget(const v1::KpiTargetSet& target) {
  v1::DomainEvent event;
  *event.mutable_kpi_target_set() = target;
  return event;
}

absl::Status CheckBayDecision(const std::string& application_id, bool grant,
                              const std::string& reason) {
  if (absl::Status s = domain::CheckPlainId("application_id", application_id); !s.ok()) return s;
  if (!grant && reason.empty()) {
    return absl::InvalidArgumentError("reason: a denial needs a reason");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DomainEvent> DecideBayApproval(const customer::Application& application,
                                                  const History& approval_history,
                                                  const std::string& application_id, bool grant,
                                                  const std::string& reason,
                                                  const std::string& approver) {
  if (!application.exists) return absl::NotFoundError("application_id: unknown application");
  if (application.ended || application.step != v1::APPLICATION_STEP_SUPPLY_PLAN ||
      !application.needs_bay_approval) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", application_id,
                     " is not waiting for a bay approval (its supply plan must ask for one)"));
  }
  for (const v1::EventEnvelope& e : approval_history) {
    if (e.payload().has_bay_approval_granted()) {
      return absl::FailedPreconditionError("the bay is already approved");
    }
  }
  v1::DomainEvent event;
  if (grant) {
    v1::BayApprovalGranted* granted = event.mutable_bay_approval_granted();
    granted->set_approval_id(application_id);
    granted->set_application_id(application_id);
    granted->set_approver(approver);
  } else {
    v1::BayApprovalDenied* denied = event.mutable_bay_approval_denied();
    denied->set_approval_id(application_id);
    denied->set_application_id(application_id);
    denied->set_reason(reason);
  }
  return event;
}

absl::Status CheckAlert(const v1::SupervisionAlertRaised& alert) {
  if (absl::Status s = domain::CheckPlainId("alert.alert_id", alert.alert_id()); !s.ok()) {
    return s;
  }
  if (alert.kind() == v1::ALERT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("alert.kind: must be set");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DomainEvent> DecideRaiseAlert(const History& alert_history,
                                                 const v1::SupervisionAlertRaised& alert) {
  if (!alert_history.empty()) {
    return absl::AlreadyExistsError(absl::StrCat("alert ", alert.alert_id(), " exists"));
  }
  v1::DomainEvent event;
  *event.mutable_supervision_alert_raised() = alert;
  return event;
}

absl::Status CheckResolution(const std::string& alert_id, const std::string& resolution) {
  if (absl::Status s = domain::CheckPlainId("alert_id", alert_id); !s.ok()) return s;
  if (resolution.empty()) return absl::InvalidArgumentError("resolution: must not be empty");
  return absl::OkStatus();
}

absl::StatusOr<v1::DomainEvent> DecideResolveAlert(const History& alert_history,
                                                   const std::string& alert_id,
                                                   const std::string& resolution) {
  if (alert_history.empty()) return absl::NotFoundError("alert_id: unknown alert");
  if (alert_history.back().payload().has_supervision_alert_resolved()) {
    return absl::FailedPreconditionError(absl::StrCat("alert ", alert_id, " is resolved"));
  }
  v1::DomainEvent event;
  event.mutable_supervision_alert_resolved()->set_alert_id(alert_id);
  event.mutable_supervision_alert_resolved()->set_resolution(resolution);
  return event;
}

absl::Status CheckOrgUnitRegistration(const std::string& org_unit, const std::string& name) {
  if (absl::Status s = domain::CheckOrgUnit("org_unit", org_unit); !s.ok()) return s;
  return domain::CheckText("name", name, 200, /*required=*/true);
}

absl::StatusOr<v1::DomainEvent> DecideRegisterOrgUnit(const History& unit_history,
                                                      const std::string& org_unit,
                                                      const std::string& name,
                                                      bool parent_registered) {
  if (!unit_history.empty()) {
    return absl::AlreadyExistsError(absl::StrCat("org_unit: ", org_unit, " is registered"));
  }
  const std::string parent = domain::ParentOrgUnit(org_unit);
  if (!parent.empty() && !parent_registered) {
    return absl::FailedPreconditionError(absl::StrCat("org_unit: the parent ", parent, " of ",
                                                      org_unit,
                                                      " is not registered; register it first"));
  }
  v1::DomainEvent event;
  v1::OrgUnitRegistered& registered = *event.mutable_org_unit_registered();
  registered.set_org_unit(org_unit);
  registered.set_parent(parent);
  registered.set_name(name);
  registered.set_level(std::string(domain::OrgUnitLevelName(org_unit)));
  return event;
}

}  // namespace gridledger::marketing
