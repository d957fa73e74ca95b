// The model-based test on the account's rules in memory: long seeded random
// sequences against the independent model (testing/billing_model.h), every
// step checked. tests/billing_model_e2e_test.cc runs the same model through
// a real `gridledger serve` on both backends.
#include "domain/billing_center/testing/billing_model.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/meter_on_account.h"
#include "domain/common/calendar.h"
#include "domain/common/event_schema.h"
#include "gtest/gtest.h"

namespace gridledger::billing {
namespace {

// The rules as the service runs them: fold the stream, decide, append the
// events with the principal as actor; today is the scenario's day.
class RulesExecutor final : public model::BillingExecutor {
 public:
  absl::Status Publish(const v1::TariffScheduleVersionPublished& version) override {
    std::vector<v1::TariffScheduleVersionPublished>& existing = tariffs_[version.tariff_id()];
    absl::StatusOr<v1::DomainEvent> event = DecidePublishTariff(existing, version);
    if (!event.ok()) return event.status();
    existing.push_back(event->tariff_schedule_version_published());
    return absl::OkStatus();
  }
  absl::Status Open(const v1::AccountOpened& account) override {
    return Append(account.account_id(), model::kAdmin,
                  OneEvent(DecideOpenAccount(Fold(account.account_id()), account,
                                             tariffs_[account.tariff_id()])));
  }
  absl::Status Execute(const model::Command& command) override {
    return std::visit([&](const auto& request) { return Run(command.principal, request); },
                      command.request);
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> History(const std::string& account) override {
    return streams_[account];
  }
  absl::StatusOr<v1::AccountView> View(const std::string& account) override {
    return ViewOf(Fold(account));
  }
  v1::Date Today() override { return today_; }
  void AdvanceTo(const v1::Date& date) override { today_ = date; }

  // The last `count` events of each account, to show what led to a failure.
  std::string Tail(size_t count) const {
    std::string out;
    for (const auto& [account, stream] : streams_) {
      absl::StrAppend(&out, account, ":\n");
      for (size_t i = stream.size() > count ? stream.size() - count : 0; i < stream.size(); ++i) {
        absl::StrAppend(&out, "  ", stream[i].stream_version(), " ", stream[i].actor().principal(),
                        " ", stream[i].payload().ShortDebugString(), "\n");
      }
    }
    return out;
  }

 private:
  using Events = absl::StatusOr<std::vector<v1::DomainEvent>>;
  static Events OneEvent(absl::StatusOr<v1::DomainEvent> event) {
    if (!event.ok()) return event.status();
    return std::vector<v1::DomainEvent>{*std::move(event)};
  }
  Account Fold(const std::string& account) { return FoldAccount(streams_[account]); }
  std::vector<v1::TariffScheduleVersionPublished> AllTariffs() {
    std::vector<v1::TariffScheduleVersionPublished> all;
    for (const auto& [id, versions] : tariffs_) {
      all.insert(all.end(), versions.begin(), versions.end());
    }
    return all;
  }
  absl::Status Append(const std::string& account, const std::string& actor, Events events) {
    if (!events.ok()) return events.status();
    std::vector<v1::EventEnvelope>& stream = streams_[account];
    for (v1::DomainEvent& payload : *events) {
      v1::EventEnvelope envelope;
      envelope.set_stream_version(static_cast<int64_t>(stream.size()) + 1);
      envelope.set_schema_version(domain::CurrentSchemaVersion(payload));
      envelope.mutable_actor()->set_principal(actor);
      *envelope.mutable_payload() = std::move(payload);
      stream.push_back(std::move(envelope));
    }
    return absl::OkStatus();
  }
  // As the service: the account's rules, then C-METER-ON-ACCOUNT against the
  // meters installed here (an installation read's meter is installed first,
  // as a metering technician would have done, on the scenario's day).
  absl::Status Run(const std::string& who, const v1::RecordReadRequest& r) {
    const std::string& id = r.read().account_id();
    const absl::Time today = absl::FromCivil(domain::ToCivilDay(today_), domain::UtilityZone());
    if (r.read().purpose() == v1::READ_PURPOSE_METER_INSTALLED &&
        !r.read().meter_bar_code().empty() && meters_.count(r.read().meter_bar_code()) == 0) {
      v1::EventEnvelope installed;
      installed.mutable_payload()->mutable_meter_installed()->set_account_id(id);
      *installed.mutable_payload()->mutable_meter_installed()->mutable_installed_at() =
          domain::ToTimestamp(today);
      meters_[r.read().meter_bar_code()] = {installed};
    }
    absl::StatusOr<v1::DomainEvent> decided = DecideRecordRead(Fold(id), r.read(), who, today_);
    if (decided.ok() && !decided->meter_read_recorded().meter_bar_code().empty()) {
      const std::string& meter = decided->meter_read_recorded().meter_bar_code();
      if (absl::Status on_account = CheckMeterOnAccount(meters_[meter], meter, id, today);
          !on_account.ok()) {
        return on_account;
      }
    }
    return Append(id, who, OneEvent(std::move(decided)));
  }
  absl::Status Run(const std::string& who, const v1::CheckReadRequest& r) {
    return Append(r.account_id(), who,
                  OneEvent(DecideCheckRead(Fold(r.account_id()), r.read_id(), who)));
  }
  absl::Status Run(const std::string& who, const v1::DecideReadRequest& r) {
    return Append(r.account_id(), who, OneEvent(DecideReadDecision(Fold(r.account_id()), r, who)));
  }
  absl::Status Run(const std::string& who, const v1::IssueBillRequest& r) {
    return Append(r.account_id(), who,
                  OneEvent(DecideIssueBill(Fold(r.account_id()), r, AllTariffs(), who, today_)));
  }
  absl::Status Run(const std::string& who, const v1::CheckBillRequest& r) {
    return Append(r.account_id(), who,
                  OneEvent(DecideCheckBill(Fold(r.account_id()), r.bill_id(), who)));
  }
  absl::Status Run(const std::string& who, const v1::ReverseBillRequest& r) {
    return Append(r.account_id(), who, OneEvent(DecideReverseBill(Fold(r.account_id()), r, who)));
  }
  absl::Status Run(const std::string& who, const v1::PostPaymentRequest& r) {
    return Append(r.account_id(), who, DecidePostPayment(Fold(r.account_id()), r, who, today_));
  }
  absl::Status Run(const std::string& who, const v1::ReversePaymentRequest& r) {
    return Append(r.account_id(), who, DecideReversePayment(Fold(r.account_id()), r, who));
  }
  absl::Status Run(const std::string& who, const v1::AccruePenaltyRequest& r) {
    return Append(r.account_id(), who,
                  OneEvent(DecideAccruePenalty(Fold(r.account_id()), r, who, today_)));
  }

  std::map<std::string, std::vector<v1::TariffScheduleVersionPublished>> tariffs_;
  std::map<std::string, std::vector<v1::EventEnvelope>> streams_;
  std::map<std::string, std::vector<v1::EventEnvelope>> meters_;  // each meter's installation
  v1::Date today_;
};

// Eight seeds of 1,500 steps each (about four simulated years per run).
TEST(BillingModelTest, LongRandomSequencesAgreeWithTheModelAtEveryStep) {
  int permission_denied = 0, exchanges = 0, corrections = 0, reversals = 0, penalties = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    RulesExecutor executor;
    model::ScenarioOptions options;
    options.seed = seed;
    options.steps = 1500;
    absl::StatusOr<model::ScenarioStats> stats = model::RunScenario(executor, options);
    ASSERT_TRUE(stats.ok()) << "seed " << seed << ": " << stats.status() << "\n"
                            << executor.Tail(60);
    if (seed == 1) std::cout << "seed 1: " << stats->Summary() << "\n";
    EXPECT_GT(stats->bills, 30) << stats->Summary();
    EXPECT_GT(stats->payments, 30) << stats->Summary();
    EXPECT_GT(stats->refused, 100) << stats->Summary();
    permission_denied += stats->permission_denied;
    exchanges += stats->exchanges;
    corrections += stats->corrections;
    reversals += stats->reversals;
    penalties += stats->penalties;
  }
  // Every kind of hostile move happened somewhere.
  EXPECT_GT(permission_denied, 50);
  EXPECT_GT(exchanges, 10);
  EXPECT_GT(corrections, 20);
  EXPECT_GT(reversals, 50);
  EXPECT_GT(penalties, 50);
}

}  // namespace
}  // namespace gridledger::billing
