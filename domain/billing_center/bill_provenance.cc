#include "domain/billing_center/bill_provenance.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/tariff/rules.h"

namespace gridledger::billing {
namespace {

using History = std::vector<v1::EventEnvelope>;

bool IsBill(const v1::DomainEvent& p, const std::string& bill_id) {
  return (p.has_bill_issued() && p.bill_issued().bill_id() == bill_id) ||
         (p.has_back_billing_issued() && p.back_billing_issued().bill_id() == bill_id);
}

// What a v1 line of `kind` priced, by kind (v2 lines say it themselves).
std::vector<std::string> RegistersOfKind(const v1::BillLine& line) {
  switch (line.kind()) {
    case v1::BILL_LINE_KIND_ENERGY_TOU:
      switch (line.tou_period()) {
        case v1::TOU_PERIOD_SHARP:
          return {"sharp_wh"};
        case v1::TOU_PERIOD_PEAK:
          return {"peak_wh"};
        case v1::TOU_PERIOD_VALLEY:
          return {"valley_wh"};
        default:
          return {"flat_wh"};
      }
    case v1::BILL_LINE_KIND_BASIC_CAPACITY:
      return {};
    case v1::BILL_LINE_KIND_BASIC_DEMAND:
    case v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS:
      return {"max_demand_w"};
    case v1::BILL_LINE_KIND_POWER_FACTOR:
      return {"total_wh", "reactive_varh"};
    default:
      return {"total_wh"};
  }
}

// The year-to-date input a v1 bill used: the energy of the year's bills of
// earlier months issued before it and not reversed then.
int64_t V1YearToDate(const History& history, size_t bill_index) {
  const v1::BillIssued& bill = history[bill_index].payload().bill_issued();
  std::map<std::string, std::pair<v1::Period, int64_t>> standing;
  for (size_t i = 0; i < bill_index; ++i) {
    const v1::DomainEvent& p = history[i].payload();
    if (p.has_bill_issued()) {
      standing[p.bill_issued().bill_id()] = {p.bill_issued().period(), p.bill_issued().energy_wh()};
    } else if (p.has_bill_reversed()) {
      standing.erase(p.bill_reversed().bill_id());
    }
  }
  int64_t sum = 0;
  for (const auto& [id, period_energy] : standing) {
    const auto& [period, energy] = period_energy;
    if (period.year() == bill.period().year() && period.month() < bill.period().month()) {
      sum += energy;
    }
  }
  return sum;
}

v1::ExplainedLine ExplainLine(const v1::BillLine& line, const v1::BillIssued& bill,
                              const v1::TariffScheduleVersionPublished* tariff,
                              int64_t v1_year_to_date) {
  const bool v2 = !bill.end_read_id().empty();
  v1::ExplainedLine explained;
  *explained.mutable_line() = line;
  std::string rule = rules::RuleIdOf(line.rule(), line.kind());
  if (!v2 && rule == rules::kTierAnnual && tariff != nullptr &&
      tariff->tier_scope() == v1::TIER_SCOPE_MONTHLY) {
    rule = rules::kTierMonthly;
  }
  explained.set_rule(rule);
  explained.set_rule_title(rules::TitleOf(rule));
  explained.set_tariff_version(bill.tariff_version());
  if (v2) {
    *explained.mutable_read_ids() = line.read_ids();
    *explained.mutable_registers() = line.registers();
    explained.set_year_to_date_wh_before(line.year_to_date_wh_before());
    return explained;
  }
  for (const std::string& r : RegistersOfKind(line)) explained.add_registers(r);
  if (explained.registers_size() > 0) *explained.mutable_read_ids() = bill.read_ids();
  if (line.kind() == v1::BILL_LINE_KIND_ENERGY_TIER && rule == rules::kTierAnnual) {
    explained.set_year_to_date_wh_before(v1_year_to_date);
  }
  return explained;
}

v1::ExplainedPenalty ExplainPenalty(const v1::EventEnvelope& event) {
  const v1::PenaltyAccrued& accrued = event.payload().penalty_accrued();
  v1::ExplainedPenalty explained;
  *explained.mutable_event() = event;
  explained.set_unpaid_fen(accrued.unpaid_fen());
  explained.set_amount_fen(accrued.amount_fen());
  explained.set_rule(rules::kPenaltyRate);
  if (accrued.segments_size() > 0) {
    *explained.mutable_segments() = accrued.segments();
    return explained;
  }
  v1::PenaltySegment* segment = explained.add_segments();  // v1: one accrual, one rate
  *segment->mutable_from_date() = accrued.from_date();
  *segment->mutable_to_date() = accrued.to_date();
  segment->set_days(accrued.days());
  segment->set_rate_ppm_per_day(accrued.rate_ppm_per_day());
  return explained;
}

// Reads, checks, and what happened to the bill after it was issued.
void AddRelated(const History& history, const std::string& bill_id,
                const std::set<std::string>& read_ids, v1::BillExplanation* reply) {
  std::set<std::string> payment_ids;
  for (const v1::EventEnvelope& event : history) {
    const v1::DomainEvent& p = event.payload();
    if (p.has_meter_read_recorded() && read_ids.count(p.meter_read_recorded().read_id())) {
      *reply->add_reads() = event;
    } else if ((p.has_meter_read_checked() && read_ids.count(p.meter_read_checked().read_id())) ||
               (p.has_read_check_decided() && read_ids.count(p.read_check_decided().read_id()))) {
      *reply->add_checks() = event;
    } else if (p.has_penalty_accrued() && p.penalty_accrued().bill_id() == bill_id) {
      *reply->add_later() = event;
      *reply->add_penalties() = ExplainPenalty(event);
    } else if ((p.has_bill_checked() && p.bill_checked().bill_id() == bill_id) ||
               (p.has_bill_reversed() && p.bill_reversed().bill_id() == bill_id) ||
               (p.has_bill_issued() && p.bill_issued().replaces_bill_id() == bill_id) ||
               (p.has_payment_reversed() && payment_ids.count(p.payment_reversed().payment_id()))) {
      *reply->add_later() = event;
    } else if (p.has_payment_posted()) {
      for (const v1::PaymentAllocation& allocation : p.payment_posted().allocations()) {
        if (allocation.bill_id() == bill_id) {
          payment_ids.insert(p.payment_posted().payment_id());
          *reply->add_later() = event;
          break;
        }
      }
    }
  }
}

}  // namespace

absl::StatusOr<BillRef> FindBillRef(const History& account_history, const std::string& bill_id) {
  for (const v1::EventEnvelope& event : account_history) {
    const v1::DomainEvent& p = event.payload();
    if (!IsBill(p, bill_id)) continue;
    if (p.has_back_billing_issued()) return BillRef{};
    return BillRef{p.bill_issued().tariff_id(), p.bill_issued().tariff_version()};
  }
  return absl::NotFoundError(absl::StrCat("bill_id: ", bill_id, " is not a bill of the account"));
}

absl::StatusOr<v1::BillExplanation> ExplainBill(const History& account_history,
                                                const History& tariff_history,
                                                const std::string& bill_id) {
  v1::BillExplanation reply;
  size_t index = account_history.size();
  for (size_t i = 0; i < account_history.size(); ++i) {
    if (IsBill(account_history[i].payload(), bill_id)) index = i;
  }
  if (index == account_history.size()) {
    return absl::NotFoundError(absl::StrCat("bill_id: ", bill_id, " is not a bill of the account"));
  }
  *reply.mutable_bill() = account_history[index];
  const v1::DomainEvent& payload = account_history[index].payload();
  std::set<std::string> read_ids;
  if (payload.has_bill_issued()) {
    read_ids.insert(payload.bill_issued().read_ids().begin(),
                    payload.bill_issued().read_ids().end());
  }
  AddRelated(account_history, bill_id, read_ids, &reply);
  if (!payload.has_bill_issued()) return reply;
  const v1::BillIssued& issued = payload.bill_issued();
  const v1::TariffScheduleVersionPublished* tariff = nullptr;
  for (const v1::EventEnvelope& version : tariff_history) {
    const auto& published = version.payload().tariff_schedule_version_published();
    if (published.tariff_id() == issued.tariff_id() &&
        published.version() == issued.tariff_version()) {
      *reply.mutable_tariff_version() = version;
      tariff = &published;
    }
  }
  const int64_t v1_year_to_date =
      issued.end_read_id().empty() ? V1YearToDate(account_history, index) : 0;
  for (const v1::BillLine& line : issued.lines()) {
    *reply.add_lines() = ExplainLine(line, issued, tariff, v1_year_to_date);
  }
  return reply;
}

}  // namespace gridledger::billing
