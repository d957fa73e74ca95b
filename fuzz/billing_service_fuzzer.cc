// Fuzzes the Billing Centre's request handling up to its rules: each input is
// a gridledger.fuzz.BillingScript, a sequence of BillingCenter calls by
// different callers, run against a real BillingService over a fresh
// in-memory store, so a script can open an account on a published tariff,
// record and check reads, bill, pay, reverse, penalise and back-bill. Every
// call's outcome must meet ServiceHarness's invariants (no INTERNAL, a field
// named on INVALID_ARGUMENT, nothing appended on a refusal, every appended
// event readable, retries deduplicated), and ASan/UBSan watch the arithmetic.
#include <cstddef>
#include <cstdint>

#include "fuzz/testing/checks.h"
#include "fuzz/testing/service_harness.h"
#include "services/billing_center/billing_service.h"

namespace gridledger::fuzzing {
namespace {

using billing::BillingService;

void RunStep(ServiceHarness& harness, BillingService& service, const fuzz::BillingStep& step) {
  const fuzz::Caller as = step.caller();
  switch (step.call_case()) {
    case fuzz::BillingStep::kOpenAccount:
      return harness.Run(service, &BillingService::OpenAccount, "OpenAccount", as,
                         step.open_account());
    case fuzz::BillingStep::kPublishTariffVersion:
      return harness.Run(service, &BillingService::PublishTariffVersion, "PublishTariffVersion", as,
                         step.publish_tariff_version());
    case fuzz::BillingStep::kRecordRead:
      return harness.Run(service, &BillingService::RecordRead, "RecordRead", as,
                         step.record_read());
    case fuzz::BillingStep::kCheckRead:
      return harness.Run(service, &BillingService::CheckRead, "CheckRead", as, step.check_read());
    case fuzz::BillingStep::kDecideRead:
      return harness.Run(service, &BillingService::DecideRead, "DecideRead", as,
                         step.decide_read());
    case fuzz::BillingStep::kIssueBill:
      return harness.Run(service, &BillingService::IssueBill, "IssueBill", as, step.issue_bill());
    case fuzz::BillingStep::kCheckBill:
      return harness.Run(service, &BillingService::CheckBill, "CheckBill", as, step.check_bill());
    case fuzz::BillingStep::kPostPayment:
      return harness.Run(service, &BillingService::PostPayment, "PostPayment", as,
                         step.post_payment());
    case fuzz::BillingStep::kReverseBill:
      return harness.Run(service, &BillingService::ReverseBill, "ReverseBill", as,
                         step.reverse_bill());
    case fuzz::BillingStep::kReversePayment:
      return harness.Run(service, &BillingService::ReversePayment, "ReversePayment", as,
                         step.reverse_payment());
    case fuzz::BillingStep::kAccruePenalty:
      return harness.Run(service, &BillingService::AccruePenalty, "AccruePenalty", as,
                         step.accrue_penalty());
    case fuzz::BillingStep::kRecordInspection:
      return harness.Run(service, &BillingService::RecordInspection, "RecordInspection", as,
                         step.record_inspection());
    case fuzz::BillingStep::kIssueBackBilling:
      return harness.Run(service, &BillingService::IssueBackBilling, "IssueBackBilling", as,
                         step.issue_back_billing());
    case fuzz::BillingStep::kIssueWholesaleSettlement:
      return harness.Run(service, &BillingService::IssueWholesaleSettlement,
                         "IssueWholesaleSettlement", as, step.issue_wholesale_settlement());
    case fuzz::BillingStep::kConfirmWholesaleSettlement:
      return harness.Run(service, &BillingService::ConfirmWholesaleSettlement,
                         "ConfirmWholesaleSettlement", as, step.confirm_wholesale_settlement());
    case fuzz::BillingStep::kGetAccount:
      return harness.Run(service, &BillingService::GetAccount, "GetAccount", as,
                         step.get_account());
    case fuzz::BillingStep::CALL_NOT_SET:
      return;
  }
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger;  // NOLINT(google-build-using-namespace)
  fuzz::BillingScript script;
  if (!script.ParseFromArray(data, static_cast<int>(size))) return -1;  // not a script: not kept
  fuzzing::ServiceHarness harness;
  billing::BillingService service(&harness.store(), &harness.tokens());
  for (int i = 0; i < script.steps_size() && i < fuzzing::kMaxSteps; ++i) {
    fuzzing::RunStep(harness, service, script.steps(i));
  }
  return 0;
}
