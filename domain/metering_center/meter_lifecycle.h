// The rules of a meter's life (JJG 596-2012, DL/T 448), as pure functions
// over its events: fold the history into the meter's state, and decide each
// command's event or refuse it. No I/O; thread-safe.
//
//   received → verified (passed) | failed → moved between stores → dispatched
//   (passed only) → installed → removed → awaiting re-verification →
//   verified | failed …;  scrapped from any state but dispatched or installed,
//   and never back.
#ifndef GRIDLEDGER_DOMAIN_METERING_CENTER_METER_LIFECYCLE_H_
#define GRIDLEDGER_DOMAIN_METERING_CENTER_METER_LIFECYCLE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/metering_service.pb.h"

namespace gridledger::metering {

// The meter's state after `history` (its stream's events, oldest first).
v1::MeterState FoldMeter(const std::vector<v1::EventEnvelope>& history);

// Months between on-site tests for a DL/T 448 class (1 → 3, 2 → 6, 3 → 12);
// 0 for any other class (no on-site tests).
int OnSiteTestIntervalMonths(int metering_class);
// The next on-site test after `from` (an installation or the last test):
// `from` plus the class's interval, the same day of the month (normalised).
v1::Date NextOnSiteTest(const v1::Date& from, int metering_class);

// One step of that fold: `meter` after `event` (projections apply it one
// event at a time).
void ApplyMeterEvent(const v1::EventEnvelope& event, v1::MeterState* meter);

// The error limit at a load point for an accuracy class, in ppm: the class in
// percent from 0.1 Ib up (class 2 → 20,000 ppm), half a percent more from
// 0.05 Ib to 0.1 Ib (class 2 → 25,000). INVALID_ARGUMENT below 0.05 Ib or for
// a class other than 1 and 2, whose limits are not coded here (the
// caller then states each point's limit_ppm itself).
absl::StatusOr<int32_t> ErrorLimitPpm(const v1::AccuracyClass& accuracy_class,
                                      int32_t load_permille_of_ib);

// Each returns the event to append or why not: INVALID_ARGUMENT naming the
// field and rule, FAILED_PRECONDITION naming the meter's state.
absl::StatusOr<v1::DomainEvent> DecideReceive(const v1::MeterState& meter,
                                              const v1::MeterReceived& received);
absl::StatusOr<v1::DomainEvent> DecideCalibration(const v1::MeterState& meter,
                                                  v1::MeterCalibrated calibration);
absl::StatusOr<v1::DomainEvent> DecideMove(const v1::MeterState& meter,
                                           const v1::MoveMeterRequest& move);
absl::StatusOr<v1::DomainEvent> DecideDispatch(const v1::MeterState& meter,
                                               const v1::MeterDispatched& dispatch);
absl::StatusOr<v1::DomainEvent> DecideInstall(const v1::MeterState& meter,
                                              const v1::MeterInstalled& installation);
absl::StatusOr<v1::DomainEvent> DecideRemove(const v1::MeterState& meter, v1::MeterRemoved removal,
                                             const std::vector<v1::EventEnvelope>& history);
absl::StatusOr<v1::DomainEvent> DecideReverification(const v1::MeterState& meter,
                                                     const std::string& reason);
absl::StatusOr<v1::DomainEvent> DecideScrap(const v1::MeterState& meter, const std::string& reason);

// "RECEIVED", "INSTALLED", … for messages.
std::string StateName(v1::MeterLifecycleState state);

// INVALID_ARGUMENT unless 1–64 of [A-Za-z0-9-]; `field` names it.
absl::Status CheckBarCode(const std::string& field, const std::string& bar_code);

}  // namespace gridledger::metering

#endif  // GRIDLEDGER_DOMAIN_METERING_CENTER_METER_LIFECYCLE_H_
