#include "services/metering_center/metering_service.h"

#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"
#include "services/common/service_call.h"

namespace gridledger::metering {

using service::ToGrpcStatus;

grpc::Status MeteringService::Run(grpc::ServerContext* context,
                                  const google::protobuf::Message& request,
                                  const std::string& command_id, const std::string& bar_code_field,
                                  const std::string& bar_code, const MeterDecision& decide,
                                  v1::CommandReply* reply, const MeterScope& scope) {
  service::CommandCall call;
  call.roles = {"metering_technician"};
  call.command_id = command_id;
  call.request = &request;
  call.stream_id = domain::kMeter.StreamOf(bar_code);
  call.precheck = [&](const service::Principal&) { return CheckBarCode(bar_code_field, bar_code); };
  call.creates = scope.creates;
  if (!scope.unit.empty()) {
    // Sending a meter elsewhere: the destination is checked like a unit to
    // create in, but the meter's stream keeps its own unit until the event.
    call.precheck = [&](const service::Principal& principal) -> absl::Status {
      if (absl::Status s = CheckBarCode(bar_code_field, bar_code); !s.ok()) return s;
      return service::CheckUnitToActIn(*store_, principal, scope.unit_field, scope.unit);
    };
  }
  call.decide = [&](const service::Principal&, const std::vector<v1::EventEnvelope>& history) {
    v1::MeterState meter = FoldMeter(history);
    if (meter.bar_code().empty()) meter.set_bar_code(bar_code);  // so a refusal names it
    return service::OneEvent(decide(meter, history));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::ReceiveMeter(grpc::ServerContext* context,
                                           const v1::ReceiveMeterRequest* request,
                                           v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "meter.bar_code", request->meter().bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideReceive(meter, request->meter());
      },
      reply, MeterScope{/*creates=*/true});
}

grpc::Status MeteringService::RecordCalibration(grpc::ServerContext* context,
                                                const v1::RecordCalibrationRequest* request,
                                                v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "calibration.bar_code",
      request->calibration().bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideCalibration(meter, request->calibration());
      },
      reply);
}

grpc::Status MeteringService::MoveMeter(grpc::ServerContext* context,
                                        const v1::MoveMeterRequest* request,
                                        v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "bar_code", request->bar_code(),
      [&](const v1::MeterState& meter, const auto&) { return DecideMove(meter, *request); }, reply);
}

grpc::Status MeteringService::DispatchMeter(grpc::ServerContext* context,
                                            const v1::DispatchMeterRequest* request,
                                            v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "dispatch.bar_code", request->dispatch().bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideDispatch(meter, request->dispatch());
      },
      reply, MeterScope{false, "dispatch.to_org_unit", request->dispatch().to_org_unit()});
}

grpc::Status MeteringService::InstallMeter(grpc::ServerContext* context,
                                           const v1::InstallMeterRequest* request,
                                           v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "installation.bar_code",
      request->installation().bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideInstall(meter, request->installation());
      },
      reply);
}

grpc::Status MeteringService::RemoveMeter(grpc::ServerContext* context,
                                          const v1::RemoveMeterRequest* request,
                                          v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "removal.bar_code", request->removal().bar_code(),
      [&](const v1::MeterState& meter, const std::vector<v1::EventEnvelope>& history) {
        return DecideRemove(meter, request->removal(), history);
      },
      reply);
}

grpc::Status MeteringService::RequestReverification(grpc::ServerContext* context,
                                                    const v1::RequestReverificationRequest* request,
                                                    v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "bar_code", request->bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideReverification(meter, request->reason());
      },
      reply);
}

grpc::Status MeteringService::ScrapMeter(grpc::ServerContext* context,
                                         const v1::ScrapMeterRequest* request,
                                         v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "bar_code", request->bar_code(),
      [&](const v1::MeterState& meter, const auto&) {
        return DecideScrap(meter, request->reason());
      },
      reply);
}

grpc::Status MeteringService::GetMeter(grpc::ServerContext* context,
                                       const v1::GetMeterRequest* request, v1::MeterState* reply) {
  absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, *context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (absl::Status s = CheckBarCode("bar_code", request->bar_code()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> history =
      store_->ReadStream(domain::kMeter.StreamOf(request->bar_code()));
  if (!history.ok()) return ToGrpcStatus(history.status());
  if (history->empty() || !service::InScope(*principal, domain::StreamOrgUnit(*history))) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "bar_code: meter " + request->bar_code() + " is unknown");
  }
  *reply = FoldMeter(*history);
  return grpc::Status::OK;
}

}  // namespace gridledger::metering
