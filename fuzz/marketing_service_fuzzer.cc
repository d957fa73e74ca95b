// Fuzzes the Marketing Department's request handling up to its rules: each
// input is a gridledger.fuzz.MarketingScript, a sequence of
// MarketingDepartment calls (and the Customer Service Centre's application
// calls a bay decision reads) by different callers, run against the real
// services over a fresh in-memory store: KPI targets, bay decisions on an
// application's supply plan, alerts raised and resolved, supervision
// thresholds and clock ticks, outage plans and their coordination, and KPI
// measurements (refused: no KPI view is hosted here). Every call's outcome
// must meet ServiceHarness's invariants.
#include <cstddef>
#include <cstdint>

#include "fuzz/testing/checks.h"
#include "fuzz/testing/service_harness.h"
#include "services/customer_service/customer_service.h"
#include "services/marketing_department/marketing_service.h"

namespace gridledger::fuzzing {
namespace {

using customer::CustomerService;
using marketing::MarketingService;

void RunStep(ServiceHarness& harness, MarketingService& service, CustomerService& customer,
             const fuzz::MarketingStep& step) {
  const fuzz::Caller as = step.caller();
  switch (step.call_case()) {
    case fuzz::MarketingStep::kSetKpiTarget:
      return harness.Run(service, &MarketingService::SetKpiTarget, "SetKpiTarget", as,
                         step.set_kpi_target());
    case fuzz::MarketingStep::kDecideBayApproval:
      return harness.Run(service, &MarketingService::DecideBayApproval, "DecideBayApproval", as,
                         step.decide_bay_approval());
    case fuzz::MarketingStep::kRaiseAlert:
      return harness.Run(service, &MarketingService::RaiseAlert, "RaiseAlert", as,
                         step.raise_alert());
    case fuzz::MarketingStep::kResolveAlert:
      return harness.Run(service, &MarketingService::ResolveAlert, "ResolveAlert", as,
                         step.resolve_alert());
    case fuzz::MarketingStep::kSetSupervisionThreshold:
      return harness.Run(service, &MarketingService::SetSupervisionThreshold,
                         "SetSupervisionThreshold", as, step.set_supervision_threshold());
    case fuzz::MarketingStep::kRecordClockTick:
      return harness.Run(service, &MarketingService::RecordClockTick, "RecordClockTick", as,
                         step.record_clock_tick());
    case fuzz::MarketingStep::kPlanCustomerMaintenance:
      return harness.Run(service, &MarketingService::PlanCustomerMaintenance,
                         "PlanCustomerMaintenance", as, step.plan_customer_maintenance());
    case fuzz::MarketingStep::kPlanGridOutage:
      return harness.Run(service, &MarketingService::PlanGridOutage, "PlanGridOutage", as,
                         step.plan_grid_outage());
    case fuzz::MarketingStep::kCoordinateOutage:
      return harness.Run(service, &MarketingService::CoordinateOutage, "CoordinateOutage", as,
                         step.coordinate_outage());
    case fuzz::MarketingStep::kMeasureKpis:
      return harness.Run(service, &MarketingService::MeasureKpis, "MeasureKpis", as,
                         step.measure_kpis());
    case fuzz::MarketingStep::kSubmitApplication:
      return harness.Run(customer, &CustomerService::SubmitApplication, "SubmitApplication", as,
                         step.submit_application());
    case fuzz::MarketingStep::kAcceptApplication:
      return harness.Run(customer, &CustomerService::AcceptApplication, "AcceptApplication", as,
                         step.accept_application());
    case fuzz::MarketingStep::kCompleteStep:
      return harness.Run(customer, &CustomerService::CompleteStep, "CompleteStep", as,
                         step.complete_step());
    case fuzz::MarketingStep::CALL_NOT_SET:
      return;
  }
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger;  // NOLINT(google-build-using-namespace)
  fuzz::MarketingScript script;
  if (!script.ParseFromArray(data, static_cast<int>(size))) return -1;  // not a script: not kept
  fuzzing::ServiceHarness harness;
  marketing::MarketingService service(&harness.store(), &harness.tokens());
  customer::CustomerService customer(&harness.store(), &harness.tokens());
  for (int i = 0; i < script.steps_size() && i < fuzzing::kMaxSteps; ++i) {
    fuzzing::RunStep(harness, service, customer, script.steps(i));
  }
  return 0;
}
