#include "services/marketing_department/marketing_service.h"

#include "domain/common/streams.h"
#include "domain/customer_service/application.h"
#include "domain/marketing_department/marketing_rules.h"
#include "services/common/service_call.h"

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
  call.decide = [&](const Principal& principal, const History& history) {
    absl::StatusOr<History> application =
        store_->ReadStream(domain::kApplication.StreamOf(request->application_id()));
    if (!application.ok()) return service::OneEvent(application.status());
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
  call.precheck = [&](const Principal&) { return CheckAlert(alert); };
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

}  // namespace gridledger::marketing
