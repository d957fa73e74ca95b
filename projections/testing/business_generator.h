// Random but valid business, seeded and reproducible, as one-event appends:
// accounts in several org units with reads, checks and decisions, bills,
// reversals, payments (allocated oldest first, over-payments to credit) and
// their reversals, penalties, back-billing and closures; applications and
// 95598 tickets; meters received, verified, dispatched and scrapped; KPI
// targets. It keeps only what it needs to stay valid; tests compute what the
// views should say from the events themselves.
#ifndef GRIDLEDGER_PROJECTIONS_TESTING_BUSINESS_GENERATOR_H_
#define GRIDLEDGER_PROJECTIONS_TESTING_BUSINESS_GENERATOR_H_

#include <map>
#include <random>
#include <string>
#include <vector>

#include "eventstore/event_store.h"

namespace gridledger::testing {

class BusinessGenerator {
 public:
  // `accounts`, `meters`: how many of each the business grows to. Every id
  // starts with `id_prefix`, so generators with different prefixes can feed
  // one store side by side.
  BusinessGenerator(uint64_t seed, int accounts, int meters, std::string id_prefix = "");

  // The next event as an append (stream, command id, one event).
  eventstore::AppendRequest Next();

  // The org units events are spread over (counties of two cities of "sn").
  static const std::vector<std::string>& OrgUnits();

 private:
  struct Bill {
    std::string id;
    int64_t unpaid = 0;  // principal
    int64_t penalty_unpaid = 0;
    bool touched = false;  // paid or penalised: can no longer be reversed
    bool reversed = false;
  };
  struct Account {
    std::string id;
    std::string unit;
    std::vector<Bill> bills;
    struct Payment {
      std::string id;
      int64_t amount = 0;
      struct Allocation {
        size_t bill = 0;
        bool to_penalty = false;
        int64_t fen = 0;
      };
      std::vector<Allocation> allocations;
      bool reversed = false;
    };
    std::vector<Payment> payments;
    std::vector<std::string> unchecked_reads, flagged_reads;
    int reads = 0;
    int inspections = 0;
    bool closed = false;
  };
  struct Meter {
    int step = 0;  // 0 received, 1 verified, 2 dispatched, 3 scrapped
  };

  v1::EventEnvelope Envelope(const std::string& unit);
  eventstore::AppendRequest Append(const std::string& stream, v1::EventEnvelope event);
  eventstore::AppendRequest AccountStep(Account& account);
  // AccountStep's larger moves, each staging its event in `payload`.
  void IssueBill(Account& account, v1::DomainEvent& payload);
  void PostPayment(Account& account, const std::vector<size_t>& open, v1::DomainEvent& payload);
  void ReversePayment(Account& account, v1::DomainEvent& payload);
  void BackBill(Account& account, v1::DomainEvent& payload);
  eventstore::AppendRequest MeterStep();
  eventstore::AppendRequest CustomerStep();
  v1::Period RandomPeriod();
  int64_t Uniform(int64_t low, int64_t high);  // inclusive

  std::mt19937_64 random_;
  const int max_accounts_;
  const int max_meters_;
  const std::string prefix_;
  int64_t commands_ = 0;
  int64_t clock_ = 1767196800;  // 2026-01-01T00:00:00+08:00 … advancing
  std::vector<Account> accounts_;
  std::vector<Meter> meters_;
  std::map<std::string, std::string> open_applications_;       // id → unit
  std::vector<std::pair<std::string, int64_t>> open_tickets_;  // id, opened_at
  int64_t next_id_ = 0;
};

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_PROJECTIONS_TESTING_BUSINESS_GENERATOR_H_
