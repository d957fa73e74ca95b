#include "domain/billing_center/testing/billing_model.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"

namespace gridledger::billing::model {
namespace {

// The model's own arithmetic and calendar: nothing from the rules' code.
using Int128 = __int128;
using Day = absl::CivilDay;
using Regs = std::array<int64_t, 6>;  // total, sharp, peak, flat, valley (Wh); reactive (varh)
constexpr int64_t kKwh = 1000;
constexpr int64_t kFlatResidential = 498'300;
constexpr int64_t kFlatCommercial = 650'000;
constexpr int64_t kTier2From = 2160 * kKwh, kTier3From = 4200 * kKwh;
constexpr int64_t kTier2Markup = 50'000, kTier3Markup = 300'000;

int64_t Round(Int128 numerator, Int128 denominator) {  // half away from zero, numerator ≥ 0
  return static_cast<int64_t>((2 * numerator + denominator) / (2 * denominator));
}

int MonthOf(const v1::Period& p) { return p.year() * 12 + p.month() - 1; }
int MonthOf(Day d) { return static_cast<int>(d.year()) * 12 + d.month() - 1; }
v1::Period PeriodOf(int month) {
  v1::Period p;
  p.set_year(month / 12);
  p.set_month(month % 12 + 1);
  return p;
}
Day DayOf(const v1::Date& d) { return Day(d.year(), d.month(), d.day()); }
v1::Date DateOf(Day day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}
Day LastDay(int month) { return Day(absl::CivilMonth(month / 12, month % 12 + 1) + 1) - 1; }
std::string Text(int month) { return absl::StrCat(month / 12, "-", month % 12 + 1); }

Regs RegsOf(const v1::Registers& r) {
  return {r.total_wh(), r.sharp_wh(), r.peak_wh(), r.flat_wh(), r.valley_wh(), r.reactive_varh()};
}
v1::Registers ToRegisters(const Regs& r) {
  v1::Registers out;
  out.set_total_wh(r[0]);
  out.set_sharp_wh(r[1]);
  out.set_peak_wh(r[2]);
  out.set_flat_wh(r[3]);
  out.set_valley_wh(r[4]);
  out.set_reactive_varh(r[5]);
  return out;
}
bool AnyBelow(const Regs& a, const Regs& floor) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] < floor[i]) return true;
  }
  return false;
}

// TOU registers that do not add up to the total within 0.1 % (≥ 1 kWh).
bool PeriodsDoNotAddUp(bool time_of_use, const Regs& r) {
  const int64_t periods = r[1] + r[2] + r[3] + r[4];
  if (!time_of_use && periods == 0) return false;
  return std::llabs(periods - r[0]) > std::max<int64_t>(1000, r[0] / 1000);
}

enum class State { kRecorded, kPassed, kFlagged, kAccepted, kReread, kEstimated, kSuperseded };
enum class Kind { kPeriodic, kRemoved, kInstalled };

struct Read {
  std::string id;
  int month = 0;
  Kind kind = Kind::kPeriodic;
  std::string meter;
  Regs regs{};
  int multiplier = 1;
  std::string reader;
  State state = State::kRecorded;
  std::vector<std::string> deciders;
  int order = 0;
  bool live() const { return state != State::kReread && state != State::kSuperseded; }
  bool accepted() const {
    return state == State::kPassed || state == State::kAccepted || state == State::kEstimated;
  }
  std::tuple<int, int, int> key() const { return {month, kind == Kind::kPeriodic ? 1 : 0, order}; }
};

struct Bill {
  std::string id;
  int month = 0;
  int from = 0;
  std::string start, end;
  std::vector<std::string> reads;
  Regs usage{};
  int64_t total = 0;  // observed: the tariff engine has its own tests
  Day due;
  std::string issuer, checker;
  std::set<std::string> collectors;
  bool reversed = false;
  std::string replaced_by;
  std::optional<Day> penalty_through;
  int64_t principal_paid = 0, penalty_paid = 0;
};

struct Allocation {
  std::string bill;
  int64_t fen = 0;
  bool to_penalty = false;
};

struct Payment {
  std::string id;
  int64_t amount = 0;
  Day paid_on;
  std::vector<Allocation> allocations;
  int64_t credit = 0;
  bool reversed = false;
};

// What the events themselves say, to compare with the model and the view.
struct EventLedger {
  struct BillFacts {
    Regs usage{};
    int64_t total = 0;
    int64_t penalty = 0;
    int64_t last_total_penalty = -1;
    bool reversed = false;
    int month = 0, from = 0;
  };
  std::map<std::string, BillFacts> bills;
  std::vector<std::string> bill_order;
  std::map<std::string, int64_t> live_payments;  // id → amount
};

// One account as the model sees it.
class Model {
 public:
  Model(std::string id, bool residential) : id_(std::move(id)), residential_(residential) {}

  const std::string& id() const { return id_; }
  bool residential() const { return residential_; }
  std::vector<Read>& reads() { return reads_; }
  std::vector<Bill>& bills() { return bills_; }
  std::vector<Payment>& payments() { return payments_; }
  int64_t credit() const { return credit_; }
  const std::string& baseline() const { return baseline_; }

  Read* FindRead(const std::string& id) {
    for (Read& r : reads_) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
  Bill* FindBill(const std::string& id) {
    for (Bill& b : bills_) {
      if (b.id == id) return &b;
    }
    return nullptr;
  }
  Payment* FindPayment(const std::string& id) {
    for (Payment& p : payments_) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }

  // The live reads in order, leaving out `skip`.
  std::vector<const Read*> Sequence(const Read* skip = nullptr) const {
    std::vector<const Read*> seq;
    for (const Read& r : reads_) {
      if (r.live() && &r != skip) seq.push_back(&r);
    }
    std::sort(seq.begin(), seq.end(),
              [](const Read* a, const Read* b) { return a->key() < b->key(); });
    return seq;
  }
  const Read* LiveBefore(const std::tuple<int, int, int>& key, const Read* skip) const {
    const Read* found = nullptr;
    for (const Read* r : Sequence(skip)) {
      if (r->key() < key) found = r;
    }
    return found;
  }
  const Read* LiveAfter(const std::tuple<int, int, int>& key, const Read* skip) const {
    for (const Read* r : Sequence(skip)) {
      if (key < r->key()) return r;
    }
    return nullptr;
  }
  // The meter's accepted reads on either side (the same meter only).
  std::pair<const Read*, const Read*> AcceptedAround(const Read& read) const {
    const std::vector<const Read*> seq = Sequence(&read);
    const Read* before = nullptr;
    const Read* after = nullptr;
    if (read.kind != Kind::kInstalled) {
      for (auto it = seq.rbegin(); it != seq.rend(); ++it) {
        const Read* r = *it;
        if (!(r->key() < read.key())) continue;
        if (r->kind == Kind::kRemoved) break;
        if (r->accepted()) {
          before = r;
          break;
        }
        if (r->kind == Kind::kInstalled) break;
      }
    }
    if (read.kind != Kind::kRemoved) {
      for (const Read* r : seq) {
        if (!(read.key() < r->key())) continue;
        if (r->kind == Kind::kInstalled) break;
        if (r->accepted()) {
          after = r;
          break;
        }
        if (r->kind == Kind::kRemoved) break;
      }
    }
    return {before, after};
  }
  bool OutsideNeighbours(const Read& read, const Regs& regs) const {
    const auto [before, after] = AcceptedAround(read);
    return (before != nullptr && AnyBelow(regs, before->regs)) ||
           (after != nullptr && AnyBelow(after->regs, regs));
  }
  const Read* LivePeriodic(int month) const {
    for (const Read& r : reads_) {
      if (r.live() && r.kind == Kind::kPeriodic && r.month == month) return &r;
    }
    return nullptr;
  }

  const Bill* LastStanding() const {
    const Bill* last = nullptr;
    for (const Bill& b : bills_) {
      if (!b.reversed && (last == nullptr || b.month >= last->month)) last = &b;
    }
    return last;
  }
  const Read* BilledThrough() {
    if (const Bill* last = LastStanding()) return FindRead(last->end);
    if (!baseline_.empty()) return FindRead(baseline_);
    for (const Read* r : Sequence()) {
      if (r->accepted()) return r;
    }
    return nullptr;
  }

  // The advance from `start` to `end` along the sequence; nullopt when a read
  // between is not accepted or a register goes backwards.
  std::optional<std::pair<Regs, std::vector<std::string>>> Advance(const Read& start,
                                                                   const Read& end) const {
    Regs sum{};
    std::vector<std::string> ids;
    const Read* previous = nullptr;
    for (const Read* r : Sequence()) {
      if (r->key() < start.key() || end.key() < r->key()) continue;
      if (!r->accepted()) return std::nullopt;
      ids.push_back(r->id);
      if (previous != nullptr && previous->kind != Kind::kRemoved) {
        if (AnyBelow(r->regs, previous->regs)) return std::nullopt;
        for (size_t i = 0; i < sum.size(); ++i) {
          sum[i] += (r->regs[i] - previous->regs[i]) * r->multiplier;
        }
      }
      previous = r;
    }
    return std::make_pair(sum, ids);
  }

  std::set<std::string> Preparers(const Bill& bill) {
    std::set<std::string> people = {bill.issuer};
    if (!bill.checker.empty()) people.insert(bill.checker);
    for (const std::string& id : bill.reads) {
      const Read* r = FindRead(id);
      people.insert(r->reader);
      people.insert(r->deciders.begin(), r->deciders.end());
    }
    return people;
  }

  // Day by day: each late day, the principal not paid by a payment dated
  // before it, at that day's rate; the total rounded once, at least 1 CNY.
  int64_t PenaltyThrough(const Bill& bill, std::optional<Day> through) const {
    if (bill.reversed || !through) return 0;
    Int128 exact = 0;
    bool any = false;
    for (Day d = bill.due + 1; d <= *through; ++d) {
      int64_t unpaid = bill.total;
      for (const Payment& p : payments_) {
        if (p.reversed || !(p.paid_on < d)) continue;
        for (const Allocation& a : p.allocations) {
          if (a.bill == bill.id && !a.to_penalty) unpaid -= a.fen;
        }
      }
      if (unpaid <= 0) continue;
      any = true;
      const int64_t rate = residential_ ? 1000 : d.year() <= bill.due.year() ? 2000 : 3000;
      exact += static_cast<Int128>(unpaid) * rate;
    }
    return any ? std::max<int64_t>(100, Round(exact, 1'000'000)) : 0;
  }
  int64_t Penalty(const Bill& bill) const { return PenaltyThrough(bill, bill.penalty_through); }
  Day AccruedThrough(const Bill& bill) const {
    return bill.penalty_through ? std::max(bill.due, *bill.penalty_through) : bill.due;
  }
  int64_t Outstanding() const {
    int64_t sum = 0;
    for (const Bill& b : bills_) {
      if (!b.reversed) sum += b.total - b.principal_paid + Penalty(b) - b.penalty_paid;
    }
    return sum;
  }
  int64_t YearToDate(int month) const {
    int64_t sum = 0;
    for (const Bill& b : bills_) {
      if (!b.reversed && b.month / 12 == month / 12 && b.month < month) sum += b.usage[0];
    }
    return sum;
  }

  void SetBaseline(const std::string& id) {
    if (baseline_.empty()) baseline_ = id;
  }
  void AddCredit(int64_t fen) { credit_ += fen; }

 private:
  std::string id_;
  bool residential_;
  std::vector<Read> reads_;
  std::vector<Bill> bills_;
  std::vector<Payment> payments_;
  std::string baseline_;
  int64_t credit_ = 0;
};

// What the model expects of a command: a status code, and for some the
// details to compare.
struct Expectation {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string why;  // the rule the model applied, for the failure message
};

Expectation Ok() { return {}; }
Expectation Refuse(absl::StatusCode code, std::string why) { return {code, std::move(why)}; }

// The meters as they really are: registers at each month's end on the meter
// in place then, and the exchanges (a meter removed part-way through a month).
struct Truth {
  struct Exchange {
    Regs removed{};
    Regs installed{};
    std::string new_meter;
    bool removal_recorded = false;
    bool installation_recorded = false;
  };
  std::map<int, Regs> end;
  std::map<int, Exchange> exchanges;
  int last_month = -1;
  Regs current{};
  int meters = 0;
};

// The model's refusal, or OK, for a command; what to check once it is done.
struct Planned {
  Command command;
  Expectation expect;
  std::function<absl::Status(const std::vector<v1::EventEnvelope>& events)> on_ok;
};

absl::Status Mismatch(const std::string& what) { return absl::InternalError(what); }

class Scenario {
 public:
  Scenario(BillingExecutor& executor, const ScenarioOptions& options)
      : executor_(executor), options_(options), random_(options.seed) {
    now_ = options.start.year() != 0 ? DayOf(options.start) : Day(2023, 1, 5);
    models_.emplace_back(options.id_prefix + "res", /*residential=*/true);
    models_.emplace_back(options.id_prefix + "gc", /*residential=*/false);
    truths_.resize(models_.size());
    known_events_.resize(models_.size());
    ledgers_.resize(models_.size());
  }

  absl::Status Setup();
  absl::Status Step(int step);
  ScenarioStats stats;

 private:
  int64_t Uniform(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(random_() % static_cast<uint64_t>(high - low + 1));
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  std::string Someone(const char* role) {
    std::vector<std::string> holders;
    for (const Principal& p : Principals()) {
      if (std::string(p.name) != kAdmin && absl::StrContains(p.roles, role)) {
        holders.push_back(p.name);
      }
    }
    return holders[Uniform(0, static_cast<int64_t>(holders.size()) - 1)];
  }
  int TodayMonth() { return MonthOf(DayOf(executor_.Today())); }
  Day Today() { return DayOf(executor_.Today()); }

  void ExtendTruth(size_t a, int through);
  Regs Consumption(bool residential);
  Regs TrueRegs(size_t a, const Read& read);
  std::optional<int> PendingExchange(size_t a);

  std::optional<Planned> PlanRecord(size_t a);
  std::optional<Planned> PlanExchange(size_t a, int month);
  std::optional<Planned> PlanCorrection(size_t a);
  // The account's rules (PredictReadOnAccount), then C-METER-ON-ACCOUNT: the
  // meter a read names or finds in place is one installed on the account
  // (the executor installs each exchange's new meter before its read).
  Expectation PredictRecord(Model& m, const v1::MeterReadRecorded& read, Read& filled);
  Expectation PredictReadOnAccount(Model& m, const v1::MeterReadRecorded& read, Read& filled);
  std::map<std::string, std::set<std::string>> installed_meters_;  // by account
  std::optional<Planned> PlanCheck(size_t a);
  std::optional<Planned> PlanDecide(size_t a);
  std::optional<Planned> PlanIssue(size_t a);
  Expectation PredictIssue(Model& m, const v1::IssueBillRequest& request, Bill& bill);
  absl::Status CheckIssued(Model& m, const Bill& expected, const v1::BillIssued& issued);
  std::optional<Planned> PlanCheckBill(size_t a);
  std::optional<Planned> PlanReverse(size_t a);
  std::optional<Planned> PlanPay(size_t a);
  Expectation PredictPay(Model& m, const v1::PostPaymentRequest& request,
                         const std::string& collector, Payment& payment,
                         std::vector<std::string>& accrued);
  std::optional<Planned> PlanUnpay(size_t a);
  std::optional<Planned> PlanAccrue(size_t a);
  std::optional<Planned> Plan(size_t a);

  absl::Status Observe(size_t a, const std::vector<v1::EventEnvelope>& events);
  absl::Status CheckInvariants(size_t a);
  absl::Status CheckView(size_t a);
  absl::Status CheckContinuity(size_t a);

  BillingExecutor& executor_;
  ScenarioOptions options_;
  std::mt19937_64 random_;
  Day now_;
  std::vector<Model> models_;
  std::vector<Truth> truths_;
  std::vector<size_t> known_events_;
  std::vector<EventLedger> ledgers_;
  int next_id_ = 0;
};

Regs Scenario::Consumption(bool residential) {
  const int64_t total = residential ? Uniform(150, 450) * kKwh : Uniform(3000, 12000) * kKwh;
  if (residential) return {total, 0, 0, 0, 0, 0};
  const int64_t sharp = total / 10, peak = total * 3 / 10, valley = total * 3 / 10;
  return {total, sharp, peak, total - sharp - peak - valley, valley, total * 4 / 10};
}

void Scenario::ExtendTruth(size_t a, int through) {
  Truth& t = truths_[a];
  const bool residential = models_[a].residential();
  if (t.last_month < 0) {
    t.last_month = MonthOf(now_) - 1;
    t.current = Consumption(residential);  // the meter's registers when the account opens
    t.meters = 1;
    t.end[t.last_month] = t.current;
  }
  while (t.last_month < through) {
    const int month = ++t.last_month;
    const Regs used = Consumption(residential);
    if (Chance(5)) {  // a meter exchange part-way through the month
      Truth::Exchange exchange;
      for (size_t i = 0; i < used.size(); ++i) exchange.removed[i] = t.current[i] + used[i] / 2;
      exchange.installed = Consumption(residential);  // a new meter's first registers
      exchange.new_meter = absl::StrCat(models_[a].id(), "-M", ++t.meters);
      for (size_t i = 0; i < used.size(); ++i) {
        t.current[i] = exchange.installed[i] + used[i] - used[i] / 2;
      }
      t.exchanges[month] = exchange;
    } else {
      for (size_t i = 0; i < used.size(); ++i) t.current[i] += used[i];
    }
    t.end[month] = t.current;
  }
}

Regs Scenario::TrueRegs(size_t a, const Read& read) {
  const Truth& t = truths_[a];
  if (read.kind == Kind::kRemoved) return t.exchanges.at(read.month).removed;
  if (read.kind == Kind::kInstalled) return t.exchanges.at(read.month).installed;
  auto it = t.end.find(read.month);
  return it != t.end.end() ? it->second : t.current;
}

// The month of an exchange that happened and is not fully recorded.
std::optional<int> Scenario::PendingExchange(size_t a) {
  for (const auto& [month, exchange] : truths_[a].exchanges) {
    if (!exchange.installation_recorded) return month;
  }
  return std::nullopt;
}

Expectation Scenario::PredictRecord(Model& m, const v1::MeterReadRecorded& read, Read& filled) {
  Expectation expect = PredictReadOnAccount(m, read, filled);
  if (expect.code == absl::StatusCode::kOk && !filled.meter.empty() &&
      installed_meters_[m.id()].count(filled.meter) == 0) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-ON-ACCOUNT");
  }
  return expect;
}

Expectation Scenario::PredictReadOnAccount(Model& m, const v1::MeterReadRecorded& read,
                                           Read& filled) {
  const int month = MonthOf(read.period());
  filled.id = read.read_id();
  filled.month = month;
  filled.kind = read.purpose() == v1::READ_PURPOSE_METER_REMOVED     ? Kind::kRemoved
                : read.purpose() == v1::READ_PURPOSE_METER_INSTALLED ? Kind::kInstalled
                                                                     : Kind::kPeriodic;
  filled.regs = RegsOf(read.registers());
  filled.order = static_cast<int>(m.reads().size());
  if (month > TodayMonth()) return Refuse(absl::StatusCode::kInvalidArgument, "P-NO-FUTURE");
  Read* superseded = nullptr;
  if (filled.kind == Kind::kPeriodic) {
    if (read.supersedes_read_id().empty()) {
      if (m.LivePeriodic(month) != nullptr) {
        return Refuse(absl::StatusCode::kAlreadyExists, "V-DUPLICATE");
      }
    } else {
      superseded = m.FindRead(read.supersedes_read_id());
      if (!superseded->live() || superseded->kind != Kind::kPeriodic || !superseded->accepted() ||
          superseded->month != month || superseded->id == m.baseline()) {
        return Refuse(absl::StatusCode::kFailedPrecondition, "C-READ-CORRECTION");
      }
      for (const Bill& b : m.bills()) {
        if (!b.reversed && std::count(b.reads.begin(), b.reads.end(), superseded->id) > 0) {
          return Refuse(absl::StatusCode::kFailedPrecondition, "C-READ-CORRECTION: billed");
        }
      }
    }
  } else {
    for (const Read& r : m.reads()) {
      if (r.live() && (r.month > month || (r.kind == Kind::kPeriodic && r.month == month))) {
        return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-EXCHANGE: not at the end");
      }
    }
  }
  const Read* before = m.LiveBefore(filled.key(), superseded);
  const Read* after = m.LiveAfter(filled.key(), superseded);
  if (filled.kind == Kind::kInstalled) {
    if (before != nullptr &&
        (before->kind != Kind::kRemoved || before->meter == read.meter_bar_code())) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-EXCHANGE: install");
    }
    filled.meter = read.meter_bar_code();
    filled.multiplier = read.multiplier() == 0 ? 1 : read.multiplier();
    return Ok();
  }
  if (before != nullptr && before->kind == Kind::kRemoved) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-EXCHANGE: removed");
  }
  const Read* in_place = before != nullptr                                     ? before
                         : after != nullptr && after->kind != Kind::kInstalled ? after
                                                                               : nullptr;
  if (in_place == nullptr) {
    if (filled.kind == Kind::kRemoved) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-EXCHANGE: nothing to remove");
    }
    filled.meter = read.meter_bar_code();
    filled.multiplier = read.multiplier() == 0 ? 1 : read.multiplier();
    return Ok();
  }
  if ((!read.meter_bar_code().empty() && read.meter_bar_code() != in_place->meter) ||
      (read.multiplier() != 0 && read.multiplier() != in_place->multiplier)) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "C-METER-EXCHANGE: meter in place");
  }
  filled.meter = in_place->meter;
  filled.multiplier = in_place->multiplier;
  return Ok();
}

// The Planned that records `read` and, once done, keeps it in the model.
Planned RecordPlan(Model& m, const std::string& reader, v1::MeterReadRecorded read,
                   Expectation expect, Read filled, const std::function<void()>& done) {
  Planned plan;
  read.set_account_id(m.id());
  v1::RecordReadRequest request;
  *request.mutable_read() = read;
  plan.command = {reader, request};
  plan.expect = std::move(expect);
  filled.reader = reader;
  plan.on_ok = [&m, filled, done](const std::vector<v1::EventEnvelope>& events) -> absl::Status {
    if (events.size() != 1 || !events[0].payload().has_meter_read_recorded()) {
      return Mismatch("RecordRead: one MeterReadRecorded expected");
    }
    const v1::MeterReadRecorded& recorded = events[0].payload().meter_read_recorded();
    if (recorded.meter_bar_code() != filled.meter ||
        std::max(1, recorded.multiplier()) != filled.multiplier) {
      return Mismatch(absl::StrCat("RecordRead ", filled.id, ": meter ", recorded.meter_bar_code(),
                                   " ×", recorded.multiplier(), ", the model says ", filled.meter,
                                   " ×", filled.multiplier));
    }
    if (Read* old = m.FindRead(recorded.supersedes_read_id())) old->state = State::kSuperseded;
    m.reads().push_back(filled);
    if (done) done();
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanExchange(size_t a, int month) {
  Model& m = models_[a];
  Truth::Exchange& exchange = truths_[a].exchanges.at(month);
  v1::MeterReadRecorded read;
  read.set_read_id(absl::StrCat(m.id(), "-x", ++next_id_));
  *read.mutable_period() = PeriodOf(month);
  const bool removal = !exchange.removal_recorded;
  read.set_purpose(removal ? v1::READ_PURPOSE_METER_REMOVED : v1::READ_PURPOSE_METER_INSTALLED);
  Regs regs = removal ? exchange.removed : exchange.installed;
  if (removal && Chance(15)) regs[0] -= 10 * kKwh;  // misread: below the meter's last read
  *read.mutable_registers() = ToRegisters(regs);
  if (!removal) {
    read.set_meter_bar_code(exchange.new_meter);
    installed_meters_[m.id()].insert(exchange.new_meter);  // the executor installs it first
  }
  Read filled;
  Expectation expect = PredictRecord(m, read, filled);
  ++stats.exchanges;
  return RecordPlan(m, Someone("meter_reader"), read, expect, filled, [&exchange, removal] {
    (removal ? exchange.removal_recorded : exchange.installation_recorded) = true;
  });
}

std::optional<Planned> Scenario::PlanRecord(size_t a) {
  Model& m = models_[a];
  const int current = MonthOf(now_);
  ExtendTruth(a, current);
  int latest = MonthOf(now_) - 1;
  bool any = false;
  for (const Read& r : m.reads()) {
    if (r.live() && r.kind == Kind::kPeriodic && (!any || r.month > latest)) {
      latest = r.month;
      any = true;
    }
  }
  if (!any) latest = truths_[a].end.begin()->first - 1;
  const std::optional<int> exchange = PendingExchange(a);
  if (exchange && *exchange <= latest + 1) return PlanExchange(a, *exchange);
  int month = latest + 1;
  std::vector<int> open;  // earlier months without a live read (a re-read ordered, or skipped)
  for (int q = std::max(latest - 8, truths_[a].end.begin()->first); q < latest; ++q) {
    if (m.LivePeriodic(q) == nullptr) open.push_back(q);
  }
  const int dice = static_cast<int>(Uniform(0, 99));
  if (!open.empty() && (dice < 30 || month > current)) {
    month = open[Uniform(0, static_cast<int64_t>(open.size()) - 1)];  // a late read
  } else if (dice < 38 && month + 1 <= current && !(exchange && *exchange <= month + 1)) {
    month += 1;  // skips a month (read late, or never)
  } else if (dice >= 38 && dice < 42 && any) {
    month = latest;  // a duplicate
  } else if (dice >= 42 && dice < 44) {
    month = MonthOf(Today()) + 1;  // a period that has not begun
  } else if (month > current) {
    return std::nullopt;  // this month is read
  }
  v1::MeterReadRecorded read;
  read.set_read_id(absl::StrCat(m.id(), "-r", ++next_id_));
  *read.mutable_period() = PeriodOf(month);
  Read probe;
  probe.month = month;
  Regs regs = TrueRegs(a, probe);
  if (Chance(10)) {
    regs[0] = regs[0] * 9 / 10;  // misread low
  } else if (Chance(5)) {
    regs[0] += 50'000 * kKwh;  // misread high
  }
  *read.mutable_registers() = ToRegisters(regs);
  if (Chance(3)) read.set_meter_bar_code("NOT-THIS-METER");
  if (Chance(3)) read.set_multiplier(7);
  Read filled;
  Expectation expect = PredictRecord(m, read, filled);
  return RecordPlan(m, Someone("meter_reader"), read, expect, filled, nullptr);
}

std::optional<Planned> Scenario::PlanCorrection(size_t a) {
  Model& m = models_[a];
  std::vector<const Read*> candidates;
  for (const Read& r : m.reads()) {
    if (r.live() && r.kind == Kind::kPeriodic && r.accepted()) candidates.push_back(&r);
  }
  if (candidates.empty()) return std::nullopt;
  const Read& old = *candidates[Uniform(0, static_cast<int64_t>(candidates.size()) - 1)];
  v1::MeterReadRecorded read;
  read.set_read_id(absl::StrCat(m.id(), "-c", ++next_id_));
  *read.mutable_period() = PeriodOf(old.month);
  read.set_supersedes_read_id(old.id);
  *read.mutable_registers() = ToRegisters(TrueRegs(a, old));
  Read filled;
  Expectation expect = PredictRecord(m, read, filled);
  ++stats.corrections;
  return RecordPlan(m, Someone("meter_reader"), read, expect, filled, nullptr);
}

std::optional<Planned> Scenario::PlanCheck(size_t a) {
  Model& m = models_[a];
  std::vector<Read*> recorded;
  const bool any_read = Chance(10);  // now and then one already checked
  for (Read& r : m.reads()) {
    if (r.state == State::kRecorded || any_read) recorded.push_back(&r);
  }
  if (recorded.empty()) return std::nullopt;
  Read* read = recorded[Uniform(0, static_cast<int64_t>(recorded.size()) - 1)];
  const std::string checker = Someone("bill_checker");
  v1::CheckReadRequest request;
  request.set_account_id(m.id());
  request.set_read_id(read->id);
  Planned plan;
  plan.command = {checker, request};
  if (read->reader == checker) {
    plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-READ-CHECK");
  } else if (read->state != State::kRecorded) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "already checked");
  }
  plan.on_ok = [&m, read, checker](const std::vector<v1::EventEnvelope>& events) -> absl::Status {
    if (events.size() != 1 || !events[0].payload().has_meter_read_checked()) {
      return Mismatch("CheckRead: one MeterReadChecked expected");
    }
    const bool passed = events[0].payload().meter_read_checked().passed();
    if (passed && (m.OutsideNeighbours(*read, read->regs) ||
                   PeriodsDoNotAddUp(!m.residential(), read->regs))) {
      return Mismatch(
          absl::StrCat("CheckRead ", read->id,
                       " passed a read outside the meter's accepted reads (C-MONOTONE)"));
    }
    read->state = passed ? State::kPassed : State::kFlagged;
    read->deciders.push_back(checker);
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanDecide(size_t a) {
  Model& m = models_[a];
  std::vector<Read*> flagged;
  for (Read& r : m.reads()) {
    if (r.state == State::kFlagged) flagged.push_back(&r);
  }
  if (flagged.empty()) return std::nullopt;
  Read* read = flagged[Uniform(0, static_cast<int64_t>(flagged.size()) - 1)];
  const std::string checker = Someone("bill_checker");
  v1::DecideReadRequest request;
  request.set_account_id(m.id());
  request.set_read_id(read->id);
  const int dice = static_cast<int>(Uniform(0, 99));
  request.set_decision(dice < 30   ? v1::READ_DECISION_ACCEPT
                       : dice < 50 ? v1::READ_DECISION_REREAD
                                   : v1::READ_DECISION_ESTIMATE);
  Regs estimate = TrueRegs(a, *read);
  if (Chance(15)) estimate[0] = estimate[0] / 2;  // an estimate below the meter's last read
  if (request.decision() == v1::READ_DECISION_ESTIMATE) {
    *request.mutable_estimated_registers() = ToRegisters(estimate);
  }
  Planned plan;
  plan.command = {checker, request};
  if (read->reader == checker) {
    plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-READ-CHECK");
  } else if (request.decision() == v1::READ_DECISION_REREAD && read->kind != Kind::kPeriodic) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "exchange reads are not re-read");
  } else if (request.decision() != v1::READ_DECISION_REREAD) {
    // What the read would hold: as read, or the estimate.
    const Regs& kept = request.decision() == v1::READ_DECISION_ACCEPT ? read->regs : estimate;
    if (PeriodsDoNotAddUp(!m.residential(), kept) || m.OutsideNeighbours(*read, kept)) {
      plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "V-PERIOD-SUM / C-MONOTONE");
    }
  }
  const v1::ReadDecision decision = request.decision();
  plan.on_ok = [read, checker, decision, estimate](const std::vector<v1::EventEnvelope>& events) {
    if (events.size() != 1 || !events[0].payload().has_read_check_decided()) {
      return Mismatch("DecideRead: one ReadCheckDecided expected");
    }
    read->deciders.push_back(checker);
    read->state = decision == v1::READ_DECISION_ACCEPT   ? State::kAccepted
                  : decision == v1::READ_DECISION_REREAD ? State::kReread
                                                         : State::kEstimated;
    if (decision == v1::READ_DECISION_ESTIMATE) read->regs = estimate;
    return absl::OkStatus();
  };
  return plan;
}

Expectation Scenario::PredictIssue(Model& m, const v1::IssueBillRequest& request, Bill& bill) {
  const int month = MonthOf(request.period());
  if (month > TodayMonth()) return Refuse(absl::StatusCode::kInvalidArgument, "P-NO-FUTURE");
  if (!(LastDay(month) < DayOf(request.due_date()))) {
    return Refuse(absl::StatusCode::kInvalidArgument, "due date");
  }
  if (!request.replaces_bill_id().empty()) {
    const Bill* replaced = m.FindBill(request.replaces_bill_id());
    if (replaced == nullptr || !replaced->reversed || replaced->month != month ||
        !replaced->replaced_by.empty()) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "C-REISSUE");
    }
  }
  const Read* start = m.BilledThrough();
  if (start == nullptr) return Refuse(absl::StatusCode::kFailedPrecondition, "C-BASELINE");
  for (const Bill& b : m.bills()) {
    if (!b.reversed && b.from <= month && month <= b.month) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "C-COVERED by a bill");
    }
  }
  if (month <= start->month) return Refuse(absl::StatusCode::kFailedPrecondition, "C-COVERED");
  for (int q = start->month + 1; q < month; ++q) {
    if (m.LivePeriodic(q) != nullptr) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "C-PENDING / C-UNBILLED");
    }
    for (const Read& r : m.reads()) {
      if (r.state == State::kReread && r.month == q) {
        return Refuse(absl::StatusCode::kFailedPrecondition, "C-PENDING re-read");
      }
    }
  }
  const Read* end = m.LivePeriodic(month);
  if (end == nullptr || !end->accepted()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "no accepted read");
  }
  auto advance = m.Advance(*start, *end);
  if (!advance) return Refuse(absl::StatusCode::kFailedPrecondition, "C-PENDING in the interval");
  bill.id = request.bill_id();
  bill.month = month;
  bill.from = start->month + 1;
  bill.start = start->id;
  bill.end = end->id;
  bill.usage = advance->first;
  bill.reads = advance->second;
  bill.due = DayOf(request.due_date());
  return Ok();
}

// The bill as issued against the model's interval, tiers and prices.
absl::Status Scenario::CheckIssued(Model& m, const Bill& expected, const v1::BillIssued& issued) {
  const std::string which = absl::StrCat("bill ", expected.id, " (", Text(expected.month), ")");
  if (issued.start_read_id() != expected.start || issued.end_read_id() != expected.end ||
      std::vector<std::string>(issued.read_ids().begin(), issued.read_ids().end()) !=
          expected.reads) {
    return Mismatch(absl::StrCat(which, ": reads ", absl::StrJoin(issued.read_ids(), ","),
                                 ", the model says ", absl::StrJoin(expected.reads, ",")));
  }
  if (RegsOf(issued.usage()) != expected.usage || issued.energy_wh() != expected.usage[0] ||
      MonthOf(issued.covers_from()) != expected.from ||
      issued.months() != expected.month - expected.from + 1) {
    return Mismatch(absl::StrCat(which, ": usage ", issued.usage().ShortDebugString(), " from ",
                                 Text(MonthOf(issued.covers_from())), "; the model says ",
                                 expected.usage[0], " Wh from ", Text(expected.from)));
  }
  const int64_t ytd = m.YearToDate(expected.month);
  if (m.residential() && issued.year_to_date_wh_before() != ytd) {
    return Mismatch(absl::StrCat(which, ": year to date ", issued.year_to_date_wh_before(),
                                 ", the model says ", ytd, " (T-TIER-ANNUAL)"));
  }
  const int64_t e = expected.usage[0];
  auto overlap = [&](int64_t from, int64_t to) {
    return std::max<int64_t>(0, std::min(ytd + e, to) - std::max(ytd, from));
  };
  std::map<int, int64_t> tiers;
  int64_t sum = 0, energy = 0;
  for (const v1::BillLine& line : issued.lines()) {
    sum += line.amount_fen();
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER) tiers[line.tier()] += line.quantity();
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY) {
      energy += line.quantity();
      if (line.amount_fen() != Round(static_cast<Int128>(e) * kFlatResidential, 10'000'000)) {
        return Mismatch(absl::StrCat(which, ": energy amount ", line.amount_fen()));
      }
    }
    if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TOU) {
      energy += line.quantity();
      const Int128 exact =
          static_cast<Int128>(line.quantity()) * kFlatCommercial * (10'000 + line.tou_adjust_bp());
      if (line.amount_fen() != Round(exact, Int128{10'000'000} * 10'000)) {
        return Mismatch(absl::StrCat(which, ": TOU amount ", line.amount_fen()));
      }
    }
  }
  const int64_t tier2 = m.residential() ? overlap(kTier2From, kTier3From) : 0;
  const int64_t tier3 = m.residential() ? overlap(kTier3From, INT64_MAX / 2) : 0;
  if (energy != e || tiers[2] != tier2 || tiers[3] != tier3 || sum != issued.total_fen()) {
    return Mismatch(absl::StrCat(which, ": energy ", energy, " tier 2 ", tiers[2], " tier 3 ",
                                 tiers[3], " total ", issued.total_fen(), "; the model says ", e,
                                 ", ", tier2, ", ", tier3, ", the lines' sum ", sum));
  }
  return absl::OkStatus();
}

std::optional<Planned> Scenario::PlanIssue(size_t a) {
  Model& m = models_[a];
  const Read* through = m.BilledThrough();
  int month = through != nullptr ? through->month + 1 : MonthOf(now_);
  for (int q = month; q <= MonthOf(now_); ++q) {
    if (m.LivePeriodic(q) != nullptr) {
      month = q;
      break;
    }
  }
  std::string replaces;
  const int dice = static_cast<int>(Uniform(0, 99));
  std::vector<const Bill*> reversed;
  for (const Bill& b : m.bills()) {
    if (b.reversed && b.replaced_by.empty()) reversed.push_back(&b);
  }
  if (dice < 20) {
    month = static_cast<int>(Uniform(truths_[a].end.begin()->first - 1, MonthOf(now_) + 1));
  } else if (dice < 30 && !m.bills().empty()) {
    month = m.bills()[Uniform(0, static_cast<int64_t>(m.bills().size()) - 1)].month;
  }
  for (const Bill* b : reversed) {
    if (b->month == month && Chance(70)) replaces = b->id;
  }
  if (Chance(4) && !m.bills().empty()) replaces = m.bills().front().id;
  v1::IssueBillRequest request;
  request.set_account_id(m.id());
  request.set_bill_id(absl::StrCat(m.id(), "-b", ++next_id_));
  *request.mutable_period() = PeriodOf(month);
  *request.mutable_due_date() = DateOf(Chance(4) ? LastDay(month) : LastDay(month) + 20);
  request.set_replaces_bill_id(replaces);
  const std::string issuer = Someone("bill_checker");
  Planned plan;
  plan.command = {issuer, request};
  auto bill = std::make_shared<Bill>();
  plan.expect = PredictIssue(m, request, *bill);
  bill->issuer = issuer;
  plan.on_ok = [this, &m, bill, replaces](const std::vector<v1::EventEnvelope>& events) {
    if (events.size() != 1 || !events[0].payload().has_bill_issued()) {
      return Mismatch("IssueBill: one BillIssued expected");
    }
    const v1::BillIssued& issued = events[0].payload().bill_issued();
    if (absl::Status s = CheckIssued(m, *bill, issued); !s.ok()) return s;
    if (issued.issued_by() != bill->issuer) return Mismatch("IssueBill: issued_by");
    bill->total = issued.total_fen();
    m.SetBaseline(bill->start);
    if (Bill* old = m.FindBill(replaces)) old->replaced_by = bill->id;
    m.bills().push_back(*bill);
    ++stats.bills;
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanCheckBill(size_t a) {
  Model& m = models_[a];
  if (m.bills().empty()) return std::nullopt;
  Bill* bill = &m.bills()[Uniform(0, static_cast<int64_t>(m.bills().size()) - 1)];
  const std::string checker = Someone("bill_checker");
  v1::CheckBillRequest request;
  request.set_account_id(m.id());
  request.set_bill_id(bill->id);
  Planned plan;
  plan.command = {checker, request};
  if (bill->collectors.count(checker) > 0) {
    plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-COLLECT-ALTER");
  } else if (bill->reversed || !bill->checker.empty()) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "reversed or checked");
  }
  plan.on_ok = [bill, checker](const std::vector<v1::EventEnvelope>& events) {
    if (events.size() != 1 || !events[0].payload().has_bill_checked()) {
      return Mismatch("CheckBill: one BillChecked expected");
    }
    bill->checker = checker;
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanReverse(size_t a) {
  Model& m = models_[a];
  if (m.bills().empty()) return std::nullopt;
  Bill* bill = &m.bills()[Uniform(0, static_cast<int64_t>(m.bills().size()) - 1)];
  if (Chance(60)) {
    for (Bill& b : m.bills()) {
      if (!b.reversed && (bill->reversed || b.month > bill->month)) bill = &b;
    }
  }
  const std::string who = Someone("bill_checker");
  v1::ReverseBillRequest request;
  request.set_account_id(m.id());
  request.set_bill_id(bill->id);
  request.set_reason("re-rate");
  Planned plan;
  plan.command = {who, request};
  bool later = false;
  for (const Bill& b : m.bills()) later = later || (!b.reversed && b.month > bill->month);
  if (bill->collectors.count(who) > 0) {
    plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-COLLECT-ALTER");
  } else if (bill->reversed) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "already reversed");
  } else if (bill->principal_paid + bill->penalty_paid != 0) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "paid");
  } else if (later) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "C-REVERSE-ORDER");
  }
  plan.on_ok = [this, bill](const std::vector<v1::EventEnvelope>& events) {
    if (events.size() != 1 || !events[0].payload().has_bill_reversed()) {
      return Mismatch("ReverseBill: one BillReversed expected");
    }
    bill->reversed = true;
    ++stats.reversals;
    return absl::OkStatus();
  };
  return plan;
}

Expectation Scenario::PredictPay(Model& m, const v1::PostPaymentRequest& request,
                                 const std::string& collector, Payment& payment,
                                 std::vector<std::string>& accrued) {
  const Day paid_on = DayOf(request.paid_on());
  if (Today() < paid_on) return Refuse(absl::StatusCode::kInvalidArgument, "P-NO-FUTURE");
  payment.id = request.payment_id();
  payment.amount = request.amount_fen();
  payment.paid_on = paid_on;
  int64_t remaining = payment.amount;
  for (Bill& b : m.bills()) {
    if (remaining == 0) break;
    if (b.reversed) continue;
    std::optional<Day> through = b.penalty_through;
    if (b.total - b.principal_paid > 0 && m.AccruedThrough(b) < paid_on) {
      through = paid_on;
      accrued.push_back(b.id);
    }
    const int64_t principal = std::max<int64_t>(0, b.total - b.principal_paid);
    const int64_t penalty = std::max<int64_t>(0, m.PenaltyThrough(b, through) - b.penalty_paid);
    if (principal + penalty == 0) continue;
    if (m.Preparers(b).count(collector) > 0) {
      return Refuse(absl::StatusCode::kPermissionDenied, "S-PREPARE-COLLECT");
    }
    if (b.penalty_through && paid_on < *b.penalty_through) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "P-BACKDATED");
    }
    for (const auto& [owed, to_penalty] : {std::pair{principal, false}, {penalty, true}}) {
      const int64_t fen = std::min(remaining, owed);
      if (fen <= 0) continue;
      payment.allocations.push_back({b.id, fen, to_penalty});
      remaining -= fen;
    }
  }
  payment.credit = remaining;
  return Ok();
}

std::optional<Planned> Scenario::PlanPay(size_t a) {
  Model& m = models_[a];
  if (m.bills().empty()) return std::nullopt;
  int64_t oldest = 0;
  for (const Bill& b : m.bills()) {
    if (!b.reversed && b.total - b.principal_paid > 0) {
      oldest = b.total - b.principal_paid;
      break;
    }
  }
  const int dice = static_cast<int>(Uniform(0, 99));
  int64_t amount = dice < 30   ? oldest
                   : dice < 60 ? std::max<int64_t>(1, oldest / 2)
                   : dice < 80 ? oldest + Uniform(1, 20'000)
                               : Uniform(1, 5'000);
  if (amount <= 0) amount = Uniform(1, 5'000);
  v1::PostPaymentRequest request;
  request.set_account_id(m.id());
  request.set_payment_id(absl::StrCat(m.id(), "-p", ++next_id_));
  request.set_amount_fen(amount);
  *request.mutable_paid_on() = DateOf(Chance(4) ? Today() + Uniform(1, 10) : now_ - Uniform(0, 45));
  const std::string collector = Someone("collector");
  Planned plan;
  plan.command = {collector, request};
  auto payment = std::make_shared<Payment>();
  auto accrued = std::make_shared<std::vector<std::string>>();
  plan.expect = PredictPay(m, request, collector, *payment, *accrued);
  plan.on_ok = [this, &m, payment, accrued,
                collector](const std::vector<v1::EventEnvelope>& events) -> absl::Status {
    std::vector<std::string> penalised;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      if (!events[i].payload().has_penalty_accrued()) {
        return Mismatch("PostPayment: accruals first");
      }
      penalised.push_back(events[i].payload().penalty_accrued().bill_id());
    }
    if (events.empty() || !events.back().payload().has_payment_posted() || penalised != *accrued) {
      return Mismatch(absl::StrCat("PostPayment ", payment->id, ": accrued to paid_on on ",
                                   absl::StrJoin(penalised, ","), ", the model says ",
                                   absl::StrJoin(*accrued, ","), " (P-PAID-ON)"));
    }
    const v1::PaymentPosted& posted = events.back().payload().payment_posted();
    std::vector<std::tuple<std::string, int64_t, bool>> got, want;
    for (const auto& x : posted.allocations()) {
      got.emplace_back(x.bill_id(), x.amount_fen(), x.to_penalty());
    }
    for (const auto& x : payment->allocations) want.emplace_back(x.bill, x.fen, x.to_penalty);
    if (got != want || posted.credit_fen() != payment->credit) {
      return Mismatch(absl::StrCat("PostPayment ", payment->id, ": ", posted.ShortDebugString(),
                                   "; the model allocates ", want.size(), " parts, credit ",
                                   payment->credit, " (P-ALLOCATION)"));
    }
    for (const std::string& id : *accrued) m.FindBill(id)->penalty_through = payment->paid_on;
    for (const Allocation& x : payment->allocations) {
      Bill* b = m.FindBill(x.bill);
      (x.to_penalty ? b->penalty_paid : b->principal_paid) += x.fen;
      b->collectors.insert(collector);
    }
    m.AddCredit(payment->credit);
    m.payments().push_back(*payment);
    ++stats.payments;
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanUnpay(size_t a) {
  Model& m = models_[a];
  if (m.payments().empty()) return std::nullopt;
  Payment* payment = &m.payments()[Uniform(0, static_cast<int64_t>(m.payments().size()) - 1)];
  const std::string who = Someone("collector");
  v1::ReversePaymentRequest request;
  request.set_account_id(m.id());
  request.set_payment_id(payment->id);
  request.set_reason("bounced");
  Planned plan;
  plan.command = {who, request};
  for (const Allocation& x : payment->allocations) {
    if (m.Preparers(*m.FindBill(x.bill)).count(who) > 0) {
      plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-PREPARE-COLLECT");
    }
  }
  if (plan.expect.code == absl::StatusCode::kOk && payment->reversed) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "already reversed");
  }
  // P-REVERSAL: the days accrued after paid_on on each bill it paid principal to.
  auto catch_up = std::make_shared<std::vector<std::string>>();
  for (const Allocation& x : payment->allocations) {
    const Bill& b = *m.FindBill(x.bill);
    if (!x.to_penalty && b.penalty_through &&
        std::max(payment->paid_on, b.due) < *b.penalty_through &&
        std::count(catch_up->begin(), catch_up->end(), b.id) == 0) {
      catch_up->push_back(b.id);
    }
  }
  plan.on_ok = [&m, payment, who, catch_up](const std::vector<v1::EventEnvelope>& events) {
    std::vector<std::string> penalised;
    for (size_t i = 1; i < events.size(); ++i) {
      penalised.push_back(events[i].payload().penalty_accrued().bill_id());
    }
    if (events.empty() || !events[0].payload().has_payment_reversed() || penalised != *catch_up) {
      return Mismatch(absl::StrCat("ReversePayment ", payment->id, ": accrued on ",
                                   absl::StrJoin(penalised, ","), ", the model says ",
                                   absl::StrJoin(*catch_up, ","), " (P-REVERSAL)"));
    }
    payment->reversed = true;
    for (const Allocation& x : payment->allocations) {
      Bill* b = m.FindBill(x.bill);
      (x.to_penalty ? b->penalty_paid : b->principal_paid) -= x.fen;
      b->collectors.insert(who);
    }
    m.AddCredit(-payment->credit);
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::PlanAccrue(size_t a) {
  Model& m = models_[a];
  if (m.bills().empty()) return std::nullopt;
  Bill* bill = &m.bills()[Uniform(0, static_cast<int64_t>(m.bills().size()) - 1)];
  if (Chance(70)) {  // mostly a standing bill with principal unpaid
    for (Bill& b : m.bills()) {
      if (!b.reversed && b.total > b.principal_paid && Chance(50)) bill = &b;
    }
  }
  const std::string who = Someone("bill_checker");
  v1::AccruePenaltyRequest request;
  request.set_account_id(m.id());
  request.set_bill_id(bill->id);
  const Day as_of = Chance(5) ? Today() + Uniform(1, 10) : now_ - Uniform(0, 20);
  *request.mutable_as_of() = DateOf(as_of);
  Planned plan;
  plan.command = {who, request};
  if (Today() < as_of) {
    plan.expect = Refuse(absl::StatusCode::kInvalidArgument, "P-NO-FUTURE");
  } else if (bill->collectors.count(who) > 0) {
    plan.expect = Refuse(absl::StatusCode::kPermissionDenied, "S-COLLECT-ALTER");
  } else if (bill->reversed || bill->total - bill->principal_paid <= 0) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "P-BASE");
  } else if (!(m.AccruedThrough(*bill) < as_of)) {
    plan.expect = Refuse(absl::StatusCode::kFailedPrecondition, "not late");
  }
  const int64_t before = m.Penalty(*bill);
  plan.on_ok = [this, &m, bill, as_of, before](const std::vector<v1::EventEnvelope>& events) {
    if (events.size() != 1 || !events[0].payload().has_penalty_accrued()) {
      return Mismatch("AccruePenalty: one PenaltyAccrued expected");
    }
    bill->penalty_through = as_of;
    const int64_t added = events[0].payload().penalty_accrued().amount_fen();
    if (added != m.Penalty(*bill) - before) {
      return Mismatch(absl::StrCat("AccruePenalty on ", bill->id, ": +", added,
                                   " fen, the model says +", m.Penalty(*bill) - before,
                                   " (P-RATE, P-MINIMUM)"));
    }
    ++stats.penalties;
    return absl::OkStatus();
  };
  return plan;
}

std::optional<Planned> Scenario::Plan(size_t a) {
  const int dice = static_cast<int>(Uniform(0, 99));
  std::optional<Planned> plan;
  if (dice < 22) {
    plan = PlanRecord(a);
  } else if (dice < 37) {
    plan = PlanCheck(a);
  } else if (dice < 44) {
    plan = PlanDecide(a);
  } else if (dice < 47) {
    plan = PlanCorrection(a);
  } else if (dice < 62) {
    plan = PlanIssue(a);
  } else if (dice < 65) {
    plan = PlanCheckBill(a);
  } else if (dice < 71) {
    plan = PlanReverse(a);
  } else if (dice < 85) {
    plan = PlanPay(a);
  } else if (dice < 89) {
    plan = PlanUnpay(a);
  } else {
    plan = PlanAccrue(a);
  }
  if (!plan) plan = PlanCheck(a);
  if (!plan) plan = PlanIssue(a);
  if (!plan) plan = PlanPay(a);
  return plan;
}

// Keeps what the events say, for the invariants.
absl::Status Scenario::Observe(size_t a, const std::vector<v1::EventEnvelope>& events) {
  EventLedger& ledger = ledgers_[a];
  for (const v1::EventEnvelope& event : events) {
    const v1::DomainEvent& p = event.payload();
    if (p.has_bill_issued()) {
      EventLedger::BillFacts& facts = ledger.bills[p.bill_issued().bill_id()];
      facts.usage = RegsOf(p.bill_issued().usage());
      facts.total = p.bill_issued().total_fen();
      facts.month = MonthOf(p.bill_issued().period());
      facts.from = MonthOf(p.bill_issued().covers_from());
      ledger.bill_order.push_back(p.bill_issued().bill_id());
    } else if (p.has_bill_reversed()) {
      ledger.bills[p.bill_reversed().bill_id()].reversed = true;
    } else if (p.has_penalty_accrued()) {
      EventLedger::BillFacts& facts = ledger.bills[p.penalty_accrued().bill_id()];
      facts.penalty += p.penalty_accrued().amount_fen();
      facts.last_total_penalty = p.penalty_accrued().total_penalty_fen();
    } else if (p.has_payment_posted()) {
      ledger.live_payments[p.payment_posted().payment_id()] = p.payment_posted().amount_fen();
    } else if (p.has_payment_reversed()) {
      ledger.live_payments.erase(p.payment_reversed().payment_id());
    }
  }
  return absl::OkStatus();
}

absl::Status Scenario::CheckView(size_t a) {
  Model& m = models_[a];
  absl::StatusOr<v1::AccountView> view = executor_.View(m.id());
  if (!view.ok()) return view.status();
  if (view->outstanding_fen() != m.Outstanding() || view->credit_fen() != m.credit()) {
    return Mismatch(absl::StrCat(m.id(), ": outstanding ", view->outstanding_fen(), " credit ",
                                 view->credit_fen(), "; the model says ", m.Outstanding(), " and ",
                                 m.credit()));
  }
  for (const v1::BillSummary& shown : view->bills()) {
    Bill* bill = m.FindBill(shown.bill_id());
    if (bill == nullptr) {
      return Mismatch(absl::StrCat("a bill the model never issued: ", shown.bill_id()));
    }
    if (shown.reversed() != bill->reversed || shown.paid_fen() != bill->principal_paid ||
        shown.penalty_paid_fen() != bill->penalty_paid ||
        (!bill->reversed && shown.penalty_fen() != m.Penalty(*bill)) ||
        shown.paid_fen() > shown.total_fen() || shown.penalty_paid_fen() > shown.penalty_fen()) {
      return Mismatch(absl::StrCat(m.id(), " ", shown.ShortDebugString(), "; the model says paid ",
                                   bill->principal_paid, " penalty ", m.Penalty(*bill),
                                   " penalty paid ", bill->penalty_paid, " reversed ",
                                   bill->reversed));
    }
  }
  // Balances: charges less payments, from the events alone.
  const EventLedger& ledger = ledgers_[a];
  int64_t charged = 0, paid = 0;
  for (const auto& [id, facts] : ledger.bills) {
    if (!facts.reversed) charged += facts.total + facts.penalty;
  }
  for (const auto& [id, amount] : ledger.live_payments) paid += amount;
  if (charged - paid != view->outstanding_fen() - view->credit_fen()) {
    return Mismatch(absl::StrCat(m.id(), ": charged ", charged, " − paid ", paid,
                                 " ≠ outstanding − credit ",
                                 view->outstanding_fen() - view->credit_fen()));
  }
  return absl::OkStatus();
}

// Every kWh once: the standing bills tile the periods after the baseline and
// bill the meters' advance from the baseline read to the last billed read.
absl::Status Scenario::CheckContinuity(size_t a) {
  Model& m = models_[a];
  const EventLedger& ledger = ledgers_[a];
  std::vector<const EventLedger::BillFacts*> standing;
  for (const std::string& id : ledger.bill_order) {
    const EventLedger::BillFacts& facts = ledger.bills.at(id);
    if (facts.reversed) continue;
    standing.push_back(&facts);
    const Bill* bill = m.FindBill(id);
    if (facts.penalty != m.Penalty(*bill) ||
        (facts.last_total_penalty >= 0 && facts.last_total_penalty != m.Penalty(*bill))) {
      return Mismatch(absl::StrCat("bill ", id, ": penalties ", facts.penalty, " (total ",
                                   facts.last_total_penalty, "), the model says ", m.Penalty(*bill),
                                   " (P-RATE, P-MINIMUM)"));
    }
  }
  if (standing.empty()) return absl::OkStatus();
  std::sort(standing.begin(), standing.end(),
            [](const auto* x, const auto* y) { return x->month < y->month; });
  const Read* baseline = m.FindRead(m.baseline());
  Regs billed{};
  int next = baseline->month + 1;
  for (const auto* facts : standing) {
    if (facts->from != next) {
      return Mismatch(absl::StrCat(m.id(), ": a standing bill covers from ", Text(facts->from),
                                   ", the periods billed so far end before ", Text(next),
                                   " (C-CHAIN)"));
    }
    next = facts->month + 1;
    for (size_t i = 0; i < billed.size(); ++i) billed[i] += facts->usage[i];
  }
  // The meters' advance over accepted reads: it telescopes on each meter.
  const Read* last = m.BilledThrough();
  Regs advance{};
  const Read* previous = nullptr;
  for (const Read* r : m.Sequence()) {
    if (r->key() < baseline->key() || last->key() < r->key() || !r->accepted()) continue;
    if (previous != nullptr && previous->kind != Kind::kRemoved && r->kind != Kind::kInstalled) {
      for (size_t i = 0; i < advance.size(); ++i) {
        advance[i] += (r->regs[i] - previous->regs[i]) * r->multiplier;
      }
    }
    previous = r;
  }
  if (billed != advance) {
    return Mismatch(absl::StrCat(m.id(), ": standing bills bill ", billed[0],
                                 " Wh; the meters advanced ", advance[0], " Wh from ", baseline->id,
                                 " to ", last->id, " (C-CHAIN: each kWh once)"));
  }
  return absl::OkStatus();
}

absl::Status Scenario::CheckInvariants(size_t a) {
  if (absl::Status s = CheckView(a); !s.ok()) return s;
  return CheckContinuity(a);
}

absl::Status Scenario::Setup() {
  v1::TariffScheduleVersionPublished residential;
  residential.set_tariff_id(options_.id_prefix + "res");
  *residential.mutable_effective_from() = DateOf(Day(2020, 1, 1));
  residential.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  residential.set_flat_price_micro_cny_per_kwh(kFlatResidential);
  residential.set_tier_scope(v1::TIER_SCOPE_ANNUAL);
  for (const auto& [from, markup] :
       {std::pair{kTier2From, kTier2Markup}, {kTier3From, kTier3Markup}}) {
    auto* tier = residential.add_tiers();
    tier->set_threshold_wh(from);
    tier->set_markup_micro_cny_per_kwh(markup);
  }
  v1::TariffScheduleVersionPublished commercial;
  commercial.set_tariff_id(options_.id_prefix + "gc");
  *commercial.mutable_effective_from() = DateOf(Day(2020, 1, 1));
  commercial.set_category(v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  commercial.set_flat_price_micro_cny_per_kwh(kFlatCommercial);
  commercial.set_sharp_adjust_bp(9000);
  commercial.set_peak_adjust_bp(7000);
  commercial.set_valley_adjust_bp(-7000);
  for (const auto* tariff : {&residential, &commercial}) {
    if (absl::Status s = executor_.Publish(*tariff); !s.ok()) return s;
  }
  for (const Model& m : models_) {
    v1::AccountOpened account;
    account.set_account_id(m.id());
    account.set_customer_name(m.id());
    account.set_org_unit("sn/xa/huyi");
    account.set_tariff_id(m.id());
    account.set_category(m.residential() ? v1::CUSTOMER_CATEGORY_RESIDENTIAL
                                         : v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
    account.set_voltage_class(m.residential() ? v1::VOLTAGE_CLASS_LV_220V : v1::VOLTAGE_CLASS_10KV);
    if (!m.residential()) {
      account.set_contracted_capacity_kva(400);
      account.set_pf_standard(v1::POWER_FACTOR_STANDARD_085);
      account.set_time_of_use(true);
    }
    if (absl::Status s = executor_.Open(account); !s.ok()) return s;
  }
  for (size_t a = 0; a < models_.size(); ++a) {
    absl::StatusOr<std::vector<v1::EventEnvelope>> history = executor_.History(models_[a].id());
    if (!history.ok()) return history.status();
    known_events_[a] = history->size();
  }
  return absl::OkStatus();
}

std::string Describe(const Command& command) {
  return std::visit(
      [&](const auto& request) {
        return absl::StrCat(command.principal, ": ", request.GetDescriptor()->name(), " ",
                            request.ShortDebugString());
      },
      command.request);
}

absl::Status Scenario::Step(int step) {
  now_ += Uniform(0, 2);
  executor_.AdvanceTo(DateOf(now_));
  const size_t a = static_cast<size_t>(Uniform(0, static_cast<int64_t>(models_.size()) - 1));
  ExtendTruth(a, MonthOf(now_));
  std::optional<Planned> plan = Plan(a);
  if (!plan) return absl::OkStatus();
  const absl::Status status = executor_.Execute(plan->command);
  absl::StatusOr<std::vector<v1::EventEnvelope>> history = executor_.History(models_[a].id());
  if (!history.ok()) return history.status();
  std::vector<v1::EventEnvelope> events(history->begin() + known_events_[a], history->end());
  known_events_[a] = history->size();
  auto fail = [&](const std::string& what) {
    return absl::InternalError(
        absl::StrCat("step ", step, " (", Describe(plan->command), "): ", what));
  };
  ++stats.steps;
  if (status.code() != plan->expect.code) {
    return fail(absl::StrCat("the model expects ", absl::StatusCodeToString(plan->expect.code),
                             " (", plan->expect.why, "), the executor said ", status.ToString()));
  }
  if (!status.ok()) {
    ++stats.refused;
    ++stats.refusals[plan->expect.why];
    if (status.code() == absl::StatusCode::kPermissionDenied) ++stats.permission_denied;
    if (!events.empty()) return fail("a refused command wrote events");
  } else {
    ++stats.accepted;
    if (absl::Status s = plan->on_ok(events); !s.ok()) return fail(std::string(s.message()));
  }
  if (absl::Status s = Observe(a, events); !s.ok()) return fail(std::string(s.message()));
  if (absl::Status s = CheckInvariants(a); !s.ok()) return fail(std::string(s.message()));
  return absl::OkStatus();
}
}  // namespace

const std::vector<Principal>& Principals() {
  static const std::vector<Principal>* const kPrincipals = new std::vector<Principal>{
      {"ann", "meter_reader,bill_checker"},
      {"bob", "bill_checker,collector"},
      {"cat", "meter_reader,collector"},
      {"dan", "collector"},
      {"eve", "bill_checker"},
      {"fay", "meter_reader,bill_checker,collector"},
      {kAdmin, "admin"},
  };
  return *kPrincipals;
}

std::string ScenarioStats::Summary() const {
  return absl::StrCat(
      steps, " steps: ", accepted, " accepted, ", refused, " refused (", permission_denied,
      " by separation of duties); ", bills, " bills, ", reversals, " reversals, ", payments,
      " payments, ", penalties, " penalty accruals, ", exchanges, " meter exchanges, ", corrections,
      " read corrections; refusals: ", absl::StrJoin(refusals, ", ", absl::PairFormatter(" ")));
}

absl::StatusOr<ScenarioStats> RunScenario(BillingExecutor& executor,
                                          const ScenarioOptions& options) {
  Scenario scenario(executor, options);
  executor.AdvanceTo(options.start.year() != 0 ? options.start : DateOf(Day(2023, 1, 5)));
  if (absl::Status s = scenario.Setup(); !s.ok()) return s;
  for (int step = 1; step <= options.steps; ++step) {
    if (absl::Status s = scenario.Step(step); !s.ok()) return s;
  }
  return scenario.stats;
}
}  // namespace gridledger::billing::model
