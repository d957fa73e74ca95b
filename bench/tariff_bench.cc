// Bills calculated per second by the tariff engine (Google Benchmark): a
// residential bill with annual tiers and a fund, and a large-industry TOU
// bill with a demand charge over 105 %, power-factor adjustment and two funds.
//
//   build/bench/tariff_bench
#include "benchmark/benchmark.h"
#include "domain/billing_center/tariff/tariff_engine.h"

namespace gridledger::billing::tariff {
namespace {

v1::TariffScheduleVersionPublished ResidentialSchedule() {
  v1::TariffScheduleVersionPublished s;
  s.set_flat_price_micro_cny_per_kwh(498300);
  s.set_tier_scope(v1::TIER_SCOPE_ANNUAL);
  auto* t2 = s.add_tiers();
  t2->set_threshold_wh(2'160'000);
  t2->set_markup_micro_cny_per_kwh(50000);
  auto* t3 = s.add_tiers();
  t3->set_threshold_wh(4'200'000);
  t3->set_markup_micro_cny_per_kwh(300000);
  auto* fund = s.add_funds();
  fund->set_code("REN");
  fund->set_name("renewable energy surcharge");
  fund->set_price_micro_cny_per_kwh(19000);
  return s;
}

v1::TariffScheduleVersionPublished IndustrySchedule() {
  v1::TariffScheduleVersionPublished s;
  s.set_flat_price_micro_cny_per_kwh(600000);
  s.set_sharp_adjust_bp(9000);
  s.set_peak_adjust_bp(7000);
  s.set_valley_adjust_bp(-7000);
  s.set_demand_price_fen_per_kw_month(3600);
  for (const char* code : {"REN", "RES"}) {
    auto* fund = s.add_funds();
    fund->set_code(code);
    fund->set_name(code);
    fund->set_price_micro_cny_per_kwh(10000);
  }
  return s;
}

void BM_ResidentialBill(benchmark::State& state) {
  const auto schedule = ResidentialSchedule();
  BillInput input;
  input.terms.category = v1::CUSTOMER_CATEGORY_RESIDENTIAL;
  input.period.set_year(2026);
  input.period.set_month(11);
  input.schedule = &schedule;
  int64_t n = 0;
  for (auto _ : state) {
    input.usage.total_wh = 150'000 + (n % 400) * 1000;
    input.year_to_date_wh_before = 2'000'000 + (n % 50) * 10'000;
    ++n;
    benchmark::DoNotOptimize(CalculateBill(input));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResidentialBill);

void BM_LargeIndustryBill(benchmark::State& state) {
  const auto schedule = IndustrySchedule();
  BillInput input;
  input.terms.category = v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL;
  input.terms.time_of_use = true;
  input.terms.pf_standard = v1::POWER_FACTOR_STANDARD_090;
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  input.terms.contracted_demand_w = 1'000'000;
  input.period.set_year(2026);
  input.period.set_month(11);
  input.schedule = &schedule;
  int64_t n = 0;
  for (auto _ : state) {
    input.usage.sharp_wh = 10'000'000 + n % 1000;
    input.usage.peak_wh = 30'000'000;
    input.usage.flat_wh = 40'000'000;
    input.usage.valley_wh = 20'000'000;
    input.usage.total_wh = 100'000'000 + n % 1000;
    input.usage.reactive_varh = 45'000'000 + (n % 100) * 100'000;
    input.usage.max_demand_w = 1'020'000 + (n % 100) * 1000;
    ++n;
    benchmark::DoNotOptimize(CalculateBill(input));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LargeIndustryBill);

// Baseline: serializing the industry bill's BillIssued event, work every
// issued bill needs anyway on its way to the event store.
void BM_BaselineSerializeIndustryBill(benchmark::State& state) {
  const auto schedule = IndustrySchedule();
  BillInput input;
  input.terms.category = v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL;
  input.terms.time_of_use = true;
  input.terms.pf_standard = v1::POWER_FACTOR_STANDARD_090;
  input.terms.basic_charge_mode = v1::BASIC_CHARGE_MODE_DEMAND;
  input.terms.contracted_demand_w = 1'000'000;
  input.period.set_year(2026);
  input.period.set_month(11);
  input.schedule = &schedule;
  input.usage = {10'000'000, 10'000'000, 30'000'000, 40'000'000, 20'000'000, 45'000'000, 1'080'000};
  input.usage.total_wh = 100'000'000;
  const absl::StatusOr<BillCalculation> bill = CalculateBill(input);
  if (!bill.ok()) {
    state.SkipWithError("the bill does not calculate");
    return;
  }
  v1::BillIssued issued;
  for (const auto& line : bill->lines) *issued.add_lines() = line;
  issued.set_total_fen(bill->total_fen);
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    issued.SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineSerializeIndustryBill);

}  // namespace
}  // namespace gridledger::billing::tariff

BENCHMARK_MAIN();
