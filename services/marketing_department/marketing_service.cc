#include "services/marketing_department/marketing_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/service_call.h"
#include "services/common/validation.h"
#include "services/customer_service/application.h"

namespace gridledger::marketing {
namespace {

using service::CommandCall;
using service::Principal;
using History = std::vector<v1::EventEnvelope>;
using Events = std::vector<v1::DomainEvent>;

std::string KpiStream(const std::string& org_unit) {
  std::string id = org_unit;
  std::replace(id.begin(), id.end(), '/', '.');
  return "kpi-" + id;
}

}  // namespace

grpc::Status MarketingService::SetKpiTarget(grpc::ServerContext* context,
                                            const v1::SetKpiTargetRequest* request,
                                            v1::CommandReply* reply) {
  const v1::KpiTargetSet& target = request->target();
  CommandCall call{{"marketing_manager"}, request->command_id(), KpiStream(target.org_unit())};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (target.org_unit().empty() || target.org_unit().find(' ') != std::string::npos) {
      return absl::InvalidArgumentError("target.org_unit: must be set, e.g. sn/xa/huyi");
    }
    if (target.kpi() == v1::KPI_UNSPECIFIED) {
      return absl::InvalidArgumentError("target.kpi: must be set");
    }
    if (target.period().year() < 1990 || target.period().month() < 1 ||
        target.period().month() > 12) {
      return absl::InvalidArgumentError("target.period: must be a valid month");
    }
    if (target.target_unit() != "bp" && target.target_unit() != "fen" &&
        target.target_unit() != "count") {
      return absl::InvalidArgumentError("target.target_unit: must be bp, fen or count");
    }
    if (target.target_unit() == "bp" &&
        (target.target_value() < 0 || target.target_value() > 10000)) {
      return absl::InvalidArgumentError("target.target_value: a rate must be 0..10000 bp");
    }
    return absl::OkStatus();
  };
  call.decide = [&](const Principal&, const History&) -> absl::StatusOr<Events> {
    v1::DomainEvent event;
    *event.mutable_kpi_target_set() = target;
    return Events{event};
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::DecideBayApproval(grpc::ServerContext* context,
                                                 const v1::DecideBayApprovalRequest* request,
                                                 v1::CommandReply* reply) {
  CommandCall call{
      {"marketing_manager"}, request->command_id(), "approval-" + request->application_id()};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (absl::Status s = service::CheckPlainId("application_id", request->application_id());
        !s.ok()) {
      return s;
    }
    if (!request->grant() && request->reason().empty()) {
      return absl::InvalidArgumentError("reason: a denial needs a reason");
    }
    return absl::OkStatus();
  };
  call.decide = [&](const Principal& principal, const History& history) -> absl::StatusOr<Events> {
    absl::StatusOr<History> application =
        store_->ReadStream("application-" + request->application_id());
    if (!application.ok()) return application.status();
    const customer::Application state = customer::FoldApplication(*application);
    if (!state.exists) return absl::NotFoundError("application_id: unknown application");
    if (state.ended || state.step != v1::APPLICATION_STEP_SUPPLY_PLAN ||
        !state.needs_bay_approval) {
      return absl::FailedPreconditionError(
          absl::StrCat("application ", request->application_id(),
                       " is not waiting for a bay approval (its supply plan must ask for one)"));
    }
    for (const auto& e : history) {
      if (e.payload().has_bay_approval_granted()) {
        return absl::FailedPreconditionError("the bay is already approved");
      }
    }
    v1::DomainEvent event;
    if (request->grant()) {
      auto* granted = event.mutable_bay_approval_granted();
      granted->set_approval_id(request->application_id());
      granted->set_application_id(request->application_id());
      granted->set_approver(principal.name);
    } else {
      auto* denied = event.mutable_bay_approval_denied();
      denied->set_approval_id(request->application_id());
      denied->set_application_id(request->application_id());
      denied->set_reason(request->reason());
    }
    return Events{event};
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::RaiseAlert(grpc::ServerContext* context,
                                          const v1::RaiseAlertRequest* request,
                                          v1::CommandReply* reply) {
  const v1::SupervisionAlertRaised& alert = request->alert();
  CommandCall call{{"marketing_manager"}, request->command_id(), "alert-" + alert.alert_id()};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (absl::Status s = service::CheckPlainId("alert.alert_id", alert.alert_id()); !s.ok())
      return s;
    if (alert.kind() == v1::ALERT_KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError("alert.kind: must be set");
    }
    return absl::OkStatus();
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    if (!history.empty()) return absl::AlreadyExistsError("alert " + alert.alert_id() + " exists");
    v1::DomainEvent event;
    *event.mutable_supervision_alert_raised() = alert;
    return Events{event};
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status MarketingService::ResolveAlert(grpc::ServerContext* context,
                                            const v1::ResolveAlertRequest* request,
                                            v1::CommandReply* reply) {
  CommandCall call{{"marketing_manager"}, request->command_id(), "alert-" + request->alert_id()};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (absl::Status s = service::CheckPlainId("alert_id", request->alert_id()); !s.ok()) return s;
    if (request->resolution().empty()) {
      return absl::InvalidArgumentError("resolution: must not be empty");
    }
    return absl::OkStatus();
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    if (history.empty()) return absl::NotFoundError("alert_id: unknown alert");
    if (history.back().payload().has_supervision_alert_resolved()) {
      return absl::FailedPreconditionError("alert " + request->alert_id() + " is resolved");
    }
    v1::DomainEvent event;
    event.mutable_supervision_alert_resolved()->set_alert_id(request->alert_id());
    event.mutable_supervision_alert_resolved()->set_resolution(request->resolution());
    return Events{event};
  };
  return service::ServeCommand(*store_, *tokens_, *context, call, reply);
}

}  // namespace gridledger::marketing
