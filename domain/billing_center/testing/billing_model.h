// A model-based test of the Billing Centre: long seeded random sequences of
// reads (some wrong, late, out of order, across meter exchanges), checks,
// decisions, corrections, bills, reversals, reissues, payments (late,
// partial, over, back-dated, bounced) and penalties, run against any
// executor of the commands (the account's rules in memory, or a real
// `gridledger serve` over gRPC) and compared after every step with a small
// independent model. The model does not use the rules' code: it keeps its
// own reads, bills and payments, predicts each command's outcome (OK or the
// status code of the refusal), and computes what the account must show:
//   - every kWh billed once: per account and register, the standing bills
//     bill the advance from the baseline read to the last billed read, each
//     interval once, and each bill the advance of its own interval;
//   - annual tiers from the year's consumption in period order;
//   - penalties by the rules, day by day: on each late day the principal not
//     yet paid by a payment dated before it, at that day's rate, the total
//     rounded once and at least 1 CNY;
//   - payments allocated oldest bill first, principal then penalty, the rest
//     credit; balances equal charges minus payments; nothing paid beyond what
//     was charged;
//   - separation of duties: who read, checked or issued a bill never
//     collects it; who collected it never checks, reverses or penalises it.
// A refused command must write nothing. Test-only; no gtest dependency (Run
// returns the first discrepancy).
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TESTING_BILLING_MODEL_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TESTING_BILLING_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::billing::model {

// The principals and their roles. A principal may hold several; the rules
// are about what they did.
struct Principal {
  const char* name;
  const char* roles;  // comma-separated
};
const std::vector<Principal>& Principals();
inline constexpr char kAdmin[] = "admin";  // opens accounts, publishes tariffs

using Request =
    std::variant<v1::RecordReadRequest, v1::CheckReadRequest, v1::DecideReadRequest,
                 v1::IssueBillRequest, v1::CheckBillRequest, v1::ReverseBillRequest,
                 v1::PostPaymentRequest, v1::ReversePaymentRequest, v1::AccruePenaltyRequest>;

struct Command {
  std::string principal;
  Request request;
};

// Runs commands somewhere: the rules in memory, or a served GridLedger.
class BillingExecutor {
 public:
  virtual ~BillingExecutor() = default;
  virtual absl::Status Publish(const v1::TariffScheduleVersionPublished& version) = 0;
  virtual absl::Status Open(const v1::AccountOpened& account) = 0;
  // The command as its principal; the status as the service answers it.
  virtual absl::Status Execute(const Command& command) = 0;
  // Every event of the account's stream, in order.
  virtual absl::StatusOr<std::vector<v1::EventEnvelope>> History(const std::string& account) = 0;
  virtual absl::StatusOr<v1::AccountView> View(const std::string& account) = 0;
  // Today in the utility's zone, as the executor's rules see it.
  virtual v1::Date Today() = 0;
  // The scenario's clock moved on (an in-memory executor makes it today).
  virtual void AdvanceTo(const v1::Date& date) {}
};

struct ScenarioOptions {
  uint64_t seed = 1;
  int steps = 500;
  std::string id_prefix = "m";  // account ids: <prefix>res, <prefix>gc
  v1::Date start;               // the first simulated day (default 2023-01-05)
};

struct ScenarioStats {
  int steps = 0;
  int accepted = 0;
  int refused = 0;
  int bills = 0;
  int reversals = 0;
  int payments = 0;
  int penalties = 0;
  int exchanges = 0;
  int corrections = 0;
  int permission_denied = 0;
  std::map<std::string, int> refusals;  // by the rule the model applied
  std::string Summary() const;
};

// Sets up the tariffs and accounts, then runs `options.steps` commands,
// checking the executor against the model after each. The first
// discrepancy (naming the step, the command, what the model expected and
// what the executor did) is the error.
absl::StatusOr<ScenarioStats> RunScenario(BillingExecutor& executor,
                                          const ScenarioOptions& options);

}  // namespace gridledger::billing::model

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TESTING_BILLING_MODEL_H_
