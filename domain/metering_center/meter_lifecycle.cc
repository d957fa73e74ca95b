#include "domain/metering_center/meter_lifecycle.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"
#include "domain/common/validation.h"

namespace gridledger::metering {
namespace {

using domain::CheckRegisters;

using State = v1::MeterLifecycleState;

bool InStore(State s) {
  return s == v1::METER_LIFECYCLE_STATE_RECEIVED || s == v1::METER_LIFECYCLE_STATE_VERIFIED ||
         s == v1::METER_LIFECYCLE_STATE_FAILED ||
         s == v1::METER_LIFECYCLE_STATE_AWAITING_REVERIFICATION;
}

absl::Status Refuse(const v1::MeterState& meter, absl::string_view what) {
  if (meter.state() == v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return absl::NotFoundError(
        absl::StrCat("bar_code: meter ", meter.bar_code(), " is unknown; receive it first"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("meter ", meter.bar_code(), " is ", StateName(meter.state()), ": ", what));
}

v1::Date PlusYears(const v1::Date& date, int years) {
  v1::Date out = date;
  out.set_year(date.year() + years);
  if (out.month() == 2 && out.day() == 29) out.set_day(28);
  return out;
}

bool ValidDate(const v1::Date& d) {
  return d.year() >= 1990 && d.year() <= 2200 && d.month() >= 1 && d.month() <= 12 &&
         d.day() >= 1 && d.day() <= 31;
}

}  // namespace

std::string StateName(v1::MeterLifecycleState state) {
  std::string name = v1::MeterLifecycleState_Name(state);
  const std::string prefix = "METER_LIFECYCLE_STATE_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

absl::Status CheckBarCode(const std::string& field, const std::string& bar_code) {
  return domain::CheckId(field, bar_code);
}

void ApplyMeterEvent(const v1::EventEnvelope& envelope, v1::MeterState* meter_state) {
  v1::MeterState& meter = *meter_state;
  {
    const v1::DomainEvent& e = envelope.payload();
    meter.set_version(envelope.stream_version());
    switch (e.event_case()) {
      case v1::DomainEvent::kMeterReceived:
        meter.set_bar_code(e.meter_received().bar_code());
        meter.set_state(v1::METER_LIFECYCLE_STATE_RECEIVED);
        meter.set_store_tier(e.meter_received().store_tier());
        meter.set_store_id(e.meter_received().store_id());
        *meter.mutable_accuracy_class() = e.meter_received().accuracy_class();
        meter.set_meter_type(e.meter_received().meter_type());
        break;
      case v1::DomainEvent::kMeterCalibrated:
        meter.set_state(e.meter_calibrated().passed() ? v1::METER_LIFECYCLE_STATE_VERIFIED
                                                      : v1::METER_LIFECYCLE_STATE_FAILED);
        *meter.mutable_next_verification_due() = e.meter_calibrated().next_due();
        break;
      case v1::DomainEvent::kMeterMovedBetweenStores:
        meter.set_store_tier(e.meter_moved_between_stores().to_tier());
        meter.set_store_id(e.meter_moved_between_stores().to_store_id());
        break;
      case v1::DomainEvent::kMeterDispatched:
        meter.set_state(v1::METER_LIFECYCLE_STATE_DISPATCHED);
        meter.clear_store_id();
        meter.clear_store_tier();
        break;
      case v1::DomainEvent::kMeterInstalled:
        meter.set_state(v1::METER_LIFECYCLE_STATE_INSTALLED);
        meter.set_account_id(e.meter_installed().account_id());
        meter.set_supply_node_id(e.meter_installed().supply_node_id());
        break;
      case v1::DomainEvent::kMeterRemoved:
        meter.set_state(v1::METER_LIFECYCLE_STATE_REMOVED);
        meter.clear_account_id();
        meter.clear_supply_node_id();
        break;
      case v1::DomainEvent::kMeterReverificationRequested:
        meter.set_state(v1::METER_LIFECYCLE_STATE_AWAITING_REVERIFICATION);
        break;
      case v1::DomainEvent::kMeterScrapped:
        meter.set_state(v1::METER_LIFECYCLE_STATE_SCRAPPED);
        break;
      default:
        break;  // on-site tests and others do not change the lifecycle state
    }
  }
}

v1::MeterState FoldMeter(const std::vector<v1::EventEnvelope>& history) {
  v1::MeterState meter;
  for (const v1::EventEnvelope& envelope : history) ApplyMeterEvent(envelope, &meter);
  return meter;
}

absl::StatusOr<int32_t> ErrorLimitPpm(const v1::AccuracyClass& accuracy_class,
                                      int32_t load_permille_of_ib) {
  const int32_t tenths = accuracy_class.class_tenths();
  if (accuracy_class.s_class() || (tenths != 10 && tenths != 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "accuracy class ", tenths / 10, ".", tenths % 10, accuracy_class.s_class() ? "S" : "",
        ": limits are known for classes 1 and 2; give each load point's limit_ppm"));
  }
  if (load_permille_of_ib < 50) {
    return absl::InvalidArgumentError(absl::StrCat("load_permille_of_ib: ", load_permille_of_ib,
                                                   " is below 0.05 Ib, not a test point"));
  }
  const int32_t class_ppm = tenths * 1000;  // class 2 → 2.0 % → 20,000 ppm
  return load_permille_of_ib >= 100 ? class_ppm : class_ppm + 5000;
}

absl::StatusOr<v1::DomainEvent> DecideReceive(const v1::MeterState& meter,
                                              const v1::MeterReceived& received) {
  if (absl::Status s = CheckBarCode("meter.bar_code", received.bar_code()); !s.ok()) return s;
  if (received.asset_kind() == v1::ASSET_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("meter.asset_kind: must be set");
  }
  if (received.accuracy_class().class_tenths() <= 0) {
    return absl::InvalidArgumentError("meter.accuracy_class.class_tenths: must be positive");
  }
  if (received.manufacturer().empty()) {
    return absl::InvalidArgumentError("meter.manufacturer: must not be empty");
  }
  if (received.store_tier() == v1::STORE_TIER_UNSPECIFIED || received.store_id().empty()) {
    return absl::InvalidArgumentError("meter.store_tier and meter.store_id: must be set");
  }
  if (meter.state() != v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return absl::AlreadyExistsError(absl::StrCat(
        "meter ", received.bar_code(), " is already known (", StateName(meter.state()), ")"));
  }
  v1::DomainEvent event;
  *event.mutable_meter_received() = received;
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideCalibration(const v1::MeterState& meter,
                                                  v1::MeterCalibrated calibration) {
  if (absl::Status s = CheckBarCode("calibration.bar_code", calibration.bar_code()); !s.ok()) {
    return s;
  }
  if (calibration.load_points().empty()) {
    return absl::InvalidArgumentError("calibration.load_points: at least one is needed");
  }
  if (calibration.verifier().empty()) {
    return absl::InvalidArgumentError("calibration.verifier: must not be empty");
  }
  if (!ValidDate(calibration.verified_on())) {
    return absl::InvalidArgumentError("calibration.verified_on: must be a valid date");
  }
  if (calibration.passed() && calibration.certificate_no().empty()) {
    return absl::InvalidArgumentError("calibration.certificate_no: a pass needs a certificate");
  }
  if (!InStore(meter.state())) return Refuse(meter, "only a meter in store can be verified");
  for (int i = 0; i < calibration.load_points_size(); ++i) {
    v1::LoadPointResult* point = calibration.mutable_load_points(i);
    const std::string field = absl::StrCat("calibration.load_points[", i, "]");
    if (point->limit_ppm() <= 0) {
      absl::StatusOr<int32_t> limit =
          ErrorLimitPpm(meter.accuracy_class(), point->load_permille_of_ib());
      if (!limit.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": ", limit.status().message()));
      }
      point->set_limit_ppm(*limit);
    }
    if (calibration.passed() && std::abs(point->error_ppm()) > point->limit_ppm()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": error ", point->error_ppm(), " ppm exceeds the limit ", point->limit_ppm(),
          " ppm at ", point->load_permille_of_ib(), "‰ Ib; a pass is refused"));
    }
  }
  calibration.set_first_verification(meter.state() == v1::METER_LIFECYCLE_STATE_RECEIVED);
  if (!calibration.has_next_due() && calibration.passed()) {
    // Electronic meters: re-verify or replace after 8 years (JJG 596-2012).
    *calibration.mutable_next_due() = PlusYears(calibration.verified_on(), 8);
  }
  v1::DomainEvent event;
  *event.mutable_meter_calibrated() = std::move(calibration);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideMove(const v1::MeterState& meter,
                                           const v1::MoveMeterRequest& move) {
  if (absl::Status s = CheckBarCode("bar_code", move.bar_code()); !s.ok()) return s;
  if (move.to_tier() == v1::STORE_TIER_UNSPECIFIED || move.to_store_id().empty()) {
    return absl::InvalidArgumentError("to_tier and to_store_id: must be set");
  }
  if (!InStore(meter.state())) return Refuse(meter, "only a meter in store can be moved");
  if (move.to_store_id() == meter.store_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("meter ", meter.bar_code(), " is already in store ", meter.store_id()));
  }
  v1::DomainEvent event;
  auto* moved = event.mutable_meter_moved_between_stores();
  moved->set_bar_code(move.bar_code());
  moved->set_from_tier(meter.store_tier());
  moved->set_from_store_id(meter.store_id());
  moved->set_to_tier(move.to_tier());
  moved->set_to_store_id(move.to_store_id());
  moved->set_voucher_no(move.voucher_no());
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideDispatch(const v1::MeterState& meter,
                                               const v1::MeterDispatched& dispatch) {
  if (absl::Status s = CheckBarCode("dispatch.bar_code", dispatch.bar_code()); !s.ok()) return s;
  if (dispatch.work_order().empty()) {
    return absl::InvalidArgumentError("dispatch.work_order: must not be empty");
  }
  if (meter.state() != v1::METER_LIFECYCLE_STATE_VERIFIED) {
    return Refuse(meter, "only a meter that passed verification can be dispatched");
  }
  v1::DomainEvent event;
  *event.mutable_meter_dispatched() = dispatch;
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideInstall(const v1::MeterState& meter,
                                              const v1::MeterInstalled& installation) {
  if (absl::Status s = CheckBarCode("installation.bar_code", installation.bar_code()); !s.ok()) {
    return s;
  }
  // Where a meter goes depends on its type: an unknown one is refused first.
  if (meter.state() == v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return Refuse(meter, "only a dispatched meter can be installed");
  }
  const bool gateway = meter.meter_type() == v1::METER_TYPE_GATEWAY;
  if (gateway) {
    if (absl::Status s =
            domain::CheckId("installation.supply_node_id", installation.supply_node_id());
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.message(), " (a gateway meter is installed at a supply node)"));
    }
    if (!installation.account_id().empty()) {
      return absl::InvalidArgumentError(
          "installation.account_id: must be empty for a gateway meter (it meters a supply "
          "node, not an account)");
    }
  } else {
    if (installation.account_id().empty()) {
      return absl::InvalidArgumentError("installation.account_id: must not be empty");
    }
    if (!installation.supply_node_id().empty()) {
      return absl::InvalidArgumentError(
          "installation.supply_node_id: only a gateway meter (METER_TYPE_GATEWAY) is installed "
          "at a supply node");
    }
  }
  if (installation.metering_class() < 1 || installation.metering_class() > 3) {
    return absl::InvalidArgumentError(
        "installation.metering_class: must be 1, 2 or 3 (DL/T 448 class I/II/III)");
  }
  if (absl::Status s =
          CheckRegisters("installation.initial_registers", installation.initial_registers());
      !s.ok()) {
    return s;
  }
  if (meter.state() != v1::METER_LIFECYCLE_STATE_DISPATCHED) {
    return Refuse(meter, "only a dispatched meter can be installed");
  }
  v1::DomainEvent event;
  *event.mutable_meter_installed() = installation;
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideRemove(const v1::MeterState& meter, v1::MeterRemoved removal,
                                             const std::vector<v1::EventEnvelope>& history) {
  if (absl::Status s = CheckBarCode("removal.bar_code", removal.bar_code()); !s.ok()) return s;
  if (removal.reason() == v1::REMOVAL_REASON_UNSPECIFIED) {
    return absl::InvalidArgumentError("removal.reason: must be set");
  }
  if (absl::Status s = CheckRegisters("removal.final_registers", removal.final_registers());
      !s.ok()) {
    return s;
  }
  if (meter.state() != v1::METER_LIFECYCLE_STATE_INSTALLED) {
    return Refuse(meter, "only an installed meter can be removed");
  }
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (!it->payload().has_meter_installed()) continue;
    const int64_t initial = it->payload().meter_installed().initial_registers().total_wh();
    if (removal.final_registers().total_wh() < initial) {
      return absl::FailedPreconditionError(absl::StrCat(
          "removal.final_registers.total_wh: ", removal.final_registers().total_wh(),
          " is below the ", initial, " Wh read at installation; registers never go backwards"));
    }
    break;
  }
  removal.set_account_id(meter.account_id());
  v1::DomainEvent event;
  *event.mutable_meter_removed() = std::move(removal);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideReverification(const v1::MeterState& meter,
                                                     const std::string& reason) {
  if (meter.state() != v1::METER_LIFECYCLE_STATE_REMOVED) {
    return Refuse(meter, "only a removed meter can be sent for re-verification");
  }
  v1::DomainEvent event;
  event.mutable_meter_reverification_requested()->set_bar_code(meter.bar_code());
  event.mutable_meter_reverification_requested()->set_reason(reason);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideScrap(const v1::MeterState& meter,
                                            const std::string& reason) {
  if (reason.empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (meter.state() == v1::METER_LIFECYCLE_STATE_SCRAPPED) {
    return Refuse(meter, "a scrapped meter cannot change again");
  }
  if (meter.state() == v1::METER_LIFECYCLE_STATE_INSTALLED ||
      meter.state() == v1::METER_LIFECYCLE_STATE_DISPATCHED ||
      meter.state() == v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return Refuse(meter, "remove it (or return it to store) before scrapping");
  }
  v1::DomainEvent event;
  event.mutable_meter_scrapped()->set_bar_code(meter.bar_code());
  event.mutable_meter_scrapped()->set_reason(reason);
  return event;
}

int OnSiteTestIntervalMonths(int metering_class) {
  switch (metering_class) {
    case 1:
      return 3;
    case 2:
      return 6;
    case 3:
      return 12;
    default:
      return 0;
  }
}

v1::Date NextOnSiteTest(const v1::Date& from, int metering_class) {
  const absl::CivilMonth month(from.year(), from.month());
  const absl::CivilMonth due_month = month + OnSiteTestIntervalMonths(metering_class);
  const absl::CivilDay day(due_month.year(), due_month.month(), from.day());  // normalises 31sts
  return domain::ToDate(day);
}

}  // namespace gridledger::metering
