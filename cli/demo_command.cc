#include "cli/demo_command.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command_line.h"
#include "cli/demo_driver.h"
#include "common/ids.h"
#include "domain/common/calendar.h"

namespace gridledger::cli {
namespace {

struct DemoFlags {
  std::string target, credentials;
  DemoPlan plan;
};

// The credentials file's "<role> <token>" lines; INVALID_ARGUMENT naming a
// role the demo needs and the file lacks.
absl::StatusOr<std::map<std::string, std::string>> ReadCredentials(const std::string& path) {
  std::map<std::string, std::string> tokens;
  std::ifstream in(path);
  std::string role, token;
  while (in >> role >> token) tokens[role] = token;
  for (const char* needed : {"customer_service", "marketing_manager", "metering_technician",
                             "meter_reader", "bill_checker", "collector"}) {
    if (!tokens.count(needed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--credentials has no token for role ", needed));
    }
  }
  return tokens;
}

void PrintSummary(const std::string& tag, const std::string& target, DemoTotals& s,
                  double seconds) {
  std::printf(
      "GridLedger demo (county sn/xa/%s), billing %s at its business dates, through gRPC at "
      "%s\n"
      "  metering:   %lld meters received, %lld failed first verification, %lld installed\n"
      "  billing:    %lld accounts, %lld reads (%lld flagged, %lld re-read, %lld estimated)\n"
      "              %lld bills, billed %lld.%02lld CNY, collected %lld.%02lld CNY "
      "(%lld partly paid, %lld unpaid, %lld penalties)\n"
      "              %lld wholesale settlement(s), %lld theft back-billed after inspection\n"
      "  customers:  %lld applications (%lld closed, %lld withdrawn, %lld bay approvals), "
      "%lld 95598 tickets\n"
      "  commands:   %lld in %.1f s (%.0f/s), %lld failed\n",
      tag.c_str(),
      absl::FormatCivilTime(absl::CivilMonth(domain::UtilityDay(absl::Now())) - 2).c_str(),
      target.c_str(), (long long)s.meters.load(), (long long)s.calibration_failures.load(),
      (long long)s.installed.load(), (long long)s.accounts.load(), (long long)s.reads.load(),
      (long long)s.flagged.load(), (long long)s.rereads.load(), (long long)s.estimated.load(),
      (long long)s.bills.load(), (long long)(s.billed_fen.load() / 100),
      (long long)(s.billed_fen.load() % 100), (long long)(s.collected_fen.load() / 100),
      (long long)(s.collected_fen.load() % 100), (long long)s.partial.load(),
      (long long)s.unpaid.load(), (long long)s.penalties.load(), (long long)s.wholesale.load(),
      (long long)s.back_billings.load(), (long long)s.applications.load(),
      (long long)s.applications_closed.load(), (long long)s.withdrawn.load(),
      (long long)s.bay_approvals.load(), (long long)s.tickets.load(), (long long)s.commands.load(),
      seconds, s.commands.load() / seconds, (long long)s.failures.load());
  if (s.gateway_reads.load() > 0) {
    std::printf(
        "  grid:       %lld gateway reads (2 feeders, 4 transformer areas); %lld outage "
        "coordination(s) proposed, %lld accepted, saving %lld kWh not supplied\n",
        (long long)s.gateway_reads.load(), (long long)s.outage_proposals.load(),
        (long long)s.outages_coordinated.load(), (long long)(s.energy_saved_wh.load() / 1000));
  }
  if (s.ticks.load() + s.ticks_behind.load() > 0) {
    std::printf(
        "  supervision: %lld clock ticks (%lld not needed: the clock was past them), "
        "%lld work voucher(s) verified, %lld scan(s) of the wrong meter refused; alerts "
        "(raised/resolved):\n",
        (long long)s.ticks.load(), (long long)s.ticks_behind.load(), (long long)s.vouchers.load(),
        (long long)s.wrong_scans_refused.load());
    std::lock_guard<std::mutex> lock(s.mu);
    for (const auto& [rule, counts] : s.alerts_by_rule) {
      std::printf("               %-44s %lld/%lld\n", rule.c_str(), (long long)counts.first,
                  (long long)counts.second);
    }
  }
  for (const std::string& error : s.first_errors) std::printf("  error: %s\n", error.c_str());
}

int RunDemo(const DemoFlags& flags) {
  absl::StatusOr<std::map<std::string, std::string>> tokens = ReadCredentials(flags.credentials);
  if (!tokens.ok()) return Report("demo", tokens.status());
  const std::string tag = NewUuid().substr(0, 6);
  DemoTotals totals;
  const absl::Time start = absl::Now();
  DriveCountyMonth(grpc::CreateChannel(flags.target, grpc::InsecureChannelCredentials()), *tokens,
                   tag, flags.plan, &totals);
  PrintSummary(tag, flags.target, totals, absl::ToDoubleSeconds(absl::Now() - start));
  return totals.failures.load() == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* command =
      app.add_subcommand("demo", "drive a simulated month of a county through the gRPC API");
  command->add_option("--target", flags->target, "the server, HOST:PORT")->required();
  command
      ->add_option("--credentials", flags->credentials,
                   "a file of \"<role> <token>\" lines (scripts/run writes one)")
      ->required();
  command->add_option("--accounts", flags->plan.accounts, "accounts to open and bill")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--applications", flags->plan.applications, "applications for supply")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--tickets", flags->plan.tickets, "95598 tickets")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--threads", flags->plan.threads, "client threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--seed", flags->plan.seed, "random seed")->capture_default_str();
  command->callback([flags, exit_code] { *exit_code = RunDemo(*flags); });
}

}  // namespace gridledger::cli
