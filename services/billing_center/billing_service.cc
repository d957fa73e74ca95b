#include "services/billing_center/billing_service.h"

#include "absl/strings/str_cat.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/tariff_engine.h"
#include "domain/common/streams.h"
#include "services/common/grpc_util.h"
#include "services/common/service_call.h"

namespace gridledger::billing {
namespace {

using service::CommandCall;
using service::Principal;
using service::ServeCommand;
using Events = std::vector<v1::DomainEvent>;
using History = std::vector<v1::EventEnvelope>;

std::string AccountStream(const std::string& account_id) {
  return domain::kAccount.StreamOf(account_id);
}

// Collectors cannot create or alter bills, whatever other role they hold.
absl::Status NotACollector(const Principal& principal) {
  if (principal.HasRole("collector") && !principal.HasRole("admin")) {
    return absl::PermissionDeniedError(absl::StrCat("separation of duties: ", principal.name,
                                                    " is a collector; collectors cannot create or "
                                                    "alter bills"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> BillingService::TariffVersions(
    const std::string& tariff_id) {
  std::vector<v1::TariffScheduleVersionPublished> versions;
  absl::StatusOr<History> history = store_->ReadStream(domain::kTariff.StreamOf(tariff_id));
  if (!history.ok()) return history.status();
  for (const auto& e : *history) {
    if (e.payload().has_tariff_schedule_version_published()) {
      versions.push_back(e.payload().tariff_schedule_version_published());
    }
  }
  return versions;
}

grpc::Status BillingService::AccountCommand(
    grpc::ServerContext* context, const std::string& role, const google::protobuf::Message& request,
    const std::string& command_id, const std::string& account_field, const std::string& account_id,
    bool alters_bills, const AccountDecision& decide, v1::CommandReply* reply) {
  CommandCall call{{role}, command_id, AccountStream(account_id)};
  call.precheck = [&](const Principal& principal) {
    if (absl::Status s = CheckId(account_field, account_id); !s.ok()) return s;
    return alters_bills ? NotACollector(principal) : absl::OkStatus();
  };
  call.decide = [&](const Principal& principal, const History& history) {
    return service::OneEvent(decide(FoldAccount(history), principal));
  };
  call.request = &request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::OpenAccount(grpc::ServerContext* context,
                                         const v1::OpenAccountRequest* request,
                                         v1::CommandReply* reply) {
  CommandCall call{
      {"customer_service"}, request->command_id(), AccountStream(request->account().account_id())};
  call.precheck = [&](const Principal&) {
    return CheckId("account.account_id", request->account().account_id());
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    int64_t versions = 0;
    if (CheckId("account.tariff_id", request->account().tariff_id()).ok()) {
      absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> tariff =
          TariffVersions(request->account().tariff_id());
      if (!tariff.ok()) return tariff.status();
      versions = static_cast<int64_t>(tariff->size());
    }
    return service::OneEvent(DecideOpenAccount(FoldAccount(history), request->account(), versions));
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::PublishTariffVersion(grpc::ServerContext* context,
                                                  const v1::PublishTariffVersionRequest* request,
                                                  v1::CommandReply* reply) {
  CommandCall call{{"marketing_manager"},
                   request->command_id(),
                   domain::kTariff.StreamOf(request->version().tariff_id())};
  call.precheck = [&](const Principal&) {
    return CheckId("version.tariff_id", request->version().tariff_id());
  };
  call.decide = [&](const Principal& principal, const History& history) {
    v1::TariffScheduleVersionPublished version = request->version();
    version.set_published_by(principal.name);
    return service::OneEvent(DecidePublishTariff(static_cast<int64_t>(history.size()), version));
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::RecordRead(grpc::ServerContext* context,
                                        const v1::RecordReadRequest* request,
                                        v1::CommandReply* reply) {
  return AccountCommand(
      context, "meter_reader", *request, request->command_id(), "read.account_id",
      request->read().account_id(), /*alters_bills=*/false,
      [&](const Account& account, const Principal& principal) {
        return DecideRecordRead(account, request->read(), principal.name);
      },
      reply);
}

grpc::Status BillingService::CheckRead(grpc::ServerContext* context,
                                       const v1::CheckReadRequest* request,
                                       v1::CheckReadReply* reply) {
  CommandCall call{{"bill_checker"}, request->command_id(), AccountStream(request->account_id())};
  call.precheck = [&](const Principal&) { return CheckId("account_id", request->account_id()); };
  call.decide = [&](const Principal& principal, const History& history) {
    return service::OneEvent(
        DecideCheckRead(FoldAccount(history), request->read_id(), principal.name));
  };
  call.request = request;
  grpc::Status status = ServeCommand(*store_, *tokens_, *context, call, reply->mutable_command());
  if (!status.ok()) return status;
  // The check as recorded (also for a retried command): read it back.
  absl::StatusOr<History> checked =
      store_->ReadStream(reply->command().stream_id(), reply->command().first_version(), 1);
  if (!checked.ok()) return service::ToGrpcStatus(checked.status());
  if (!checked->empty()) *reply->mutable_check() = checked->front().payload().meter_read_checked();
  return grpc::Status::OK;
}

grpc::Status BillingService::DecideRead(grpc::ServerContext* context,
                                        const v1::DecideReadRequest* request,
                                        v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/false,
      [&](const Account& account, const Principal& principal) {
        return DecideReadDecision(account, *request, principal.name);
      },
      reply);
}

grpc::Status BillingService::IssueBill(grpc::ServerContext* context,
                                       const v1::IssueBillRequest* request,
                                       v1::IssueBillReply* reply) {
  CommandCall call{{"bill_checker"}, request->command_id(), AccountStream(request->account_id())};
  call.precheck = [&](const Principal& principal) {
    if (absl::Status s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    return NotACollector(principal);
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    Account account = FoldAccount(history);
    std::vector<v1::TariffScheduleVersionPublished> versions;
    if (account.opened) {
      absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> tariff =
          TariffVersions(account.terms.tariff_id());
      if (!tariff.ok()) return tariff.status();
      versions = *std::move(tariff);
    }
    return service::OneEvent(DecideIssueBill(account, *request, versions));
  };
  call.request = request;
  grpc::Status status = ServeCommand(*store_, *tokens_, *context, call, reply->mutable_command());
  if (!status.ok()) return status;
  // The bill as issued (also for a retried command): read it back.
  absl::StatusOr<History> issued =
      store_->ReadStream(reply->command().stream_id(), reply->command().first_version(), 1);
  if (!issued.ok()) return service::ToGrpcStatus(issued.status());
  if (!issued->empty()) *reply->mutable_bill() = issued->front().payload().bill_issued();
  return grpc::Status::OK;
}

grpc::Status BillingService::CheckBill(grpc::ServerContext* context,
                                       const v1::CheckBillRequest* request,
                                       v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/true,
      [&](const Account& account, const Principal& principal) {
        return DecideCheckBill(account, request->bill_id(), principal.name);
      },
      reply);
}

grpc::Status BillingService::PostPayment(grpc::ServerContext* context,
                                         const v1::PostPaymentRequest* request,
                                         v1::CommandReply* reply) {
  return AccountCommand(
      context, "collector", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/false,
      [&](const Account& account, const Principal& principal) {
        return DecidePostPayment(account, *request, principal.name);
      },
      reply);
}

grpc::Status BillingService::ReverseBill(grpc::ServerContext* context,
                                         const v1::ReverseBillRequest* request,
                                         v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/true,
      [&](const Account& account, const Principal&) {
        return DecideReverseBill(account, *request);
      },
      reply);
}

grpc::Status BillingService::ReversePayment(grpc::ServerContext* context,
                                            const v1::ReversePaymentRequest* request,
                                            v1::CommandReply* reply) {
  return AccountCommand(
      context, "collector", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/false,
      [&](const Account& account, const Principal&) {
        return DecideReversePayment(account, *request);
      },
      reply);
}

grpc::Status BillingService::AccruePenalty(grpc::ServerContext* context,
                                           const v1::AccruePenaltyRequest* request,
                                           v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      /*alters_bills=*/true,
      [&](const Account& account, const Principal&) {
        return DecideAccruePenalty(account, *request);
      },
      reply);
}

grpc::Status BillingService::RecordInspection(grpc::ServerContext* context,
                                              const v1::RecordInspectionRequest* request,
                                              v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "inspection.account_id",
      request->inspection().account_id(), /*alters_bills=*/false,
      [&](const Account& account, const Principal& principal) {
        return DecideRecordInspection(account, request->inspection(), principal.name);
      },
      reply);
}

grpc::Status BillingService::IssueBackBilling(grpc::ServerContext* context,
                                              const v1::IssueBackBillingRequest* request,
                                              v1::CommandReply* reply) {
  CommandCall call{{"bill_checker"}, request->command_id(), AccountStream(request->account_id())};
  call.precheck = [&](const Principal& principal) {
    if (absl::Status s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    return NotACollector(principal);
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    Account account = FoldAccount(history);
    int64_t flat_price = 0;
    if (account.opened) {
      absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> versions =
          TariffVersions(account.terms.tariff_id());
      if (!versions.ok()) return versions.status();
      absl::StatusOr<const v1::TariffScheduleVersionPublished*> version =
          tariff::VersionInForce(*versions, request->to_period());
      if (!version.ok()) return absl::FailedPreconditionError(version.status().message());
      flat_price = (*version)->flat_price_micro_cny_per_kwh();
    }
    return service::OneEvent(DecideBackBilling(account, *request, flat_price));
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::IssueWholesaleSettlement(
    grpc::ServerContext* context, const v1::IssueWholesaleSettlementRequest* request,
    v1::CommandReply* reply) {
  CommandCall call{{"bill_checker"},
                   request->command_id(),
                   domain::kWholesale.StreamOf(request->counterparty())};
  call.precheck = [&](const Principal& principal) -> absl::Status {
    if (absl::Status s = CheckId("counterparty", request->counterparty()); !s.ok()) return s;
    if (absl::Status s = CheckId("settlement_id", request->settlement_id()); !s.ok()) return s;
    if (absl::Status s = CheckId("tariff_id", request->tariff_id()); !s.ok()) return s;
    if (request->energy_wh() <= 0) return absl::InvalidArgumentError("energy_wh: must be positive");
    if (request->period().month() < 1 || request->period().month() > 12) {
      return absl::InvalidArgumentError("period: must be a valid month");
    }
    return NotACollector(principal);
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    for (const auto& e : history) {
      const auto& issued = e.payload().wholesale_settlement_issued();
      if (e.payload().has_wholesale_settlement_issued() &&
          (issued.settlement_id() == request->settlement_id() ||
           (issued.period().year() == request->period().year() &&
            issued.period().month() == request->period().month()))) {
        return absl::AlreadyExistsError(
            absl::StrCat("settlement ", issued.settlement_id(), " already covers this period"));
      }
    }
    absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> versions =
        TariffVersions(request->tariff_id());
    if (!versions.ok()) return versions.status();
    absl::StatusOr<const v1::TariffScheduleVersionPublished*> version =
        tariff::VersionInForce(*versions, request->period());
    if (!version.ok()) return absl::FailedPreconditionError(version.status().message());
    v1::DomainEvent event;
    auto* settlement = event.mutable_wholesale_settlement_issued();
    settlement->set_settlement_id(request->settlement_id());
    settlement->set_counterparty(request->counterparty());
    *settlement->mutable_period() = request->period();
    settlement->set_energy_wh(request->energy_wh());
    settlement->set_price_micro_cny_per_kwh((*version)->flat_price_micro_cny_per_kwh());
    settlement->set_amount_fen(
        tariff::EnergyChargeFen(request->energy_wh(), (*version)->flat_price_micro_cny_per_kwh()));
    settlement->set_tariff_id(request->tariff_id());
    settlement->set_tariff_version((*version)->version());
    return Events{event};
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::ConfirmWholesaleSettlement(
    grpc::ServerContext* context, const v1::ConfirmWholesaleSettlementRequest* request,
    v1::CommandReply* reply) {
  CommandCall call{{"bill_checker"},
                   request->command_id(),
                   domain::kWholesale.StreamOf(request->counterparty())};
  call.precheck = [&](const Principal&) -> absl::Status {
    if (absl::Status s = CheckId("counterparty", request->counterparty()); !s.ok()) return s;
    if (request->confirmed_by().empty()) {
      return absl::InvalidArgumentError("confirmed_by: must name who confirmed");
    }
    return CheckId("settlement_id", request->settlement_id());
  };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    bool issued = false;
    for (const auto& e : history) {
      if (e.payload().wholesale_settlement_issued().settlement_id() == request->settlement_id()) {
        issued = true;
      }
      if (e.payload().wholesale_settlement_confirmed().settlement_id() ==
          request->settlement_id()) {
        return absl::FailedPreconditionError("the settlement is already confirmed");
      }
    }
    if (!issued) return absl::NotFoundError("settlement_id: unknown settlement");
    v1::DomainEvent event;
    event.mutable_wholesale_settlement_confirmed()->set_settlement_id(request->settlement_id());
    event.mutable_wholesale_settlement_confirmed()->set_confirmed_by(request->confirmed_by());
    return Events{event};
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::GetAccount(grpc::ServerContext* context,
                                        const v1::GetAccountRequest* request,
                                        v1::AccountView* reply) {
  absl::StatusOr<Principal> principal = service::Authenticate(*tokens_, *context);
  if (!principal.ok()) return service::ToGrpcStatus(principal.status());
  if (absl::Status s = CheckId("account_id", request->account_id()); !s.ok()) {
    return service::ToGrpcStatus(s);
  }
  absl::StatusOr<History> history = store_->ReadStream(AccountStream(request->account_id()));
  if (!history.ok()) return service::ToGrpcStatus(history.status());
  Account account = FoldAccount(*history);
  if (!account.opened) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "account_id: " + request->account_id() + " is not open");
  }
  *reply = ViewOf(account);
  return grpc::Status::OK;
}

}  // namespace gridledger::billing
