// Line loss (线损) per supply node and month, as pure folding rules shared by
// every reader that counts it (the KPI view, the supervision engine): which
// energy an event puts into a feeder or transformer area, or bills from it.
//
//   energy in      a node's GatewayReadRecorded.energy_wh, in the read's period
//   energy billed  BillIssued.energy_wh of an account connected (its last
//                  AccountConnected before the bill, on the same stream) to a
//                  transformer area: counted for that area and its feeder,
//                  in the bill's period; BillReversed takes it back
//   loss rate      (in − billed) / in, in basis points
//
// A bill of an account never connected counts nowhere. A county's loss is
// its feeders': the energy into them and billed from them.
//
//   InMemoryLineLossMemory memory;
//   for (const v1::EventEnvelope& e : events) {
//     GL_ASSIGN_OR_RETURN(std::vector<EnergyShare> shares, FoldLineLoss(e, memory));
//   }
#ifndef GRIDLEDGER_DOMAIN_METERING_CENTER_LINE_LOSS_H_
#define GRIDLEDGER_DOMAIN_METERING_CENTER_LINE_LOSS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/view_records.pb.h"

namespace gridledger::metering {

// One event's energy into, or billed from, one node in one month (either
// may be negative: a reversal).
struct EnergyShare {
  std::string node_id;
  v1::SupplyNodeKind kind = v1::SUPPLY_NODE_KIND_UNSPECIFIED;
  std::string org_unit;  // the node's county
  v1::Period period;
  int64_t in_wh = 0;
  int64_t billed_wh = 0;
};

// What a reader remembers between events to attribute later ones: nodes,
// accounts' connections, bills' energy. Reads return nullopt when absent.
class LineLossMemory {
 public:
  virtual ~LineLossMemory() = default;
  virtual absl::StatusOr<std::optional<v1::SupplyNodeRegistered>> Node(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<v1::SupplyConnection>> Connection(
      const std::string& account_id) = 0;
  virtual absl::StatusOr<std::optional<v1::BilledEnergy>> Billed(const std::string& bill_id) = 0;
  virtual void PutNode(const v1::SupplyNodeRegistered& node) = 0;
  virtual void PutConnection(const std::string& account_id,
                             const v1::SupplyConnection& connection) = 0;
  virtual void PutBilled(const std::string& bill_id, const v1::BilledEnergy& billed) = 0;
  virtual void DeleteBilled(const std::string& bill_id) = 0;
};

// The memory in maps, for tests and tools.
class InMemoryLineLossMemory final : public LineLossMemory {
 public:
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
  std::map<std::string, v1::SupplyNodeRegistered> nodes_;
  std::map<std::string, v1::SupplyConnection> connections_;
  std::map<std::string, v1::BilledEnergy> billed_;
};

// Whether `event` can matter to line loss (the views' filters use it).
bool AffectsLineLoss(const v1::DomainEvent& event);

// Remembers what `event` tells of the topology and returns the energy it
// moves: none for registrations and connections; one share for a gateway
// read of a registered node; two (area and feeder) for a bill of a
// connected account, or for its reversal (negative). Errors only from the
// memory.
absl::StatusOr<std::vector<EnergyShare>> FoldLineLoss(const v1::EventEnvelope& event,
                                                      LineLossMemory& memory);

// (in − billed) × 10000 / in, rounded half away from zero; nullopt when
// in is 0 (no energy in recorded: no rate).
std::optional<int64_t> LineLossRateBp(int64_t in_wh, int64_t billed_wh);

}  // namespace gridledger::metering

#endif  // GRIDLEDGER_DOMAIN_METERING_CENTER_LINE_LOSS_H_
