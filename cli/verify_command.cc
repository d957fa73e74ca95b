#include "cli/verify_command.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "common/sha256.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "server/audit_files.h"

namespace gridledger::cli {
using namespace ::gridledger::server;  // NOLINT: temporary
namespace {

// A break is exit 1 with "BROKEN: …"; anything else that stops the walk is 2.
int Report(const absl::Status& status) {
  if (absl::IsDataLoss(status)) {
    std::printf("BROKEN: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "gridledger verify: %s\n", status.ToString().c_str());
  return 2;
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, FlagSpec{{"store", "checkpoint", "public_key"}, {}});
  if (!flags.ok() || !flags->count("store") ||
      flags->count("checkpoint") != flags->count("public_key")) {
    std::fprintf(stderr, "gridledger verify: %s\n",
                 !flags.ok()              ? std::string(flags.status().message()).c_str()
                 : !flags->count("store") ? "--store: must name the store to verify"
                                          : "--checkpoint and --public_key go together");
    return 2;
  }
  eventstore::ChainWalker walker;
  if (flags->count("checkpoint")) {
    absl::StatusOr<std::string> public_pem = ReadWholeFile("public_key", flags->at("public_key"));
    if (!public_pem.ok()) return Report(public_pem.status());
    absl::StatusOr<v1::ChainCheckpoint> checkpoint =
        ReadVerifiedCheckpoint(flags->at("checkpoint"), *public_pem);
    if (absl::IsPermissionDenied(checkpoint.status())) {
      std::printf("BROKEN: the checkpoint's %s\n",
                  std::string(checkpoint.status().message()).c_str());
      return 1;
    }
    if (!checkpoint.ok()) return Report(checkpoint.status());
    walker.Expect(*checkpoint);
  }
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags->at("store"));
  // A Kafka store reads every record when it opens: a break can show here.
  if (!store.ok()) return Report(store.status());
  if (absl::Status walked = walker.Advance(**store); !walked.ok()) {
    return Report(walked);
  }
  if (absl::Status reached = walker.ExpectedHeadsReached(); !reached.ok()) {
    return Report(reached);
  }
  const v1::ChainCheckpoint heads = walker.Heads();
  std::printf("intact: %lld events in %lld streams over %d partitions%s\n",
              static_cast<long long>(walker.events()), static_cast<long long>(walker.streams()),
              heads.heads_size(),
              flags->count("checkpoint") ? "; extends the signed checkpoint" : "");
  for (const v1::PartitionHead& head : heads.heads()) {
    std::printf("  head %s@%lld %s\n", head.partition().c_str(),
                static_cast<long long>(head.last_offset()),
                HexEncode(head.partition_hash()).c_str());
  }
  return 0;
}

}  // namespace gridledger::cli
