#include "domain/common/business_time.h"

#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"

namespace gridledger::domain {
namespace {

std::optional<BusinessTime> FromTimestampField(const google::protobuf::Timestamp& time, bool is_set,
                                               const char* field) {
  if (!is_set) return std::nullopt;
  return BusinessTime{FromTimestamp(time), field};
}

std::optional<BusinessTime> FromDateField(const v1::Date& date, const char* field) {
  if (date.year() == 0) return std::nullopt;
  return BusinessTime{absl::FromCivil(ToCivilDay(date), UtilityZone()), field};
}

std::string TimeText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", time, UtilityZone());
}

}  // namespace

std::optional<BusinessTime> StatedBusinessTime(const v1::DomainEvent& event) {
  switch (event.event_case()) {
    case v1::DomainEvent::kMeterReadRecorded: {
      const auto& read = event.meter_read_recorded();
      return FromTimestampField(read.read_at(), read.has_read_at(), "read_at");
    }
    case v1::DomainEvent::kPaymentPosted: {
      const auto& payment = event.payment_posted();
      if (payment.has_paid_at()) return BusinessTime{FromTimestamp(payment.paid_at()), "paid_at"};
      return FromDateField(payment.paid_on(), "paid_on");
    }
    case v1::DomainEvent::kInspectionRecorded: {
      const auto& inspection = event.inspection_recorded();
      return FromTimestampField(inspection.inspected_at(), inspection.has_inspected_at(),
                                "inspected_at");
    }
    case v1::DomainEvent::kApplicationSubmitted: {
      const auto& submitted = event.application_submitted();
      return FromTimestampField(submitted.submitted_at(), submitted.has_submitted_at(),
                                "submitted_at");
    }
    case v1::DomainEvent::kSupplyEnergised: {
      const auto& energised = event.supply_energised();
      return FromTimestampField(energised.energised_at(), energised.has_energised_at(),
                                "energised_at");
    }
    case v1::DomainEvent::kClockTicked: {
      const auto& tick = event.clock_ticked();
      return FromTimestampField(tick.at(), tick.has_at(), "at");
    }
    case v1::DomainEvent::kServiceTicketOpened: {
      const auto& opened = event.service_ticket_opened();
      return FromTimestampField(opened.opened_at(), opened.has_opened_at(), "opened_at");
    }
    case v1::DomainEvent::kServiceTicketOnSite: {
      const auto& on_site = event.service_ticket_on_site();
      return FromTimestampField(on_site.arrived_at(), on_site.has_arrived_at(), "arrived_at");
    }
    case v1::DomainEvent::kMeterCalibrated:
      return FromDateField(event.meter_calibrated().verified_on(), "verified_on");
    case v1::DomainEvent::kMeterInstalled: {
      const auto& installed = event.meter_installed();
      return FromTimestampField(installed.installed_at(), installed.has_installed_at(),
                                "installed_at");
    }
    case v1::DomainEvent::kMeterRemoved: {
      const auto& removed = event.meter_removed();
      return FromTimestampField(removed.removed_at(), removed.has_removed_at(), "removed_at");
    }
    case v1::DomainEvent::kOnSiteTestRecorded:
      return FromDateField(event.on_site_test_recorded().tested_on(), "tested_on");
    case v1::DomainEvent::kWorkVoucherOnSite: {
      const auto& on_site = event.work_voucher_on_site();
      return FromTimestampField(on_site.arrived_at(), on_site.has_arrived_at(), "arrived_at");
    }
    case v1::DomainEvent::kWorkVoucherCompleted:
      return FromDateField(event.work_voucher_completed().completed_on(), "completed_on");
    default:
      return std::nullopt;
  }
}

BusinessTime BusinessTimeOf(const std::vector<v1::DomainEvent>& events,
                            const std::optional<absl::Time>& from_metadata, absl::Time now) {
  for (const v1::DomainEvent& event : events) {
    if (std::optional<BusinessTime> stated = StatedBusinessTime(event)) return *stated;
  }
  if (from_metadata) return BusinessTime{*from_metadata, "x-occurred-at"};
  return BusinessTime{now, ""};
}

absl::Status CheckBusinessTime(const BusinessTime& business, absl::Time now,
                               const std::vector<v1::EventEnvelope>& history) {
  if (business.stated_by.empty()) return absl::OkStatus();
  // The same range every date field of a request is held to.
  const absl::Time earliest = absl::FromCivil(absl::CivilDay(1990, 1, 1), UtilityZone());
  if (business.time < earliest) {
    return absl::InvalidArgumentError(absl::StrCat(business.stated_by, ": ",
                                                   TimeText(business.time),
                                                   " is before 1990-01-01 (", kRuleNotFuture, ")"));
  }
  if (business.time > now + kBusinessTimeSkew) {
    return absl::InvalidArgumentError(absl::StrCat(
        business.stated_by, ": ", TimeText(business.time), " is in the future (now is ",
        TimeText(now), "; at most ", absl::FormatDuration(kBusinessTimeSkew), " ahead is taken; ",
        kRuleNotFuture, ")"));
  }
  if (!history.empty() && history.front().has_occurred_at()) {
    const absl::Time began = FromTimestamp(history.front().occurred_at());
    if (UtilityDay(business.time) < UtilityDay(began)) {
      return absl::FailedPreconditionError(
          absl::StrCat(business.stated_by, ": ", TimeText(business.time), " is before ",
                       history.front().stream_id(), " began (",
                       absl::FormatCivilTime(UtilityDay(began)), "; ", kRuleNotBeforeStart, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gridledger::domain
