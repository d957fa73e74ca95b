// gridledger.v1.MeteringCenter over gRPC: authenticates each call, checks the
// role, and runs the command through the unit's rules and the command
// runner: a meter's commands (metering_technician) through its lifecycle
// (meter_lifecycle.h) on its stream, and a work voucher's (work_voucher.h) on
// the voucher's stream — issue, dispatch and verify by a
// metering_technician, on site and complete by the field_crew. Issue and
// complete also read the voucher's meter, and a meter outside the caller's
// scope counts as unknown. Thread-safe; `store` and `tokens` must outlive it.
#ifndef GRIDLEDGER_SERVICES_METERING_CENTER_METERING_SERVICE_H_
#define GRIDLEDGER_SERVICES_METERING_CENTER_METERING_SERVICE_H_

#include <functional>

#include "eventstore/event_store.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "services/common/auth.h"

namespace gridledger::metering {

// What a command on one meter's stream needs beyond its decision: whether
// it creates the meter (in the caller's unit), and a unit it sends the
// meter to (checked as scope.h's CheckUnitToActIn).
struct MeterScope {
  bool creates = false;
  std::string unit_field;
  std::string unit;
};

class MeteringService final : public v1::MeteringCenter::Service {
 public:
  MeteringService(eventstore::EventStore* store, const service::TokenRegistry* tokens)
      : store_(store), tokens_(tokens) {}

  grpc::Status ReceiveMeter(grpc::ServerContext* context, const v1::ReceiveMeterRequest* request,
                            v1::CommandReply* reply) override;
  grpc::Status RecordCalibration(grpc::ServerContext* context,
                                 const v1::RecordCalibrationRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status MoveMeter(grpc::ServerContext* context, const v1::MoveMeterRequest* request,
                         v1::CommandReply* reply) override;
  grpc::Status DispatchMeter(grpc::ServerContext* context, const v1::DispatchMeterRequest* request,
                             v1::CommandReply* reply) override;
  grpc::Status InstallMeter(grpc::ServerContext* context, const v1::InstallMeterRequest* request,
                            v1::CommandReply* reply) override;
  grpc::Status RemoveMeter(grpc::ServerContext* context, const v1::RemoveMeterRequest* request,
                           v1::CommandReply* reply) override;
  grpc::Status RequestReverification(grpc::ServerContext* context,
                                     const v1::RequestReverificationRequest* request,
                                     v1::CommandReply* reply) override;
  grpc::Status ScrapMeter(grpc::ServerContext* context, const v1::ScrapMeterRequest* request,
                          v1::CommandReply* reply) override;
  grpc::Status GetMeter(grpc::ServerContext* context, const v1::GetMeterRequest* request,
                        v1::MeterState* reply) override;

  // Work vouchers (stream voucher-<id>).
  grpc::Status IssueWorkVoucher(grpc::ServerContext* context,
                                const v1::IssueWorkVoucherRequest* request,
                                v1::CommandReply* reply) override;
  grpc::Status DispatchWorkVoucher(grpc::ServerContext* context,
                                   const v1::DispatchWorkVoucherRequest* request,
                                   v1::CommandReply* reply) override;
  grpc::Status RecordVoucherOnSite(grpc::ServerContext* context,
                                   const v1::RecordVoucherOnSiteRequest* request,
                                   v1::CommandReply* reply) override;
  grpc::Status CompleteWorkVoucher(grpc::ServerContext* context,
                                   const v1::CompleteWorkVoucherRequest* request,
                                   v1::CommandReply* reply) override;
  grpc::Status VerifyWorkVoucher(grpc::ServerContext* context,
                                 const v1::VerifyWorkVoucherRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status RegisterSupplyNode(grpc::ServerContext* context,
                                  const v1::RegisterSupplyNodeRequest* request,
                                  v1::CommandReply* reply) override;
  grpc::Status RecordGatewayRead(grpc::ServerContext* context,
                                 const v1::RecordGatewayReadRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status ConnectAccount(grpc::ServerContext* context,
                              const v1::ConnectAccountRequest* request,
                              v1::CommandReply* reply) override;

 private:
  using MeterDecision = std::function<absl::StatusOr<v1::DomainEvent>(
      const v1::MeterState& meter, const std::vector<v1::EventEnvelope>& history)>;

  grpc::Status Run(grpc::ServerContext* context, const google::protobuf::Message& request,
                   const std::string& command_id, const std::string& bar_code_field,
                   const std::string& bar_code, const MeterDecision& decide,
                   v1::CommandReply* reply, const MeterScope& scope = {});

  eventstore::EventStore* const store_;
  const service::TokenRegistry* const tokens_;
};

}  // namespace gridledger::metering

#endif  // GRIDLEDGER_SERVICES_METERING_CENTER_METERING_SERVICE_H_
