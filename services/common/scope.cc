#include "services/common/scope.h"

#include "absl/strings/str_cat.h"
#include "domain/common/org_units.h"

namespace gridledger::service {

bool InScope(const Principal& principal, absl::string_view unit) {
  return domain::OrgUnitContains(principal.org_unit, unit);
}

absl::Status RequireUnitInScope(const Principal& principal, absl::string_view field,
                                absl::string_view unit) {
  if (InScope(principal, unit)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(field, ": ", principal.name, " of ",
                                                  principal.org_unit, " may not act in ", unit,
                                                  ", which is outside ", principal.org_unit));
}

absl::Status NotFoundInScope(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, ": not found"));
}

absl::StatusOr<bool> IsRegisteredUnit(eventstore::EventStore& store, absl::string_view unit) {
  absl::StatusOr<std::vector<v1::EventEnvelope>> registry =
      store.ReadStream(domain::OrgUnitStreamOf(unit), 1, 1);
  if (!registry.ok()) return registry.status();
  return !registry->empty();
}

absl::Status CheckUnitToActIn(eventstore::EventStore& store, const Principal& principal,
                              absl::string_view field, absl::string_view unit) {
  if (absl::Status s = domain::CheckOrgUnit(field, unit); !s.ok()) return s;
  if (absl::Status s = RequireUnitInScope(principal, field, unit); !s.ok()) return s;
  absl::StatusOr<bool> registered = IsRegisteredUnit(store, unit);
  if (!registered.ok()) return registered.status();
  if (!*registered) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": ", unit, " is not a registered org unit (MarketingDepartment.RegisterOrgUnit)"));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::service
