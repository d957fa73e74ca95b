#include "services/customer_service/customer_service.h"

#include "absl/time/clock.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/common/validation.h"
#include "domain/customer_service/application.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"
#include "services/common/service_call.h"

namespace gridledger::customer {
namespace {

using service::CommandCall;
using service::Principal;
using History = std::vector<v1::EventEnvelope>;
using Events = std::vector<v1::DomainEvent>;

CommandCall Call(const std::string& command_id, const std::string& stream_id,
                 const std::string& field, const std::string& id) {
  CommandCall call{{"customer_service"}, command_id, stream_id};
  call.precheck = [field, id](const Principal&) { return domain::CheckPlainId(field, id); };
  return call;
}

}  // namespace

grpc::Status CustomerService::SubmitApplication(grpc::ServerContext* context,
                                                const v1::SubmitApplicationRequest* request,
                                                v1::CommandReply* reply) {
  const std::string& id = request->application().application_id();
  CommandCall call = Call(request->command_id(), domain::kApplication.StreamOf(id),
                          "application.application_id", id);
  call.creates = true;
  call.unit_field = "application.org_unit";
  call.unit = request->application().org_unit();
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideSubmit(FoldApplication(history), request->application(), at));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::AcceptApplication(grpc::ServerContext* context,
                                                const v1::AcceptApplicationRequest* request,
                                                v1::CommandReply* reply) {
  CommandCall call =
      Call(request->command_id(), domain::kApplication.StreamOf(request->application_id()),
           "application_id", request->application_id());
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal& principal, const History& history) {
    const std::string manager =
        request->account_manager().empty() ? principal.name : request->account_manager();
    return service::OneEvent(DecideAccept(FoldApplication(history), manager, UtilityDay(at)));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::CompleteStep(grpc::ServerContext* context,
                                           const v1::CompleteStepRequest* request,
                                           v1::CommandReply* reply) {
  CommandCall call =
      Call(request->command_id(), domain::kApplication.StreamOf(request->application_id()),
           "application_id", request->application_id());
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    const Application application = FoldApplication(history);
    bool bay_approved = false;
    if (application.needs_bay_approval &&
        request->step_case() == v1::CompleteStepRequest::kDesignReview) {
      // The Marketing Department's decision lives in its approval stream.
      absl::StatusOr<History> approval =
          store_->ReadStream(domain::kApproval.StreamOf(request->application_id()));
      if (!approval.ok()) return approval.status();
      for (const auto& e : *approval) {
        if (e.payload().has_bay_approval_granted()) bay_approved = true;
        if (e.payload().has_bay_approval_denied()) bay_approved = false;
      }
    }
    return service::OneEvent(DecideStep(application, *request, bay_approved, UtilityDay(at)));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::RejectApplication(grpc::ServerContext* context,
                                                const v1::EndApplicationRequest* request,
                                                v1::CommandReply* reply) {
  CommandCall call =
      Call(request->command_id(), domain::kApplication.StreamOf(request->application_id()),
           "application_id", request->application_id());
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(
        DecideEnd(FoldApplication(history), request->reason(), /*withdrawn=*/false));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::WithdrawApplication(grpc::ServerContext* context,
                                                  const v1::EndApplicationRequest* request,
                                                  v1::CommandReply* reply) {
  CommandCall call =
      Call(request->command_id(), domain::kApplication.StreamOf(request->application_id()),
           "application_id", request->application_id());
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(
        DecideEnd(FoldApplication(history), request->reason(), /*withdrawn=*/true));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::OpenTicket(grpc::ServerContext* context,
                                         const v1::OpenTicketRequest* request,
                                         v1::CommandReply* reply) {
  const std::string& id = request->ticket().ticket_id();
  CommandCall call =
      Call(request->command_id(), domain::kTicket.StreamOf(id), "ticket.ticket_id", id);
  call.creates = true;
  call.unit_field = "ticket.org_unit";
  call.unit = request->ticket().org_unit();
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideOpenTicket(FoldTicket(history), request->ticket(), at));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::AdvanceTicket(grpc::ServerContext* context,
                                            const v1::AdvanceTicketRequest* request,
                                            v1::CommandReply* reply) {
  CommandCall call = Call(request->command_id(), domain::kTicket.StreamOf(request->ticket_id()),
                          "ticket_id", request->ticket_id());
  const absl::Time at = service::CommandTime(*context);  // x-occurred-at, else now
  call.decide = [&](const Principal&, const History& history) {
    return service::OneEvent(DecideAdvanceTicket(FoldTicket(history), *request, at));
  };
  call.request = request;
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status CustomerService::GetApplication(grpc::ServerContext* context,
                                             const v1::GetApplicationRequest* request,
                                             v1::ApplicationView* reply) {
  absl::StatusOr<Principal> principal = service::Authenticate(*tokens_, *context);
  if (!principal.ok()) return service::ToGrpcStatus(principal.status());
  if (absl::Status s = domain::CheckPlainId("application_id", request->application_id()); !s.ok()) {
    return service::ToGrpcStatus(s);
  }
  absl::StatusOr<History> history =
      store_->ReadStream(domain::kApplication.StreamOf(request->application_id()));
  if (!history.ok()) return service::ToGrpcStatus(history.status());
  const Application application = FoldApplication(*history);
  if (!application.exists || !service::InScope(*principal, domain::StreamOrgUnit(*history))) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "application_id: unknown application");
  }
  *reply = ViewOf(application);
  return grpc::Status::OK;
}

}  // namespace gridledger::customer
