#include "projections/views/asset_lifecycle_view.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "projections/views/view_keys.h"

namespace gridledger::projections {
namespace {

std::string AssetKey(absl::string_view bar_code) { return absl::StrCat("asset/", bar_code); }
// The org unit the meter belongs to (domain/common/org_units.h).
std::string AssetUnitKey(absl::string_view bar_code) {
  return absl::StrCat("assetunit/", bar_code);
}
std::string HistoryPrefix(absl::string_view bar_code) {
  return absl::StrCat("hist/", bar_code, "/");
}

std::string InventoryPrefix(v1::StoreTier tier, v1::MeterLifecycleState state) {
  return absl::StrCat("inv/", static_cast<int>(tier), "/", static_cast<int>(state), "/");
}

// Only meters in a store (or dispatched from one) are in the inventory.
bool InInventory(const v1::MeterState& meter) {
  return meter.store_tier() != v1::STORE_TIER_UNSPECIFIED &&
         meter.state() != v1::METER_LIFECYCLE_STATE_SCRAPPED;
}

bool DueForVerification(const v1::MeterState& meter) {
  return IsSet(meter.next_verification_due()) &&
         meter.state() != v1::METER_LIFECYCLE_STATE_SCRAPPED;
}

std::string DueKey(const v1::MeterState& meter) {
  return absl::StrCat("due/", DateKey(meter.next_verification_due()), "/", meter.bar_code());
}

using metering::NextOnSiteTest;

// Moves the meter's on-site test schedule entry (none when `class` is 0).
absl::Status Reschedule(ViewTxn& txn, const std::string& bar_code, int metering_class,
                        const v1::Date& due, const std::string& account_id) {
  const std::string marker = absl::StrCat("osm/", bar_code);
  absl::StatusOr<std::string> current = txn.Get(marker);
  if (current.ok()) {
    txn.Delete(*current);
  } else if (!absl::IsNotFound(current.status())) {
    return current.status();
  }
  if (OnSiteTestIntervalMonths(metering_class) == 0 || !IsSet(due)) {
    txn.Delete(marker);
    return absl::OkStatus();
  }
  const std::string key = absl::StrCat("ost/", metering_class, "/", DateKey(due), "/", bar_code);
  txn.Put(key, account_id);
  txn.Put(marker, key);
  return absl::OkStatus();
}

absl::Status UpdateOnSiteSchedule(const v1::EventEnvelope& event, const v1::MeterState& meter,
                                  ViewTxn& txn) {
  const v1::DomainEvent& payload = event.payload();
  const std::string& bar_code = meter.bar_code();
  switch (payload.event_case()) {
    case v1::DomainEvent::kMeterInstalled: {
      const v1::MeterInstalled& installed = payload.meter_installed();
      const v1::Date on = domain::UtilityDate(
          installed.has_installed_at() ? installed.installed_at() : event.occurred_at());
      return Reschedule(txn, bar_code, installed.metering_class(),
                        NextOnSiteTest(on, installed.metering_class()), installed.account_id());
    }
    case v1::DomainEvent::kOnSiteTestRecorded: {
      const v1::OnSiteTestRecorded& test = payload.on_site_test_recorded();
      const v1::Date tested =
          IsSet(test.tested_on()) ? test.tested_on() : domain::UtilityDate(event.occurred_at());
      const v1::Date next =
          IsSet(test.next_due()) ? test.next_due() : NextOnSiteTest(tested, test.metering_class());
      return Reschedule(txn, bar_code, test.metering_class(), next, meter.account_id());
    }
    case v1::DomainEvent::kMeterRemoved:
    case v1::DomainEvent::kMeterScrapped:
      return Reschedule(txn, bar_code, 0, v1::Date(), "");
    default:
      return absl::OkStatus();
  }
}

int ClampPageSize(int page_size) {
  if (page_size <= 0) return 100;
  return std::min(page_size, 1000);
}

// Scans one page of keys under `prefix` from the page token; `take` turns a
// key suffix and value into an item (false: stop before it, the page is done).
absl::StatusOr<std::string> ScanPage(
    const ViewReader& reader, const std::string& prefix, int page_size,
    const std::string& page_token,
    const std::function<bool(absl::string_view suffix, absl::string_view value)>& take) {
  if (page_token.find('\xff') != std::string::npos) {
    return absl::InvalidArgumentError("page_token: not one this service gave");
  }
  std::string next_token;
  int taken = 0;
  GL_RETURN_IF_ERROR(
      reader.Scan(prefix, prefix + page_token, [&](absl::string_view key, absl::string_view value) {
        const absl::string_view suffix = key.substr(prefix.size());
        if (taken >= page_size) {
          next_token = std::string(suffix);
          return false;
        }
        if (!take(suffix, value)) return false;
        ++taken;
        return true;
      }));
  return next_token;
}

}  // namespace

std::string CalibrationStatus(const v1::MeterState& meter, const v1::Date& today) {
  if (meter.state() == v1::METER_LIFECYCLE_STATE_FAILED) return "failed";
  if (!IsSet(meter.next_verification_due())) return "unverified";
  const int64_t days_left =
      domain::ToCivilDay(meter.next_verification_due()) - domain::ToCivilDay(today);
  if (days_left < 0) return "overdue";
  if (days_left <= 90) return "due";
  return "valid";
}

namespace {

// The meter's unit after `event`, as domain::StreamOrgUnit reckons it.
absl::Status UpdateUnit(const v1::EventEnvelope& event, const std::string& bar_code, ViewTxn& txn) {
  std::string unit;
  if (event.stream_version() == 1) {
    unit = event.actor().org_unit();
  } else {
    absl::StatusOr<std::string> before = txn.Get(AssetUnitKey(bar_code));
    if (!before.ok() && !absl::IsNotFound(before.status())) return before.status();
    if (before.ok()) unit = *before;
  }
  if (!event.org_unit().empty()) unit = event.org_unit();
  txn.Put(AssetUnitKey(bar_code), domain::OrgUnitAfter(unit, event.payload()));
  return absl::OkStatus();
}

}  // namespace

eventstore::SubscriptionFilter AssetLifecycleView::filter() const {
  eventstore::SubscriptionFilter filter;
  filter.stream_prefixes = {std::string(domain::kMeter.prefix)};
  return filter;
}

absl::Status AssetLifecycleView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string bar_code = std::string(domain::kMeter.IdOf(event.stream_id()));
  v1::MeterState meter;
  GL_RETURN_IF_ERROR(txn.GetProto(AssetKey(bar_code), &meter).status());
  if (event.stream_version() != meter.version() + 1) {
    return absl::DataLossError(absl::StrCat("asset view: meter ", bar_code, " is at version ",
                                            meter.version(), " but event ", event.stream_version(),
                                            " arrived"));
  }
  if (InInventory(meter)) {
    txn.Delete(InventoryPrefix(meter.store_tier(), meter.state()) + bar_code);
  }
  if (DueForVerification(meter)) txn.Delete(DueKey(meter));
  metering::ApplyMeterEvent(event, &meter);
  if (meter.bar_code().empty()) meter.set_bar_code(bar_code);
  if (InInventory(meter)) {
    txn.Put(InventoryPrefix(meter.store_tier(), meter.state()) + bar_code, "");
  }
  if (DueForVerification(meter)) txn.Put(DueKey(meter), meter.account_id());
  GL_RETURN_IF_ERROR(UpdateOnSiteSchedule(event, meter, txn));
  txn.PutProto(AssetKey(bar_code), meter);
  GL_RETURN_IF_ERROR(UpdateUnit(event, bar_code, txn));
  txn.PutProto(HistoryPrefix(bar_code) + SequenceKey(event.stream_version()), event);
  return absl::OkStatus();
}

absl::StatusOr<v1::AssetReply> ReadAsset(const ViewReader& reader, const std::string& bar_code,
                                         bool with_history, const v1::Date& today) {
  v1::AssetReply reply;
  GL_ASSIGN_OR_RETURN(bool found, reader.GetProto(AssetKey(bar_code), reply.mutable_meter()));
  if (!found) return absl::NotFoundError(absl::StrCat("bar_code: ", bar_code, " is unknown"));
  absl::StatusOr<std::string> unit = reader.Get(AssetUnitKey(bar_code));
  if (!unit.ok() && !absl::IsNotFound(unit.status())) return unit.status();
  if (unit.ok()) reply.set_org_unit(*unit);
  reply.set_calibration_status(CalibrationStatus(reply.meter(), today));
  *reply.mutable_reflects() = reader.reflects();
  if (!with_history) return reply;
  absl::Status parse_error;
  GL_RETURN_IF_ERROR(
      reader.Scan(HistoryPrefix(bar_code), "", [&](absl::string_view key, absl::string_view value) {
        if (!reply.add_history()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError(absl::StrCat("asset view: ", key, " does not parse"));
          return false;
        }
        return true;
      }));
  GL_RETURN_IF_ERROR(parse_error);
  return reply;
}

absl::StatusOr<v1::BarCodePage> ReadInventory(const ViewReader& reader, v1::StoreTier tier,
                                              v1::MeterLifecycleState state, int page_size,
                                              const std::string& page_token) {
  v1::BarCodePage page;
  *page.mutable_reflects() = reader.reflects();
  GL_ASSIGN_OR_RETURN(*page.mutable_next_page_token(),
                      ScanPage(reader, InventoryPrefix(tier, state), ClampPageSize(page_size),
                               page_token, [&](absl::string_view bar_code, absl::string_view) {
                                 page.add_bar_codes(std::string(bar_code));
                                 return true;
                               }));
  return page;
}

namespace {

// Items "<yyyymmdd>/<bar>" of a due index, up to a date (unset: all).
absl::StatusOr<v1::DuePage> ReadDueIndex(const ViewReader& reader, const std::string& prefix,
                                         const v1::Date& on_or_before, int page_size,
                                         const std::string& page_token) {
  v1::DuePage page;
  *page.mutable_reflects() = reader.reflects();
  const std::string last = IsSet(on_or_before) ? DateKey(on_or_before) : "99999999";
  bool past_last = false;
  GL_ASSIGN_OR_RETURN(std::string next,
                      ScanPage(reader, prefix, ClampPageSize(page_size), page_token,
                               [&](absl::string_view suffix, absl::string_view account) {
                                 const absl::string_view date = suffix.substr(0, 8);
                                 if (date > last) {
                                   past_last = true;
                                   return false;
                                 }
                                 v1::DueItem* item = page.add_items();
                                 item->set_bar_code(std::string(suffix.substr(9)));
                                 item->set_account_id(std::string(account));
                                 int year = 0, month = 0, day = 0;
                                 std::sscanf(std::string(date).c_str(), "%4d%2d%2d", &year, &month,
                                             &day);
                                 item->mutable_due()->set_year(year);
                                 item->mutable_due()->set_month(month);
                                 item->mutable_due()->set_day(day);
                                 return true;
                               }));
  if (!past_last && !next.empty() && next.substr(0, 8) <= last) page.set_next_page_token(next);
  return page;
}

}  // namespace

absl::StatusOr<v1::DuePage> ReadDueForVerification(const ViewReader& reader,
                                                   const v1::Date& on_or_before, int page_size,
                                                   const std::string& page_token) {
  return ReadDueIndex(reader, "due/", on_or_before, page_size, page_token);
}

absl::StatusOr<v1::DuePage> ReadOnSiteSchedule(const ViewReader& reader, int metering_class,
                                               const v1::Date& on_or_before, int page_size,
                                               const std::string& page_token) {
  if (OnSiteTestIntervalMonths(metering_class) == 0) {
    return absl::InvalidArgumentError(
        "metering_class: must be 1, 2 or 3 (DL/T 448 class I/II/III)");
  }
  return ReadDueIndex(reader, absl::StrCat("ost/", metering_class, "/"), on_or_before, page_size,
                      page_token);
}

}  // namespace gridledger::projections
