// The gRPC query services over the views (query_service.proto): LedgerQuery,
// AssetQuery, KpiQuery and ViewAdmin. Any authenticated principal may query;
// only admin may rebuild. A query names the view it needs; if that view is
// not hosted in this process the answer is UNIMPLEMENTED naming it.
#ifndef GRIDLEDGER_SERVICES_QUERY_QUERY_SERVICE_H_
#define GRIDLEDGER_SERVICES_QUERY_QUERY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "gridledger/v1/query_service.grpc.pb.h"
#include "projections/runtime/view_host.h"
#include "services/common/auth.h"

namespace gridledger::query {

using projections::ViewHost;

class LedgerQueryService final : public v1::LedgerQuery::Service {
 public:
  LedgerQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status GetStatement(grpc::ServerContext* context, const v1::GetStatementRequest* request,
                            v1::Statement* reply) override;
  grpc::Status SearchAccounts(grpc::ServerContext* context,
                              const v1::SearchAccountsRequest* request,
                              v1::AccountSearchReply* reply) override;
  grpc::Status GetBalance(grpc::ServerContext* context, const v1::GetBalanceRequest* request,
                          v1::AccountBalance* reply) override;
  grpc::Status GetPeriodTotals(grpc::ServerContext* context,
                               const v1::GetPeriodTotalsRequest* request,
                               v1::PeriodTotalsReply* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

class AssetQueryService final : public v1::AssetQuery::Service {
 public:
  AssetQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status GetAsset(grpc::ServerContext* context, const v1::GetAssetRequest* request,
                        v1::AssetReply* reply) override;
  grpc::Status ListInventory(grpc::ServerContext* context, const v1::ListInventoryRequest* request,
                             v1::BarCodePage* reply) override;
  grpc::Status ListDueForVerification(grpc::ServerContext* context,
                                      const v1::ListDueRequest* request,
                                      v1::DuePage* reply) override;
  grpc::Status ListOnSiteTestSchedule(grpc::ServerContext* context,
                                      const v1::OnSiteScheduleRequest* request,
                                      v1::DuePage* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

class KpiQueryService final : public v1::KpiQuery::Service {
 public:
  KpiQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status GetKpis(grpc::ServerContext* context, const v1::GetKpisRequest* request,
                       v1::KpiReport* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

// Alerts of the caller's unit and below, from the supervision view.
class SupervisionQueryService final : public v1::SupervisionQuery::Service {
 public:
  SupervisionQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status ListAlerts(grpc::ServerContext* context, const v1::ListAlertsRequest* request,
                          v1::AlertPage* reply) override;
  grpc::Status GetAlert(grpc::ServerContext* context, const v1::GetAlertRequest* request,
                        v1::AlertRecord* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

// Market demand by unit, month and voltage class, from the planning view.
class PlanningQueryService final : public v1::PlanningQuery::Service {
 public:
  PlanningQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status GetDemand(grpc::ServerContext* context, const v1::GetDemandRequest* request,
                         v1::DemandReport* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

// Outage coordination proposals from the planning view.
class OutageQueryService final : public v1::OutageQuery::Service {
 public:
  OutageQueryService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status ProposeCoordination(grpc::ServerContext* context,
                                   const v1::ProposeCoordinationRequest* request,
                                   v1::CoordinationProposals* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

class ViewAdminService final : public v1::ViewAdmin::Service {
 public:
  ViewAdminService(ViewHost* views, const service::TokenRegistry* tokens)
      : views_(views), tokens_(tokens) {}
  grpc::Status ListViews(grpc::ServerContext* context, const v1::ListViewsRequest* request,
                         v1::ListViewsReply* reply) override;
  grpc::Status RebuildView(grpc::ServerContext* context, const v1::RebuildViewRequest* request,
                           v1::RebuildViewReply* reply) override;

 private:
  ViewHost* const views_;
  const service::TokenRegistry* const tokens_;
};

}  // namespace gridledger::query

#endif  // GRIDLEDGER_SERVICES_QUERY_QUERY_SERVICE_H_
