#include "services/metering_center/metering_service.h"

#include <optional>
#include <utility>

#include "common/status_macros.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/common/validation.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "domain/metering_center/supply_topology.h"
#include "domain/metering_center/work_voucher.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"
#include "services/common/service_call.h"

namespace gridledger::metering {

using service::ToGrpcStatus;

namespace {

using service::CommandCall;
using service::Principal;
using History = std::vector<v1::EventEnvelope>;
using Events = std::vector<v1::DomainEvent>;

// A command on one work voucher's stream by one of `roles`. `checked` is the
// request's field check (work_voucher.h), answered after the role and
// before anything is read.
CommandCall VoucherCall(std::vector<std::string> roles, const google::protobuf::Message& request,
                        const std::string& command_id, const std::string& voucher_id,
                        absl::Status checked) {
  CommandCall call;
  call.roles = std::move(roles);
  call.command_id = command_id;
  call.request = &request;
  call.stream_id = domain::kVoucher.StreamOf(voucher_id);
  call.precheck = [checked = std::move(checked)](const Principal&) { return checked; };
  return call;
}

// Meter `bar_code` as `principal` may see it: folded from its stream, or
// unknown (only its bar code set) when it has no events or belongs to a unit
// outside the caller's scope, so a voucher never tells of a meter elsewhere.
absl::StatusOr<v1::MeterState> VisibleMeter(eventstore::EventStore& store,
                                            const Principal& principal,
                                            const std::string& bar_code) {
  v1::MeterState meter;
  if (!bar_code.empty()) {
    GL_ASSIGN_OR_RETURN(History history, service::ReadStreamInScope(
                                             store, principal, domain::kMeter.StreamOf(bar_code)));
    meter = FoldMeter(history);
  }
  meter.set_bar_code(bar_code);
  return meter;
}

// The stream of the gateway meter last read at `node` (`node_id`) when that
// is not `bar_code`; nullopt when the node was never read or was last read
// on `bar_code`. One gateway meter per node: FAILED_PRECONDITION naming
// `field` while that meter is still installed there.
absl::StatusOr<std::optional<History>> PreviousGatewayMeter(eventstore::EventStore& store,
                                                            const SupplyNodeState& node,
                                                            const std::string& node_id,
                                                            const std::string& bar_code,
                                                            absl::string_view field) {
  if (!node.last_read || node.last_read->bar_code() == bar_code) return std::nullopt;
  GL_ASSIGN_OR_RETURN(History history,
                      store.ReadStream(domain::kMeter.StreamOf(node.last_read->bar_code())));
  const v1::MeterState previous = FoldMeter(history);
  if (previous.state() == v1::METER_LIFECYCLE_STATE_INSTALLED &&
      previous.supply_node_id() == node_id) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": node ", node_id, " has gateway meter ", previous.bar_code(),
                     " installed (the one last read there); remove it first"));
  }
  return history;
}

// Supply node `node_id` as a caller in `unit` may see it: folded from its
// stream, or unregistered when it has no events or lies outside `unit`
// (empty `unit`: anywhere, for the service's own checks).
absl::StatusOr<SupplyNodeState> VisibleNode(eventstore::EventStore& store, const std::string& unit,
                                            const std::string& node_id) {
  if (node_id.empty()) return SupplyNodeState{};
  GL_ASSIGN_OR_RETURN(History history, store.ReadStream(domain::kSupply.StreamOf(node_id)));
  if (history.empty() ||
      (!unit.empty() && !domain::OrgUnitContains(unit, domain::StreamOrgUnit(history)))) {
    return SupplyNodeState{};
  }
  return FoldSupplyNode(history);
}

}  // namespace

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
      [&](const v1::MeterState& meter, const History& history) -> absl::StatusOr<v1::DomainEvent> {
        GL_ASSIGN_OR_RETURN(v1::DomainEvent event, DecideInstall(meter, request->installation()));
        const std::string& node_id = request->installation().supply_node_id();
        if (node_id.empty()) return event;
        // A gateway meter goes to a node of the unit holding the meter (or below).
        GL_ASSIGN_OR_RETURN(SupplyNodeState node,
                            VisibleNode(*store_, domain::StreamOrgUnit(history), node_id));
        if (!node.registered) {
          return absl::NotFoundError(absl::StrCat("installation.supply_node_id: supply node ",
                                                  node_id,
                                                  " is not registered in the unit "
                                                  "holding the meter"));
        }
        // One gateway meter per node: the one last read there must be gone.
        GL_RETURN_IF_ERROR(PreviousGatewayMeter(*store_, node, node_id, meter.bar_code(),
                                                "installation.supply_node_id")
                               .status());
        return event;
      },
      reply);
}

grpc::Status MeteringService::RemoveMeter(grpc::ServerContext* context,
                                          const v1::RemoveMeterRequest* request,
                                          v1::CommandReply* reply) {
  return Run(
      context, *request, request->command_id(), "removal.bar_code", request->removal().bar_code(),
      [&](const v1::MeterState& meter,
          const std::vector<v1::EventEnvelope>& history) -> absl::StatusOr<v1::DomainEvent> {
        GL_ASSIGN_OR_RETURN(v1::DomainEvent event,
                            DecideRemove(meter, request->removal(), history));
        if (meter.supply_node_id().empty()) return event;
        // A gateway meter's register cannot be below its last read at the node.
        GL_ASSIGN_OR_RETURN(SupplyNodeState node, VisibleNode(*store_, "", meter.supply_node_id()));
        const int64_t final_wh = request->removal().final_registers().total_wh();
        if (node.last_read && node.last_read->bar_code() == meter.bar_code() &&
            final_wh < node.last_read->register_wh()) {
          return absl::FailedPreconditionError(
              absl::StrCat("removal.final_registers.total_wh: ", final_wh, " is below the ",
                           node.last_read->register_wh(), " Wh of its last gateway read at ",
                           meter.supply_node_id(), "; registers never go backwards"));
        }
        return event;
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

grpc::Status MeteringService::IssueWorkVoucher(grpc::ServerContext* context,
                                               const v1::IssueWorkVoucherRequest* request,
                                               v1::CommandReply* reply) {
  const v1::WorkVoucherIssued& voucher = request->voucher();
  CommandCall call = VoucherCall({"metering_technician"}, *request, request->command_id(),
                                 voucher.voucher_id(), CheckVoucherIssue(voucher));
  // The voucher belongs to the unit it names (else the issuer's): its crew
  // and verifier must be of that unit or above.
  call.creates = true;
  call.unit_field = "voucher.org_unit";
  call.unit = voucher.org_unit();
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    GL_ASSIGN_OR_RETURN(v1::MeterState meter,
                        VisibleMeter(*store_, principal, voucher.meter_bar_code()));
    return service::OneEvent(
        DecideIssueVoucher(FoldVoucher(history), meter, voucher, principal.name, at));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::DispatchWorkVoucher(grpc::ServerContext* context,
                                                  const v1::DispatchWorkVoucherRequest* request,
                                                  v1::CommandReply* reply) {
  const v1::WorkVoucherDispatched& dispatch = request->dispatch();
  CommandCall call = VoucherCall({"metering_technician"}, *request, request->command_id(),
                                 dispatch.voucher_id(), CheckVoucherDispatch(dispatch));
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideDispatchVoucher(FoldVoucher(history), dispatch));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::RecordVoucherOnSite(grpc::ServerContext* context,
                                                  const v1::RecordVoucherOnSiteRequest* request,
                                                  v1::CommandReply* reply) {
  const v1::WorkVoucherOnSite& on_site = request->on_site();
  CommandCall call = VoucherCall({"field_crew"}, *request, request->command_id(),
                                 on_site.voucher_id(), CheckVoucherOnSite(on_site));
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideVoucherOnSite(FoldVoucher(history), on_site, at));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::CompleteWorkVoucher(grpc::ServerContext* context,
                                                  const v1::CompleteWorkVoucherRequest* request,
                                                  v1::CommandReply* reply) {
  const v1::WorkVoucherCompleted& completion = request->completion();
  CommandCall call = VoucherCall({"field_crew"}, *request, request->command_id(),
                                 completion.voucher_id(), CheckVoucherCompletion(completion));
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    const VoucherState voucher = FoldVoucher(history);
    // The work shows in the meter's own events, read now (on each retry too).
    GL_ASSIGN_OR_RETURN(v1::MeterState meter,
                        VisibleMeter(*store_, principal, voucher.meter_bar_code));
    return service::OneEvent(DecideCompleteVoucher(voucher, meter, completion, at));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::VerifyWorkVoucher(grpc::ServerContext* context,
                                                const v1::VerifyWorkVoucherRequest* request,
                                                v1::CommandReply* reply) {
  const v1::WorkVoucherVerified& verification = request->verification();
  CommandCall call = VoucherCall({"metering_technician"}, *request, request->command_id(),
                                 verification.voucher_id(), CheckVoucherVerification(verification));
  call.decide = [&](const Principal& principal, const History& history) {
    return service::OneEvent(
        DecideVerifyVoucher(FoldVoucher(history), verification, principal.name));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::RegisterSupplyNode(grpc::ServerContext* context,
                                                 const v1::RegisterSupplyNodeRequest* request,
                                                 v1::CommandReply* reply) {
  const v1::SupplyNodeRegistered& node = request->node();
  CommandCall call;
  call.roles = {"metering_technician"};
  call.command_id = request->command_id();
  call.request = request;
  call.stream_id = domain::kSupply.StreamOf(node.node_id());
  call.precheck = [&](const Principal&) { return CheckSupplyNode(node); };
  call.creates = true;
  // A transformer area is in its feeder's unit: named, or the feeder's (one
  // the caller may see).
  std::string unit = node.org_unit();
  if (unit.empty() && node.kind() == v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA &&
      domain::CheckId("node.feeder_id", node.feeder_id()).ok()) {
    absl::StatusOr<std::string> feeder_unit = service::VisibleUnitOf(
        *store_, *tokens_, *context, domain::kSupply.StreamOf(node.feeder_id()));
    if (!feeder_unit.ok()) return ToGrpcStatus(feeder_unit.status());
    unit = *feeder_unit;
  }
  call.unit_field = "node.org_unit";
  call.unit = unit;
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    SupplyNodeState feeder;
    if (node.kind() == v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA) {
      GL_ASSIGN_OR_RETURN(feeder, VisibleNode(*store_, principal.org_unit, node.feeder_id()));
    }
    return service::OneEvent(DecideRegisterSupplyNode(FoldSupplyNode(history), feeder, node));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::RecordGatewayRead(grpc::ServerContext* context,
                                                const v1::RecordGatewayReadRequest* request,
                                                v1::CommandReply* reply) {
  CommandCall call;
  call.roles = {"metering_technician"};
  call.command_id = request->command_id();
  call.request = request;
  call.stream_id = domain::kSupply.StreamOf(request->node_id());
  call.precheck = [&](const Principal&) -> absl::Status {
    GL_RETURN_IF_ERROR(domain::CheckId("node_id", request->node_id()));
    return CheckBarCode("bar_code", request->bar_code());
  };
  const absl::Time at = service::CommandTime(*context);
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    const SupplyNodeState node = FoldSupplyNode(history);
    GatewayMeter meter;
    GL_ASSIGN_OR_RETURN(History meter_history,
                        service::ReadStreamInScope(*store_, principal,
                                                   domain::kMeter.StreamOf(request->bar_code())));
    meter.meter = FoldMeter(meter_history);
    meter.meter.set_bar_code(request->bar_code());
    for (const v1::EventEnvelope& e : meter_history) {
      if (e.payload().has_meter_installed()) {
        meter.installed_register_wh = e.payload().meter_installed().initial_registers().total_wh();
      }
    }
    // A meter exchanged since the node's last read: what the old one
    // registered after that read until its removal is carried over.
    GL_ASSIGN_OR_RETURN(
        std::optional<History> previous,
        PreviousGatewayMeter(*store_, node, request->node_id(), request->bar_code(), "bar_code"));
    int64_t tail_wh = 0;
    for (const v1::EventEnvelope& e : previous.value_or(History{})) {
      if (e.payload().has_meter_removed()) {
        tail_wh = std::max<int64_t>(0, e.payload().meter_removed().final_registers().total_wh() -
                                           node.last_read->register_wh());
      }
    }
    return service::OneEvent(DecideGatewayRead(node, meter, tail_wh, *request, at));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MeteringService::ConnectAccount(grpc::ServerContext* context,
                                             const v1::ConnectAccountRequest* request,
                                             v1::CommandReply* reply) {
  CommandCall call;
  call.roles = {"metering_technician"};
  call.command_id = request->command_id();
  call.request = request;
  call.stream_id = domain::kAccount.StreamOf(request->account_id());
  call.precheck = [&](const Principal&) -> absl::Status {
    GL_RETURN_IF_ERROR(domain::CheckId("account_id", request->account_id()));
    return domain::CheckId("transformer_area_id", request->transformer_area_id());
  };
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    // The area must be in the caller's scope and hold the account's unit.
    GL_ASSIGN_OR_RETURN(SupplyNodeState area,
                        VisibleNode(*store_, principal.org_unit, request->transformer_area_id()));
    if (area.registered && !history.empty() &&
        !domain::OrgUnitContains(area.node.org_unit(), domain::StreamOrgUnit(history))) {
      return absl::FailedPreconditionError(
          absl::StrCat("transformer_area_id: area ", request->transformer_area_id(), " is in ",
                       area.node.org_unit(), ", the account in ", domain::StreamOrgUnit(history),
                       "; an account hangs from an area of its own county"));
    }
    return service::OneEvent(DecideConnectAccount(history, area, *request));
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

}  // namespace gridledger::metering
