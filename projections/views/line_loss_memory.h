// metering::LineLossMemory kept in a view's own RocksDB (its ViewTxn), under
// a key prefix of the view's choosing:
//   <prefix>n/<node id>      SupplyNodeRegistered
//   <prefix>c/<account id>   SupplyConnection
//   <prefix>b/<bill id>      BilledEnergy (until the bill is reversed)
// Read errors are returned by the reads; writes are staged in the txn.
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_LINE_LOSS_MEMORY_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_LINE_LOSS_MEMORY_H_

#include <optional>
#include <string>

#include "domain/metering_center/line_loss.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class TxnLineLossMemory final : public metering::LineLossMemory {
 public:
  TxnLineLossMemory(ViewTxn& txn, std::string prefix) : txn_(txn), prefix_(std::move(prefix)) {}

  absl::StatusOr<std::optional<v1::SupplyNodeRegistered>> Node(const std::string& id) override;
  absl::StatusOr<std::optional<v1::SupplyConnection>> Connection(
      const std::string& account_id) override;
  absl::StatusOr<std::optional<v1::BilledEnergy>> Billed(const std::string& bill_id) override;
  void PutNode(const v1::SupplyNodeRegistered& node) override;
  void PutConnection(const std::string& account_id,
                     const v1::SupplyConnection& connection) override;
  void PutBilled(const std::string& bill_id, const v1::BilledEnergy& billed) override;
  void DeleteBilled(const std::string& bill_id) override;

 private:
  template <typename Message>
  absl::StatusOr<std::optional<Message>> Read(const std::string& key) {
    Message message;
    absl::StatusOr<bool> found = txn_.GetProto(key, &message);
    if (!found.ok()) return found.status();
    if (!*found) return std::nullopt;
    return message;
  }

  ViewTxn& txn_;
  const std::string prefix_;
};

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_LINE_LOSS_MEMORY_H_
