// Fuzzes the Metering Centre's request handling up to its rules: each input
// is a gridledger.fuzz.MeteringScript, a sequence of MeteringCenter calls by
// different callers, run against a real MeteringService over a fresh
// in-memory store, so a script can take a meter through its life: received,
// calibrated, moved, dispatched, installed, removed, re-verified, scrapped;
// work vouchers on it; supply nodes, their gateway reads and connections.
// Every call's outcome must meet ServiceHarness's invariants.
#include <cstddef>
#include <cstdint>

#include "fuzz/testing/checks.h"
#include "fuzz/testing/service_harness.h"
#include "services/metering_center/metering_service.h"

namespace gridledger::fuzzing {
namespace {

using metering::MeteringService;

void RunStep(ServiceHarness& harness, MeteringService& service, const fuzz::MeteringStep& step) {
  const fuzz::Caller as = step.caller();
  switch (step.call_case()) {
    case fuzz::MeteringStep::kReceiveMeter:
      return harness.Run(service, &MeteringService::ReceiveMeter, "ReceiveMeter", as,
                         step.receive_meter());
    case fuzz::MeteringStep::kRecordCalibration:
      return harness.Run(service, &MeteringService::RecordCalibration, "RecordCalibration", as,
                         step.record_calibration());
    case fuzz::MeteringStep::kMoveMeter:
      return harness.Run(service, &MeteringService::MoveMeter, "MoveMeter", as, step.move_meter());
    case fuzz::MeteringStep::kDispatchMeter:
      return harness.Run(service, &MeteringService::DispatchMeter, "DispatchMeter", as,
                         step.dispatch_meter());
    case fuzz::MeteringStep::kInstallMeter:
      return harness.Run(service, &MeteringService::InstallMeter, "InstallMeter", as,
                         step.install_meter());
    case fuzz::MeteringStep::kRemoveMeter:
      return harness.Run(service, &MeteringService::RemoveMeter, "RemoveMeter", as,
                         step.remove_meter());
    case fuzz::MeteringStep::kRequestReverification:
      return harness.Run(service, &MeteringService::RequestReverification, "RequestReverification",
                         as, step.request_reverification());
    case fuzz::MeteringStep::kScrapMeter:
      return harness.Run(service, &MeteringService::ScrapMeter, "ScrapMeter", as,
                         step.scrap_meter());
    case fuzz::MeteringStep::kGetMeter:
      return harness.Run(service, &MeteringService::GetMeter, "GetMeter", as, step.get_meter());
    case fuzz::MeteringStep::kIssueWorkVoucher:
      return harness.Run(service, &MeteringService::IssueWorkVoucher, "IssueWorkVoucher", as,
                         step.issue_work_voucher());
    case fuzz::MeteringStep::kDispatchWorkVoucher:
      return harness.Run(service, &MeteringService::DispatchWorkVoucher, "DispatchWorkVoucher", as,
                         step.dispatch_work_voucher());
    case fuzz::MeteringStep::kRecordVoucherOnSite:
      return harness.Run(service, &MeteringService::RecordVoucherOnSite, "RecordVoucherOnSite", as,
                         step.record_voucher_on_site());
    case fuzz::MeteringStep::kCompleteWorkVoucher:
      return harness.Run(service, &MeteringService::CompleteWorkVoucher, "CompleteWorkVoucher", as,
                         step.complete_work_voucher());
    case fuzz::MeteringStep::kVerifyWorkVoucher:
      return harness.Run(service, &MeteringService::VerifyWorkVoucher, "VerifyWorkVoucher", as,
                         step.verify_work_voucher());
    case fuzz::MeteringStep::kRegisterSupplyNode:
      return harness.Run(service, &MeteringService::RegisterSupplyNode, "RegisterSupplyNode", as,
                         step.register_supply_node());
    case fuzz::MeteringStep::kRecordGatewayRead:
      return harness.Run(service, &MeteringService::RecordGatewayRead, "RecordGatewayRead", as,
                         step.record_gateway_read());
    case fuzz::MeteringStep::kConnectAccount:
      return harness.Run(service, &MeteringService::ConnectAccount, "ConnectAccount", as,
                         step.connect_account());
    case fuzz::MeteringStep::CALL_NOT_SET:
      return;
  }
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger;  // NOLINT(google-build-using-namespace)
  fuzz::MeteringScript script;
  if (!script.ParseFromArray(data, static_cast<int>(size))) return -1;  // not a script: not kept
  fuzzing::ServiceHarness harness;
  metering::MeteringService service(&harness.store(), &harness.tokens());
  for (int i = 0; i < script.steps_size() && i < fuzzing::kMaxSteps; ++i) {
    fuzzing::RunStep(harness, service, script.steps(i));
  }
  return 0;
}
