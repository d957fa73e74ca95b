#include "services/billing_center/billing_service.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/meter_on_account.h"
#include "domain/billing_center/tariff/money.h"
#include "domain/billing_center/tariff/rules.h"
#include "domain/billing_center/tariff/tariff_engine.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"
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

// The versions of a tariff stream's events.
std::vector<v1::TariffScheduleVersionPublished> VersionsIn(const History& history) {
  std::vector<v1::TariffScheduleVersionPublished> versions;
  for (const auto& e : history) {
    if (e.payload().has_tariff_schedule_version_published()) {
      versions.push_back(e.payload().tariff_schedule_version_published());
    }
  }
  return versions;
}

}  // namespace

absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> BillingService::TariffVersions(
    const std::string& tariff_id) {
  if (!CheckId("tariff_id", tariff_id).ok()) {
    return std::vector<v1::TariffScheduleVersionPublished>{};  // no such stream
  }
  absl::StatusOr<History> history = store_->ReadStream(domain::kTariff.StreamOf(tariff_id));
  if (!history.ok()) return history.status();
  return VersionsIn(*history);
}

service::CommandCall BillingService::AccountCall(const std::string& role,
                                                 const google::protobuf::Message& request,
                                                 const std::string& command_id,
                                                 const std::string& account_field,
                                                 const std::string& account_id,
                                                 AccountDecision decide) {
  CommandCall call{{role}, command_id, AccountStream(account_id)};
  call.precheck = [account_field, account_id](const Principal&) {
    return CheckId(account_field, account_id);
  };
  call.decide = [decide = std::move(decide)](const Principal& principal, const History& history) {
    return decide(FoldAccount(history), principal);
  };
  call.request = &request;
  return call;
}

grpc::Status BillingService::AccountCommand(
    grpc::ServerContext* context, const std::string& role, const google::protobuf::Message& request,
    const std::string& command_id, const std::string& account_field, const std::string& account_id,
    const AccountDecision& decide, v1::CommandReply* reply) {
  return ServeCommand(*store_, *tokens_, *context,
                      AccountCall(role, request, command_id, account_field, account_id, decide),
                      reply);
}

grpc::Status BillingService::OpenAccount(grpc::ServerContext* context,
                                         const v1::OpenAccountRequest* request,
                                         v1::CommandReply* reply) {
  CommandCall call{
      {"customer_service"}, request->command_id(), AccountStream(request->account().account_id())};
  call.precheck = [&](const Principal&) {
    return CheckId("account.account_id", request->account().account_id());
  };
  call.creates = true;
  call.unit_field = "account.org_unit";
  call.unit = request->account().org_unit();
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> tariff =
        TariffVersions(request->account().tariff_id());
    if (!tariff.ok()) return tariff.status();
    return service::OneEvent(DecideOpenAccount(FoldAccount(history), request->account(), *tariff));
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

grpc::Status BillingService::ChangeAccountTerms(grpc::ServerContext* context,
                                                const v1::ChangeAccountTermsRequest* request,
                                                v1::CommandReply* reply) {
  return AccountCommand(
      context, "customer_service", *request, request->command_id(), "change.account_id",
      request->change().account_id(),
      [&](const Account& account, const Principal&) -> absl::StatusOr<Events> {
        const bool new_tariff = std::find(request->change().changed_fields().begin(),
                                          request->change().changed_fields().end(),
                                          "tariff_id") != request->change().changed_fields().end();
        absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> tariff = TariffVersions(
            new_tariff ? request->change().tariff_id() : account.TermsNow().tariff_id());
        if (!tariff.ok()) return tariff.status();
        return service::OneEvent(DecideChangeTerms(account, request->change(), *tariff));
      },
      reply);
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
  call.creates = true;  // the first version creates the tariff in the publisher's unit
  call.decide = [&](const Principal& principal, const History& history) {
    v1::TariffScheduleVersionPublished version = request->version();
    version.set_published_by(principal.name);
    return service::OneEvent(DecidePublishTariff(VersionsIn(history), version));
  };
  call.request = request;
  return ServeCommand(*store_, *tokens_, *context, call, reply);
}

namespace {

// The rules of one read, for AccountCall: the account's (DecideRecordRead,
// which fills in the meter in place), then C-METER-ON-ACCOUNT: the meter
// read must be installed on the account by the meter's own stream.
std::function<absl::StatusOr<Events>(const Account&, const Principal&)> ReadDecision(
    eventstore::EventStore& store, const v1::RecordReadRequest& request) {
  return [&store, &request](const Account& account,
                            const Principal& principal) -> absl::StatusOr<Events> {
    absl::StatusOr<v1::DomainEvent> decided =
        DecideRecordRead(account, request.read(), principal.name, domain::UtilityToday());
    if (!decided.ok()) return decided.status();
    const v1::MeterReadRecorded& read = decided->meter_read_recorded();
    // An account whose meter was never named (records kept before meters
    // were tracked) has nothing to check against.
    if (read.meter_bar_code().empty()) return service::OneEvent(*std::move(decided));
    absl::StatusOr<History> meter =
        store.ReadStream(domain::kMeter.StreamOf(read.meter_bar_code()));
    if (!meter.ok()) return meter.status();
    const absl::Time read_at =
        read.has_read_at() ? domain::FromTimestamp(read.read_at()) : absl::Now();
    if (absl::Status on_account =
            CheckMeterOnAccount(*meter, read.meter_bar_code(), read.account_id(), read_at);
        !on_account.ok()) {
      return on_account;
    }
    return service::OneEvent(*std::move(decided));
  };
}

}  // namespace

grpc::Status BillingService::RecordRead(grpc::ServerContext* context,
                                        const v1::RecordReadRequest* request,
                                        v1::CommandReply* reply) {
  return AccountCommand(context, "meter_reader", *request, request->command_id(), "read.account_id",
                        request->read().account_id(), ReadDecision(*store_, *request), reply);
}

grpc::Status BillingService::RecordReads(grpc::ServerContext* context,
                                         const v1::RecordReadsRequest* request,
                                         v1::RecordReadsReply* reply) {
  constexpr int kMaxReads = 1000;
  absl::StatusOr<Principal> principal = service::Authenticate(*tokens_, *context);
  if (!principal.ok()) return service::ToGrpcStatus(principal.status());
  if (absl::Status role = principal->RequireAnyRole({"meter_reader"}); !role.ok()) {
    return service::ToGrpcStatus(role);
  }
  if (request->reads_size() < 1 || request->reads_size() > kMaxReads) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("reads: 1 to ", kMaxReads, " reads per call, got ", request->reads_size()));
  }
  std::vector<CommandCall> calls;
  calls.reserve(request->reads_size());
  for (const v1::RecordReadRequest& read : request->reads()) {
    calls.push_back(AccountCall("meter_reader", read, read.command_id(), "read.account_id",
                                read.read().account_id(), ReadDecision(*store_, read)));
  }
  std::vector<grpc::Status> statuses;
  std::vector<v1::CommandReply> replies;
  if (grpc::Status served =
          service::ServeCommands(*store_, *tokens_, *context, calls, &statuses, &replies);
      !served.ok()) {
    return served;
  }
  int accepted = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    v1::RecordReadResult* result = reply->add_results();
    result->set_code(statuses[i].error_code());
    result->set_message(statuses[i].error_message());
    *result->mutable_reply() = std::move(replies[i]);
    accepted += statuses[i].ok();
  }
  reply->set_accepted(accepted);
  return grpc::Status::OK;
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
      [&](const Account& account, const Principal& principal) {
        return service::OneEvent(DecideReadDecision(account, *request, principal.name));
      },
      reply);
}

service::CommandCall BillingService::IssueBillCall(const v1::IssueBillRequest* request) {
  CommandCall call{{"bill_checker"}, request->command_id(), AccountStream(request->account_id())};
  call.precheck = [request](const Principal&) {
    return CheckId("account_id", request->account_id());
  };
  call.decide = [this, request](const Principal& principal,
                                const History& history) -> absl::StatusOr<Events> {
    Account account = FoldAccount(history);
    std::vector<v1::TariffScheduleVersionPublished> versions;
    if (account.opened) {
      absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> tariff =
          TariffVersions(account.TermsFor(request->period()).tariff_id());
      if (!tariff.ok()) return tariff.status();
      versions = *std::move(tariff);
    }
    return service::OneEvent(
        DecideIssueBill(account, *request, versions, principal.name, domain::UtilityToday()));
  };
  call.request = request;
  return call;
}

grpc::Status BillingService::IssueBill(grpc::ServerContext* context,
                                       const v1::IssueBillRequest* request,
                                       v1::IssueBillReply* reply) {
  grpc::Status status =
      ServeCommand(*store_, *tokens_, *context, IssueBillCall(request), reply->mutable_command());
  if (!status.ok()) return status;
  // The bill as issued (also for a retried command): read it back.
  absl::StatusOr<History> issued =
      store_->ReadStream(reply->command().stream_id(), reply->command().first_version(), 1);
  if (!issued.ok()) return service::ToGrpcStatus(issued.status());
  if (!issued->empty()) *reply->mutable_bill() = issued->front().payload().bill_issued();
  return grpc::Status::OK;
}

grpc::Status BillingService::PreviewBill(grpc::ServerContext* context,
                                         const v1::IssueBillRequest* request,
                                         v1::IssueBillReply* reply) {
  CommandCall call = IssueBillCall(request);
  call.roles = {"bill_checker", "customer_service"};
  std::vector<v1::EventEnvelope> events;
  grpc::Status status = service::PreviewCommand(*store_, *tokens_, *context, call, &events);
  if (!status.ok()) return status;
  if (events.size() != 1 || !events[0].payload().has_bill_issued()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "a bill preview decided no bill");
  }
  *reply->mutable_bill() = events[0].payload().bill_issued();
  return grpc::Status::OK;
}

grpc::Status BillingService::CheckBill(grpc::ServerContext* context,
                                       const v1::CheckBillRequest* request,
                                       v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      [&](const Account& account, const Principal& principal) {
        return service::OneEvent(DecideCheckBill(account, request->bill_id(), principal.name));
      },
      reply);
}

grpc::Status BillingService::PostPayment(grpc::ServerContext* context,
                                         const v1::PostPaymentRequest* request,
                                         v1::CommandReply* reply) {
  return AccountCommand(
      context, "collector", *request, request->command_id(), "account_id", request->account_id(),
      [&](const Account& account, const Principal& principal) {
        return DecidePostPayment(account, *request, principal.name, domain::UtilityToday());
      },
      reply);
}

grpc::Status BillingService::ReverseBill(grpc::ServerContext* context,
                                         const v1::ReverseBillRequest* request,
                                         v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      [&](const Account& account, const Principal& principal) {
        return service::OneEvent(DecideReverseBill(account, *request, principal.name));
      },
      reply);
}

grpc::Status BillingService::ReversePayment(grpc::ServerContext* context,
                                            const v1::ReversePaymentRequest* request,
                                            v1::CommandReply* reply) {
  return AccountCommand(
      context, "collector", *request, request->command_id(), "account_id", request->account_id(),
      [&](const Account& account, const Principal& principal) {
        return DecideReversePayment(account, *request, principal.name);
      },
      reply);
}

grpc::Status BillingService::AccruePenalty(grpc::ServerContext* context,
                                           const v1::AccruePenaltyRequest* request,
                                           v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "account_id", request->account_id(),
      [&](const Account& account, const Principal& principal) {
        return service::OneEvent(
            DecideAccruePenalty(account, *request, principal.name, domain::UtilityToday()));
      },
      reply);
}

grpc::Status BillingService::RecordInspection(grpc::ServerContext* context,
                                              const v1::RecordInspectionRequest* request,
                                              v1::CommandReply* reply) {
  return AccountCommand(
      context, "bill_checker", *request, request->command_id(), "inspection.account_id",
      request->inspection().account_id(),
      [&](const Account& account, const Principal& principal) {
        return service::OneEvent(
            DecideRecordInspection(account, request->inspection(), principal.name));
      },
      reply);
}

grpc::Status BillingService::IssueBackBilling(grpc::ServerContext* context,
                                              const v1::IssueBackBillingRequest* request,
                                              v1::CommandReply* reply) {
  CommandCall call{{"bill_checker"}, request->command_id(), AccountStream(request->account_id())};
  call.precheck = [&](const Principal&) { return CheckId("account_id", request->account_id()); };
  call.decide = [&](const Principal&, const History& history) -> absl::StatusOr<Events> {
    Account account = FoldAccount(history);
    int64_t flat_price = 0;
    if (account.opened) {
      absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> versions =
          TariffVersions(account.TermsFor(request->to_period()).tariff_id());
      if (!versions.ok()) return versions.status();
      absl::StatusOr<const v1::TariffScheduleVersionPublished*> version =
          tariff::VersionInForce(*versions, request->to_period());
      if (!version.ok()) return absl::FailedPreconditionError(version.status().message());
      flat_price = (*version)->flat_price_micro_cny_per_kwh();
    }
    return service::OneEvent(
        DecideBackBilling(account, *request, flat_price, domain::UtilityToday()));
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
  call.precheck = [&](const Principal&) -> absl::Status {
    if (absl::Status s = CheckId("counterparty", request->counterparty()); !s.ok()) return s;
    if (absl::Status s = CheckId("settlement_id", request->settlement_id()); !s.ok()) return s;
    if (absl::Status s = CheckId("tariff_id", request->tariff_id()); !s.ok()) return s;
    if (request->energy_wh() <= 0 || request->energy_wh() > 1'000'000'000'000'000) {
      return absl::InvalidArgumentError("energy_wh: must be positive (at most 10^15)");
    }
    if (request->period().month() < 1 || request->period().month() > 12) {
      return absl::InvalidArgumentError("period: must be a valid month");
    }
    return absl::OkStatus();
  };
  call.creates = true;  // the first settlement creates the counterparty's stream
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
  if (!account.opened || !service::InScope(*principal, domain::StreamOrgUnit(*history))) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "account_id: " + request->account_id() + " is not open");
  }
  *reply = ViewOf(account);
  return grpc::Status::OK;
}

}  // namespace gridledger::billing
