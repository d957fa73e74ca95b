// Model tests of the billing-ledger and KPI views: a seeded random business
// (projections/testing/business_generator.h) is appended to a real embedded
// store; the views, built across restarts, must give the answers of a plain
// in-memory model computed from the same events, their money totals must
// equal the sums taken straight from the bill and payment events, and a view
// rebuilt from zero must equal the incrementally built one byte for byte.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"
#include "eventstore/event_store_factory.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "projections/views/kpi_view.h"
#include "projections/views/ledger_view.h"
#include "projections/views/view_keys.h"
#include "tests/testing/test_util.h"

namespace gridledger::projections {
namespace {

// What the views should say, folded plainly from the events.
struct Model {
  struct Bill {
    std::string unit;
    std::string period;
    v1::Date due;
    int64_t total = 0, paid = 0, penalty = 0, penalty_paid = 0;
    bool reversed = false;
    int64_t unpaid() const { return reversed ? 0 : total - paid + penalty - penalty_paid; }
  };
  struct Entry {
    v1::StatementEntryKind kind;
    int64_t amount;
    int64_t balance_after;
  };
  struct Account {
    std::string unit;
    int64_t balance = 0, credit = 0;
    std::vector<Entry> entries;
    std::map<std::string, Bill> bills;
    std::map<std::string, std::pair<v1::PaymentPosted, bool>> payments;  // posted, reversed
  };
  struct Totals {
    int64_t billed = 0, reversed = 0, collected = 0, penalty = 0;
  };
  struct Kpis {
    int64_t opened = 0, closed = 0, reads = 0, checked = 0, wrong = 0;
    int64_t apps = 0, apps_on_time = 0, tickets = 0, tickets_in_limit = 0;
    int64_t first = 0, first_passed = 0;
  };
  std::map<std::string, Account> accounts;
  std::map<std::pair<std::string, std::string>, Totals> totals;  // (unit, yyyymm)
  std::map<std::pair<std::string, std::string>, Kpis> kpis;
  std::set<std::pair<std::string, std::string>> read_periods;  // (account, yyyymm)
  std::map<std::string, std::string> read_period;              // read id → yyyymm
  std::map<std::string, std::string> app_unit, ticket_unit, meter_unit;
  std::map<std::string, int64_t> ticket_opened;
  std::map<std::string, v1::Date> meter_due;  // in service, verification due

  void Add(const std::string& unit, const std::string& period,
           const std::function<void(Totals&)>& change) {
    for (const std::string& u : UnitAndAncestors(unit)) change(totals[{u, period}]);
  }
  void Count(const std::string& unit, const std::string& period,
             const std::function<void(Kpis&)>& change) {
    for (const std::string& u : UnitAndAncestors(unit)) change(kpis[{u, period}]);
  }

  // An account's event: its statement, the ledger totals and the read KPIs.
  void ApplyAccount(const v1::EventEnvelope& e, const std::string& month) {
    const v1::DomainEvent& p = e.payload();
    Account& a = accounts[e.stream_id().substr(8)];
    auto post = [&](v1::StatementEntryKind kind, int64_t amount) {
      a.balance += amount;
      a.entries.push_back({kind, amount, a.balance});
    };
    switch (p.event_case()) {
      case v1::DomainEvent::kAccountOpened:
        a.unit = p.account_opened().org_unit();
        Count(a.unit, month, [](Kpis& k) { ++k.opened; });
        break;
      case v1::DomainEvent::kAccountClosed:
        Count(a.unit, month, [](Kpis& k) { ++k.closed; });
        break;
      case v1::DomainEvent::kBillIssued: {
        const auto& b = p.bill_issued();
        a.bills[b.bill_id()] = Bill{a.unit, PeriodKey(b.period()), b.due_date(), b.total_fen()};
        Add(a.unit, PeriodKey(b.period()), [&](Totals& t) { t.billed += b.total_fen(); });
        post(v1::STATEMENT_ENTRY_KIND_BILL, b.total_fen());
        break;
      }
      case v1::DomainEvent::kBackBillingIssued: {
        const auto& b = p.back_billing_issued();
        const int64_t total = b.amount_fen() + b.penalty_fen();
        a.bills[b.bill_id()] =
            Bill{a.unit, PeriodKey(b.to_period()), domain::UtilityDate(e.occurred_at()), total};
        Add(a.unit, PeriodKey(b.to_period()), [&](Totals& t) { t.billed += total; });
        post(v1::STATEMENT_ENTRY_KIND_BACK_BILLING, total);
        break;
      }
      case v1::DomainEvent::kBillReversed: {
        Bill& bill = a.bills[p.bill_reversed().bill_id()];
        bill.reversed = true;
        Add(a.unit, bill.period,
            [&](Totals& t) { t.reversed += p.bill_reversed().reversed_amount_fen(); });
        post(v1::STATEMENT_ENTRY_KIND_BILL_REVERSAL, -p.bill_reversed().reversed_amount_fen());
        break;
      }
      case v1::DomainEvent::kPaymentPosted: {
        const auto& pay = p.payment_posted();
        for (const auto& al : pay.allocations()) {
          Bill& bill = a.bills[al.bill_id()];
          (al.to_penalty() ? bill.penalty_paid : bill.paid) += al.amount_fen();
          if (!al.to_penalty()) {
            Add(a.unit, bill.period, [&](Totals& t) { t.collected += al.amount_fen(); });
          }
        }
        a.credit += pay.credit_fen();
        a.payments[pay.payment_id()] = {pay, false};
        post(v1::STATEMENT_ENTRY_KIND_PAYMENT, -pay.amount_fen());
        break;
      }
      case v1::DomainEvent::kPaymentReversed: {
        auto& [pay, reversed] = a.payments[p.payment_reversed().payment_id()];
        reversed = true;
        for (const auto& al : pay.allocations()) {
          Bill& bill = a.bills[al.bill_id()];
          (al.to_penalty() ? bill.penalty_paid : bill.paid) -= al.amount_fen();
          if (!al.to_penalty()) {
            Add(a.unit, bill.period, [&](Totals& t) { t.collected -= al.amount_fen(); });
          }
        }
        a.credit -= pay.credit_fen();
        post(v1::STATEMENT_ENTRY_KIND_PAYMENT_REVERSAL, p.payment_reversed().amount_fen());
        break;
      }
      case v1::DomainEvent::kPenaltyAccrued: {
        Bill& bill = a.bills[p.penalty_accrued().bill_id()];
        bill.penalty += p.penalty_accrued().amount_fen();
        Add(a.unit, bill.period, [&](Totals& t) { t.penalty += p.penalty_accrued().amount_fen(); });
        post(v1::STATEMENT_ENTRY_KIND_PENALTY, p.penalty_accrued().amount_fen());
        break;
      }
      case v1::DomainEvent::kMeterReadRecorded: {
        const std::string period = PeriodKey(p.meter_read_recorded().period());
        read_period[p.meter_read_recorded().read_id()] = period;
        if (read_periods.insert({e.stream_id(), period}).second) {
          Count(a.unit, period, [](Kpis& k) { ++k.reads; });
        }
        break;
      }
      case v1::DomainEvent::kMeterReadChecked:
        Count(a.unit, read_period[p.meter_read_checked().read_id()], [](Kpis& k) { ++k.checked; });
        break;
      case v1::DomainEvent::kReadCheckDecided:
        if (p.read_check_decided().decision() != v1::READ_DECISION_ACCEPT) {
          Count(a.unit, read_period[p.read_check_decided().read_id()], [](Kpis& k) { ++k.wrong; });
        }
        break;
      default:
        break;
    }
  }

  void Apply(const v1::EventEnvelope& e) {
    const v1::DomainEvent& p = e.payload();
    const std::string month = PeriodKey(PeriodOf(domain::UtilityDate(e.occurred_at())));
    if (e.stream_id().rfind("account-", 0) == 0) {
      ApplyAccount(e, month);
    } else if (p.has_application_submitted()) {
      app_unit[p.application_submitted().application_id()] = p.application_submitted().org_unit();
    } else if (p.has_application_closed()) {
      Count(app_unit[p.application_closed().application_id()], month, [&](Kpis& k) {
        ++k.apps;
        if (p.application_closed().on_time()) ++k.apps_on_time;
      });
    } else if (p.has_service_ticket_opened()) {
      ticket_unit[p.service_ticket_opened().ticket_id()] = p.service_ticket_opened().org_unit();
      ticket_opened[p.service_ticket_opened().ticket_id()] =
          p.service_ticket_opened().opened_at().seconds();
    } else if (p.has_service_ticket_on_site()) {
      const std::string& id = p.service_ticket_on_site().ticket_id();
      google::protobuf::Timestamp opened;
      opened.set_seconds(ticket_opened[id]);
      Count(ticket_unit[id], PeriodKey(PeriodOf(domain::UtilityDate(opened))), [&](Kpis& k) {
        ++k.tickets;
        if (p.service_ticket_on_site().within_limit()) ++k.tickets_in_limit;
      });
    } else if (e.stream_id().rfind("meter-", 0) == 0) {
      const std::string bar = e.stream_id().substr(6);
      if (p.has_meter_received()) meter_unit[bar] = e.actor().org_unit();
      if (p.has_meter_dispatched()) meter_unit[bar] = p.meter_dispatched().to_org_unit();
      if (p.has_meter_scrapped()) meter_due.erase(bar);
      if (p.has_meter_calibrated()) {
        const auto& c = p.meter_calibrated();
        if (c.passed()) {
          meter_due[bar] = c.next_due();
        } else {
          meter_due.erase(bar);
        }
        if (c.first_verification()) {
          Count(meter_unit[bar], PeriodKey(PeriodOf(c.verified_on())), [&](Kpis& k) {
            ++k.first;
            if (c.passed()) ++k.first_passed;
          });
        }
      }
    }
  }
};

int64_t Bp(int64_t n, int64_t d) { return d <= 0 ? 0 : (n * 10000 + d / 2) / d; }

const v1::KpiValue* Find(const v1::KpiReport& report, v1::Kpi kpi, const std::string& measure) {
  for (const v1::KpiValue& v : report.values()) {
    if (v.kpi() == kpi && v.measure() == measure && v.breakdown().empty()) return &v;
  }
  return nullptr;
}

class LedgerKpiModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + dir_.path() + "/store");
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
  }

  void Generate(int events) {
    for (int i = 0; i < events; ++i) {
      absl::StatusOr<eventstore::AppendResult> appended = store_->Append(generator_.Next());
      ASSERT_TRUE(appended.ok()) << appended.status();
    }
  }

  std::unique_ptr<ProjectionRunner> Runner(std::unique_ptr<View> view, const std::string& name) {
    auto runner = ProjectionRunner::Open(store_.get(), std::move(view), dir_.path() + "/" + name);
    EXPECT_TRUE(runner.ok()) << runner.status();
    return *std::move(runner);
  }

  // Catches both views up, reopening them from disk first (a restart).
  void CatchUpAcrossRestart() {
    ledger_.reset();
    kpi_.reset();
    ledger_ = Runner(std::make_unique<LedgerView>(), "ledger");
    kpi_ = Runner(std::make_unique<KpiView>(), "kpi");
    ASSERT_TRUE(ledger_->CatchUp().ok());
    ASSERT_TRUE(kpi_->CatchUp().ok());
  }

  Model Fold() {
    Model model;
    v1::Checkpoint from;
    while (true) {
      absl::StatusOr<eventstore::ReadAllResult> chunk = store_->ReadAll(from, 4096);
      EXPECT_TRUE(chunk.ok());
      if (!chunk.ok() || chunk->events.empty()) break;
      for (const v1::EventEnvelope& event : chunk->events) {
        model.Apply(event);
        events_.push_back(event);
      }
      from = chunk->next;
    }
    return model;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
  testing::BusinessGenerator generator_{20261126, 300, 400};
  std::unique_ptr<ProjectionRunner> ledger_, kpi_;
  std::vector<v1::EventEnvelope> events_;
};

v1::Date Date(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

v1::Period Period(int year, int month) {
  v1::Period period;
  period.set_year(year);
  period.set_month(month);
  return period;
}

TEST_F(LedgerKpiModelTest, ViewsBuiltAcrossRestartsAnswerAsTheModel) {
  Generate(4000);
  CatchUpAcrossRestart();
  Generate(4000);
  CatchUpAcrossRestart();
  Generate(4000);
  CatchUpAcrossRestart();
  const Model model = Fold();
  ASSERT_EQ(events_.size(), 12000u);
  const v1::Date as_of = Date(2026, 12, 31);
  ViewReader ledger(ledger_->db());
  ViewReader kpi(kpi_->db());
  EXPECT_EQ(ledger.reflects().next(0).offset(), 12000);

  int entries = 0;
  for (const auto& [id, account] : model.accounts) {
    // The statement, 7 entries a page.
    std::vector<v1::StatementEntry> statement;
    std::string token;
    do {
      absl::StatusOr<v1::Statement> page = ReadStatement(ledger, id, 7, token);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const auto& entry : page->entries()) statement.push_back(entry);
      EXPECT_EQ(page->balance_fen(), account.balance) << id;
      token = page->next_page_token();
    } while (!token.empty());
    ASSERT_EQ(statement.size(), account.entries.size()) << id;
    for (size_t i = 0; i < statement.size(); ++i) {
      EXPECT_EQ(statement[i].kind(), account.entries[i].kind) << id << " #" << i;
      EXPECT_EQ(statement[i].amount_fen(), account.entries[i].amount) << id << " #" << i;
      EXPECT_EQ(statement[i].balance_after_fen(), account.entries[i].balance_after) << id;
      EXPECT_EQ(statement[i].sequence(), static_cast<int64_t>(i + 1));
    }
    entries += static_cast<int>(statement.size());
    // Balance and arrears.
    absl::StatusOr<v1::AccountBalance> balance = ReadBalance(ledger, id, as_of);
    ASSERT_TRUE(balance.ok());
    EXPECT_EQ(balance->balance_fen(), account.balance);
    EXPECT_EQ(balance->credit_fen(), account.credit);
    int64_t unpaid = 0;
    int open = 0;
    for (const auto& [bill_id, bill] : account.bills) {
      unpaid += bill.unpaid();
      open += bill.unpaid() > 0;
    }
    EXPECT_EQ(balance->arrears().total_fen(), unpaid) << id;
    EXPECT_EQ(balance->open_bills_size(), open) << id;
    // What is owed less what is in credit is the balance.
    EXPECT_EQ(unpaid - account.credit, account.balance) << id;
  }
  EXPECT_GT(entries, 3000);

  std::set<std::string> units;
  for (const std::string& unit : testing::BusinessGenerator::OrgUnits()) {
    for (const std::string& u : UnitAndAncestors(unit)) units.insert(u);
  }
  int compared = 0;
  for (const std::string& unit : units) {
    absl::StatusOr<v1::PeriodTotalsReply> totals =
        ReadPeriodTotals(ledger, unit, Period(2026, 1), Period(2026, 12));
    ASSERT_TRUE(totals.ok());
    for (const v1::PeriodTotals& t : totals->periods()) {
      const Model::Totals& m = model.totals.at({unit, PeriodKey(t.period())});
      EXPECT_EQ(t.billed_fen(), m.billed) << unit;
      EXPECT_EQ(t.reversed_fen(), m.reversed) << unit;
      EXPECT_EQ(t.collected_fen(), m.collected) << unit;
      EXPECT_EQ(t.penalty_fen(), m.penalty) << unit;
      EXPECT_EQ(t.outstanding_fen(), m.billed - m.reversed - m.collected) << unit;
      ++compared;
    }
    // KPIs: every month of 2026 (calibrations also in earlier years).
    int64_t planned = 0;
    for (int year = 2017; year <= 2026; ++year) {
      for (int month = 1; month <= 12; ++month) {
        const std::string key = PeriodKey(Period(year, month));
        auto it = model.kpis.find({unit, key});
        const Model::Kpis m = it == model.kpis.end() ? Model::Kpis{} : it->second;
        planned += m.opened;
        absl::StatusOr<v1::KpiReport> report = ReadKpis(kpi, unit, Period(year, month), as_of);
        ASSERT_TRUE(report.ok()) << report.status();
        const v1::KpiValue* completion = Find(*report, v1::KPI_READ_COMPLETION_RATE, "rate");
        ASSERT_NE(completion, nullptr);
        EXPECT_EQ(completion->numerator(), m.reads) << unit << " " << key;
        EXPECT_EQ(completion->denominator(), planned) << unit << " " << key;
        EXPECT_EQ(completion->value(), Bp(m.reads, planned));
        const v1::KpiValue* error = Find(*report, v1::KPI_READ_ERROR_RATE, "rate");
        EXPECT_EQ(error->numerator(), m.wrong) << unit << " " << key;
        EXPECT_EQ(error->denominator(), m.checked) << unit << " " << key;
        auto t = model.totals.find({unit, key});
        const Model::Totals money = t == model.totals.end() ? Model::Totals{} : t->second;
        const v1::KpiValue* recovery = Find(*report, v1::KPI_FEE_RECOVERY_RATE, "rate");
        EXPECT_EQ(recovery->numerator(), money.collected) << unit << " " << key;
        EXPECT_EQ(recovery->denominator(), money.billed - money.reversed) << unit << " " << key;
        const v1::KpiValue* apps = Find(*report, v1::KPI_APPLICATION_ON_TIME_RATE, "rate");
        EXPECT_EQ(apps->numerator(), m.apps_on_time) << unit << " " << key;
        EXPECT_EQ(apps->denominator(), m.apps) << unit << " " << key;
        const v1::KpiValue* tickets =
            Find(*report, v1::KPI_TICKET_ON_SITE_WITHIN_LIMIT_RATE, "rate");
        EXPECT_EQ(tickets->numerator(), m.tickets_in_limit) << unit << " " << key;
        EXPECT_EQ(tickets->denominator(), m.tickets) << unit << " " << key;
        const v1::KpiValue* calibration = Find(*report, v1::KPI_CALIBRATION_PASS_RATE, "rate");
        EXPECT_EQ(calibration->numerator(), m.first_passed) << unit << " " << key;
        EXPECT_EQ(calibration->denominator(), m.first) << unit << " " << key;
        planned -= m.closed;
        ++compared;
      }
    }
    // Arrears and overdue meters as of the date, whole unit.
    absl::StatusOr<v1::KpiReport> report = ReadKpis(kpi, unit, Period(2026, 12), as_of);
    ASSERT_TRUE(report.ok());
    int64_t arrears = 0;
    for (const auto& [id, account] : model.accounts) {
      if (account.unit != unit && account.unit.rfind(unit + "/", 0) != 0) continue;
      for (const auto& [bill_id, bill] : account.bills) arrears += bill.unpaid();
    }
    EXPECT_EQ(Find(*report, v1::KPI_ARREARS, "total")->value(), arrears) << unit;
    int64_t overdue = 0;
    for (const auto& [bar, due] : model.meter_due) {
      const std::string& u = model.meter_unit.at(bar);
      if ((u == unit || u.rfind(unit + "/", 0) == 0) && DateKey(due) < DateKey(as_of)) ++overdue;
    }
    EXPECT_EQ(Find(*report, v1::KPI_METERS_OVERDUE_FOR_VERIFICATION, "total")->value(), overdue)
        << unit;
  }
  EXPECT_GT(compared, 500);
}

TEST_F(LedgerKpiModelTest, LedgerTotalsEqualTheSumsOfBillAndPaymentEvents) {
  Generate(6000);
  CatchUpAcrossRestart();
  Fold();
  int64_t billed = 0, reversed = 0, collected = 0, penalties = 0, paid = 0, repaid = 0;
  std::map<std::string, v1::PaymentPosted> payments;
  for (const v1::EventEnvelope& e : events_) {
    const v1::DomainEvent& p = e.payload();
    if (p.has_bill_issued()) billed += p.bill_issued().total_fen();
    if (p.has_back_billing_issued()) {
      billed += p.back_billing_issued().amount_fen() + p.back_billing_issued().penalty_fen();
    }
    if (p.has_bill_reversed()) reversed += p.bill_reversed().reversed_amount_fen();
    if (p.has_penalty_accrued()) penalties += p.penalty_accrued().amount_fen();
    if (p.has_payment_posted()) {
      payments[p.payment_posted().payment_id()] = p.payment_posted();
      paid += p.payment_posted().amount_fen();
      for (const auto& a : p.payment_posted().allocations()) {
        if (!a.to_penalty()) collected += a.amount_fen();
      }
    }
    if (p.has_payment_reversed()) {
      repaid += p.payment_reversed().amount_fen();
      for (const auto& a : payments[p.payment_reversed().payment_id()].allocations()) {
        if (!a.to_penalty()) collected -= a.amount_fen();
      }
    }
  }
  ASSERT_GT(billed, 0);
  ASSERT_GT(collected, 0);
  ViewReader ledger(ledger_->db());
  absl::StatusOr<v1::PeriodTotalsReply> totals =
      ReadPeriodTotals(ledger, "sn", Period(2026, 1), Period(2026, 12));
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->total().billed_fen(), billed);
  EXPECT_EQ(totals->total().reversed_fen(), reversed);
  EXPECT_EQ(totals->total().collected_fen(), collected);
  EXPECT_EQ(totals->total().penalty_fen(), penalties);
  EXPECT_EQ(totals->total().outstanding_fen(), billed - reversed - collected);
  // And the balances of all accounts add up to every charge less every payment.
  int64_t balances = 0;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<v1::AccountBalance> balance =
        ReadBalance(ledger, absl::StrCat("A", i), Date(2026, 12, 31));
    if (absl::IsNotFound(balance.status())) continue;
    ASSERT_TRUE(balance.ok());
    balances += balance->balance_fen();
  }
  EXPECT_EQ(balances, billed - reversed + penalties - paid + repaid);
  // The KPI view keeps its own copy of the same ledger state: same totals.
  ViewReader kpi(kpi_->db());
  absl::StatusOr<v1::PeriodTotalsReply> kpi_totals =
      ReadPeriodTotals(kpi, "sn", Period(2026, 1), Period(2026, 12));
  ASSERT_TRUE(kpi_totals.ok());
  EXPECT_EQ(kpi_totals->total().SerializeAsString(), totals->total().SerializeAsString());
}

TEST_F(LedgerKpiModelTest, RebuiltViewsEqualIncrementallyBuiltOnes) {
  Generate(3000);
  CatchUpAcrossRestart();
  Generate(3000);
  CatchUpAcrossRestart();
  auto ledger = Runner(std::make_unique<LedgerView>(), "ledger-rebuilt");
  auto kpi = Runner(std::make_unique<KpiView>(), "kpi-rebuilt");
  ASSERT_TRUE(ledger->CatchUp().ok());
  ASSERT_TRUE(kpi->CatchUp().ok());
  const auto incremental = testing::DumpRocksDb(ledger_->db());
  EXPECT_GT(incremental.size(), 1000u);
  EXPECT_EQ(testing::DumpRocksDb(ledger->db()), incremental);
  EXPECT_EQ(testing::DumpRocksDb(kpi->db()), testing::DumpRocksDb(kpi_->db()));
}

// A v1 payment's one allocation paid a bill's principal and its penalty
// together; the ledger reads it as principal up to what was unpaid, then
// penalty (P-ALLOCATION), so paid never exceeds the principal, and undoes
// that split when the payment is reversed.
TEST_F(LedgerKpiModelTest, AVersionOneAllocationPaysPrincipalThenPenalty) {
  int command = 0;
  auto append = [&](v1::DomainEvent payload) {
    eventstore::AppendRequest request;
    request.stream_id = "account-V1";
    request.command_id = absl::StrCat("v1-", ++command);
    v1::EventEnvelope& event = request.events.emplace_back();
    event.set_type(eventstore::EventTypeOf(payload));
    event.mutable_occurred_at()->set_seconds(1767196800);
    *event.mutable_payload() = std::move(payload);
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
  };
  v1::DomainEvent e;
  e.mutable_account_opened()->set_account_id("V1");
  e.mutable_account_opened()->set_org_unit("sn/xa/huyi");
  append(e);
  e.Clear();
  e.mutable_bill_issued()->set_bill_id("B1");
  *e.mutable_bill_issued()->mutable_period() = Period(2026, 11);
  *e.mutable_bill_issued()->mutable_due_date() = Date(2026, 12, 20);
  e.mutable_bill_issued()->set_total_fen(1000);
  append(e);
  e.Clear();
  e.mutable_penalty_accrued()->set_bill_id("B1");
  e.mutable_penalty_accrued()->set_amount_fen(100);
  append(e);
  e.Clear();
  e.mutable_payment_posted()->set_payment_id("P1");
  e.mutable_payment_posted()->set_amount_fen(1100);
  auto* allocation = e.mutable_payment_posted()->add_allocations();
  allocation->set_bill_id("B1");
  allocation->set_amount_fen(1100);
  append(e);
  CatchUpAcrossRestart();
  {
    ViewReader ledger(ledger_->db());
    absl::StatusOr<v1::PeriodTotalsReply> totals =
        ReadPeriodTotals(ledger, "sn", Period(2026, 11), Period(2026, 11));
    ASSERT_TRUE(totals.ok());
    EXPECT_EQ(totals->total().collected_fen(), 1000);
    EXPECT_EQ(totals->total().penalty_collected_fen(), 100);
    absl::StatusOr<v1::AccountBalance> balance = ReadBalance(ledger, "V1", Date(2027, 1, 1));
    ASSERT_TRUE(balance.ok());
    EXPECT_EQ(balance->balance_fen(), 0);
    EXPECT_EQ(balance->open_bills_size(), 0);
  }
  e.Clear();
  e.mutable_payment_reversed()->set_payment_id("P1");
  e.mutable_payment_reversed()->set_amount_fen(1100);
  append(e);
  CatchUpAcrossRestart();
  ViewReader after(ledger_->db());
  absl::StatusOr<v1::AccountBalance> balance = ReadBalance(after, "V1", Date(2027, 1, 1));
  ASSERT_TRUE(balance.ok());
  ASSERT_EQ(balance->open_bills_size(), 1);
  EXPECT_EQ(balance->open_bills(0).paid_fen(), 0);
  EXPECT_EQ(balance->open_bills(0).penalty_paid_fen(), 0);
  EXPECT_EQ(balance->balance_fen(), 1100);
}

}  // namespace
}  // namespace gridledger::projections
