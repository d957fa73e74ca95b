// gridledger.v1.CustomerServiceCenter over gRPC (role customer_service): the
// application and ticket rules of application.h through the command runner.
// Thread-safe; `store` and `tokens` must outlive it.
#ifndef GRIDLEDGER_SERVICES_CUSTOMER_SERVICE_CUSTOMER_SERVICE_H_
#define GRIDLEDGER_SERVICES_CUSTOMER_SERVICE_CUSTOMER_SERVICE_H_

#include "eventstore/event_store.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "services/common/auth.h"

namespace gridledger::customer {

class CustomerService final : public v1::CustomerServiceCenter::Service {
 public:
  CustomerService(eventstore::EventStore* store, const service::TokenRegistry* tokens)
      : store_(store), tokens_(tokens) {}

  grpc::Status SubmitApplication(grpc::ServerContext* context,
                                 const v1::SubmitApplicationRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status AcceptApplication(grpc::ServerContext* context,
                                 const v1::AcceptApplicationRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status CompleteStep(grpc::ServerContext* context, const v1::CompleteStepRequest* request,
                            v1::CommandReply* reply) override;
  grpc::Status RejectApplication(grpc::ServerContext* context,
                                 const v1::EndApplicationRequest* request,
                                 v1::CommandReply* reply) override;
  grpc::Status WithdrawApplication(grpc::ServerContext* context,
                                   const v1::EndApplicationRequest* request,
                                   v1::CommandReply* reply) override;
  grpc::Status OpenTicket(grpc::ServerContext* context, const v1::OpenTicketRequest* request,
                          v1::CommandReply* reply) override;
  grpc::Status AdvanceTicket(grpc::ServerContext* context, const v1::AdvanceTicketRequest* request,
                             v1::CommandReply* reply) override;
  grpc::Status GetApplication(grpc::ServerContext* context,
                              const v1::GetApplicationRequest* request,
                              v1::ApplicationView* reply) override;

 private:
  eventstore::EventStore* const store_;
  const service::TokenRegistry* const tokens_;
};

}  // namespace gridledger::customer

#endif  // GRIDLEDGER_SERVICES_CUSTOMER_SERVICE_CUSTOMER_SERVICE_H_
