// The Marketing Department's rules (docs/KPIS.md), as pure functions:
// KPI targets, the decision on a 10 kV bay an application's supply plan asks
// for, and supervision alerts raised and resolved by hand. No I/O;
// thread-safe.
//
// Each Check* returns INVALID_ARGUMENT naming the field and the rule, or OK.
// Each Decide* returns the event to append or why not: NOT_FOUND for an
// unknown aggregate, ALREADY_EXISTS, FAILED_PRECONDITION naming the state.
//
//   GL_RETURN_IF_ERROR(CheckKpiTarget(request.target()));
//   v1::DomainEvent event = DecideKpiTarget(request.target());
#ifndef GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_MARKETING_RULES_H_
#define GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_MARKETING_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/customer_service/application.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/marketing_events.pb.h"

namespace gridledger::marketing {

using History = std::vector<v1::EventEnvelope>;

// A target: org unit set without spaces, a KPI, a real month (1990 on), a
// unit of bp, fen or count, and a rate target within 0..10,000 bp.
absl::Status CheckKpiTarget(const v1::KpiTargetSet& target);
// Targets are restated freely: the latest one for a unit, KPI and month counts.
v1::DomainEvent DecideKpiTarget(const v1::KpiTargetSet& target);

// The bay decision's request: a plain application id; a denial needs a reason.
absl::Status CheckBayDecision(const std::string& application_id, bool grant,
                              const std::string& reason);
// Decides on the bay of `application` (its own stream folded) given the
// approval stream's `approval_history`: the application must exist, be open
// and at the supply-plan step with a plan that asks for a bay, and the bay not
// already be granted.
absl::StatusOr<v1::DomainEvent> DecideBayApproval(const customer::Application& application,
                                                  const History& approval_history,
                                                  const std::string& application_id, bool grant,
                                                  const std::string& reason,
                                                  const std::string& approver);

// An alert raised by hand: a plain alert id and a kind.
absl::Status CheckAlert(const v1::SupervisionAlertRaised& alert);
// Raises `alert` on its own, empty stream (`alert_history`).
absl::StatusOr<v1::DomainEvent> DecideRaiseAlert(const History& alert_history,
                                                 const v1::SupervisionAlertRaised& alert);
// A resolution: a plain alert id and a non-empty resolution.
absl::Status CheckResolution(const std::string& alert_id, const std::string& resolution);
// Resolves a raised alert once.
absl::StatusOr<v1::DomainEvent> DecideResolveAlert(const History& alert_history,
                                                   const std::string& alert_id,
                                                   const std::string& resolution);

// A registration: a well-formed org unit (org_units.h) and a name (free text,
// 1-200 bytes).
absl::Status CheckOrgUnitRegistration(const std::string& org_unit, const std::string& name);
// Registers `org_unit` on its own stream (`unit_history`, empty unless it is
// registered already: ALREADY_EXISTS). `parent_registered` says whether its
// parent is (FAILED_PRECONDITION naming the parent otherwise; a province has
// none).
absl::StatusOr<v1::DomainEvent> DecideRegisterOrgUnit(const History& unit_history,
                                                      const std::string& org_unit,
                                                      const std::string& name,
                                                      bool parent_registered);

}  // namespace gridledger::marketing

#endif  // GRIDLEDGER_DOMAIN_MARKETING_DEPARTMENT_MARKETING_RULES_H_
