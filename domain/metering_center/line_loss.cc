#include "domain/metering_center/line_loss.h"

#include "common/status_macros.h"

namespace gridledger::metering {

absl::StatusOr<std::optional<v1::SupplyNodeRegistered>> InMemoryLineLossMemory::Node(
    const std::string& id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<v1::SupplyConnection>> InMemoryLineLossMemory::Connection(
    const std::string& account_id) {
  auto it = connections_.find(account_id);
  if (it == connections_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<v1::BilledEnergy>> InMemoryLineLossMemory::Billed(
    const std::string& bill_id) {
  auto it = billed_.find(bill_id);
  if (it == billed_.end()) return std::nullopt;
  return it->second;
}

void InMemoryLineLossMemory::PutNode(const v1::SupplyNodeRegistered& node) {
  nodes_[node.node_id()] = node;
}
void InMemoryLineLossMemory::PutConnection(const std::string& account_id,
                                           const v1::SupplyConnection& connection) {
  connections_[account_id] = connection;
}
void InMemoryLineLossMemory::PutBilled(const std::string& bill_id, const v1::BilledEnergy& billed) {
  billed_[bill_id] = billed;
}
void InMemoryLineLossMemory::DeleteBilled(const std::string& bill_id) { billed_.erase(bill_id); }

bool AffectsLineLoss(const v1::DomainEvent& event) {
  return event.has_supply_node_registered() || event.has_gateway_read_recorded() ||
         event.has_account_connected() || event.has_bill_issued() || event.has_bill_reversed();
}

namespace {

// The area's and its feeder's shares of `energy_wh` billed in `period`.
std::vector<EnergyShare> BilledShares(const v1::SupplyConnection& connection,
                                      const v1::Period& period, int64_t energy_wh) {
  std::vector<EnergyShare> shares(2);
  shares[0].node_id = connection.transformer_area_id();
  shares[0].kind = v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA;
  shares[1].node_id = connection.feeder_id();
  shares[1].kind = v1::SUPPLY_NODE_KIND_FEEDER;
  for (EnergyShare& share : shares) {
    share.org_unit = connection.org_unit();
    share.period = period;
    share.billed_wh = energy_wh;
  }
  return shares;
}

}  // namespace

absl::StatusOr<std::vector<EnergyShare>> FoldLineLoss(const v1::EventEnvelope& envelope,
                                                      LineLossMemory& memory) {
  const v1::DomainEvent& event = envelope.payload();
  switch (event.event_case()) {
    case v1::DomainEvent::kSupplyNodeRegistered:
      memory.PutNode(event.supply_node_registered());
      return std::vector<EnergyShare>{};
    case v1::DomainEvent::kAccountConnected: {
      const v1::AccountConnected& connected = event.account_connected();
      v1::SupplyConnection connection;
      connection.set_transformer_area_id(connected.transformer_area_id());
      connection.set_feeder_id(connected.feeder_id());
      connection.set_org_unit(connected.org_unit());
      memory.PutConnection(connected.account_id(), connection);
      return std::vector<EnergyShare>{};
    }
    case v1::DomainEvent::kGatewayReadRecorded: {
      const v1::GatewayReadRecorded& read = event.gateway_read_recorded();
      GL_ASSIGN_OR_RETURN(std::optional<v1::SupplyNodeRegistered> node,
                          memory.Node(read.node_id()));
      if (!node) return std::vector<EnergyShare>{};  // the store's rules make this impossible
      EnergyShare share;
      share.node_id = read.node_id();
      share.kind = node->kind();
      share.org_unit = node->org_unit();
      share.period = read.period();
      share.in_wh = read.energy_wh();
      return std::vector<EnergyShare>{share};
    }
    case v1::DomainEvent::kBillIssued: {
      const v1::BillIssued& bill = event.bill_issued();
      GL_ASSIGN_OR_RETURN(std::optional<v1::SupplyConnection> connection,
                          memory.Connection(bill.account_id()));
      if (!connection) return std::vector<EnergyShare>{};
      v1::BilledEnergy billed;
      *billed.mutable_connection() = *connection;
      *billed.mutable_period() = bill.period();
      billed.set_energy_wh(bill.energy_wh());
      memory.PutBilled(bill.bill_id(), billed);
      return BilledShares(*connection, bill.period(), bill.energy_wh());
    }
    case v1::DomainEvent::kBillReversed: {
      const std::string& bill_id = event.bill_reversed().bill_id();
      GL_ASSIGN_OR_RETURN(std::optional<v1::BilledEnergy> billed, memory.Billed(bill_id));
      if (!billed) return std::vector<EnergyShare>{};
      memory.DeleteBilled(bill_id);
      return BilledShares(billed->connection(), billed->period(), -billed->energy_wh());
    }
    default:
      return std::vector<EnergyShare>{};
  }
}

std::optional<int64_t> LineLossRateBp(int64_t in_wh, int64_t billed_wh) {
  if (in_wh == 0) return std::nullopt;
  const __int128 numerator = static_cast<__int128>(in_wh - billed_wh) * 10000;
  const __int128 half = in_wh / 2;
  const bool negative = (numerator < 0) != (in_wh < 0);
  const __int128 magnitude =
      ((numerator < 0 ? -numerator : numerator) + (half < 0 ? -half : half)) /
      (in_wh < 0 ? -in_wh : in_wh);
  return static_cast<int64_t>(negative ? -magnitude : magnitude);
}

}  // namespace gridledger::metering
