#include "projections/views/line_loss_memory.h"

#include "absl/strings/str_cat.h"

namespace gridledger::projections {

absl::StatusOr<std::optional<v1::SupplyNodeRegistered>> TxnLineLossMemory::Node(
    const std::string& id) {
  return Read<v1::SupplyNodeRegistered>(absl::StrCat(prefix_, "n/", id));
}

absl::StatusOr<std::optional<v1::SupplyConnection>> TxnLineLossMemory::Connection(
    const std::string& account_id) {
  return Read<v1::SupplyConnection>(absl::StrCat(prefix_, "c/", account_id));
}

absl::StatusOr<std::optional<v1::BilledEnergy>> TxnLineLossMemory::Billed(
    const std::string& bill_id) {
  return Read<v1::BilledEnergy>(absl::StrCat(prefix_, "b/", bill_id));
}

void TxnLineLossMemory::PutNode(const v1::SupplyNodeRegistered& node) {
  txn_.PutProto(absl::StrCat(prefix_, "n/", node.node_id()), node);
}

void TxnLineLossMemory::PutConnection(const std::string& account_id,
                                      const v1::SupplyConnection& connection) {
  txn_.PutProto(absl::StrCat(prefix_, "c/", account_id), connection);
}

void TxnLineLossMemory::PutBilled(const std::string& bill_id, const v1::BilledEnergy& billed) {
  txn_.PutProto(absl::StrCat(prefix_, "b/", bill_id), billed);
}

void TxnLineLossMemory::DeleteBilled(const std::string& bill_id) {
  txn_.Delete(absl::StrCat(prefix_, "b/", bill_id));
}

}  // namespace gridledger::projections
