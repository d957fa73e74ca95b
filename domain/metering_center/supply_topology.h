// The rules of gateway metering (关口计量) and the supply topology, as pure
// functions: a supply node's stream ("supply-<node id>": a feeder or a
// transformer area) folded into its state, and the decisions of registering
// a node, recording its gateway meter's monthly read and connecting an
// account to a transformer area. No I/O, no clock; thread-safe.
//
//   feeder (leaves a substation)  ← gateway meter at its head
//     └ transformer area (台区)    ← gateway meter at its transformer
//         └ accounts (AccountConnected, on each account's stream)
//
// Refusals: INVALID_ARGUMENT naming the request field; NOT_FOUND for an
// unknown node; ALREADY_EXISTS for a node registered before;
// FAILED_PRECONDITION naming what stands in the way (the meter not
// installed at the node, a period not after the last read, a register
// below the previous one).
#ifndef GRIDLEDGER_DOMAIN_METERING_CENTER_SUPPLY_TOPOLOGY_H_
#define GRIDLEDGER_DOMAIN_METERING_CENTER_SUPPLY_TOPOLOGY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/metering_service.pb.h"

namespace gridledger::metering {

// A supply node after its events.
struct SupplyNodeState {
  bool registered = false;
  v1::SupplyNodeRegistered node;
  // Its last gateway read, if any.
  std::optional<v1::GatewayReadRecorded> last_read;
};

SupplyNodeState FoldSupplyNode(const std::vector<v1::EventEnvelope>& history);

// "FEEDER" or "TRANSFORMER_AREA", for messages.
std::string SupplyNodeKindName(v1::SupplyNodeKind kind);

// Field checks of a registration (fields "node.…"): node_id an id; kind
// set; name required text (at most 200 bytes); a feeder's substation
// required text (at most 200 bytes), no feeder_id, and org_unit a county
// (province/city/county); a transformer area's feeder_id an id; org_unit
// well formed when given.
absl::Status CheckSupplyNode(const v1::SupplyNodeRegistered& node);

// Registers `node` (its stream's state `existing`). A transformer area
// needs `feeder`, the state of the feeder it names: registered as a feeder
// (NOT_FOUND or FAILED_PRECONDITION otherwise), of the same org unit and
// substation when the area names them; the area takes the feeder's.
absl::StatusOr<v1::DomainEvent> DecideRegisterSupplyNode(const SupplyNodeState& existing,
                                                         const SupplyNodeState& feeder,
                                                         v1::SupplyNodeRegistered node);

// The meter a gateway read is taken from, as the service found it.
struct GatewayMeter {
  v1::MeterState meter;               // folded from its stream
  int64_t installed_register_wh = 0;  // its total register when installed
};

// A read of `node`'s gateway meter: field checks (node_id, bar_code, period,
// register_wh ≥ 0, read_on a valid date when given); the period over by the
// day of `now` (FAILED_PRECONDITION) and read_on, when given, from the day
// after it up to that day (INVALID_ARGUMENT); then the meter must be
// installed at the node now, the period after the node's last read's,
// and the register not below the previous one: the meter's last read at
// the node, or its register when installed. When the node's last read was
// of another meter, `previous_meter_tail_wh` is what that meter registered
// after it until its removal (carried into this read's energy). read_on
// defaults to the day of `now`.
absl::StatusOr<v1::DomainEvent> DecideGatewayRead(const SupplyNodeState& node,
                                                  const GatewayMeter& meter,
                                                  int64_t previous_meter_tail_wh,
                                                  const v1::RecordGatewayReadRequest& request,
                                                  absl::Time now);

// Connects the account (`account_history`, its stream) to transformer area
// `area`: the account must be open (NOT_FOUND without AccountOpened,
// FAILED_PRECONDITION once closed), the area registered as a transformer
// area, and not already the account's (FAILED_PRECONDITION).
absl::StatusOr<v1::DomainEvent> DecideConnectAccount(
    const std::vector<v1::EventEnvelope>& account_history, const SupplyNodeState& area,
    const v1::ConnectAccountRequest& request);

// The transformer area an account's stream last connected it to (empty
// when never).
std::optional<v1::AccountConnected> AccountConnection(
    const std::vector<v1::EventEnvelope>& account_history);

}  // namespace gridledger::metering

#endif  // GRIDLEDGER_DOMAIN_METERING_CENTER_SUPPLY_TOPOLOGY_H_
