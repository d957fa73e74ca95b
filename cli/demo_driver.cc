#include "cli/demo_driver.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"

namespace gridledger::cli {
namespace {

constexpr int64_t kKwh = 1000;

// The demo's calendar: the month it bills is the one before last, so the bill
// fell due last month and every date the demo states is in the past.
struct DemoCalendar {
  absl::CivilMonth billed = absl::CivilMonth(domain::UtilityDay(absl::Now())) - 2;

  // The billed month + `offset` months.
  v1::Period Period(int offset = 0) const {
    const absl::CivilMonth month = billed + offset;
    v1::Period period;
    period.set_year(static_cast<int32_t>(month.year()));
    period.set_month(month.month());
    return period;
  }
  // The 20th of the month after, and five days before it.
  v1::Date DueDate(int offset = 0) const {
    return domain::ToDate(absl::CivilDay(billed + offset + 1) + 19);
  }
  v1::Date PaidOnTime(int offset = 0) const {
    return domain::ToDate(absl::CivilDay(billed + offset + 1) + 14);
  }
  std::string Text(int offset) const {
    return absl::StrCat((billed + offset).year(), "-", (billed + offset).month());
  }
  v1::Date Today() const { return domain::ToDate(domain::UtilityDay(absl::Now())); }
  v1::Date Yesterday() const { return domain::ToDate(domain::UtilityDay(absl::Now()) - 1); }
  // Day `day` (1-based; past the month's end runs on) of the billed month +
  // `offset`, at `hour`:`minute` in the utility's zone: the business time the
  // demo states for each step (x-occurred-at, or the event's own field).
  absl::Time At(int offset, int day, int hour, int minute = 0) const {
    const absl::CivilDay civil = absl::CivilDay(billed + offset) + (day - 1);
    return absl::FromCivil(
        absl::CivilSecond(civil.year(), civil.month(), civil.day(), hour, minute, 0),
        domain::UtilityZone());
  }
  // The last day of the billed month + `offset`, at `hour`.
  absl::Time MonthEnd(int offset, int hour) const {
    const absl::CivilDay last = absl::CivilDay(billed + offset + 1) - 1;
    return absl::FromCivil(absl::CivilSecond(last.year(), last.month(), last.day(), hour, 0, 0),
                           domain::UtilityZone());
  }
  std::string Text() const { return absl::StrCat(billed.year(), "-", billed.month()); }
};

class Demo {
 public:
  Demo(const std::shared_ptr<grpc::Channel>& channel, std::map<std::string, std::string> tokens,
       std::string tag, DemoTotals* totals)
      : totals_(totals),
        tokens_(std::move(tokens)),
        tag_(std::move(tag)),
        metering_(v1::MeteringCenter::NewStub(channel)),
        billing_(v1::BillingCenter::NewStub(channel)),
        customer_(v1::CustomerServiceCenter::NewStub(channel)),
        marketing_(v1::MarketingDepartment::NewStub(channel)),
        supervision_(v1::SupervisionQuery::NewStub(channel)),
        kpis_(v1::KpiQuery::NewStub(channel)),
        outages_(v1::OutageQuery::NewStub(channel)),
        views_(v1::ViewAdmin::NewStub(channel)) {}

  DemoTotals& totals() { return *totals_; }

  // What the demo states about a command beyond its request: when it
  // happened in the business (x-occurred-at) and the process it belongs to
  // (x-correlation-id: the account's month, the application, the ticket).
  struct Stamp {
    std::optional<absl::Time> at;
    std::string correlation_id;
  };

  // Runs `call` as `role`; counts it; records a failure unless it is OK.
  template <typename Fn>
  bool Do(const std::string& role, const std::string& what, Fn call, const Stamp& stamp = {}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    context.AddMetadata("authorization", "Bearer " + tokens_[role]);
    if (stamp.at) {
      context.AddMetadata("x-occurred-at",
                          absl::FormatTime(absl::RFC3339_sec, *stamp.at, domain::UtilityZone()));
    }
    if (!stamp.correlation_id.empty()) {
      context.AddMetadata("x-correlation-id", stamp.correlation_id);
    }
    grpc::Status status = call(&context);
    ++totals_->commands;
    if (status.ok()) return true;
    ++totals_->failures;
    std::lock_guard<std::mutex> lock(totals_->mu);
    if (totals_->first_errors.size() < 10) {
      totals_->first_errors.push_back(absl::StrCat(what, ": ", status.error_message()));
    }
    return false;
  }

  // The demo's county sn/xa/<tag>, registered by the marketing manager (of
  // sn/xa); with an "admin" credential (of sn), the province and the city
  // first. Units registered already are fine.
  void OrgUnits() {
    std::vector<std::pair<std::string, std::string>> units;  // unit, who registers it
    if (tokens_.count("admin")) {
      units.emplace_back("sn", "admin");
      units.emplace_back("sn/xa", "admin");
    }
    units.emplace_back("sn/xa/" + tag_, "marketing_manager");
    for (const auto& [unit, role] : units) {
      v1::RegisterOrgUnitRequest r;
      r.set_command_id("demo-register-" + unit);
      r.set_org_unit(unit);
      r.set_name("demo unit " + unit);
      v1::CommandReply reply;
      Do(role, "register " + unit, [&](grpc::ClientContext* c) {
        grpc::Status status = marketing_->RegisterOrgUnit(c, r, &reply);
        return status.error_code() == grpc::StatusCode::ALREADY_EXISTS ? grpc::Status::OK : status;
      });
    }
  }

  void Tariffs() {
    struct T {
      std::string id;
      v1::CustomerCategory category;
    };
    for (const T& t :
         {T{"res", v1::CUSTOMER_CATEGORY_RESIDENTIAL},
          T{"gc", v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL},
          T{"li", v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL},
          T{"ag", v1::CUSTOMER_CATEGORY_AGRICULTURAL}, T{"ws", v1::CUSTOMER_CATEGORY_WHOLESALE}}) {
      v1::PublishTariffVersionRequest r;
      r.set_command_id(NewUuid());
      auto* v = r.mutable_version();
      v->set_tariff_id(TariffId(t.id));  // the server numbers the version
      v->mutable_effective_from()->set_year(2020);
      v->mutable_effective_from()->set_month(1);
      v->mutable_effective_from()->set_day(1);
      v->set_category(t.category);
      v->set_source_document("Shaanxi DRC 2025 schedule (illustrative values)");
      auto* fund = v->add_funds();
      fund->set_code("REN");
      fund->set_name("renewable energy surcharge");
      fund->set_price_micro_cny_per_kwh(19000);
      if (t.category == v1::CUSTOMER_CATEGORY_RESIDENTIAL) {
        v->set_flat_price_micro_cny_per_kwh(498300);
        v->set_tier_scope(v1::TIER_SCOPE_ANNUAL);
        auto* t2 = v->add_tiers();
        t2->set_threshold_wh(2160 * kKwh);
        t2->set_markup_micro_cny_per_kwh(50000);
        auto* t3 = v->add_tiers();
        t3->set_threshold_wh(4200 * kKwh);
        t3->set_markup_micro_cny_per_kwh(300000);
      } else {
        v->set_flat_price_micro_cny_per_kwh(
            t.category == v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL ? 560000
            : t.category == v1::CUSTOMER_CATEGORY_WHOLESALE      ? 380000
                                                                 : 650000);
        v->set_sharp_adjust_bp(9000);
        v->set_peak_adjust_bp(7000);
        v->set_valley_adjust_bp(-7000);
        v->set_capacity_price_fen_per_kva_month(2400);
        v->set_demand_price_fen_per_kw_month(3600);
      }
      v1::CommandReply reply;
      Do("marketing_manager", "publish tariff",
         [&](grpc::ClientContext* c) { return billing_->PublishTariffVersion(c, r, &reply); });
    }
    for (v1::Kpi kpi : {v1::KPI_READ_COMPLETION_RATE, v1::KPI_FEE_RECOVERY_RATE,
                        v1::KPI_APPLICATION_ON_TIME_RATE, v1::KPI_CALIBRATION_PASS_RATE}) {
      v1::SetKpiTargetRequest r;
      r.set_command_id(NewUuid());
      r.mutable_target()->set_org_unit("sn/xa/" + tag_);
      *r.mutable_target()->mutable_period() = calendar_.Period();
      r.mutable_target()->set_kpi(kpi);
      r.mutable_target()->set_target_value(9800);
      r.mutable_target()->set_target_unit("bp");
      v1::CommandReply reply;
      Do("marketing_manager", "kpi target",
         [&](grpc::ClientContext* c) { return marketing_->SetKpiTarget(c, r, &reply); },
         {calendar_.At(-2, 1, 8), "demo-kpis-" + tag_});
    }
  }

  // One account's month: its meter's life up to installation, the account,
  // three reads (the baseline two months before, last month's, and this
  // month's with anomalies), last month's bill paid on time, this month's
  // bill, its check and its payment.
  void Account(int i, std::mt19937_64& random) {
    const std::string account_id = absl::StrCat(tag_, "-", 100000 + i);
    const std::string bar_code = absl::StrCat("M-", tag_, "-", i);
    const int kind = static_cast<int>(random() % 100);
    const v1::CustomerCategory category = kind < 85 ? v1::CUSTOMER_CATEGORY_RESIDENTIAL
                                          : kind < 95
                                              ? v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL
                                          : kind < 99 ? v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL
                                                      : v1::CUSTOMER_CATEGORY_AGRICULTURAL;
    const bool residential = category == v1::CUSTOMER_CATEGORY_RESIDENTIAL;
    const bool large = category == v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL;
    // The account's process, from its meter's arrival to this month's
    // payment, is one correlation; each step states its business date.
    const std::string correlation = absl::StrCat("demo-account-", account_id);
    std::optional<std::string> meter = Meter(bar_code, account_id, residential, random);
    if (!meter) return;

    v1::OpenAccountRequest open;
    open.set_command_id(NewUuid());
    auto* a = open.mutable_account();
    a->set_account_id(account_id);
    a->set_customer_name(absl::StrCat("Customer ", i));
    a->set_category(category);
    const bool agricultural = category == v1::CUSTOMER_CATEGORY_AGRICULTURAL;
    a->set_voltage_class(residential ? v1::VOLTAGE_CLASS_LV_220V : v1::VOLTAGE_CLASS_10KV);
    a->set_tariff_id(TariffId(residential ? "res" : large ? "li" : agricultural ? "ag" : "gc"));
    a->set_time_of_use(!residential);
    a->set_org_unit("sn/xa/" + tag_);
    // Terms the rules accept (docs/TARIFF.md A-*): two-part from 315 kVA,
    // contracted demand 40-100 % of it, the 1983 power-factor standards.
    if (large) {
      a->set_contracted_capacity_kva(1250);
      a->set_basic_charge_mode(v1::BASIC_CHARGE_MODE_DEMAND);
      a->set_contracted_demand_w(1'000'000);
      a->set_pf_standard(v1::POWER_FACTOR_STANDARD_090);
    } else if (!residential) {
      a->set_contracted_capacity_kva(agricultural ? 160 : 250);
      a->set_pf_standard(agricultural ? v1::POWER_FACTOR_STANDARD_080
                                      : v1::POWER_FACTOR_STANDARD_085);
    }
    v1::CommandReply reply;
    if (!Do("customer_service", "open account",
            [&](grpc::ClientContext* c) { return billing_->OpenAccount(c, open, &reply); },
            {calendar_.At(-2, 1, 9), correlation})) {
      return;
    }
    ++totals_->accounts;
    // The late-read account is billed on the supervision clock, after the
    // gateway reads: it hangs from no area, so the demo's losses stay put.
    if (grid_ready_ && !(i == kLateReadAccount && tokens_.count("admin"))) {
      v1::ConnectAccountRequest connect;
      connect.set_command_id(NewUuid());
      connect.set_account_id(account_id);
      connect.set_transformer_area_id(AreaId(i % kAreas));
      Do("metering_technician", "connect account",
         [&](grpc::ClientContext* c) { return metering_->ConnectAccount(c, connect, &reply); },
         {calendar_.At(-2, 1, 9, 30), correlation});
    }

    // Monthly use: residential 150-400 kWh; commerce 2-20 MWh; industry 200-2,000 MWh.
    const int64_t monthly = residential ? (150 + random() % 250) * kKwh
                            : large     ? (200'000 + random() % 1'800'000) * kKwh
                                        : (2'000 + random() % 18'000) * kKwh;
    v1::Registers registers;
    registers.set_total_wh(5'000 * kKwh + static_cast<int64_t>(random() % 1000) * kKwh);
    auto advance = [&](int64_t used) {
      v1::Registers next = registers;
      next.set_total_wh(registers.total_wh() + used);
      if (!residential) {
        next.set_sharp_wh(registers.sharp_wh() + used / 10);
        next.set_peak_wh(registers.peak_wh() + used * 3 / 10);
        next.set_valley_wh(registers.valley_wh() + used * 3 / 10);
        next.set_flat_wh(next.total_wh() - next.sharp_wh() - next.peak_wh() - next.valley_wh());
        next.set_reactive_varh(registers.reactive_varh() + used * (40 + random() % 30) / 100);
        next.set_max_demand_w(large ? 900'000 + random() % 250'000 : 0);
      }
      return next;
    };
    if (!residential) registers = advance(0);
    int64_t month_reads = 0;
    for (int offset : {-2, -1}) {
      if (offset == -1) registers = advance(monthly);
      if (!ReadAndCheck(account_id, *meter, absl::StrCat("r", offset + 2, "-", i), offset,
                        registers, correlation)) {
        return;
      }
      ++month_reads;
    }
    // Last month's bill, checked and paid on time: bills follow period order.
    if (!LastMonthsBill(account_id, i, correlation)) return;
    // November: most reads normal; some far high, some zero, some went backwards.
    const int anomaly = static_cast<int>(random() % 100);
    v1::Registers this_month = advance(monthly * (90 + static_cast<int64_t>(random() % 20)) / 100);
    v1::Registers reported = this_month;
    if (anomaly < 3) reported = advance(monthly * 5);
    if (anomaly >= 3 && anomaly < 5) reported = registers;
    if (anomaly >= 5 && anomaly < 6) reported.set_total_wh(registers.total_wh() - 10 * kKwh);
    const std::string read_id = absl::StrCat("r2-", i);
    if (i == kLateReadAccount && tokens_.count("admin")) {
      // Recorded with no use (its check will flag it) and left unchecked:
      // the supervision clock finds it late, then the checker and the bill
      // come (Supervision).
      if (ReadAndCheck(account_id, *meter, read_id, 0, registers, correlation, nullptr, false,
                       /*check_it=*/false)) {
        late_read_ = {account_id, read_id, correlation, i};
      }
      return;
    }
    bool passed = false;
    if (!ReadAndCheck(account_id, *meter, read_id, 0, reported, correlation, &passed)) return;
    if (!passed && !DecideFlagged(account_id, *meter, read_id, anomaly, this_month, correlation)) {
      return;
    }
    Bill(account_id, i, random, correlation);
  }

  // The month's wholesale settlement with the second power company, and one
  // inspection that finds theft on the first account, back-billed.
  void WholesaleAndInspection() {
    v1::CommandReply reply;
    v1::IssueWholesaleSettlementRequest settle;
    settle.set_command_id(NewUuid());
    settle.set_counterparty("local-power-" + tag_);
    settle.set_settlement_id("WS-" + calendar_.Text());
    *settle.mutable_period() = calendar_.Period();
    settle.set_energy_wh(86'400 * kKwh * 1000);  // 86.4 GWh
    settle.set_tariff_id(TariffId("ws"));
    if (Do("bill_checker", "wholesale settlement",
           [&](grpc::ClientContext* c) {
             return billing_->IssueWholesaleSettlement(c, settle, &reply);
           },
           {calendar_.At(1, 5, 10)})) {
      ++totals_->wholesale;
      v1::ConfirmWholesaleSettlementRequest confirm;
      confirm.set_command_id(NewUuid());
      confirm.set_counterparty(settle.counterparty());
      confirm.set_settlement_id(settle.settlement_id());
      confirm.set_confirmed_by("local power company finance");
      Do("bill_checker", "confirm settlement",
         [&](grpc::ClientContext* c) {
           return billing_->ConfirmWholesaleSettlement(c, confirm, &reply);
         },
         {calendar_.At(1, 6, 10)});
    }
    const std::string account_id = absl::StrCat(tag_, "-", 100000);
    v1::RecordInspectionRequest inspect;
    inspect.set_command_id(NewUuid());
    inspect.mutable_inspection()->set_inspection_id("I-" + tag_);
    inspect.mutable_inspection()->set_account_id(account_id);
    inspect.mutable_inspection()->set_finding(v1::INSPECTION_FINDING_THEFT);
    inspect.mutable_inspection()->set_evidence("bypass wiring around the meter");
    *inspect.mutable_inspection()->mutable_inspected_at() =
        domain::ToTimestamp(calendar_.At(1, 6, 15));
    if (!Do("bill_checker", "inspection", [&](grpc::ClientContext* c) {
          return billing_->RecordInspection(c, inspect, &reply);
        })) {
      return;
    }
    v1::IssueBackBillingRequest back;
    back.set_command_id(NewUuid());
    back.set_account_id(account_id);
    back.set_inspection_id("I-" + tag_);
    back.set_bill_id("BB-" + tag_);
    back.set_energy_wh(1'800 * kKwh);
    *back.mutable_from_period() = calendar_.Period(-6);
    *back.mutable_to_period() = calendar_.Period();
    if (Do("bill_checker", "back-billing",
           [&](grpc::ClientContext* c) { return billing_->IssueBackBilling(c, back, &reply); },
           {calendar_.At(1, 7, 10)})) {
      ++totals_->back_billings;
    }
  }

  void Applications(int from, int to, std::mt19937_64& random) {
    for (int i = from; i < to; ++i) {
      const std::string id = absl::StrCat("A-", tag_, "-", i);
      const int kind = static_cast<int>(random() % 100);
      const bool high_voltage = kind >= 90;
      v1::SubmitApplicationRequest submit;
      submit.set_command_id(NewUuid());
      auto* a = submit.mutable_application();
      a->set_application_id(id);
      a->set_application_type(kind % 7 == 0 ? v1::APPLICATION_TYPE_CAPACITY_INCREASE
                                            : v1::APPLICATION_TYPE_NEW_CONNECTION);
      if (a->application_type() != v1::APPLICATION_TYPE_NEW_CONNECTION) {
        a->set_account_id(absl::StrCat(tag_, "-", 100000 + i));
      }
      a->set_customer_name(absl::StrCat("Applicant ", i));
      a->set_category(kind < 70   ? v1::CUSTOMER_CATEGORY_RESIDENTIAL
                      : kind < 90 ? v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL
                                  : v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
      a->set_voltage_class(high_voltage ? v1::VOLTAGE_CLASS_10KV : v1::VOLTAGE_CLASS_LV_220V);
      a->set_supply_mode(high_voltage ? v1::SUPPLY_MODE_HIGH_VOLTAGE_SINGLE
                                      : v1::SUPPLY_MODE_LOW_VOLTAGE);
      a->set_requested_capacity_kva(high_voltage ? 1250 : 8);
      a->set_org_unit("sn/xa/" + tag_);
      // Submitted on a day of the billed month; each step a day after the last.
      const int first_day = 1 + i % 20;
      *a->mutable_submitted_at() = domain::ToTimestamp(calendar_.At(0, first_day, 9));
      const Stamp process{std::nullopt, "demo-" + id};
      auto on_step = [&](int step) {
        return Stamp{calendar_.At(0, first_day + step - 1, 10), process.correlation_id};
      };
      v1::CommandReply reply;
      if (!Do(
              "customer_service", "submit application",
              [&](grpc::ClientContext* c) {
                return customer_->SubmitApplication(c, submit, &reply);
              },
              process)) {
        continue;
      }
      ++totals_->applications;
      v1::AcceptApplicationRequest accept;
      accept.set_command_id(NewUuid());
      accept.set_application_id(id);
      Do(
          "customer_service", "accept application",
          [&](grpc::ClientContext* c) { return customer_->AcceptApplication(c, accept, &reply); },
          on_step(2));
      const int withdraw_at = random() % 100 < 6 ? 3 + static_cast<int>(random() % 5) : 99;
      for (int step = 3; step <= 10; ++step) {
        if (step == withdraw_at) {
          v1::EndApplicationRequest end;
          end.set_command_id(NewUuid());
          end.set_application_id(id);
          end.set_reason("customer changed plans");
          Do(
              "customer_service", "withdraw",
              [&](grpc::ClientContext* c) {
                return customer_->WithdrawApplication(c, end, &reply);
              },
              on_step(step));
          ++totals_->withdrawn;
          break;
        }
        v1::CompleteStepRequest r;
        r.set_command_id(NewUuid());
        r.set_application_id(id);
        switch (step) {
          case 3:
            r.mutable_site_survey()->set_surveyor("surveyor-1");
            break;
          case 4:
            r.mutable_supply_plan()->set_needs_bay_approval(high_voltage);
            r.mutable_supply_plan()->set_substation("Huyi 110 kV");
            r.mutable_supply_plan()->set_bay(absl::StrCat("bay-", i % 12));
            break;
          case 5:
            r.mutable_design_review()->set_approved(true);
            break;
          case 6:
            r.mutable_construction()->set_contractor("county works");
            break;
          case 7:
            r.mutable_completion_inspection()->set_passed(true);
            break;
          case 8:
            r.mutable_meter_installed()->set_meter_bar_code(absl::StrCat("AM-", tag_, i));
            break;
          case 9:
            r.mutable_energised();
            break;
          default:
            r.mutable_closed();
            break;
        }
        if (step == 5 && high_voltage) {
          v1::DecideBayApprovalRequest approve;
          approve.set_command_id(NewUuid());
          approve.set_application_id(id);
          approve.set_grant(true);
          if (Do(
                  "marketing_manager", "bay approval",
                  [&](grpc::ClientContext* c) {
                    return marketing_->DecideBayApproval(c, approve, &reply);
                  },
                  on_step(step))) {
            ++totals_->bay_approvals;
          }
        }
        if (!Do(
                "customer_service", "application step",
                [&](grpc::ClientContext* c) { return customer_->CompleteStep(c, r, &reply); },
                on_step(step))) {
          break;
        }
        if (step == 10) ++totals_->applications_closed;
      }
    }
  }

  void Tickets(int from, int to, std::mt19937_64& random) {
    for (int i = from; i < to; ++i) {
      v1::OpenTicketRequest open;
      open.set_command_id(NewUuid());
      auto* t = open.mutable_ticket();
      t->set_ticket_id(absl::StrCat("T-", tag_, "-", i));
      t->set_category(random() % 3 == 0 ? v1::TICKET_CATEGORY_INQUIRY
                                        : v1::TICKET_CATEGORY_FAULT_REPAIR);
      t->set_area(random() % 2 == 0 ? v1::SERVICE_AREA_URBAN : v1::SERVICE_AREA_RURAL);
      t->set_org_unit("sn/xa/" + tag_);
      // Called in on a day of the billed month; dispatched 30 minutes later,
      // on site after 2 hours, resolved after 4, closed the next day.
      const absl::Time called = calendar_.At(0, 1 + i % 25, 8 + i % 10);
      *t->mutable_opened_at() = domain::ToTimestamp(called);
      const std::string correlation = "demo-" + t->ticket_id();
      v1::CommandReply reply;
      if (!Do("customer_service", "open ticket",
              [&](grpc::ClientContext* c) { return customer_->OpenTicket(c, open, &reply); },
              {std::nullopt, correlation})) {
        continue;
      }
      ++totals_->tickets;
      for (int step = 0; step < 4; ++step) {
        v1::AdvanceTicketRequest r;
        r.set_command_id(NewUuid());
        r.set_ticket_id(t->ticket_id());
        if (step == 0) r.mutable_dispatched()->set_crew(absl::StrCat("crew-", i % 6));
        if (step == 1) r.mutable_on_site();
        if (step == 2) r.mutable_resolved()->set_resolution("restored");
        if (step == 3) r.mutable_closed()->set_satisfaction(3 + static_cast<int>(random() % 3));
        const absl::Duration after[] = {absl::Minutes(30), absl::Hours(2), absl::Hours(4),
                                        absl::Hours(24)};
        if (!Do("customer_service", "ticket step",
                [&](grpc::ClientContext* c) { return customer_->AdvanceTicket(c, r, &reply); },
                {called + after[step], correlation})) {
          break;
        }
      }
    }
  }

  // The county's supply network, before its accounts open: two feeders of
  // its substation, two transformer areas on each, and a gateway meter at
  // every node. Accounts hang from area i % 4 as they open.
  static constexpr int kAreas = 4;
  std::string FeederId(int f) const { return absl::StrCat("F-", tag_, "-", f); }
  std::string AreaId(int a) const { return absl::StrCat("TA-", tag_, "-", a); }
  std::string GatewayMeterOf(const std::string& node) const { return "G" + node; }

  void Grid() {
    const std::string unit = "sn/xa/" + tag_;
    bool ok = true;
    auto register_node = [&](v1::SupplyNodeRegistered node) {
      v1::RegisterSupplyNodeRequest request;
      request.set_command_id(NewUuid());
      const std::string id = node.node_id();
      *request.mutable_node() = std::move(node);
      v1::CommandReply reply;
      ok = ok &&
           Do("metering_technician", "register supply node",
              [&](grpc::ClientContext* c) {
                return metering_->RegisterSupplyNode(c, request, &reply);
              },
              {calendar_.At(-3, 1, 9), "demo-grid-" + tag_}) &&
           NewInstalledMeter(GatewayMeterOf(id),
                             {v1::METER_TYPE_GATEWAY, "", id, calendar_.At(60, 1, 9),
                              /*metering_class=*/2});
    };
    for (int f = 0; f < 2; ++f) {
      v1::SupplyNodeRegistered feeder;
      feeder.set_node_id(FeederId(f));
      feeder.set_kind(v1::SUPPLY_NODE_KIND_FEEDER);
      feeder.set_name(absl::StrCat("10 kV line ", f + 1));
      feeder.set_substation(absl::StrCat("110 kV ", tag_));
      feeder.set_org_unit(unit);
      register_node(feeder);
    }
    for (int a = 0; a < kAreas; ++a) {
      v1::SupplyNodeRegistered area;
      area.set_node_id(AreaId(a));
      area.set_kind(v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA);
      area.set_name(absl::StrCat("Village transformer ", a + 1));
      area.set_feeder_id(FeederId(a / 2));
      register_node(area);
    }
    grid_ready_ = ok;
  }

  // Once the months are billed: each node's gateway reads for last month
  // and the billed month, chosen so the areas lose 3 %, 5 %, 14 % and 6 % of
  // what entered them and each feeder 3 % before its areas: area 2 (14 %)
  // and feeder 1 (about 13 %) are out of range and raise alerts when the
  // clock reaches the 10th of the month after. The energy billed per area
  // is read from KpiQuery once the KPI view has caught up.
  void GatewayReads() {
    if (!grid_ready_ || !WaitForView("kpi")) return;
    const int64_t loss_permille[kAreas] = {30, 50, 140, 60};
    std::map<std::string, int64_t> registers;  // node → Wh (installed at 0)
    for (int offset : {-1, 0}) {
      v1::GetKpisRequest request;
      request.set_org_unit("sn/xa/" + tag_);
      const absl::CivilMonth month = calendar_.billed + offset;
      request.mutable_period()->set_year(static_cast<int>(month.year()));
      request.mutable_period()->set_month(month.month());
      v1::KpiReport report;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + tokens_["marketing_manager"]);
      if (!kpis_->GetKpis(&context, request, &report).ok()) return;
      std::map<std::string, int64_t> billed;  // area → Wh
      for (const v1::KpiValue& v : report.values()) {
        if (v.kpi() == v1::KPI_LINE_LOSS_RATE && absl::StartsWith(v.breakdown(), "area/")) {
          billed[v.breakdown().substr(5)] = v.denominator() - v.numerator();
        }
      }
      int64_t feeder_in[2] = {0, 0};
      for (int a = 0; a < kAreas; ++a) {
        const int64_t in = billed[AreaId(a)] * 1000 / (1000 - loss_permille[a]);
        feeder_in[a / 2] += in * 1000 / 970;
        GatewayRead(AreaId(a), request.period(), registers[AreaId(a)] += in, offset);
      }
      for (int f = 0; f < 2; ++f) {
        GatewayRead(FeederId(f), request.period(), registers[FeederId(f)] += feeder_in[f], offset);
      }
    }
  }

  void GatewayRead(const std::string& node, const v1::Period& period, int64_t register_wh,
                   int offset) {
    v1::RecordGatewayReadRequest read;
    read.set_command_id(NewUuid());
    read.set_node_id(node);
    read.set_bar_code(GatewayMeterOf(node));
    *read.mutable_period() = period;
    read.set_register_wh(register_wh);
    v1::CommandReply reply;
    if (Do("metering_technician", "gateway read",
           [&](grpc::ClientContext* c) { return metering_->RecordGatewayRead(c, read, &reply); },
           {calendar_.At(offset + 1, 1, 0, 5), "demo-grid-" + tag_})) {
      ++totals_->gateway_reads;
    }
  }

  // Outage plans for next month: two large customers' maintenance on
  // feeder 0 and one on feeder 1, the grid's outage of feeder 0; the
  // proposals OutageQuery makes, the first accepted and the second declined.
  void Outages(int accounts) {
    if (!grid_ready_ || accounts < 7) return;
    const absl::Time next = calendar_.At(3, 1, 8);  // the month after this one
    auto customer_plan = [&](const std::string& id, int account, int day, int hours,
                             int64_t load_w) {
      v1::PlanCustomerMaintenanceRequest r;
      r.set_command_id(NewUuid());
      v1::CustomerMaintenancePlanned* p = r.mutable_plan();
      p->set_plan_id(id);
      p->set_account_id(absl::StrCat(tag_, "-", 100000 + account));
      *p->mutable_starts_at() = domain::ToTimestamp(next + absl::Hours(24 * (day - 1)));
      *p->mutable_ends_at() = domain::ToTimestamp(next + absl::Hours(24 * (day - 1) + hours));
      p->set_load_w(load_w);
      p->set_reason("annual overhaul of the customer's substation");
      v1::CommandReply reply;
      Do("marketing_manager", "plan customer maintenance",
         [&](grpc::ClientContext* c) { return marketing_->PlanCustomerMaintenance(c, r, &reply); });
    };
    // Accounts 0 and 4 hang from area 0 (feeder 0); account 6 from area 2 (feeder 1).
    customer_plan(absl::StrCat("OC-", tag_, "-1"), 0, 9, 10, 800'000);
    customer_plan(absl::StrCat("OC-", tag_, "-2"), 4, 12, 6, 300'000);
    customer_plan(absl::StrCat("OC-", tag_, "-3"), 6, 9, 8, 500'000);
    v1::PlanGridOutageRequest grid;
    grid.set_command_id(NewUuid());
    v1::GridOutagePlanned* g = grid.mutable_plan();
    g->set_plan_id(absl::StrCat("OG-", tag_, "-1"));
    g->set_feeder_id(FeederId(0));
    *g->mutable_starts_at() = domain::ToTimestamp(next + absl::Hours(24 * 4 - 2));
    *g->mutable_ends_at() = domain::ToTimestamp(next + absl::Hours(24 * 4 + 4));
    g->set_reason("replacing the line's section switch");
    v1::CommandReply reply;
    Do("marketing_manager", "plan grid outage",
       [&](grpc::ClientContext* c) { return marketing_->PlanGridOutage(c, grid, &reply); });
    if (!WaitForView("planning")) return;
    v1::ProposeCoordinationRequest ask;
    ask.set_org_unit("sn/xa/" + tag_);
    v1::CoordinationProposals proposals;
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + tokens_["marketing_manager"]);
    if (!outages_->ProposeCoordination(&context, ask, &proposals).ok()) return;
    totals_->outage_proposals += proposals.proposals_size();
    for (int n = 0; n < proposals.proposals_size(); ++n) {
      const v1::CoordinationProposal& p = proposals.proposals(n);
      v1::CoordinateOutageRequest decide;
      decide.set_command_id(NewUuid());
      decide.set_customer_plan_id(p.customer_plan().plan_id());
      decide.set_grid_plan_id(p.grid_plan().plan_id());
      decide.set_accept(n == 0);
      if (n > 0) decide.set_reason("the customer's contractor is booked that week");
      if (Do("marketing_manager", "coordinate outage",
             [&](grpc::ClientContext* c) {
               return marketing_->CoordinateOutage(c, decide, &reply);
             }) &&
          n == 0) {
        ++totals_->outages_coordinated;
        totals_->energy_saved_wh += p.energy_saved_wh();
      }
    }
  }

  // Records the billed month's KPI values beside their targets (KpiMeasured),
  // once the KPI view has applied every bill and payment.
  void MeasureKpis(const std::string& unit, absl::Time at) {
    if (!WaitForView("kpi")) return;
    v1::MeasureKpisRequest measure;
    measure.set_command_id(NewUuid());
    measure.set_org_unit(unit);
    *measure.mutable_period() = calendar_.Period();
    v1::CommandReply reply;
    Do("marketing_manager", "measure kpis",
       [&](grpc::ClientContext* c) { return marketing_->MeasureKpis(c, measure, &reply); },
       {at, "demo-kpis-" + tag_});
  }

  // Each KPI of the billed month that misses its target gets the value it
  // reached as its target.
  void ReviseMissedTargets(const std::string& unit, absl::Time at) {
    v1::GetKpisRequest request;
    request.set_org_unit(unit);
    *request.mutable_period() = calendar_.Period();
    v1::KpiReport report;
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + tokens_["marketing_manager"]);
    if (!kpis_->GetKpis(&context, request, &report).ok()) return;
    for (const v1::KpiValue& v : report.values()) {
      if (!v.has_target() || v.meets_target()) continue;
      v1::SetKpiTargetRequest r;
      r.set_command_id(NewUuid());
      r.mutable_target()->set_org_unit(unit);
      *r.mutable_target()->mutable_period() = calendar_.Period();
      r.mutable_target()->set_kpi(v.kpi());
      r.mutable_target()->set_target_value(v.value());
      r.mutable_target()->set_target_unit(v.unit());
      v1::CommandReply reply;
      Do("marketing_manager", "revise kpi target",
         [&](grpc::ClientContext* c) { return marketing_->SetKpiTarget(c, r, &reply); },
         {at, "demo-kpis-" + tag_});
    }
  }

  // Waits (up to 30 s) until `view` has applied the whole log.
  bool WaitForView(const std::string& view) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      v1::ListViewsReply views;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + tokens_["marketing_manager"]);
      if (views_->ListViews(&context, v1::ListViewsRequest(), &views).ok()) {
        for (const v1::ViewStatus& status : views.views()) {
          if (status.name() == view && status.lag() == 0) return true;
        }
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  // The supervision clock over the month after the billed one, in time
  // order: a case for each rule, each ended by its own event so its alert is
  // raised at one tick and resolved at a later one; the county's dunning
  // thresholds lowered (stages 2 and 3 at 5 and 10 days past due) so the
  // month's unpaid bills reach every stage by today; a last tick now. Then
  // counts the alerts by rule as the county's manager sees them.
  void Supervision(bool with_accounts) {
    const std::string unit = "sn/xa/" + tag_;
    for (const auto& [rule, days] : {std::pair{v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2, 5},
                                     std::pair{v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3, 10}}) {
      v1::SetSupervisionThresholdRequest r;
      r.set_command_id(NewUuid());
      r.mutable_threshold()->set_org_unit(unit);
      r.mutable_threshold()->set_rule(rule);
      r.mutable_threshold()->set_value(days);
      v1::CommandReply reply;
      Do("marketing_manager", "supervision threshold",
         [&](grpc::ClientContext* c) { return marketing_->SetSupervisionThreshold(c, r, &reply); });
    }
    const std::string application = absl::StrCat("A-", tag_, "-late");
    const std::string ticket = absl::StrCat("T-", tag_, "-late");
    const std::string voucher = absl::StrCat("V-", tag_, "-late");
    // Day 1: an application accepted (5 working days), then left alone; the
    // billed month's KPIs measured against the county's targets (98 %).
    LateApplication(application, unit, calendar_.At(1, 1, 9));
    MeasureKpis(unit, calendar_.At(1, 1, 10));
    // A class I metering point installed three months before day 1 with a
    // verification valid only to day 5: its on-site test falls due on day 1.
    const std::string late_meter = absl::StrCat("MS-", tag_);
    const bool meter_case = with_accounts && LateMeter(late_meter);
    // Day 2: a fault call nobody dispatches for 40 minutes.
    const absl::Time called = calendar_.At(1, 2, 9);
    LateTicketOpened(ticket, unit, called);
    Tick(called + absl::Minutes(31));  // dispatch late
    TicketStep(ticket, 0, called + absl::Minutes(40));
    Tick(called + absl::Minutes(50));  // on site late (urban: 45 minutes)
    TicketStep(ticket, 1, called + absl::Minutes(60));
    Tick(called + absl::Minutes(65));
    // Day 3: a work voucher due on day 5.
    const bool vouchers = with_accounts && tokens_.count("field_crew");
    if (vouchers) IssueVoucher(voucher, unit, calendar_.At(1, 3, 8));
    Tick(calendar_.At(1, 3, 10));  // the ticket 25 hours open
    TicketStep(ticket, 2, calendar_.At(1, 3, 11));
    Tick(calendar_.At(1, 3, 11, 5));
    // Day 6: the voucher late, and the month-end read unchecked; the crew
    // scans the wrong meter, then the right one; the read is checked (flagged).
    Tick(calendar_.At(1, 6, 9));
    if (!late_read_.account_id.empty()) LateReadStep(0, calendar_.At(1, 6, 9, 30));
    if (vouchers) FinishVoucher(voucher, calendar_.At(1, 6, 10), calendar_.At(1, 7, 10));
    Tick(calendar_.At(1, 7, 12));
    // Day 12: the application past its committed date, then withdrawn; the
    // flagged read undecided, then accepted and billed.
    Tick(calendar_.At(1, 12, 9));
    if (!late_read_.account_id.empty()) LateReadStep(1, calendar_.At(1, 12, 9, 30));
    v1::EndApplicationRequest end;
    end.set_command_id(NewUuid());
    end.set_application_id(application);
    end.set_reason("the customer gave up waiting");
    v1::CommandReply reply;
    Do("customer_service", "withdraw late application",
       [&](grpc::ClientContext* c) { return customer_->WithdrawApplication(c, end, &reply); },
       {calendar_.At(1, 12, 10), "demo-" + application});
    // The late meter taken out (its on-site test no longer due) and scrapped
    // (its verification no longer due).
    if (meter_case) RetireLateMeter(late_meter, calendar_.At(1, 12, 10));
    Tick(calendar_.At(1, 12, 11));
    // Day 15: a bill still unchecked five days before it is due, checked then.
    Tick(calendar_.At(1, 15, 9));
    if (!late_checked_bill_.first.empty()) {
      CheckBill(late_checked_bill_.first, late_checked_bill_.second, calendar_.At(1, 15, 10),
                "demo-account-" + late_checked_bill_.first);
    }
    Tick(calendar_.At(1, 15, 11));
    // Day 20: the city revises each missed target to the rate the county
    // reached, and the month is measured again (the KPI alerts resolve).
    ReviseMissedTargets(unit, calendar_.At(1, 20, 9));
    MeasureKpis(unit, calendar_.At(1, 20, 10));
    // The month's bills are due on the 20th: each dunning stage, then today.
    for (int day : {21, 26, 31}) Tick(calendar_.At(1, day, 9));
    Tick(absl::Now() - absl::Minutes(1));
    CountAlerts(unit);
  }

 private:
  // Receives, verifies (valid to day 5 of the month after), moves,
  // dispatches and installs a class I meter three months before that month;
  // false if a step failed.
  bool LateMeter(const std::string& bar_code) {
    return NewInstalledMeter(bar_code,
                             {v1::METER_TYPE_THREE_PHASE_TOU, absl::StrCat(tag_, "-", 199999), "",
                              calendar_.At(1, 5, 9), /*metering_class=*/1});
  }

  // Where a meter the demo installs goes, and until when its verification holds.
  struct Placement {
    v1::MeterType type;
    std::string account_id;      // an account's meter
    std::string supply_node_id;  // or a gateway meter at a supply node
    absl::Time verification_due;
    int metering_class;  // DL/T 448 I, II, III: on-site tests every 3, 6, 12 months
  };

  // Receives, verifies, dispatches and installs a meter (registers at 0)
  // two months before the billed month; false if a step failed.
  bool NewInstalledMeter(const std::string& bar_code, const Placement& placement) {
    const std::string correlation = "demo-" + bar_code;
    v1::CommandReply reply;
    v1::ReceiveMeterRequest receive;
    receive.set_command_id(NewUuid());
    v1::MeterReceived* m = receive.mutable_meter();
    m->set_bar_code(bar_code);
    m->set_asset_kind(v1::ASSET_KIND_METER);
    m->set_meter_type(placement.type);
    m->mutable_accuracy_class()->set_class_tenths(10);
    m->set_manufacturer("Linyang");
    m->set_batch("2026-B11");
    m->set_store_tier(v1::STORE_TIER_PROVINCE);
    m->set_store_id("sn-central");
    v1::RecordCalibrationRequest calibrate;
    calibrate.set_command_id(NewUuid());
    v1::MeterCalibrated* c = calibrate.mutable_calibration();
    c->set_bar_code(bar_code);
    c->set_passed(true);
    c->set_certificate_no("JD-" + bar_code);
    c->set_verifier("verifier-1");
    *c->mutable_verified_on() = domain::ToDate(domain::UtilityDay(calendar_.At(-2, 1, 9)) - 1);
    *c->mutable_next_due() = domain::ToDate(domain::UtilityDay(placement.verification_due));
    for (int load : {50, 100, 1000}) {
      v1::LoadPointResult* p = c->add_load_points();
      p->set_load_permille_of_ib(load);
      p->set_power_factor_hundredths(100);
      p->set_error_ppm(100);
    }
    v1::DispatchMeterRequest dispatch;
    dispatch.set_command_id(NewUuid());
    dispatch.mutable_dispatch()->set_bar_code(bar_code);
    dispatch.mutable_dispatch()->set_work_order("WO-" + bar_code);
    dispatch.mutable_dispatch()->set_to_org_unit("sn/xa/" + tag_);  // the county's from now on
    v1::InstallMeterRequest install;
    install.set_command_id(NewUuid());
    v1::MeterInstalled* i = install.mutable_installation();
    i->set_bar_code(bar_code);
    i->set_account_id(placement.account_id);
    i->set_supply_node_id(placement.supply_node_id);
    i->set_metering_class(placement.metering_class);
    *i->mutable_installed_at() = domain::ToTimestamp(calendar_.At(-2, 1, 10));
    return Do("metering_technician", "receive meter",
              [&](grpc::ClientContext* ctx) {
                return metering_->ReceiveMeter(ctx, receive, &reply);
              },
              {calendar_.At(-3, 20, 9), correlation}) &&
           Do("metering_technician", "calibrate meter",
              [&](grpc::ClientContext* ctx) {
                return metering_->RecordCalibration(ctx, calibrate, &reply);
              },
              {calendar_.At(-2, 1, 8) - absl::Hours(24), correlation}) &&
           Do("metering_technician", "dispatch meter",
              [&](grpc::ClientContext* ctx) {
                return metering_->DispatchMeter(ctx, dispatch, &reply);
              },
              {calendar_.At(-2, 1, 8), correlation}) &&
           Do("metering_technician", "install meter",
              [&](grpc::ClientContext* ctx) {
                return metering_->InstallMeter(ctx, install, &reply);
              },
              {std::nullopt, correlation});
  }

  void RetireLateMeter(const std::string& bar_code, absl::Time at) {
    const std::string correlation = "demo-" + bar_code;
    v1::CommandReply reply;
    v1::RemoveMeterRequest remove;
    remove.set_command_id(NewUuid());
    remove.mutable_removal()->set_bar_code(bar_code);
    remove.mutable_removal()->set_reason(v1::REMOVAL_REASON_FAULT);
    remove.mutable_removal()->mutable_final_registers()->set_total_wh(1000);
    v1::ScrapMeterRequest scrap;
    scrap.set_command_id(NewUuid());
    scrap.set_bar_code(bar_code);
    scrap.set_reason("verification lapsed; replaced");
    if (Do("metering_technician", "remove late meter",
           [&](grpc::ClientContext* ctx) { return metering_->RemoveMeter(ctx, remove, &reply); },
           {at, correlation})) {
      Do("metering_technician", "scrap late meter",
         [&](grpc::ClientContext* ctx) { return metering_->ScrapMeter(ctx, scrap, &reply); },
         {at + absl::Minutes(30), correlation});
    }
  }

  // Step 0 checks the late read (it is flagged: no use), step 1 accepts it
  // and bills the account.
  void LateReadStep(int step, absl::Time at) {
    const LateRead& r = late_read_;
    v1::CommandReply reply;
    if (step == 0) {
      v1::CheckReadRequest check;
      check.set_command_id(NewUuid());
      check.set_account_id(r.account_id);
      check.set_read_id(r.read_id);
      v1::CheckReadReply checked;
      if (Do("bill_checker", "check late read",
             [&](grpc::ClientContext* c) { return billing_->CheckRead(c, check, &checked); },
             {at, r.correlation}) &&
          !checked.check().passed()) {
        ++totals_->flagged;
      }
      return;
    }
    v1::DecideReadRequest decide;
    decide.set_command_id(NewUuid());
    decide.set_account_id(r.account_id);
    decide.set_read_id(r.read_id);
    decide.set_decision(v1::READ_DECISION_ACCEPT);
    decide.set_reason("premises empty this month: confirmed on site");
    if (!Do("bill_checker", "decide late read",
            [&](grpc::ClientContext* c) { return billing_->DecideRead(c, decide, &reply); },
            {at, r.correlation})) {
      return;
    }
    std::mt19937_64 random(static_cast<uint64_t>(r.index));
    Bill(r.account_id, r.index, random, r.correlation);
  }

  void Tick(absl::Time at) {
    v1::RecordClockTickRequest r;
    r.set_command_id(NewUuid());
    *r.mutable_at() = domain::ToTimestamp(std::min(at, absl::Now() - absl::Minutes(1)));
    v1::CommandReply reply;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    context.AddMetadata("authorization", "Bearer " + tokens_["admin"]);
    grpc::Status status = marketing_->RecordClockTick(&context, r, &reply);
    // A clock already past this time (an earlier demo on the same data) is
    // not a failure: the tick is simply not needed.
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      ++totals_->ticks_behind;
      return;
    }
    Do("admin", "clock tick", [&status](grpc::ClientContext*) { return status; });
    if (status.ok()) ++totals_->ticks;
  }

  void LateApplication(const std::string& id, const std::string& unit, absl::Time at) {
    v1::SubmitApplicationRequest submit;
    submit.set_command_id(NewUuid());
    v1::ApplicationSubmitted* a = submit.mutable_application();
    a->set_application_id(id);
    a->set_application_type(v1::APPLICATION_TYPE_NEW_CONNECTION);
    a->set_customer_name("Late applicant");
    a->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    a->set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
    a->set_supply_mode(v1::SUPPLY_MODE_LOW_VOLTAGE);
    a->set_requested_capacity_kva(8);
    a->set_org_unit(unit);
    *a->mutable_submitted_at() = domain::ToTimestamp(at);
    v1::CommandReply reply;
    if (!Do("customer_service", "submit late application", [&](grpc::ClientContext* c) {
          return customer_->SubmitApplication(c, submit, &reply);
        })) {
      return;
    }
    v1::AcceptApplicationRequest accept;
    accept.set_command_id(NewUuid());
    accept.set_application_id(id);
    Do("customer_service", "accept late application",
       [&](grpc::ClientContext* c) { return customer_->AcceptApplication(c, accept, &reply); },
       {at + absl::Hours(1), "demo-" + id});
  }

  void LateTicketOpened(const std::string& id, const std::string& unit, absl::Time at) {
    v1::OpenTicketRequest open;
    open.set_command_id(NewUuid());
    v1::ServiceTicketOpened* t = open.mutable_ticket();
    t->set_ticket_id(id);
    t->set_category(v1::TICKET_CATEGORY_FAULT_REPAIR);
    t->set_area(v1::SERVICE_AREA_URBAN);
    t->set_org_unit(unit);
    *t->mutable_opened_at() = domain::ToTimestamp(at);
    v1::CommandReply reply;
    Do("customer_service", "open late ticket",
       [&](grpc::ClientContext* c) { return customer_->OpenTicket(c, open, &reply); });
  }

  // Step 0 dispatches, 1 records the crew on site, 2 resolves.
  void TicketStep(const std::string& id, int step, absl::Time at) {
    v1::AdvanceTicketRequest r;
    r.set_command_id(NewUuid());
    r.set_ticket_id(id);
    if (step == 0) r.mutable_dispatched()->set_crew("crew-late");
    if (step == 1) r.mutable_on_site();
    if (step == 2) r.mutable_resolved()->set_resolution("restored at last");
    v1::CommandReply reply;
    Do("customer_service", "late ticket step",
       [&](grpc::ClientContext* c) { return customer_->AdvanceTicket(c, r, &reply); },
       {at, "demo-" + id});
  }

  // The meter installed on the county's first account (a replacement's when
  // the first failed verification), or empty.
  std::string FirstInstalledMeter() {
    for (const std::string& bar_code :
         {absl::StrCat("M-", tag_, "-0"), absl::StrCat("M-", tag_, "-0R")}) {
      v1::GetMeterRequest get;
      get.set_bar_code(bar_code);
      v1::MeterState meter;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + tokens_["metering_technician"]);
      if (metering_->GetMeter(&context, get, &meter).ok() &&
          meter.state() == v1::METER_LIFECYCLE_STATE_INSTALLED) {
        return bar_code;
      }
    }
    return "";
  }

  void IssueVoucher(const std::string& id, const std::string& unit, absl::Time at) {
    voucher_meter_ = FirstInstalledMeter();
    if (voucher_meter_.empty()) return;
    v1::IssueWorkVoucherRequest issue;
    issue.set_command_id(NewUuid());
    v1::WorkVoucherIssued* v = issue.mutable_voucher();
    v->set_voucher_id(id);
    v->set_work(v1::VOUCHER_WORK_READ_ON_SITE);
    v->set_meter_bar_code(voucher_meter_);
    v->set_org_unit(unit);
    *v->mutable_due_on() = domain::ToDate(domain::UtilityDay(at) + 2);
    v1::CommandReply reply;
    if (!Do("metering_technician", "issue voucher",
            [&](grpc::ClientContext* c) { return metering_->IssueWorkVoucher(c, issue, &reply); },
            {at, "demo-" + id})) {
      voucher_meter_.clear();
      return;
    }
    v1::DispatchWorkVoucherRequest dispatch;
    dispatch.set_command_id(NewUuid());
    dispatch.mutable_dispatch()->set_voucher_id(id);
    dispatch.mutable_dispatch()->set_crew("crew-meters");
    Do("metering_technician", "dispatch voucher",
       [&](grpc::ClientContext* c) { return metering_->DispatchWorkVoucher(c, dispatch, &reply); },
       {at + absl::Minutes(30), "demo-" + id});
  }

  void FinishVoucher(const std::string& id, absl::Time on_site, absl::Time completed) {
    if (voucher_meter_.empty()) return;
    v1::CommandReply reply;
    v1::RecordVoucherOnSiteRequest scan;
    scan.mutable_on_site()->set_voucher_id(id);
    scan.mutable_on_site()->set_scanned_bar_code(voucher_meter_ + "X");  // the wrong meter
    *scan.mutable_on_site()->mutable_arrived_at() = domain::ToTimestamp(on_site);
    {
      scan.set_command_id(NewUuid());
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + tokens_["field_crew"]);
      const grpc::Status wrong = metering_->RecordVoucherOnSite(&context, scan, &reply);
      if (wrong.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++totals_->wrong_scans_refused;
      }
    }
    scan.set_command_id(NewUuid());
    scan.mutable_on_site()->set_scanned_bar_code(voucher_meter_);
    if (!Do("field_crew", "voucher on site",
            [&](grpc::ClientContext* c) { return metering_->RecordVoucherOnSite(c, scan, &reply); },
            {on_site, "demo-" + id})) {
      return;
    }
    v1::CompleteWorkVoucherRequest complete;
    complete.set_command_id(NewUuid());
    complete.mutable_completion()->set_voucher_id(id);
    complete.mutable_completion()->set_result("registers read on site");
    *complete.mutable_completion()->mutable_completed_on() =
        domain::ToDate(domain::UtilityDay(completed));
    if (!Do("field_crew", "complete voucher",
            [&](grpc::ClientContext* c) {
              return metering_->CompleteWorkVoucher(c, complete, &reply);
            },
            {completed, "demo-" + id})) {
      return;
    }
    v1::VerifyWorkVoucherRequest verify;
    verify.set_command_id(NewUuid());
    verify.mutable_verification()->set_voucher_id(id);
    verify.mutable_verification()->set_accepted(true);
    if (Do("metering_technician", "verify voucher",
           [&](grpc::ClientContext* c) { return metering_->VerifyWorkVoucher(c, verify, &reply); },
           {completed + absl::Hours(2), "demo-" + id})) {
      ++totals_->vouchers;
    }
  }

  // The county's alerts by rule, once the engine has judged the last tick
  // (waits up to 30 s for the count to settle).
  void CountAlerts(const std::string& unit) {
    std::map<std::string, std::pair<int64_t, int64_t>> by_rule;
    int64_t last_total = -1;
    for (int attempt = 0; attempt < 60; ++attempt) {
      by_rule.clear();
      int64_t total = 0;
      v1::ListAlertsRequest request;
      request.set_org_unit(unit);
      request.set_page_size(1000);
      for (;;) {
        v1::AlertPage page;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + tokens_["marketing_manager"]);
        if (!supervision_->ListAlerts(&context, request, &page).ok()) break;
        for (const v1::AlertRecord& alert : page.alerts()) {
          auto& [raised, resolved] = by_rule[v1::SupervisionRule_Name(alert.raised().rule())];
          ++raised;
          if (alert.state() == v1::ALERT_STATE_RESOLVED) ++resolved;
          total += 1 + (alert.state() == v1::ALERT_STATE_RESOLVED ? 1 : 0);
        }
        if (page.next_page_token().empty()) break;
        request.set_page_token(page.next_page_token());
      }
      if (total > 0 && total == last_total) break;
      last_total = total;
      absl::SleepFor(absl::Milliseconds(500));
    }
    std::lock_guard<std::mutex> lock(totals_->mu);
    totals_->alerts_by_rule = std::move(by_rule);
  }

  void CheckBill(const std::string& account_id, const std::string& bill_id, absl::Time at,
                 const std::string& correlation) {
    v1::CommandReply reply;
    v1::CheckBillRequest check;
    check.set_command_id(NewUuid());
    check.set_account_id(account_id);
    check.set_bill_id(bill_id);
    Do("bill_checker", "check bill",
       [&](grpc::ClientContext* c) { return billing_->CheckBill(c, check, &reply); },
       {at, correlation});
  }

  // The account whose bill is checked late, on the supervision clock.
  static constexpr int kLateCheckedAccount = 1;
  // The account whose read is checked late (flagged) and decided late.
  static constexpr int kLateReadAccount = 2;
  struct LateRead {
    std::string account_id, read_id, correlation;
    int index = 0;
  };
  LateRead late_read_;  // set once, by the worker of that account
  std::pair<std::string, std::string> late_checked_bill_;  // account, bill; set once
  std::string voucher_meter_;  // the meter of the demo's voucher; empty: none

  std::string TariffId(const std::string& kind) const { return absl::StrCat(kind, "-", tag_); }

  // The meter's life up to its installation on the account, in the months
  // before: its bar code (a replacement's when the first failed
  // verification), or nullopt when a step failed.
  std::optional<std::string> Meter(const std::string& bar_code, const std::string& account_id,
                                   bool single_phase, std::mt19937_64& random) {
    const std::string correlation = absl::StrCat("demo-account-", account_id);
    v1::CommandReply reply;
    v1::ReceiveMeterRequest receive;
    receive.set_command_id(NewUuid());
    auto* m = receive.mutable_meter();
    m->set_bar_code(bar_code);
    m->set_asset_kind(v1::ASSET_KIND_METER);
    m->set_meter_type(single_phase ? v1::METER_TYPE_SINGLE_PHASE : v1::METER_TYPE_THREE_PHASE_TOU);
    m->mutable_accuracy_class()->set_class_tenths(single_phase ? 20 : 10);
    m->set_manufacturer(random() % 2 ? "Weisheng" : "Linyang");
    m->set_batch("2026-B11");
    m->set_store_tier(v1::STORE_TIER_PROVINCE);
    m->set_store_id("sn-central");
    if (!Do("metering_technician", "receive meter",
            [&](grpc::ClientContext* c) { return metering_->ReceiveMeter(c, receive, &reply); },
            {calendar_.At(-3, 20, 9), correlation})) {
      return std::nullopt;
    }
    ++totals_->meters;
    // About 3 % fail their first verification; they are scrapped and replaced.
    const bool fails = random() % 100 < 3;
    v1::RecordCalibrationRequest calibrate;
    calibrate.set_command_id(NewUuid());
    auto* c = calibrate.mutable_calibration();
    c->set_bar_code(bar_code);
    c->set_passed(!fails);
    c->set_certificate_no(absl::StrCat("JD-", bar_code));
    c->set_verifier("verifier-1");
    *c->mutable_verified_on() = domain::ToDate(domain::UtilityDay(calendar_.At(-3, 22, 9)));
    const int limit = single_phase ? 20000 : 10000;
    for (int load : {50, 100, 1000}) {
      auto* p = c->add_load_points();
      p->set_load_permille_of_ib(load);
      p->set_power_factor_hundredths(100);
      p->set_error_ppm(fails ? limit + 7000 : static_cast<int>(random() % (limit / 2)) - limit / 4);
    }
    Do("metering_technician", "calibrate",
       [&](grpc::ClientContext* ctx) {
         return metering_->RecordCalibration(ctx, calibrate, &reply);
       },
       {std::nullopt, correlation});
    if (fails) {
      ++totals_->calibration_failures;
      v1::ScrapMeterRequest scrap;
      scrap.set_command_id(NewUuid());
      scrap.set_bar_code(bar_code);
      scrap.set_reason("failed first verification");
      Do("metering_technician", "scrap",
         [&](grpc::ClientContext* ctx) { return metering_->ScrapMeter(ctx, scrap, &reply); },
         {calendar_.At(-3, 23, 9), correlation});
      return Meter(bar_code + "R", account_id, single_phase, random);
    }
    v1::MoveMeterRequest move;
    move.set_command_id(NewUuid());
    move.set_bar_code(bar_code);
    move.set_to_tier(v1::STORE_TIER_COUNTY);
    move.set_to_store_id("county-" + tag_);
    v1::DispatchMeterRequest dispatch;
    dispatch.set_command_id(NewUuid());
    dispatch.mutable_dispatch()->set_bar_code(bar_code);
    dispatch.mutable_dispatch()->set_work_order("WO-" + account_id);
    v1::InstallMeterRequest install;
    install.set_command_id(NewUuid());
    install.mutable_installation()->set_bar_code(bar_code);
    install.mutable_installation()->set_account_id(account_id);
    install.mutable_installation()->set_metering_class(single_phase ? 3 : 2);
    *install.mutable_installation()->mutable_installed_at() =
        domain::ToTimestamp(calendar_.At(-2, 1, 10));
    const bool ok =
        Do("metering_technician", "move",
           [&](grpc::ClientContext* ctx) { return metering_->MoveMeter(ctx, move, &reply); },
           {calendar_.At(-3, 24, 9), correlation}) &&
        Do("metering_technician", "dispatch",
           [&](grpc::ClientContext* ctx) {
             return metering_->DispatchMeter(ctx, dispatch, &reply);
           },
           {calendar_.At(-3, 26, 9), correlation}) &&
        Do("metering_technician", "install",
           [&](grpc::ClientContext* ctx) { return metering_->InstallMeter(ctx, install, &reply); },
           {std::nullopt, correlation});
    if (!ok) return std::nullopt;
    ++totals_->installed;
    return bar_code;
  }

  // The read of the billed month + `offset` on `meter`, taken on the
  // month's last day (a re-read: on the 2nd of the month after), and its
  // check the next morning.
  // With `check` false the read is only recorded (the supervision case).
  bool ReadAndCheck(const std::string& account_id, const std::string& meter,
                    const std::string& read_id, int offset, const v1::Registers& registers,
                    const std::string& correlation, bool* passed = nullptr, bool reread = false,
                    bool check_it = true) {
    v1::RecordReadRequest read;
    read.set_command_id(NewUuid());
    auto* r = read.mutable_read();
    r->set_read_id(read_id);
    r->set_account_id(account_id);
    r->set_meter_bar_code(meter);
    *r->mutable_period() = calendar_.Period(offset);
    *r->mutable_registers() = registers;
    r->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
    const absl::Time read_at =
        reread ? calendar_.At(offset + 1, 2, 10) : calendar_.MonthEnd(offset, 10);
    *r->mutable_read_at() = domain::ToTimestamp(read_at);
    v1::CommandReply reply;
    if (!Do("meter_reader", "record read",
            [&](grpc::ClientContext* c) { return billing_->RecordRead(c, read, &reply); },
            {std::nullopt, correlation})) {
      return false;
    }
    ++totals_->reads;
    if (!check_it) return true;
    v1::CheckReadRequest check;
    check.set_command_id(NewUuid());
    check.set_account_id(account_id);
    check.set_read_id(read_id);
    v1::CheckReadReply checked;
    if (!Do("bill_checker", "check read",
            [&](grpc::ClientContext* c) { return billing_->CheckRead(c, check, &checked); },
            {read_at + absl::Hours(23), correlation})) {
      return false;
    }
    if (passed != nullptr) *passed = checked.check().passed();
    return true;
  }

  // Issued on the 2nd of the billed month, checked on the 3rd, paid on time.
  bool LastMonthsBill(const std::string& account_id, int i, const std::string& correlation) {
    v1::IssueBillRequest issue;
    issue.set_command_id(NewUuid());
    issue.set_account_id(account_id);
    issue.set_bill_id(absl::StrCat("B-", calendar_.Text(-1), "-", i));
    *issue.mutable_period() = calendar_.Period(-1);
    *issue.mutable_due_date() = calendar_.DueDate(-1);
    v1::IssueBillReply bill;
    if (!Do("bill_checker", "issue last month's bill",
            [&](grpc::ClientContext* c) { return billing_->IssueBill(c, issue, &bill); },
            {calendar_.At(0, 2, 10), correlation})) {
      return false;
    }
    v1::CommandReply reply;
    v1::CheckBillRequest check;
    check.set_command_id(NewUuid());
    check.set_account_id(account_id);
    check.set_bill_id(issue.bill_id());
    if (!Do("bill_checker", "check last month's bill",
            [&](grpc::ClientContext* c) { return billing_->CheckBill(c, check, &reply); },
            {calendar_.At(0, 3, 10), correlation})) {
      return false;
    }
    if (bill.bill().total_fen() == 0) return true;
    v1::PostPaymentRequest pay;
    pay.set_command_id(NewUuid());
    pay.set_account_id(account_id);
    pay.set_payment_id(absl::StrCat("P-", calendar_.Text(-1), "-", i));
    pay.set_amount_fen(bill.bill().total_fen());
    *pay.mutable_paid_on() = calendar_.PaidOnTime(-1);
    return Do("collector", "pay last month's bill",
              [&](grpc::ClientContext* c) { return billing_->PostPayment(c, pay, &reply); },
              {std::nullopt, correlation});
  }

  // The checker's decision on this month's flagged read (by the anomaly it
  // has: accepted, re-read, or estimated); false if a step failed.
  bool DecideFlagged(const std::string& account_id, const std::string& meter,
                     const std::string& read_id, int anomaly, const v1::Registers& this_month,
                     const std::string& correlation) {
    v1::CommandReply reply;
    ++totals_->flagged;
    v1::DecideReadRequest decide;
    decide.set_command_id(NewUuid());
    decide.set_account_id(account_id);
    decide.set_read_id(read_id);
    if (anomaly < 3) {
      decide.set_decision(v1::READ_DECISION_ACCEPT);
      decide.set_reason("confirmed with the customer: new workshop");
    } else if (anomaly < 5) {
      decide.set_decision(v1::READ_DECISION_REREAD);
      decide.set_reason("meter not reached");
      ++totals_->rereads;
    } else {
      decide.set_decision(v1::READ_DECISION_ESTIMATE);
      decide.set_reason("register fault; estimated");
      *decide.mutable_estimated_registers() = this_month;
      ++totals_->estimated;
    }
    Do("bill_checker", "decide read",
       [&](grpc::ClientContext* c) { return billing_->DecideRead(c, decide, &reply); },
       {calendar_.At(1, 1, 14), correlation});
    return decide.decision() != v1::READ_DECISION_REREAD ||
           ReadAndCheck(account_id, meter, read_id + "b", 0, this_month, correlation, nullptr,
                        /*reread=*/true);
  }

  // The billed month's bill: issued on the 2nd of the month after, checked
  // on the 3rd; paid (in full, in part, over) on the 15th, or unpaid, its
  // penalty accrued through yesterday (the last day that has passed).
  void Bill(const std::string& account_id, int i, std::mt19937_64& random,
            const std::string& correlation) {
    v1::IssueBillRequest issue;
    issue.set_command_id(NewUuid());
    issue.set_account_id(account_id);
    issue.set_bill_id(absl::StrCat("B-", calendar_.Text(), "-", i));
    *issue.mutable_period() = calendar_.Period();
    *issue.mutable_due_date() = calendar_.DueDate();
    v1::IssueBillReply bill;
    if (!Do("bill_checker", "issue bill",
            [&](grpc::ClientContext* c) { return billing_->IssueBill(c, issue, &bill); },
            {calendar_.At(1, 2, 10), correlation})) {
      return;
    }
    ++totals_->bills;
    totals_->billed_fen += bill.bill().total_fen();
    v1::CommandReply reply;
    if (i == kLateCheckedAccount && tokens_.count("admin")) {
      // Left unchecked: the supervision clock finds it near its due date
      // and the check comes late (Supervision).
      late_checked_bill_ = {account_id, issue.bill_id()};
    } else {
      CheckBill(account_id, issue.bill_id(), calendar_.At(1, 3, 10), correlation);
    }
    const int behaviour = static_cast<int>(random() % 100);
    if (behaviour < 5) {
      // Unpaid past the due date: the penalty through yesterday.
      ++totals_->unpaid;
      v1::AccruePenaltyRequest accrue;
      accrue.set_command_id(NewUuid());
      accrue.set_account_id(account_id);
      accrue.set_bill_id(issue.bill_id());
      *accrue.mutable_as_of() = calendar_.Yesterday();
      if (Do("bill_checker", "accrue penalty",
             [&](grpc::ClientContext* c) { return billing_->AccruePenalty(c, accrue, &reply); },
             {std::nullopt, correlation})) {
        ++totals_->penalties;
      }
      return;
    }
    int64_t amount = bill.bill().total_fen();
    if (behaviour < 15) {
      amount /= 2;
      ++totals_->partial;
    } else if (behaviour < 20) {
      amount += 5000;  // rounds up; the rest is credit
    }
    if (amount <= 0) return;
    v1::PostPaymentRequest pay;
    pay.set_command_id(NewUuid());
    pay.set_account_id(account_id);
    pay.set_payment_id(absl::StrCat("P-", i));
    pay.set_amount_fen(amount);
    pay.set_method(random() % 2 ? v1::PAYMENT_METHOD_MOBILE : v1::PAYMENT_METHOD_COUNTER);
    *pay.mutable_paid_on() = calendar_.PaidOnTime();
    if (Do("collector", "post payment",
           [&](grpc::ClientContext* c) { return billing_->PostPayment(c, pay, &reply); },
           {std::nullopt, correlation})) {
      totals_->collected_fen += amount;
    }
  }

  DemoTotals* totals_;
  std::map<std::string, std::string> tokens_;
  const std::string tag_;
  std::unique_ptr<v1::MeteringCenter::Stub> metering_;
  std::unique_ptr<v1::BillingCenter::Stub> billing_;
  std::unique_ptr<v1::CustomerServiceCenter::Stub> customer_;
  std::unique_ptr<v1::MarketingDepartment::Stub> marketing_;
  std::unique_ptr<v1::SupervisionQuery::Stub> supervision_;
  std::unique_ptr<v1::KpiQuery::Stub> kpis_;
  std::unique_ptr<v1::OutageQuery::Stub> outages_;
  std::unique_ptr<v1::ViewAdmin::Stub> views_;
  bool grid_ready_ = false;  // the supply network and its gateway meters are in
  const DemoCalendar calendar_;
};

}  // namespace

void DriveCountyMonth(const std::shared_ptr<grpc::Channel>& channel,
                      const std::map<std::string, std::string>& tokens, const std::string& tag,
                      const DemoPlan& plan, DemoTotals* totals) {
  Demo demo(channel, tokens, tag, totals);
  demo.OrgUnits();
  demo.Tariffs();
  if (plan.accounts > 0) demo.Grid();
  std::vector<std::thread> workers;
  workers.reserve(plan.threads);
  for (int t = 0; t < plan.threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 random(plan.seed * 1000 + t);
      for (int i = t; i < plan.accounts; i += plan.threads) demo.Account(i, random);
      demo.Applications(plan.applications * t / plan.threads,
                        plan.applications * (t + 1) / plan.threads, random);
      demo.Tickets(plan.tickets * t / plan.threads, plan.tickets * (t + 1) / plan.threads, random);
    });
  }
  for (auto& worker : workers) worker.join();
  if (plan.accounts > 0) {
    demo.WholesaleAndInspection();
    demo.GatewayReads();
    demo.Outages(plan.accounts);
  }
  if (tokens.count("admin")) demo.Supervision(plan.accounts > 0);
}

}  // namespace gridledger::cli
