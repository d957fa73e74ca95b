#include "services/query/query_service.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/marketing_department/outage_coordination.h"
#include "projections/views/asset_lifecycle_view.h"
#include "projections/views/kpi_view.h"
#include "projections/views/ledger_view.h"
#include "projections/views/outage_view.h"
#include "projections/views/planning_view.h"
#include "projections/views/supervision_view.h"
#include "projections/views/view_keys.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"

namespace gridledger::query {
namespace {

using projections::IsSet;
using projections::PeriodKey;
using projections::ProjectionRunner;
using projections::ReadAsset;
using projections::ReadBalance;
using projections::ReadDueForVerification;
using projections::ReadInventory;
using projections::ReadKpis;
using projections::ReadOnSiteSchedule;
using projections::ReadPeriodTotals;
using projections::ReadStatement;
using projections::ViewReader;
using service::ToGrpcStatus;

constexpr absl::Duration kMaxWait = absl::Seconds(10);

// How long a min_position may be waited for: the call's deadline, at most 10 s.
absl::Duration WaitBudget(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return kMaxWait;
  const absl::Duration left = absl::FromChrono(deadline - std::chrono::system_clock::now());
  return std::max(absl::ZeroDuration(), std::min(left, kMaxWait));
}

// Finds the view and waits for min_position; the runner stays held (and so
// readable) while the caller reads it.
absl::StatusOr<std::shared_ptr<ProjectionRunner>> OpenView(const grpc::ServerContext& context,
                                                           ViewHost& views, const std::string& name,
                                                           const v1::Position& min_position) {
  std::shared_ptr<ProjectionRunner> runner = views.Find(name);
  if (runner == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("view ", name, " is not hosted by this process (see --views)"));
  }
  if (!min_position.partition().empty()) {
    if (min_position.offset() < 0) {
      return absl::InvalidArgumentError("min_position.offset: must not be negative");
    }
    GL_RETURN_IF_ERROR(runner->WaitFor(min_position, WaitBudget(context)));
  }
  return runner;
}

// Authenticates and runs `read(reader, principal)` on a consistent snapshot
// of the view.
template <typename Reply, typename Read>
grpc::Status Answer(const service::TokenRegistry& tokens, const grpc::ServerContext& context,
                    ViewHost& views, const std::string& name, const v1::Position& min_position,
                    Reply* reply, Read read) {
  absl::StatusOr<service::Principal> principal = service::Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::StatusOr<std::shared_ptr<ProjectionRunner>> runner =
      OpenView(context, views, name, min_position);
  if (!runner.ok()) return ToGrpcStatus(runner.status());
  ViewReader reader((*runner)->db());
  absl::StatusOr<Reply> answer = read(reader, *principal);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *reply = *std::move(answer);
  return grpc::Status::OK;
}

absl::Status CheckPeriod(absl::string_view field, const v1::Period& period) {
  if (period.year() < 1900 || period.year() > 9999 || period.month() < 1 || period.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a year 1900–9999 and a month 1–12"));
  }
  return absl::OkStatus();
}

// The date asked for, or today; INVALID_ARGUMENT for an impossible date.
absl::StatusOr<v1::Date> DateOrToday(absl::string_view field, const v1::Date& date) {
  if (!IsSet(date)) return domain::UtilityToday();
  const absl::CivilDay day = domain::ToCivilDay(date);
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a calendar date"));
  }
  return date;
}

absl::Status CheckNotEmpty(absl::string_view field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must be set"));
  return absl::OkStatus();
}

// An account's answer, or the view's own NOT_FOUND for an account outside
// the caller's scope (the view says so of an account it does not hold).
template <typename Reply>
absl::StatusOr<Reply> AccountInScope(absl::StatusOr<Reply> answer,
                                     const service::Principal& principal,
                                     const std::string& account_id) {
  if (answer.ok() && !service::InScope(principal, answer->org_unit())) {
    return absl::NotFoundError(absl::StrCat("account_id: ", account_id, " is not in the ledger"));
  }
  return answer;
}

// Keeps the entries of a page whose meter (`bar_code_of(entry)`) is in the
// caller's scope; a page may so hold fewer than its size, and its token still
// continues after the last one read.
template <typename Entry, typename BarCodeOf>
absl::Status KeepMetersInScope(const ViewReader& reader, const service::Principal& principal,
                               google::protobuf::RepeatedPtrField<Entry>& entries,
                               BarCodeOf bar_code_of) {
  google::protobuf::RepeatedPtrField<Entry> kept;
  for (Entry& entry : entries) {
    GL_ASSIGN_OR_RETURN(v1::AssetReply asset,
                        ReadAsset(reader, bar_code_of(entry), false, domain::UtilityToday()));
    if (service::InScope(principal, asset.org_unit())) *kept.Add() = std::move(entry);
  }
  entries.Swap(&kept);
  return absl::OkStatus();
}

absl::Status KeepAssetsInScope(const ViewReader& reader, const service::Principal& principal,
                               v1::BarCodePage& page) {
  return KeepMetersInScope(reader, principal, *page.mutable_bar_codes(),
                           [](const std::string& bar_code) { return bar_code; });
}

absl::Status KeepDueInScope(const ViewReader& reader, const service::Principal& principal,
                            v1::DuePage& page) {
  return KeepMetersInScope(reader, principal, *page.mutable_items(),
                           [](const v1::DueItem& item) { return item.bar_code(); });
}

}  // namespace

grpc::Status LedgerQueryService::GetStatement(grpc::ServerContext* context,
                                              const v1::GetStatementRequest* request,
                                              v1::Statement* reply) {
  if (absl::Status s = CheckNotEmpty("account_id", request->account_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const int page_size = request->page_size() <= 0 ? 100 : std::min(request->page_size(), 1000);
  return Answer(*tokens_, *context, *views_, "ledger", request->min_position(), reply,
                [&](const ViewReader& reader, const service::Principal& principal) {
                  return AccountInScope(ReadStatement(reader, request->account_id(), page_size,
                                                      request->page_token()),
                                        principal, request->account_id());
                });
}

grpc::Status LedgerQueryService::SearchAccounts(grpc::ServerContext* context,
                                                const v1::SearchAccountsRequest* request,
                                                v1::AccountSearchReply* reply) {
  if (!request->org_unit().empty()) {
    if (absl::Status s = domain::CheckOrgUnit("org_unit", request->org_unit()); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  return Answer(*tokens_, *context, *views_, "ledger", request->min_position(), reply,
                [&](const ViewReader& reader, const service::Principal& principal) {
                  return projections::SearchAccounts(
                      reader, *request, [&principal](const v1::LedgerAccount& account) {
                        return service::InScope(principal, account.org_unit());
                      });
                });
}

grpc::Status LedgerQueryService::GetBalance(grpc::ServerContext* context,
                                            const v1::GetBalanceRequest* request,
                                            v1::AccountBalance* reply) {
  if (absl::Status s = CheckNotEmpty("account_id", request->account_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<v1::Date> as_of = DateOrToday("as_of", request->as_of());
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  return Answer(*tokens_, *context, *views_, "ledger", request->min_position(), reply,
                [&](const ViewReader& reader, const service::Principal& principal) {
                  return AccountInScope(ReadBalance(reader, request->account_id(), *as_of),
                                        principal, request->account_id());
                });
}

grpc::Status LedgerQueryService::GetPeriodTotals(grpc::ServerContext* context,
                                                 const v1::GetPeriodTotalsRequest* request,
                                                 v1::PeriodTotalsReply* reply) {
  absl::Status valid = CheckNotEmpty("org_unit", request->org_unit());
  if (valid.ok()) valid = CheckPeriod("from", request->from());
  if (valid.ok()) valid = CheckPeriod("to", request->to());
  if (valid.ok() && PeriodKey(request->to()) < PeriodKey(request->from())) {
    valid = absl::InvalidArgumentError("to: must not be before from");
  }
  if (!valid.ok()) return ToGrpcStatus(valid);
  return Answer(
      *tokens_, *context, *views_, "ledger", request->min_position(), reply,
      [&](const ViewReader& reader,
          const service::Principal& principal) -> absl::StatusOr<v1::PeriodTotalsReply> {
        GL_RETURN_IF_ERROR(service::RequireUnitInScope(principal, "org_unit", request->org_unit()));
        return ReadPeriodTotals(reader, request->org_unit(), request->from(), request->to());
      });
}

grpc::Status AssetQueryService::GetAsset(grpc::ServerContext* context,
                                         const v1::GetAssetRequest* request,
                                         v1::AssetReply* reply) {
  if (absl::Status s = CheckNotEmpty("bar_code", request->bar_code()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return Answer(*tokens_, *context, *views_, "assets", request->min_position(), reply,
                [&](const ViewReader& reader,
                    const service::Principal& principal) -> absl::StatusOr<v1::AssetReply> {
                  absl::StatusOr<v1::AssetReply> asset = ReadAsset(
                      reader, request->bar_code(), request->with_history(), domain::UtilityToday());
                  if (asset.ok() && !service::InScope(principal, asset->org_unit())) {
                    return absl::NotFoundError(
                        absl::StrCat("bar_code: ", request->bar_code(), " is unknown"));
                  }
                  return asset;
                });
}

grpc::Status AssetQueryService::ListInventory(grpc::ServerContext* context,
                                              const v1::ListInventoryRequest* request,
                                              v1::BarCodePage* reply) {
  if (request->tier() == v1::STORE_TIER_UNSPECIFIED) {
    return ToGrpcStatus(absl::InvalidArgumentError("tier: must be set"));
  }
  if (request->state() == v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return ToGrpcStatus(absl::InvalidArgumentError("state: must be set"));
  }
  return Answer(*tokens_, *context, *views_, "assets", request->min_position(), reply,
                [&](const ViewReader& reader,
                    const service::Principal& principal) -> absl::StatusOr<v1::BarCodePage> {
                  GL_ASSIGN_OR_RETURN(v1::BarCodePage page,
                                      ReadInventory(reader, request->tier(), request->state(),
                                                    request->page_size(), request->page_token()));
                  GL_RETURN_IF_ERROR(KeepAssetsInScope(reader, principal, page));
                  return page;
                });
}

grpc::Status AssetQueryService::ListDueForVerification(grpc::ServerContext* context,
                                                       const v1::ListDueRequest* request,
                                                       v1::DuePage* reply) {
  absl::StatusOr<v1::Date> until = DateOrToday("due_on_or_before", request->due_on_or_before());
  if (!until.ok()) return ToGrpcStatus(until.status());
  return Answer(*tokens_, *context, *views_, "assets", request->min_position(), reply,
                [&](const ViewReader& reader,
                    const service::Principal& principal) -> absl::StatusOr<v1::DuePage> {
                  GL_ASSIGN_OR_RETURN(v1::DuePage page,
                                      ReadDueForVerification(reader, *until, request->page_size(),
                                                             request->page_token()));
                  GL_RETURN_IF_ERROR(KeepDueInScope(reader, principal, page));
                  return page;
                });
}

grpc::Status AssetQueryService::ListOnSiteTestSchedule(grpc::ServerContext* context,
                                                       const v1::OnSiteScheduleRequest* request,
                                                       v1::DuePage* reply) {
  if (IsSet(request->due_on_or_before())) {
    absl::StatusOr<v1::Date> until = DateOrToday("due_on_or_before", request->due_on_or_before());
    if (!until.ok()) return ToGrpcStatus(until.status());
  }
  return Answer(
      *tokens_, *context, *views_, "assets", request->min_position(), reply,
      [&](const ViewReader& reader,
          const service::Principal& principal) -> absl::StatusOr<v1::DuePage> {
        GL_ASSIGN_OR_RETURN(
            v1::DuePage page,
            ReadOnSiteSchedule(reader, request->metering_class(), request->due_on_or_before(),
                               request->page_size(), request->page_token()));
        GL_RETURN_IF_ERROR(KeepDueInScope(reader, principal, page));
        return page;
      });
}

grpc::Status KpiQueryService::GetKpis(grpc::ServerContext* context,
                                      const v1::GetKpisRequest* request, v1::KpiReport* reply) {
  absl::Status valid = CheckNotEmpty("org_unit", request->org_unit());
  if (valid.ok()) valid = CheckPeriod("period", request->period());
  if (!valid.ok()) return ToGrpcStatus(valid);
  absl::StatusOr<v1::Date> as_of = DateOrToday("as_of", request->as_of());
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  return Answer(
      *tokens_, *context, *views_, "kpi", request->min_position(), reply,
      [&](const ViewReader& reader,
          const service::Principal& principal) -> absl::StatusOr<v1::KpiReport> {
        GL_RETURN_IF_ERROR(service::RequireUnitInScope(principal, "org_unit", request->org_unit()));
        return ReadKpis(reader, request->org_unit(), request->period(), *as_of);
      });
}

grpc::Status SupervisionQueryService::ListAlerts(grpc::ServerContext* context,
                                                 const v1::ListAlertsRequest* request,
                                                 v1::AlertPage* reply) {
  if (request->min_age_s() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("min_age_s: must not be negative"));
  }
  if (!request->org_unit().empty()) {
    if (absl::Status s = domain::CheckOrgUnit("org_unit", request->org_unit()); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  if (!v1::SupervisionRule_IsValid(request->rule())) {
    return ToGrpcStatus(absl::InvalidArgumentError("rule: unknown supervision rule"));
  }
  if (!v1::AlertState_IsValid(request->state())) {
    return ToGrpcStatus(absl::InvalidArgumentError("state: unknown alert state"));
  }
  if (!request->page_token().empty() && !absl::StartsWith(request->page_token(), "i/")) {
    return ToGrpcStatus(absl::InvalidArgumentError("page_token: not a token this query returned"));
  }
  return Answer(*tokens_, *context, *views_, "supervision", request->min_position(), reply,
                [&](const ViewReader& reader,
                    const service::Principal& principal) -> absl::StatusOr<v1::AlertPage> {
                  const std::string unit =
                      request->org_unit().empty() ? principal.org_unit : request->org_unit();
                  GL_RETURN_IF_ERROR(service::RequireUnitInScope(principal, "org_unit", unit));
                  return projections::ListAlerts(reader, unit, *request);
                });
}

grpc::Status SupervisionQueryService::GetAlert(grpc::ServerContext* context,
                                               const v1::GetAlertRequest* request,
                                               v1::AlertRecord* reply) {
  if (absl::Status s = CheckNotEmpty("alert_id", request->alert_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return Answer(
      *tokens_, *context, *views_, "supervision", request->min_position(), reply,
      [&](const ViewReader& reader,
          const service::Principal& principal) -> absl::StatusOr<v1::AlertRecord> {
        GL_ASSIGN_OR_RETURN(v1::AlertRecord record,
                            projections::GetAlert(reader, request->alert_id()));
        // Another unit's alert reads as one that does not exist.
        if (!service::InScope(principal, record.raised().org_unit())) {
          return absl::NotFoundError(absl::StrCat("alert_id: no alert ", request->alert_id()));
        }
        return record;
      });
}

grpc::Status PlanningQueryService::GetDemand(grpc::ServerContext* context,
                                             const v1::GetDemandRequest* request,
                                             v1::DemandReport* reply) {
  absl::Status valid = CheckPeriod("from_period", request->from_period());
  if (valid.ok()) valid = CheckPeriod("to_period", request->to_period());
  if (!valid.ok()) return ToGrpcStatus(valid);
  const int64_t from = request->from_period().year() * 12 + request->from_period().month();
  const int64_t to = request->to_period().year() * 12 + request->to_period().month();
  if (to < from || to - from > 36) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("to_period: must be from_period or up to 36 months after it"));
  }
  if (!request->org_unit().empty()) {
    if (absl::Status s = domain::CheckOrgUnit("org_unit", request->org_unit()); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  return Answer(*tokens_, *context, *views_, "planning", request->min_position(), reply,
                [&](const ViewReader& reader,
                    const service::Principal& principal) -> absl::StatusOr<v1::DemandReport> {
                  const std::string unit =
                      request->org_unit().empty() ? principal.org_unit : request->org_unit();
                  GL_RETURN_IF_ERROR(service::RequireUnitInScope(principal, "org_unit", unit));
                  return projections::ReadDemand(reader, unit, request->from_period(),
                                                 request->to_period());
                });
}

grpc::Status ViewAdminService::ListViews(grpc::ServerContext* context,
                                         const v1::ListViewsRequest* /*request*/,
                                         v1::ListViewsReply* reply) {
  if (absl::Status s = service::Authenticate(*tokens_, *context).status(); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<std::vector<v1::ViewStatus>> statuses = views_->Statuses();
  if (!statuses.ok()) return ToGrpcStatus(statuses.status());
  for (v1::ViewStatus& status : *statuses) *reply->add_views() = std::move(status);
  return grpc::Status::OK;
}

grpc::Status ViewAdminService::RebuildView(grpc::ServerContext* context,
                                           const v1::RebuildViewRequest* request,
                                           v1::RebuildViewReply* reply) {
  absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, *context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (absl::Status s = principal->RequireAnyRole({"admin"}); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckNotEmpty("view", request->view()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = views_->Rebuild(request->view(), request->wait()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<v1::ViewStatus> status = views_->StatusOf(request->view());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *reply->mutable_status() = *std::move(status);
  return grpc::Status::OK;
}

grpc::Status OutageQueryService::ProposeCoordination(grpc::ServerContext* context,
                                                     const v1::ProposeCoordinationRequest* request,
                                                     v1::CoordinationProposals* reply) {
  absl::StatusOr<absl::Duration> within = marketing::CoordinationWithin(request->within_days());
  if (!within.ok()) return ToGrpcStatus(within.status());
  if (!request->org_unit().empty()) {
    if (absl::Status s = domain::CheckOrgUnit("org_unit", request->org_unit()); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  return Answer(
      *tokens_, *context, *views_, "planning", request->min_position(), reply,
      [&](const ViewReader& reader,
          const service::Principal& principal) -> absl::StatusOr<v1::CoordinationProposals> {
        const std::string unit =
            request->org_unit().empty() ? principal.org_unit : request->org_unit();
        GL_RETURN_IF_ERROR(service::RequireUnitInScope(principal, "org_unit", unit));
        return projections::ReadCoordinationProposals(reader, unit, *within);
      });
}

}  // namespace gridledger::query
