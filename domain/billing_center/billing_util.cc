#include "domain/billing_center/billing_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/billing_center/tariff/rules.h"

namespace gridledger::billing {

int MonthIndex(const v1::Period& period) { return period.year() * 12 + period.month() - 1; }

v1::Period PeriodOfIndex(int index) {
  v1::Period period;
  period.set_year(index / 12);
  period.set_month(index % 12 + 1);
  return period;
}

v1::Period PeriodOfDate(const v1::Date& date) {
  v1::Period period;
  period.set_year(date.year());
  period.set_month(date.month());
  return period;
}

std::string PeriodText(const v1::Period& period) {
  return absl::StrFormat("%04d-%02d", period.year(), period.month());
}

std::string DateText(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

bool IsSet(const v1::Date& date) { return date.year() != 0; }

absl::CivilDay CivilOf(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

v1::Date DateOf(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

v1::Date LastDayOf(const v1::Period& period) {
  const absl::CivilMonth next = absl::CivilMonth(period.year(), period.month()) + 1;
  return DateOf(absl::CivilDay(next) - 1);
}

absl::Status CheckNotAfterToday(const std::string& field, const v1::Date& date,
                                const v1::Date& today) {
  if (CivilOf(date) > CivilOf(today)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", DateText(date),
                                                   " is in the future (today is ", DateText(today),
                                                   "; ", rules::kNoFutureDates, ")"));
  }
  return absl::OkStatus();
}

absl::Status AccountNotOpen() { return absl::NotFoundError("account_id: the account is not open"); }

}  // namespace gridledger::billing
