#include "projections/views/outage_view.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/marketing_department/outage_coordination.h"
#include "projections/views/view_keys.h"

namespace gridledger::projections {
namespace {

std::string PlanKey(absl::string_view kind, absl::string_view unit, absl::string_view plan_id) {
  return absl::StrCat(kind, UnitKey(unit), plan_id);
}

// Every value under `prefix`, parsed as Message; DATA_LOSS for one that
// does not parse.
template <typename Message>
absl::StatusOr<std::vector<Message>> ReadAll(const ViewReader& reader, const std::string& prefix) {
  std::vector<Message> out;
  absl::Status error;
  GL_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](absl::string_view key, absl::string_view value) {
    Message& message = out.emplace_back();
    if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      error = absl::DataLossError(absl::StrCat("planning: ", key, " does not parse"));
      return false;
    }
    return true;
  }));
  GL_RETURN_IF_ERROR(error);
  return out;
}

}  // namespace

absl::Status ApplyOutageEvent(const v1::EventEnvelope& event, ViewTxn& txn) {
  const v1::DomainEvent& payload = event.payload();
  if (payload.has_customer_maintenance_planned()) {
    const v1::CustomerMaintenancePlanned& plan = payload.customer_maintenance_planned();
    txn.PutProto(PlanKey("oc/", plan.org_unit(), plan.plan_id()), plan);
  } else if (payload.has_grid_outage_planned()) {
    const v1::GridOutagePlanned& plan = payload.grid_outage_planned();
    txn.PutProto(PlanKey("og/", plan.org_unit(), plan.plan_id()), plan);
  } else if (payload.has_outage_coordinated()) {
    const v1::OutageCoordinated& decided = payload.outage_coordinated();
    txn.Delete(PlanKey("oc/", event.org_unit(), decided.outage_id()));
    txn.PutProto(PlanKey("od/", event.org_unit(), decided.outage_id()), decided);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CoordinationProposals> ReadCoordinationProposals(const ViewReader& reader,
                                                                    const std::string& org_unit,
                                                                    absl::Duration within) {
  const std::string unit = UnitPrefix(org_unit);
  GL_ASSIGN_OR_RETURN(std::vector<v1::CustomerMaintenancePlanned> customer,
                      ReadAll<v1::CustomerMaintenancePlanned>(reader, absl::StrCat("oc/", unit)));
  GL_ASSIGN_OR_RETURN(std::vector<v1::GridOutagePlanned> grid,
                      ReadAll<v1::GridOutagePlanned>(reader, absl::StrCat("og/", unit)));
  GL_ASSIGN_OR_RETURN(std::vector<v1::OutageCoordinated> decided,
                      ReadAll<v1::OutageCoordinated>(reader, absl::StrCat("od/", unit)));
  v1::CoordinationProposals reply;
  reply.set_org_unit(org_unit);
  for (v1::CoordinationProposal& p : marketing::ProposeCoordinations(customer, grid, within)) {
    *reply.add_proposals() = std::move(p);
  }
  for (v1::OutageCoordinated& d : decided) *reply.add_decided() = std::move(d);
  *reply.mutable_reflects() = reader.reflects();
  return reply;
}

}  // namespace gridledger::projections
