// gridledger.v1.BillingCenter over gRPC: each command authenticates, checks
// its role (customer_service opens accounts, marketing_manager publishes
// tariffs, meter_reader reads, bill_checker checks and bills, collector
// collects) and runs the account's rules (account.h) through the command
// runner. Thread-safe; `store` and `tokens` must outlive it.
#ifndef GRIDLEDGER_SERVICES_BILLING_CENTER_BILLING_SERVICE_H_
#define GRIDLEDGER_SERVICES_BILLING_CENTER_BILLING_SERVICE_H_

#include <functional>

#include "eventstore/event_store.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/service_call.h"

namespace gridledger::billing {

struct Account;  // account.h

class BillingService final : public v1::BillingCenter::Service {
 public:
  BillingService(eventstore::EventStore* store, const service::TokenRegistry* tokens)
      : store_(store), tokens_(tokens) {}

  grpc::Status OpenAccount(grpc::ServerContext* context, const v1::OpenAccountRequest* request,
                           v1::CommandReply* reply) override;
  grpc::Status ChangeAccountTerms(grpc::ServerContext* context,
                                  const v1::ChangeAccountTermsRequest* request,
                                  v1::CommandReply* reply) override;
  grpc::Status PublishTariffVersion(grpc::ServerContext* context,
                                    const v1::PublishTariffVersionRequest* request,
                                    v1::CommandReply* reply) override;
  grpc::Status RecordRead(grpc::ServerContext* context, const v1::RecordReadRequest* request,
                          v1::CommandReply* reply) override;
  grpc::Status RecordReads(grpc::ServerContext* context, const v1::RecordReadsRequest* request,
                           v1::RecordReadsReply* reply) override;
  grpc::Status CheckRead(grpc::ServerContext* context, const v1::CheckReadRequest* request,
                         v1::CheckReadReply* reply) override;
  grpc::Status DecideRead(grpc::ServerContext* context, const v1::DecideReadRequest* request,
                          v1::CommandReply* reply) override;
  grpc::Status IssueBill(grpc::ServerContext* context, const v1::IssueBillRequest* request,
                         v1::IssueBillReply* reply) override;
  grpc::Status PreviewBill(grpc::ServerContext* context, const v1::IssueBillRequest* request,
                           v1::IssueBillReply* reply) override;
  grpc::Status CheckBill(grpc::ServerContext* context, const v1::CheckBillRequest* request,
                         v1::CommandReply* reply) override;
  grpc::Status PostPayment(grpc::ServerContext* context, const v1::PostPaymentRequest* request,
                           v1::CommandReply* reply) override;
  grpc::Status ReverseBill(grpc::ServerContext* context, const v1::ReverseBillRequest* request,
                           v1::CommandReply* reply) override;
  grpc::Status ReversePayment(grpc::ServerContext* context,
                              const v1::ReversePaymentRequest* request,
                              v1::CommandReply* reply) override;
  grpc::Status AccruePenalty(grpc::ServerContext* context, const v1::AccruePenaltyRequest* request,
                             v1::CommandReply* reply) override;
  grpc::Status RecordInspection(grpc::ServerContext* context,
                                const v1::RecordInspectionRequest* request,
                                v1::CommandReply* reply) override;
  grpc::Status IssueBackBilling(grpc::ServerContext* context,
                                const v1::IssueBackBillingRequest* request,
                                v1::CommandReply* reply) override;
  grpc::Status IssueWholesaleSettlement(grpc::ServerContext* context,
                                        const v1::IssueWholesaleSettlementRequest* request,
                                        v1::CommandReply* reply) override;
  grpc::Status ConfirmWholesaleSettlement(grpc::ServerContext* context,
                                          const v1::ConfirmWholesaleSettlementRequest* request,
                                          v1::CommandReply* reply) override;
  grpc::Status GetAccount(grpc::ServerContext* context, const v1::GetAccountRequest* request,
                          v1::AccountView* reply) override;

 private:
  // What most account commands share: the account id checked (named
  // `account_field`), the account's events folded, and the events decided by
  // `decide` (OneEvent for one).
  using AccountDecision = std::function<absl::StatusOr<std::vector<v1::DomainEvent>>(
      const Account& account, const service::Principal& principal)>;
  static service::CommandCall AccountCall(const std::string& role,
                                          const google::protobuf::Message& request,
                                          const std::string& command_id,
                                          const std::string& account_field,
                                          const std::string& account_id, AccountDecision decide);
  grpc::Status AccountCommand(grpc::ServerContext* context, const std::string& role,
                              const google::protobuf::Message& request,
                              const std::string& command_id, const std::string& account_field,
                              const std::string& account_id, const AccountDecision& decide,
                              v1::CommandReply* reply);

  absl::StatusOr<std::vector<v1::TariffScheduleVersionPublished>> TariffVersions(
      const std::string& tariff_id);
  // IssueBill's command (issued, or previewed by PreviewBill); `request`
  // must outlive it.
  service::CommandCall IssueBillCall(const v1::IssueBillRequest* request);

  eventstore::EventStore* const store_;
  const service::TokenRegistry* const tokens_;
};

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_SERVICES_BILLING_CENTER_BILLING_SERVICE_H_
