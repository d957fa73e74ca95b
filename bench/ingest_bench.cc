// Bulk ingest through BillingCenter.RecordReads, as a head-end system
// delivers reads: sets up a residential tariff and `accounts` accounts (with
// an admin token), then sends `months` rounds of one read per account, in
// calls of `batch` reads, `concurrency` calls at a time, spread over the
// targets. Prints reads (= events) acknowledged per second, and the mean
// stored record size (for a baseline of the same record size).
//
//   ingest_bench --targets A1[,A2…] --token TOKEN [--accounts 2000] [--months 6]
//                [--batch 1000] [--concurrency 4] [--year 2024]
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
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

// The reads of one month, in calls of flags.batch.
std::vector<v1::RecordReadsRequest> MonthOfReads(const Flags& flags, int month) {
  std::vector<v1::RecordReadsRequest> calls;
  for (int i = 0; i < flags.accounts; ++i) {
    if (i % flags.batch == 0) calls.emplace_back();
    v1::RecordReadRequest* request = calls.back().add_reads();
    request->set_command_id(gridledger::NewUuid());
    v1::MeterReadRecorded* read = request->mutable_read();
    read->set_read_id(absl::StrCat("m", flags.year, "-", month));
    read->set_account_id(AccountId(i));
    read->mutable_period()->set_year(flags.year);
    read->mutable_period()->set_month(month);
    read->mutable_registers()->set_total_wh(int64_t{150000} * month + i % 1000);
    read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
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
  std::vector<v1::RecordReadsRequest> calls;
  for (int month = 1; month <= flags.months; ++month) {
    for (v1::RecordReadsRequest& call : MonthOfReads(flags, month)) {
      calls.push_back(std::move(call));
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0}, refused{0};
  const auto start = Clock::now();
  const size_t calls_per_month = (flags.accounts + flags.batch - 1) / flags.batch;
  std::vector<std::atomic<size_t>> done_in_month(flags.months + 1);
  std::vector<std::thread> senders;
  senders.reserve(flags.concurrency);
  for (int t = 0; t < flags.concurrency; ++t) {
    senders.emplace_back([&, t] {
      auto stub = v1::BillingCenter::NewStub(grpc::CreateChannel(
          flags.targets[t % flags.targets.size()], grpc::InsecureChannelCredentials()));
      for (size_t c = next++; c < calls.size(); c = next++) {
        const size_t month = c / calls_per_month + 1;
        while (month > 1 && done_in_month[month - 1].load() < calls_per_month) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        v1::RecordReadsReply reply;
        grpc::Status status = stub->RecordReads(As(flags.token).get(), calls[c], &reply);
        if (!status.ok()) {
          std::fprintf(stderr, "ingest_bench: RecordReads: %s\n", status.error_message().c_str());
          refused += calls[c].reads_size();
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
