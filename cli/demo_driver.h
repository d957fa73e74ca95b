// The county month `gridledger demo` drives (demo_command.h says what it
// does): every call goes through the public gRPC API with the principals'
// tokens, so the demo exercises exactly what a client would.
#ifndef GRIDLEDGER_CLI_DEMO_DRIVER_H_
#define GRIDLEDGER_CLI_DEMO_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gridledger::cli {

// What happened, counted as the calls return; thread-safe.
struct DemoTotals {
  std::atomic<int64_t> commands{0};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> meters{0}, calibration_failures{0}, installed{0};
  std::atomic<int64_t> accounts{0}, reads{0}, flagged{0}, rereads{0}, estimated{0};
  std::atomic<int64_t> bills{0}, billed_fen{0}, collected_fen{0}, partial{0}, unpaid{0};
  std::atomic<int64_t> applications{0}, applications_closed{0}, withdrawn{0}, bay_approvals{0};
  std::atomic<int64_t> tickets{0};
  std::atomic<int64_t> wholesale{0}, back_billings{0}, penalties{0};
  // Supervision: clock ticks recorded, work vouchers accepted, scans of the
  // wrong meter refused, and the alerts by rule as SupervisionQuery lists them.
  std::atomic<int64_t> ticks{0}, ticks_behind{0}, vouchers{0}, wrong_scans_refused{0};
  // The supply network: gateway reads recorded; outage coordination:
  // proposals made, coordinations accepted and the energy they save.
  std::atomic<int64_t> gateway_reads{0}, outage_proposals{0}, outages_coordinated{0},
      energy_saved_wh{0};
  std::map<std::string, std::pair<int64_t, int64_t>>
      alerts_by_rule;  // raised, resolved; guarded by mu
  std::mutex mu;
  std::vector<std::string> first_errors;  // guarded by mu
};

// How much business to drive.
struct DemoPlan {
  int accounts = 2000;
  int applications = 200;
  int tickets = 100;
  int threads = 8;
  int seed = 2026;
};

// Drives one simulated month of county `tag` (sn/xa/<tag>) through `channel`
// with `tokens` (role → bearer token; every role of demo_command.h needed),
// on `plan.threads` client threads, counting into `totals`. With an "admin"
// token it then drives the supervision clock over the month after, with a
// case for every rule (a "field_crew" token adds the work voucher's), and
// counts the alerts SupervisionQuery shows.
void DriveCountyMonth(const std::shared_ptr<grpc::Channel>& channel,
                      const std::map<std::string, std::string>& tokens, const std::string& tag,
                      const DemoPlan& plan, DemoTotals* totals);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_DEMO_DRIVER_H_
