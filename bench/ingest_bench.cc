// Bulk ingest through BillingCenter.RecordReads, as a head-end system
// delivers reads: sets up a residential tariff and `accounts` accounts (with
// an admin token), then sends `months` rounds of one read per account, in
// calls of `batch` reads, `concurrency` calls at a time, spread over the
// targets. Prints reads (= events) acknowledged per second, and the mean
// stored record size (for a baseline of the same record size).
//
//   ingest_bench --targets A1[,A2…] --token TOKEN [--accounts 2000] [--months 6]
//                [--batch 1000] [--concurrency 4] [--year 2024] [--route 1]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/cluster.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"

namespace {

namespace v1 = gridledger::v1;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::vector<std::string> targets;
  std::string token;
  int accounts = 2000;
  int months = 6;
  int batch = 1000;
  int concurrency = 4;
  int year = 2024;
  // Send each account's reads to the owner of its partition (Cluster.Locate),
  // as a smart head-end would; otherwise calls go to the targets in turn.
  bool route = false;
};

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return context;
}

bool Check(const grpc::Status& status, const std::string& what) {
  if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) return true;
  std::fprintf(stderr, "ingest_bench: %s: %s\n", what.c_str(), status.error_message().c_str());
  return false;
}

std::string AccountId(int i) { return absl::StrFormat("ING%06d", i); }

bool SetUp(const Flags& flags) {
  auto channel = grpc::CreateChannel(flags.targets[0], grpc::InsecureChannelCredentials());
  auto marketing = v1::MarketingDepartment::NewStub(channel);
  for (const char* unit : {"sn", "sn/xa", "sn/xa/huyi"}) {
    v1::RegisterOrgUnitRequest request;
    request.set_command_id(absl::StrCat("ingest-unit-", unit));
    request.set_org_unit(unit);
    request.set_name(unit);
    v1::CommandReply reply;
    if (!Check(marketing->RegisterOrgUnit(As(flags.token).get(), request, &reply), unit)) {
      return false;
    }
  }
  auto billing = v1::BillingCenter::NewStub(channel);
  v1::PublishTariffVersionRequest tariff;
  tariff.set_command_id("ingest-tariff");
  v1::TariffScheduleVersionPublished* version = tariff.mutable_version();
  version->set_tariff_id("ing-res");
  version->mutable_effective_from()->set_year(2020);
  version->mutable_effective_from()->set_month(1);
  version->mutable_effective_from()->set_day(1);
  version->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  version->set_flat_price_micro_cny_per_kwh(498300);
  v1::CommandReply reply;
  if (!Check(billing->PublishTariffVersion(As(flags.token).get(), tariff, &reply), "tariff")) {
    return false;
  }
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> openers;
  openers.reserve(16);
  for (int t = 0; t < 16; ++t) {
    openers.emplace_back([&] {
      auto stub = v1::BillingCenter::NewStub(channel);
      for (int i = next++; i < flags.accounts && ok.load(); i = next++) {
        v1::OpenAccountRequest open;
        open.set_command_id(absl::StrCat("ingest-open-", i));
        v1::AccountOpened* account = open.mutable_account();
        account->set_account_id(AccountId(i));
        account->set_customer_name("ingest");
        account->set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
        account->set_voltage_class(v1::VOLTAGE_CLASS_LV_220V);
        account->set_tariff_id("ing-res");
        account->set_org_unit("sn/xa/huyi");
        v1::CommandReply opened;
        if (!Check(stub->OpenAccount(As(flags.token).get(), open, &opened), AccountId(i))) {
          ok.store(false);
        }
      }
    });
  }
  for (std::thread& opener : openers) opener.join();
  return ok.load();
}

// One RecordReads call: the month it belongs to, and the instance it goes to
// (empty: the sender's own target).
struct Call {
  int month = 0;
  std::string target;
  v1::RecordReadsRequest request;
};

// Where each account's stream is written (--route): the owners' addresses,
// asked of the first target with Cluster.Locate, 1,000 at a time.
std::vector<std::string> LocateAccounts(const Flags& flags) {
  auto cluster = v1::Cluster::NewStub(
      grpc::CreateChannel(flags.targets[0], grpc::InsecureChannelCredentials()));
  std::vector<std::string> owners;
  for (int first = 0; first < flags.accounts; first += 1000) {
    v1::LocateRequest request;
    for (int i = first; i < std::min(flags.accounts, first + 1000); ++i) {
      request.add_stream_ids("account-" + AccountId(i));
    }
    v1::LocateReply reply;
    if (!Check(cluster->Locate(As(flags.token).get(), request, &reply), "Locate")) return {};
    for (const v1::StreamLocation& location : reply.locations()) {
      owners.push_back(location.owner_advertise());
    }
  }
  return owners;
}

// The reads of one month, in calls of up to flags.batch; with `owners`, one
// set of calls per owner, each sent to it.
std::vector<Call> MonthOfReads(const Flags& flags, int month,
                               const std::vector<std::string>& owners) {
  std::map<std::string, std::vector<int>> accounts_by_target;
  for (int i = 0; i < flags.accounts; ++i) {
    accounts_by_target[owners.empty() ? std::string() : owners[i]].push_back(i);
  }
  std::vector<Call> calls;
  for (const auto& [target, accounts] : accounts_by_target) {
    for (size_t k = 0; k < accounts.size(); ++k) {
      if (k % flags.batch == 0) calls.push_back(Call{month, target, {}});
      const int i = accounts[k];
      v1::RecordReadRequest* request = calls.back().request.add_reads();
      request->set_command_id(gridledger::NewUuid());
      v1::MeterReadRecorded* read = request->mutable_read();
      read->set_read_id(absl::StrCat("m", flags.year, "-", month));
      read->set_account_id(AccountId(i));
      read->mutable_period()->set_year(flags.year);
      read->mutable_period()->set_month(month);
      read->mutable_registers()->set_total_wh(int64_t{150000} * month + i % 1000);
      read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
    }
  }
  return calls;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    bool ok = true;
    if (name == "--targets") {
      flags.targets = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "--token") {
      flags.token = value;
    } else if (name == "--accounts") {
      ok = absl::SimpleAtoi(value, &flags.accounts);
    } else if (name == "--months") {
      ok = absl::SimpleAtoi(value, &flags.months);
    } else if (name == "--batch") {
      ok = absl::SimpleAtoi(value, &flags.batch);
    } else if (name == "--route") {
      flags.route = value == "1" || value == "true";
    } else if (name == "--year") {
      ok = absl::SimpleAtoi(value, &flags.year);
    } else if (name == "--concurrency") {
      ok = absl::SimpleAtoi(value, &flags.concurrency);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "ingest_bench: bad flag %s %s\n", name.c_str(), value.c_str());
      return 2;
    }
  }
  if (flags.targets.empty() || flags.token.empty() || flags.months > 12) {
    std::fprintf(stderr, "usage: ingest_bench --targets A1[,A2…] --token T [--months ≤12]\n");
    return 2;
  }
  if (!SetUp(flags)) return 1;
  const std::vector<std::string> owners =
      flags.route ? LocateAccounts(flags) : std::vector<std::string>();
  if (flags.route && owners.size() != static_cast<size_t>(flags.accounts)) return 1;
  std::vector<Call> calls;
  std::vector<size_t> calls_in_month(flags.months + 1, 0);
  for (int month = 1; month <= flags.months; ++month) {
    for (Call& call : MonthOfReads(flags, month, owners)) {
      ++calls_in_month[month];
      calls.push_back(std::move(call));
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0}, refused{0};
  const auto start = Clock::now();
  std::vector<std::atomic<size_t>> done_in_month(flags.months + 1);
  std::vector<std::thread> senders;
  senders.reserve(flags.concurrency);
  for (int t = 0; t < flags.concurrency; ++t) {
    senders.emplace_back([&, t] {
      std::map<std::string, std::unique_ptr<v1::BillingCenter::Stub>> stubs;
      for (size_t c = next++; c < calls.size(); c = next++) {
        const int month = calls[c].month;
        while (month > 1 && done_in_month[month - 1].load() < calls_in_month[month - 1]) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        const std::string& target =
            calls[c].target.empty() ? flags.targets[t % flags.targets.size()] : calls[c].target;
        std::unique_ptr<v1::BillingCenter::Stub>& stub = stubs[target];
        if (stub == nullptr) {
          stub = v1::BillingCenter::NewStub(
              grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
        }
        v1::RecordReadsReply reply;
        grpc::Status status = stub->RecordReads(As(flags.token).get(), calls[c].request, &reply);
        if (!status.ok()) {
          std::fprintf(stderr, "ingest_bench: RecordReads: %s\n", status.error_message().c_str());
          refused += calls[c].request.reads_size();
        } else {
          accepted += reply.accepted();
          refused += reply.results_size() - reply.accepted();
          for (const v1::RecordReadResult& result : reply.results()) {
            if (result.code() != 0) {
              std::fprintf(stderr, "ingest_bench: a read refused: %s\n", result.message().c_str());
              break;
            }
          }
        }
        ++done_in_month[month];
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // The size of one stored read, through the gateway.
  int64_t record_bytes = 0;
  auto gateway = v1::EventGateway::NewStub(
      grpc::CreateChannel(flags.targets[0], grpc::InsecureChannelCredentials()));
  v1::ReadStreamRequest read;
  read.set_stream_id("account-" + AccountId(0));
  v1::ReadStreamReply events;
  if (gateway->ReadStream(As(flags.token).get(), read, &events).ok() && events.events_size() > 0) {
    record_bytes = static_cast<int64_t>(events.events(events.events_size() - 1).ByteSizeLong());
  }
  std::printf(
      "{\"reads\":%lld,\"refused\":%lld,\"seconds\":%.2f,\"reads_per_s\":%.0f,"
      "\"envelope_bytes\":%lld}\n",
      static_cast<long long>(accepted.load()), static_cast<long long>(refused.load()), seconds,
      accepted.load() / seconds, static_cast<long long>(record_bytes));
  return refused.load() == 0 ? 0 : 1;
}
