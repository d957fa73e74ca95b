#include "domain/metering_center/supply_topology.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/validation.h"
#include "domain/metering_center/meter_lifecycle.h"

namespace gridledger::metering {
namespace {

constexpr size_t kMaxNameBytes = 200;

std::string PeriodText(const v1::Period& period) {
  return absl::StrCat(period.year(), "-", period.month() < 10 ? "0" : "", period.month());
}

bool PeriodAfter(const v1::Period& a, const v1::Period& b) {
  return a.year() * 12 + a.month() > b.year() * 12 + b.month();
}

}  // namespace

SupplyNodeState FoldSupplyNode(const std::vector<v1::EventEnvelope>& history) {
  SupplyNodeState state;
  for (const v1::EventEnvelope& envelope : history) {
    const v1::DomainEvent& event = envelope.payload();
    if (event.has_supply_node_registered()) {
      state.registered = true;
      state.node = event.supply_node_registered();
    } else if (event.has_gateway_read_recorded()) {
      state.last_read = event.gateway_read_recorded();
    }
  }
  return state;
}

std::string SupplyNodeKindName(v1::SupplyNodeKind kind) {
  switch (kind) {
    case v1::SUPPLY_NODE_KIND_FEEDER:
      return "FEEDER";
    case v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA:
      return "TRANSFORMER_AREA";
    default:
      return "UNSPECIFIED";
  }
}

absl::Status CheckSupplyNode(const v1::SupplyNodeRegistered& node) {
  GL_RETURN_IF_ERROR(domain::CheckId("node.node_id", node.node_id()));
  GL_RETURN_IF_ERROR(domain::CheckText("node.name", node.name(), kMaxNameBytes, true));
  if (!node.org_unit().empty()) {
    GL_RETURN_IF_ERROR(domain::CheckOrgUnit("node.org_unit", node.org_unit()));
  }
  switch (node.kind()) {
    case v1::SUPPLY_NODE_KIND_FEEDER:
      GL_RETURN_IF_ERROR(
          domain::CheckText("node.substation", node.substation(), kMaxNameBytes, true));
      if (!node.feeder_id().empty()) {
        return absl::InvalidArgumentError(
            "node.feeder_id: must be empty for a feeder (only a transformer area hangs from one)");
      }
      if (domain::OrgUnitDepth(node.org_unit()) != 3) {
        return absl::InvalidArgumentError(
            "node.org_unit: a feeder's is its county (province/city/county), required");
      }
      return absl::OkStatus();
    case v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA:
      GL_RETURN_IF_ERROR(domain::CheckId("node.feeder_id", node.feeder_id()));
      return domain::CheckText("node.substation", node.substation(), kMaxNameBytes, false);
    default:
      return absl::InvalidArgumentError(
          "node.kind: must be SUPPLY_NODE_KIND_FEEDER or SUPPLY_NODE_KIND_TRANSFORMER_AREA");
  }
}

absl::StatusOr<v1::DomainEvent> DecideRegisterSupplyNode(const SupplyNodeState& existing,
                                                         const SupplyNodeState& feeder,
                                                         v1::SupplyNodeRegistered node) {
  GL_RETURN_IF_ERROR(CheckSupplyNode(node));
  if (existing.registered) {
    return absl::AlreadyExistsError(absl::StrCat("node.node_id: supply node ", node.node_id(),
                                                 " is already registered (",
                                                 SupplyNodeKindName(existing.node.kind()), ")"));
  }
  if (node.kind() == v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA) {
    if (!feeder.registered) {
      return absl::NotFoundError(
          absl::StrCat("node.feeder_id: feeder ", node.feeder_id(), " is not registered"));
    }
    if (feeder.node.kind() != v1::SUPPLY_NODE_KIND_FEEDER) {
      return absl::FailedPreconditionError(
          absl::StrCat("node.feeder_id: ", node.feeder_id(), " is a ",
                       SupplyNodeKindName(feeder.node.kind()), ", not a feeder"));
    }
    if (!node.org_unit().empty() && node.org_unit() != feeder.node.org_unit()) {
      return absl::FailedPreconditionError(
          absl::StrCat("node.org_unit: ", node.org_unit(), " is not the feeder's unit ",
                       feeder.node.org_unit(), " (a transformer area is in its feeder's county)"));
    }
    if (!node.substation().empty() && node.substation() != feeder.node.substation()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node.substation: \"", node.substation(), "\" is not the feeder's substation \"",
          feeder.node.substation(), "\" (a transformer area is fed from its feeder's)"));
    }
    node.set_org_unit(feeder.node.org_unit());
    node.set_substation(feeder.node.substation());
  }
  v1::DomainEvent event;
  *event.mutable_supply_node_registered() = std::move(node);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideGatewayRead(const SupplyNodeState& node,
                                                  const GatewayMeter& meter,
                                                  int64_t previous_meter_tail_wh,
                                                  const v1::RecordGatewayReadRequest& request,
                                                  absl::Time now) {
  GL_RETURN_IF_ERROR(domain::CheckId("node_id", request.node_id()));
  GL_RETURN_IF_ERROR(CheckBarCode("bar_code", request.bar_code()));
  GL_RETURN_IF_ERROR(domain::CheckPeriod("period", request.period()));
  if (request.register_wh() < 0) {
    return absl::InvalidArgumentError("register_wh: must be 0 or more");
  }
  if (request.has_read_on()) GL_RETURN_IF_ERROR(domain::CheckDate("read_on", request.read_on()));
  // A month is read once it is over, and never on a day still to come.
  const absl::CivilDay today = domain::UtilityDay(now);
  const absl::CivilDay month_over(
      absl::CivilMonth(request.period().year(), request.period().month()) + 1);
  if (today < month_over) {
    return absl::FailedPreconditionError(absl::StrCat(
        "period: ", PeriodText(request.period()), " has not ended on ",
        absl::FormatCivilTime(today), "; a gateway read is taken after the month's end"));
  }
  if (request.has_read_on()) {
    const absl::CivilDay read_on = domain::ToCivilDay(request.read_on());
    if (read_on > today) {
      return absl::InvalidArgumentError(absl::StrCat("read_on: ", absl::FormatCivilTime(read_on),
                                                     " is after the command's day ",
                                                     absl::FormatCivilTime(today)));
    }
    if (read_on < month_over) {
      return absl::InvalidArgumentError(absl::StrCat(
          "read_on: ", absl::FormatCivilTime(read_on), " is before ", PeriodText(request.period()),
          " ended (", absl::FormatCivilTime(month_over), ")"));
    }
  }
  if (!node.registered) {
    return absl::NotFoundError(
        absl::StrCat("node_id: supply node ", request.node_id(), " is not registered"));
  }
  if (meter.meter.state() != v1::METER_LIFECYCLE_STATE_INSTALLED ||
      meter.meter.supply_node_id() != request.node_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bar_code: meter ", request.bar_code(), " is not the gateway meter installed at node ",
        request.node_id(), " (it is ", StateName(meter.meter.state()),
        meter.meter.supply_node_id().empty() ? ""
                                             : absl::StrCat(" at ", meter.meter.supply_node_id()),
        ")"));
  }
  int64_t previous = meter.installed_register_wh;
  int64_t carried = 0;
  if (node.last_read) {
    if (!PeriodAfter(request.period(), node.last_read->period())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "period: ", PeriodText(request.period()), " is not after the node's last read (",
          PeriodText(node.last_read->period()), "); one read per node and month"));
    }
    if (node.last_read->bar_code() == request.bar_code()) {
      previous = node.last_read->register_wh();
    } else {
      carried = previous_meter_tail_wh;
    }
  }
  if (request.register_wh() < previous) {
    return absl::FailedPreconditionError(
        absl::StrCat("register_wh: ", request.register_wh(), " is below the previous ", previous,
                     " Wh of meter ", request.bar_code(), "; registers never go backwards"));
  }
  v1::DomainEvent event;
  v1::GatewayReadRecorded& read = *event.mutable_gateway_read_recorded();
  read.set_node_id(request.node_id());
  read.set_bar_code(request.bar_code());
  *read.mutable_period() = request.period();
  read.set_register_wh(request.register_wh());
  read.set_previous_register_wh(previous);
  read.set_carried_wh(carried);
  read.set_energy_wh(request.register_wh() - previous + carried);
  *read.mutable_read_on() =
      request.has_read_on() ? request.read_on() : domain::ToDate(domain::UtilityDay(now));
  return event;
}

std::optional<v1::AccountConnected> AccountConnection(
    const std::vector<v1::EventEnvelope>& account_history) {
  std::optional<v1::AccountConnected> connection;
  for (const v1::EventEnvelope& envelope : account_history) {
    if (envelope.payload().has_account_connected()) {
      connection = envelope.payload().account_connected();
    }
  }
  return connection;
}

absl::StatusOr<v1::DomainEvent> DecideConnectAccount(
    const std::vector<v1::EventEnvelope>& account_history, const SupplyNodeState& area,
    const v1::ConnectAccountRequest& request) {
  GL_RETURN_IF_ERROR(domain::CheckId("account_id", request.account_id()));
  GL_RETURN_IF_ERROR(domain::CheckId("transformer_area_id", request.transformer_area_id()));
  bool opened = false;
  bool closed = false;
  for (const v1::EventEnvelope& envelope : account_history) {
    opened = opened || envelope.payload().has_account_opened();
    closed = closed || envelope.payload().has_account_closed();
  }
  if (!opened) {
    return absl::NotFoundError(
        absl::StrCat("account_id: account ", request.account_id(), " is unknown"));
  }
  if (closed) {
    return absl::FailedPreconditionError(
        absl::StrCat("account ", request.account_id(), " is closed"));
  }
  if (!area.registered) {
    return absl::NotFoundError(absl::StrCat("transformer_area_id: supply node ",
                                            request.transformer_area_id(), " is not registered"));
  }
  if (area.node.kind() != v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA) {
    return absl::FailedPreconditionError(absl::StrCat(
        "transformer_area_id: ", request.transformer_area_id(), " is a ",
        SupplyNodeKindName(area.node.kind()), "; accounts hang from transformer areas"));
  }
  const std::optional<v1::AccountConnected> current = AccountConnection(account_history);
  if (current && current->transformer_area_id() == request.transformer_area_id()) {
    return absl::FailedPreconditionError(absl::StrCat("account ", request.account_id(),
                                                      " is already connected to ",
                                                      request.transformer_area_id()));
  }
  v1::DomainEvent event;
  v1::AccountConnected& connected = *event.mutable_account_connected();
  connected.set_account_id(request.account_id());
  connected.set_transformer_area_id(request.transformer_area_id());
  connected.set_feeder_id(area.node.feeder_id());
  connected.set_org_unit(area.node.org_unit());
  return event;
}

}  // namespace gridledger::metering
