// Fuzzes the Customer Service Centre's request handling up to its rules:
// each input is a gridledger.fuzz.CustomerScript, a sequence of
// CustomerServiceCenter calls (and the Marketing Department's bay decisions a
// design review reads) by different callers, run against the real services
// over a fresh in-memory store, so a script can walk an application for
// supply through its steps and a 95598 ticket from opening to closing. Every
// call's outcome must meet ServiceHarness's invariants.
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

void RunStep(ServiceHarness& harness, CustomerService& service, MarketingService& marketing,
             const fuzz::CustomerStep& step) {
  const fuzz::Caller as = step.caller();
  switch (step.call_case()) {
    case fuzz::CustomerStep::kSubmitApplication:
      return harness.Run(service, &CustomerService::SubmitApplication, "SubmitApplication", as,
                         step.submit_application());
    case fuzz::CustomerStep::kAcceptApplication:
      return harness.Run(service, &CustomerService::AcceptApplication, "AcceptApplication", as,
                         step.accept_application());
    case fuzz::CustomerStep::kCompleteStep:
      return harness.Run(service, &CustomerService::CompleteStep, "CompleteStep", as,
                         step.complete_step());
    case fuzz::CustomerStep::kRejectApplication:
      return harness.Run(service, &CustomerService::RejectApplication, "RejectApplication", as,
                         step.reject_application());
    case fuzz::CustomerStep::kWithdrawApplication:
      return harness.Run(service, &CustomerService::WithdrawApplication, "WithdrawApplication", as,
                         step.withdraw_application());
    case fuzz::CustomerStep::kOpenTicket:
      return harness.Run(service, &CustomerService::OpenTicket, "OpenTicket", as,
                         step.open_ticket());
    case fuzz::CustomerStep::kAdvanceTicket:
      return harness.Run(service, &CustomerService::AdvanceTicket, "AdvanceTicket", as,
                         step.advance_ticket());
    case fuzz::CustomerStep::kGetApplication:
      return harness.Run(service, &CustomerService::GetApplication, "GetApplication", as,
                         step.get_application());
    case fuzz::CustomerStep::kDecideBayApproval:
      return harness.Run(marketing, &MarketingService::DecideBayApproval, "DecideBayApproval", as,
                         step.decide_bay_approval());
    case fuzz::CustomerStep::CALL_NOT_SET:
      return;
  }
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger;  // NOLINT(google-build-using-namespace)
  fuzz::CustomerScript script;
  if (!script.ParseFromArray(data, static_cast<int>(size))) return -1;  // not a script: not kept
  fuzzing::ServiceHarness harness;
  customer::CustomerService service(&harness.store(), &harness.tokens());
  marketing::MarketingService marketing(&harness.store(), &harness.tokens());
  for (int i = 0; i < script.steps_size() && i < fuzzing::kMaxSteps; ++i) {
    fuzzing::RunStep(harness, service, marketing, script.steps(i));
  }
  return 0;
}
