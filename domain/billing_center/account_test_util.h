// Test helpers for the account's rules: tariffs and accounts of each kind, and
// an account's event log built by deciding each command and appending its
// events as the service would (actor, version, schema version).
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_TEST_UTIL_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_TEST_UTIL_H_

#include <string>
#include <utility>
#include <vector>

#include "domain/billing_center/account.h"
#include "domain/common/event_schema.h"

namespace gridledger::billing::testing {

inline constexpr int64_t kKwh = 1000;
inline constexpr char kAccountId[] = "6101000123";

inline v1::Period Month(int year, int month) {
  v1::Period p;
  p.set_year(year);
  p.set_month(month);
  return p;
}

inline v1::Date Day(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

// Residential, 0.4983 CNY/kWh, tiers at 2,160 and 4,200 kWh (+0.05, +0.30)
// a year (or a month), no funds.
inline v1::TariffScheduleVersionPublished ResidentialTariff(
    v1::TierScope scope = v1::TIER_SCOPE_ANNUAL) {
  v1::TariffScheduleVersionPublished t;
  t.set_tariff_id("sn-res");
  t.set_version(1);
  *t.mutable_effective_from() = Day(2020, 1, 1);
  t.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  t.set_flat_price_micro_cny_per_kwh(498300);
  t.set_tier_scope(scope);
  auto* t2 = t.add_tiers();
  t2->set_threshold_wh(2160 * kKwh);
  t2->set_markup_micro_cny_per_kwh(50000);
  auto* t3 = t.add_tiers();
  t3->set_threshold_wh(4200 * kKwh);
  t3->set_markup_micro_cny_per_kwh(300000);
  return t;
}

// General industry & commerce, 0.65 CNY/kWh, TOU +90/+70/−70 %.
inline v1::TariffScheduleVersionPublished CommercialTariff() {
  v1::TariffScheduleVersionPublished t;
  t.set_tariff_id("sn-gc");
  t.set_version(1);
  *t.mutable_effective_from() = Day(2020, 1, 1);
  t.set_category(v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  t.set_flat_price_micro_cny_per_kwh(650000);
  t.set_sharp_adjust_bp(9000);
  t.set_peak_adjust_bp(7000);
  t.set_valley_adjust_bp(-7000);
  return t;
}

// Large industry: 0.56 CNY/kWh, TOU, 24 CNY/kVA·month, 36 CNY/kW·month.
inline v1::TariffScheduleVersionPublished IndustrialTariff() {
  v1::TariffScheduleVersionPublished t = CommercialTariff();
  t.set_tariff_id("sn-li");
  t.set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  t.set_flat_price_micro_cny_per_kwh(560000);
  t.set_capacity_price_fen_per_kva_month(2400);
  t.set_demand_price_fen_per_kw_month(3600);
  return t;
}

inline v1::AccountOpened ResidentialAccount() {
  v1::AccountOpened a;
  a.set_account_id(kAccountId);
  a.set_customer_name("Wang Li");
  a.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  a.set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
  a.set_tariff_id("sn-res");
  a.set_org_unit("sn/xa/huyi");
  return a;
}

// 10 kV, 250 kVA, TOU, PF standard 0.85.
inline v1::AccountOpened CommercialAccount() {
  v1::AccountOpened a = ResidentialAccount();
  a.set_customer_name("Huyi Mall");
  a.set_category(v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  a.set_voltage_class(v1::VOLTAGE_CLASS_10KV);
  a.set_contracted_capacity_kva(250);
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_085);
  a.set_time_of_use(true);
  a.set_tariff_id("sn-gc");
  return a;
}

// 10 kV, 1,250 kVA, two-part by demand (1,000 kW), TOU, PF standard 0.90.
inline v1::AccountOpened IndustrialAccount() {
  v1::AccountOpened a = CommercialAccount();
  a.set_customer_name("Huyi Steel");
  a.set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  a.set_contracted_capacity_kva(1250);
  a.set_basic_charge_mode(v1::BASIC_CHARGE_MODE_DEMAND);
  a.set_contracted_demand_w(1'000'000);
  a.set_pf_standard(v1::POWER_FACTOR_STANDARD_090);
  a.set_tariff_id("sn-li");
  return a;
}

// A total-only read of the test account.
inline v1::MeterReadRecorded ReadOf(const std::string& id, const v1::Period& period,
                                    int64_t total_kwh) {
  v1::MeterReadRecorded r;
  r.set_read_id(id);
  r.set_account_id(kAccountId);
  *r.mutable_period() = period;
  r.mutable_registers()->set_total_wh(total_kwh * kKwh);
  return r;
}

// An account's events, each command decided on the state so far.
class AccountLog {
 public:
  explicit AccountLog(std::vector<v1::TariffScheduleVersionPublished> tariffs =
                          {ResidentialTariff(), CommercialTariff(), IndustrialTariff()})
      : tariffs_(std::move(tariffs)) {}

  Account state() const { return FoldAccount(history_); }
  const std::vector<v1::EventEnvelope>& history() const { return history_; }
  const v1::DomainEvent& last() const { return history_.back().payload(); }
  // The events the last successful command appended.
  std::vector<v1::DomainEvent> last_events() const {
    std::vector<v1::DomainEvent> events;
    for (size_t i = last_command_; i < history_.size(); ++i) {
      events.push_back(history_[i].payload());
    }
    return events;
  }
  const std::vector<v1::TariffScheduleVersionPublished>& tariffs() const { return tariffs_; }
  v1::Date today = Day(2027, 6, 30);

  absl::Status Apply(absl::StatusOr<std::vector<v1::DomainEvent>> events,
                     const std::string& actor) {
    if (!events.ok()) return events.status();
    last_command_ = history_.size();
    for (v1::DomainEvent& payload : *events) {
      v1::EventEnvelope envelope;
      envelope.set_stream_version(static_cast<int64_t>(history_.size()) + 1);
      envelope.set_schema_version(domain::CurrentSchemaVersion(payload));
      envelope.mutable_actor()->set_principal(actor);
      *envelope.mutable_payload() = std::move(payload);
      history_.push_back(std::move(envelope));
    }
    return absl::OkStatus();
  }
  absl::Status Apply(absl::StatusOr<v1::DomainEvent> event, const std::string& actor) {
    if (!event.ok()) return event.status();
    return Apply(std::vector<v1::DomainEvent>{*std::move(event)}, actor);
  }
  // Appends an event as it is, e.g. one in the v1 format.
  void Append(v1::DomainEvent event, const std::string& actor, int32_t schema_version = 1) {
    (void)Apply(std::vector<v1::DomainEvent>{std::move(event)}, actor);
    history_.back().set_schema_version(schema_version);
  }

  absl::Status Open(const v1::AccountOpened& opened) {
    return Apply(DecideOpenAccount(state(), opened, TariffVersions(opened.tariff_id())), "clerk");
  }
  absl::Status Record(const v1::MeterReadRecorded& read, const std::string& reader = "reader") {
    return Apply(DecideRecordRead(state(), read, reader, today), reader);
  }
  absl::Status Check(const std::string& read_id, const std::string& checker = "checker") {
    return Apply(DecideCheckRead(state(), read_id, checker), checker);
  }
  absl::Status Decide(const std::string& read_id, v1::ReadDecision decision,
                      const std::string& checker = "checker",
                      const v1::Registers* estimate = nullptr) {
    v1::DecideReadRequest request;
    request.set_read_id(read_id);
    request.set_decision(decision);
    if (estimate != nullptr) *request.mutable_estimated_registers() = *estimate;
    return Apply(DecideReadDecision(state(), request, checker), checker);
  }
  // Records and checks a read; an error unless it passes.
  absl::Status ReadAndPass(const v1::MeterReadRecorded& read) {
    if (absl::Status s = Record(read); !s.ok()) return s;
    if (absl::Status s = Check(read.read_id()); !s.ok()) return s;
    if (!last().meter_read_checked().passed()) {
      return absl::InternalError("flagged: " + last().meter_read_checked().detail());
    }
    return absl::OkStatus();
  }
  absl::Status ReadAndPass(const std::string& id, const v1::Period& period, int64_t total_kwh) {
    return ReadAndPass(ReadOf(id, period, total_kwh));
  }
  absl::Status Bill(const std::string& bill_id, const v1::Period& period,
                    const std::string& issuer = "checker", const std::string& replaces = "") {
    v1::IssueBillRequest request;
    request.set_bill_id(bill_id);
    *request.mutable_period() = period;
    const absl::CivilMonth next = absl::CivilMonth(period.year(), period.month()) + 1;
    *request.mutable_due_date() = Day(static_cast<int>(next.year()), next.month(), 20);
    request.set_replaces_bill_id(replaces);
    return Apply(DecideIssueBill(state(), request, tariffs_, issuer, today), issuer);
  }
  absl::Status CheckBill(const std::string& bill_id, const std::string& checker) {
    return Apply(DecideCheckBill(state(), bill_id, checker), checker);
  }
  absl::Status Pay(const std::string& payment_id, int64_t amount_fen, const v1::Date& paid_on,
                   const std::string& collector = "collector") {
    v1::PostPaymentRequest request;
    request.set_payment_id(payment_id);
    request.set_amount_fen(amount_fen);
    *request.mutable_paid_on() = paid_on;
    return Apply(DecidePostPayment(state(), request, collector, today), collector);
  }
  absl::Status Unpay(const std::string& payment_id, const std::string& who = "collector") {
    v1::ReversePaymentRequest request;
    request.set_payment_id(payment_id);
    request.set_reason("bounced");
    return Apply(DecideReversePayment(state(), request, who), who);
  }
  absl::Status Reverse(const std::string& bill_id, const std::string& who = "checker") {
    v1::ReverseBillRequest request;
    request.set_bill_id(bill_id);
    request.set_reason("wrong read");
    return Apply(DecideReverseBill(state(), request, who), who);
  }
  absl::Status Accrue(const std::string& bill_id, const v1::Date& as_of,
                      const std::string& who = "checker") {
    v1::AccruePenaltyRequest request;
    request.set_bill_id(bill_id);
    *request.mutable_as_of() = as_of;
    return Apply(DecideAccruePenalty(state(), request, who, today), who);
  }

  std::vector<v1::TariffScheduleVersionPublished> TariffVersions(const std::string& id) const {
    std::vector<v1::TariffScheduleVersionPublished> versions;
    for (const auto& t : tariffs_) {
      if (t.tariff_id() == id) versions.push_back(t);
    }
    return versions;
  }

 private:
  std::vector<v1::TariffScheduleVersionPublished> tariffs_;
  std::vector<v1::EventEnvelope> history_;
  size_t last_command_ = 0;
};

}  // namespace gridledger::billing::testing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_ACCOUNT_TEST_UTIL_H_
