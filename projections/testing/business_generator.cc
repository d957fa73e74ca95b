#include "projections/testing/business_generator.h"

#include "absl/strings/str_cat.h"
#include "domain/common/streams.h"

namespace gridledger::testing {

const std::vector<std::string>& BusinessGenerator::OrgUnits() {
  static const std::vector<std::string> kUnits = {"sn/xa/huyi", "sn/xa/lintong", "sn/xa/yanta",
                                                  "sn/bj/weibin", "sn/bj/chencang"};
  return kUnits;
}

BusinessGenerator::BusinessGenerator(uint64_t seed, int accounts, int meters, std::string id_prefix)
    : random_(seed), max_accounts_(accounts), max_meters_(meters), prefix_(std::move(id_prefix)) {}

int64_t BusinessGenerator::Uniform(int64_t low, int64_t high) {
  return low + static_cast<int64_t>(random_() % static_cast<uint64_t>(high - low + 1));
}

v1::Period BusinessGenerator::RandomPeriod() {
  v1::Period period;
  period.set_year(2026);
  period.set_month(static_cast<int32_t>(Uniform(1, 12)));
  return period;
}

v1::EventEnvelope BusinessGenerator::Envelope(const std::string& unit) {
  clock_ += Uniform(1, 600);  // business time moves on, up to 10 minutes per event
  v1::EventEnvelope event;
  event.mutable_occurred_at()->set_seconds(clock_);
  event.mutable_actor()->set_principal("generator");
  event.mutable_actor()->set_role("admin");
  event.mutable_actor()->set_org_unit(unit);
  return event;
}

eventstore::AppendRequest BusinessGenerator::Append(const std::string& stream,
                                                    v1::EventEnvelope event) {
  event.set_type(eventstore::EventTypeOf(event.payload()));
  eventstore::AppendRequest request;
  request.stream_id = stream;
  request.command_id = absl::StrCat("gen-", prefix_, ++commands_);
  request.events.push_back(std::move(event));
  return request;
}

eventstore::AppendRequest BusinessGenerator::Next() {
  const int64_t dice = Uniform(0, 99);
  if (dice < 12) return MeterStep();
  if (dice < 24) return CustomerStep();
  if (dice < 25) {
    const std::string& unit = OrgUnits()[Uniform(0, OrgUnits().size() - 1)];
    v1::EventEnvelope event = Envelope(unit);
    v1::KpiTargetSet* target = event.mutable_payload()->mutable_kpi_target_set();
    target->set_org_unit(unit);
    *target->mutable_period() = RandomPeriod();
    target->set_kpi(static_cast<v1::Kpi>(Uniform(1, 8)));
    target->set_target_value(Uniform(0, 10000));
    target->set_target_unit("bp");
    std::string stream = unit;
    for (char& c : stream) c = c == '/' ? '.' : c;
    return Append(domain::kKpi.StreamOf(stream), std::move(event));
  }
  if (static_cast<int>(accounts_.size()) < max_accounts_ &&
      (accounts_.size() < 4 || Uniform(0, 9) == 0)) {
    Account account;
    account.id = absl::StrCat(prefix_, "A", accounts_.size());
    account.unit = OrgUnits()[Uniform(0, OrgUnits().size() - 1)];
    v1::EventEnvelope event = Envelope(account.unit);
    v1::AccountOpened* opened = event.mutable_payload()->mutable_account_opened();
    opened->set_account_id(account.id);
    opened->set_customer_name("customer");
    opened->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
    opened->set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
    opened->set_tariff_id("sn-res");
    opened->set_org_unit(account.unit);
    accounts_.push_back(account);
    return Append(domain::kAccount.StreamOf(account.id), std::move(event));
  }
  for (int tries = 0; tries < 8; ++tries) {
    Account& account = accounts_[Uniform(0, accounts_.size() - 1)];
    if (!account.closed) return AccountStep(account);
  }
  return MeterStep();
}

void BusinessGenerator::IssueBill(Account& account, v1::DomainEvent& payload) {
  Bill bill;
  bill.id = absl::StrCat(account.id, "-B", account.bills.size());
  bill.unpaid = Uniform(100, 500000);
  v1::BillIssued* issued = payload.mutable_bill_issued();
  issued->set_bill_id(bill.id);
  issued->set_account_id(account.id);
  *issued->mutable_period() = RandomPeriod();
  issued->set_total_fen(bill.unpaid);
  issued->mutable_due_date()->set_year(2026);
  issued->mutable_due_date()->set_month(issued->period().month());
  issued->mutable_due_date()->set_day(static_cast<int32_t>(Uniform(1, 28)));
  v1::BillLine* line = issued->add_lines();
  line->set_kind(v1::BILL_LINE_KIND_ENERGY);
  line->set_amount_fen(bill.unpaid);
  account.bills.push_back(bill);
}

void BusinessGenerator::PostPayment(Account& account, const std::vector<size_t>& open,
                                    v1::DomainEvent& payload) {
  Account::Payment payment;
  payment.id = absl::StrCat(account.id, "-P", account.payments.size());
  payment.amount = Uniform(1, 400000);
  v1::PaymentPosted* posted = payload.mutable_payment_posted();
  posted->set_payment_id(payment.id);
  posted->set_account_id(account.id);
  posted->set_amount_fen(payment.amount);
  posted->set_collector("collector");
  int64_t left = payment.amount;
  for (size_t i : open) {
    Bill& bill = account.bills[i];
    for (bool to_penalty : {false, true}) {
      int64_t& owed = to_penalty ? bill.penalty_unpaid : bill.unpaid;
      const int64_t fen = std::min(owed, left);
      if (fen <= 0) continue;
      owed -= fen;
      left -= fen;
      bill.touched = true;
      payment.allocations.push_back({i, to_penalty, fen});
      v1::PaymentAllocation* allocation = posted->add_allocations();
      allocation->set_bill_id(bill.id);
      allocation->set_amount_fen(fen);
      allocation->set_to_penalty(to_penalty);
    }
  }
  posted->set_credit_fen(left);
  account.payments.push_back(payment);
}

void BusinessGenerator::ReversePayment(Account& account, v1::DomainEvent& payload) {
  for (Account::Payment& payment : account.payments) {
    if (payment.reversed) continue;
    payment.reversed = true;
    for (const auto& allocation : payment.allocations) {
      Bill& bill = account.bills[allocation.bill];
      (allocation.to_penalty ? bill.penalty_unpaid : bill.unpaid) += allocation.fen;
    }
    v1::PaymentReversed* reversed = payload.mutable_payment_reversed();
    reversed->set_payment_id(payment.id);
    reversed->set_account_id(account.id);
    reversed->set_amount_fen(payment.amount);
    reversed->set_reason("bounced");
    break;
  }
}

void BusinessGenerator::BackBill(Account& account, v1::DomainEvent& payload) {
  const std::string inspection = absl::StrCat(account.id, "-I", ++account.inspections);
  Bill bill;
  bill.id = absl::StrCat(account.id, "-B", account.bills.size());
  v1::BackBillingIssued* back = payload.mutable_back_billing_issued();
  back->set_inspection_id(inspection);
  back->set_account_id(account.id);
  back->set_bill_id(bill.id);
  back->set_energy_wh(Uniform(1000, 900000));
  back->set_amount_fen(Uniform(100, 90000));
  back->set_penalty_fen(back->amount_fen() * 3);
  *back->mutable_from_period() = RandomPeriod();
  *back->mutable_to_period() = back->from_period();
  bill.unpaid = back->amount_fen() + back->penalty_fen();
  account.bills.push_back(bill);
}

eventstore::AppendRequest BusinessGenerator::AccountStep(Account& account) {
  v1::EventEnvelope event = Envelope(account.unit);
  v1::DomainEvent& payload = *event.mutable_payload();
  const int64_t dice = Uniform(0, 99);
  std::vector<size_t> open;  // bills with something unpaid
  for (size_t i = 0; i < account.bills.size(); ++i) {
    const Bill& b = account.bills[i];
    if (!b.reversed && b.unpaid + b.penalty_unpaid > 0) open.push_back(i);
  }
  if (dice < 20) {  // a read
    v1::MeterReadRecorded* read = payload.mutable_meter_read_recorded();
    read->set_read_id(absl::StrCat(account.id, "-R", ++account.reads));
    read->set_account_id(account.id);
    *read->mutable_period() = RandomPeriod();
    read->mutable_registers()->set_total_wh(int64_t{account.reads} * 150000);
    read->set_reader("reader");
    read->set_multiplier(1);
    account.unchecked_reads.push_back(read->read_id());
  } else if (dice < 35 && !account.unchecked_reads.empty()) {  // its check
    v1::MeterReadChecked* check = payload.mutable_meter_read_checked();
    check->set_read_id(account.unchecked_reads.back());
    check->set_passed(Uniform(0, 4) != 0);
    check->set_checker("checker");
    if (!check->passed()) account.flagged_reads.push_back(check->read_id());
    account.unchecked_reads.pop_back();
  } else if (dice < 40 && !account.flagged_reads.empty()) {  // a checker's decision
    v1::ReadCheckDecided* decided = payload.mutable_read_check_decided();
    decided->set_read_id(account.flagged_reads.back());
    decided->set_decision(static_cast<v1::ReadDecision>(Uniform(1, 3)));
    decided->set_checker("checker");
    account.flagged_reads.pop_back();
  } else if (dice < 60) {  // a bill
    IssueBill(account, payload);
  } else if (dice < 64) {  // reverse an untouched bill
    for (Bill& bill : account.bills) {
      if (bill.reversed || bill.touched) continue;
      bill.reversed = true;
      v1::BillReversed* reversed = payload.mutable_bill_reversed();
      reversed->set_bill_id(bill.id);
      reversed->set_reversed_amount_fen(bill.unpaid);
      reversed->set_reason("wrong read");
      bill.unpaid = 0;
      break;
    }
  } else if (dice < 82) {  // a payment, oldest first, remainder to credit
    PostPayment(account, open, payload);
  } else if (dice < 86) {  // reverse a payment
    ReversePayment(account, payload);
  } else if (dice < 93 && !open.empty()) {  // a penalty on an unpaid bill
    Bill& bill = account.bills[open[Uniform(0, open.size() - 1)]];
    const int64_t fen = std::max<int64_t>(100, bill.unpaid / 100);
    bill.penalty_unpaid += fen;
    bill.touched = true;
    v1::PenaltyAccrued* penalty = payload.mutable_penalty_accrued();
    penalty->set_account_id(account.id);
    penalty->set_bill_id(bill.id);
    penalty->set_unpaid_fen(bill.unpaid);
    penalty->set_days(10);
    penalty->set_rate_ppm_per_day(1000);
    penalty->set_amount_fen(fen);
  } else if (dice < 96) {  // inspection, then back-billing
    BackBill(account, payload);
  } else if (dice == 99 && Uniform(0, 9) == 0) {
    payload.mutable_account_closed()->set_account_id(account.id);
    payload.mutable_account_closed()->set_reason("moved away");
    account.closed = true;
  }
  if (payload.event_case() == v1::DomainEvent::EVENT_NOT_SET) {  // nothing applied: a read
    v1::MeterReadRecorded* read = payload.mutable_meter_read_recorded();
    read->set_read_id(absl::StrCat(account.id, "-R", ++account.reads));
    read->set_account_id(account.id);
    *read->mutable_period() = RandomPeriod();
    read->set_multiplier(1);
    account.unchecked_reads.push_back(read->read_id());
  }
  return Append(domain::kAccount.StreamOf(account.id), std::move(event));
}

eventstore::AppendRequest BusinessGenerator::MeterStep() {
  if (static_cast<int>(meters_.size()) < max_meters_ && (meters_.empty() || Uniform(0, 2) == 0)) {
    meters_.push_back(Meter{});
    const std::string bar_code = absl::StrCat(prefix_, "M", meters_.size() - 1);
    v1::EventEnvelope event = Envelope(OrgUnits()[Uniform(0, OrgUnits().size() - 1)]);
    v1::MeterReceived* received = event.mutable_payload()->mutable_meter_received();
    received->set_bar_code(bar_code);
    received->set_asset_kind(v1::ASSET_KIND_METER);
    received->mutable_accuracy_class()->set_class_tenths(20);
    received->set_store_tier(v1::STORE_TIER_COUNTY);
    received->set_store_id("store-1");
    return Append(domain::kMeter.StreamOf(bar_code), std::move(event));
  }
  const size_t index = Uniform(0, meters_.size() - 1);
  Meter& meter = meters_[index];
  const std::string bar_code = absl::StrCat(prefix_, "M", index);
  v1::EventEnvelope event = Envelope("sn");
  v1::DomainEvent& payload = *event.mutable_payload();
  if (meter.step == 0 || (meter.step == 1 && Uniform(0, 3) == 0)) {
    v1::MeterCalibrated* calibrated = payload.mutable_meter_calibrated();
    calibrated->set_bar_code(bar_code);
    calibrated->set_passed(Uniform(0, 9) != 0);
    calibrated->set_first_verification(meter.step == 0);
    calibrated->mutable_verified_on()->set_year(static_cast<int32_t>(Uniform(2017, 2026)));
    calibrated->mutable_verified_on()->set_month(static_cast<int32_t>(Uniform(1, 12)));
    calibrated->mutable_verified_on()->set_day(static_cast<int32_t>(Uniform(1, 28)));
    if (calibrated->passed()) {
      *calibrated->mutable_next_due() = calibrated->verified_on();
      calibrated->mutable_next_due()->set_year(calibrated->verified_on().year() + 8);
    }
    meter.step = 1;
  } else if (meter.step == 1) {
    v1::MeterDispatched* dispatched = payload.mutable_meter_dispatched();
    dispatched->set_bar_code(bar_code);
    dispatched->set_to_org_unit(OrgUnits()[Uniform(0, OrgUnits().size() - 1)]);
    meter.step = 2;
  } else if (meter.step == 2) {
    payload.mutable_meter_scrapped()->set_bar_code(bar_code);
    payload.mutable_meter_scrapped()->set_reason("end of life");
    meter.step = 3;
  } else {
    payload.mutable_meter_reverification_requested()->set_bar_code(bar_code);
  }
  return Append(domain::kMeter.StreamOf(bar_code), std::move(event));
}

eventstore::AppendRequest BusinessGenerator::CustomerStep() {
  const bool application = Uniform(0, 1) == 0;
  if (application) {
    if (!open_applications_.empty() && Uniform(0, 1) == 0) {
      auto it = open_applications_.begin();
      std::advance(it, Uniform(0, open_applications_.size() - 1));
      v1::EventEnvelope event = Envelope(it->second);
      v1::ApplicationClosed* closed = event.mutable_payload()->mutable_application_closed();
      closed->set_application_id(it->first);
      closed->set_working_days_taken(static_cast<int32_t>(Uniform(1, 40)));
      closed->set_on_time(closed->working_days_taken() <= 22);
      const std::string stream = domain::kApplication.StreamOf(it->first);
      open_applications_.erase(it);
      return Append(stream, std::move(event));
    }
    const std::string id = absl::StrCat(prefix_, "AP", ++next_id_);
    const std::string& unit = OrgUnits()[Uniform(0, OrgUnits().size() - 1)];
    v1::EventEnvelope event = Envelope(unit);
    v1::ApplicationSubmitted* submitted = event.mutable_payload()->mutable_application_submitted();
    submitted->set_application_id(id);
    submitted->set_application_type(static_cast<v1::ApplicationType>(Uniform(1, 2)));
    submitted->set_voltage_class(Uniform(0, 1) == 0 ? v1::VOLTAGE_CLASS_LV_220V
                                                    : v1::VOLTAGE_CLASS_10KV);
    submitted->set_org_unit(unit);
    open_applications_[id] = unit;
    return Append(domain::kApplication.StreamOf(id), std::move(event));
  }
  if (!open_tickets_.empty() && Uniform(0, 1) == 0) {
    const size_t index = Uniform(0, open_tickets_.size() - 1);
    const auto [id, opened_at] = open_tickets_[index];
    open_tickets_.erase(open_tickets_.begin() + static_cast<std::ptrdiff_t>(index));
    v1::EventEnvelope event = Envelope("sn");
    v1::ServiceTicketOnSite* on_site = event.mutable_payload()->mutable_service_ticket_on_site();
    on_site->set_ticket_id(id);
    on_site->mutable_arrived_at()->set_seconds(opened_at + Uniform(5, 150) * 60);
    on_site->set_within_limit(on_site->arrived_at().seconds() - opened_at <= int64_t{45} * 60);
    return Append(domain::kTicket.StreamOf(id), std::move(event));
  }
  const std::string id = absl::StrCat(prefix_, "T", ++next_id_);
  const std::string& unit = OrgUnits()[Uniform(0, OrgUnits().size() - 1)];
  v1::EventEnvelope event = Envelope(unit);
  v1::ServiceTicketOpened* opened = event.mutable_payload()->mutable_service_ticket_opened();
  opened->set_ticket_id(id);
  opened->set_org_unit(unit);
  opened->set_area(v1::SERVICE_AREA_URBAN);
  *opened->mutable_opened_at() = event.occurred_at();
  open_tickets_.emplace_back(id, event.occurred_at().seconds());
  return Append(domain::kTicket.StreamOf(id), std::move(event));
}

}  // namespace gridledger::testing
