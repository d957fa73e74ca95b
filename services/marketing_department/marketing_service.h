// gridledger.v1.MarketingDepartment over gRPC (role marketing_manager): KPI
// targets, bay approvals (reading the application's stream to see that its
// plan asks for one), supervision alerts, thresholds and ticks, outage
// coordination and KPI measurements. Thread-safe; `store` and `tokens` must
// outlive it.
#ifndef GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_MARKETING_SERVICE_H_
#define GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_MARKETING_SERVICE_H_

#include "eventstore/event_store.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "projections/runtime/view_host.h"
#include "services/common/auth.h"

namespace gridledger::marketing {

class MarketingService final : public v1::MarketingDepartment::Service {
 public:
  // `views`, when given, must outlive it: MeasureKpis reads its "kpi" view
  // (without one MeasureKpis is refused).
  MarketingService(eventstore::EventStore* store, const service::TokenRegistry* tokens,
                   projections::ViewHost* views = nullptr)
      : store_(store), tokens_(tokens), views_(views) {}

  grpc::Status SetKpiTarget(grpc::ServerContext* context, const v1::SetKpiTargetRequest* request,
                            v1::CommandReply* reply) override;
  grpc::Status DecideBayApproval(grpc::ServerContext* context,
                                 const v1::DecideBayApprovalRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status RaiseAlert(grpc::ServerContext* context, const v1::RaiseAlertRequest* request,
                          v1::CommandReply* reply) override;
  grpc::Status ResolveAlert(grpc::ServerContext* context, const v1::ResolveAlertRequest* request,
                            v1::CommandReply* reply) override;
  grpc::Status RegisterOrgUnit(grpc::ServerContext* context,
                               const v1::RegisterOrgUnitRequest* request,
                               v1::CommandReply* reply) override;
  grpc::Status SetSupervisionThreshold(grpc::ServerContext* context,
                                       const v1::SetSupervisionThresholdRequest* request,
                                       v1::CommandReply* reply) override;
  grpc::Status RecordClockTick(grpc::ServerContext* context,
                               const v1::RecordClockTickRequest* request,
                               v1::CommandReply* reply) override;
  grpc::Status PlanCustomerMaintenance(grpc::ServerContext* context,
                                       const v1::PlanCustomerMaintenanceRequest* request,
                                       v1::CommandReply* reply) override;
  grpc::Status PlanGridOutage(grpc::ServerContext* context,
                              const v1::PlanGridOutageRequest* request,
                              v1::CommandReply* reply) override;
  grpc::Status CoordinateOutage(grpc::ServerContext* context,
                                const v1::CoordinateOutageRequest* request,
                                v1::CommandReply* reply) override;
  grpc::Status MeasureKpis(grpc::ServerContext* context, const v1::MeasureKpisRequest* request,
                           v1::CommandReply* reply) override;

 private:
  eventstore::EventStore* const store_;
  const service::TokenRegistry* const tokens_;
  projections::ViewHost* const views_;
};

}  // namespace gridledger::marketing

#endif  // GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_MARKETING_SERVICE_H_
