#include "cli/checkpoint_command.h"

#include <cstdio>

#include "cli/command_line.h"
#include "common/ed25519.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "server/audit_files.h"

namespace gridledger::cli {
using namespace ::gridledger::server;  // NOLINT: temporary

int RunKeygen(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags = ParseFlags(args, FlagSpec{{"out"}, {}});
  if (!flags.ok() || !flags->count("out")) {
    std::fprintf(stderr, "gridledger keygen: %s\n",
                 flags.ok() ? "--out: must give the key files' prefix"
                            : std::string(flags.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<Ed25519KeyPair> pair = GenerateEd25519KeyPair();
  if (!pair.ok()) {
    std::fprintf(stderr, "gridledger keygen: %s\n", pair.status().ToString().c_str());
    return 1;
  }
  const std::string prefix = flags->at("out");
  for (const auto& [path, contents, private_file] :
       {std::make_tuple(prefix + ".key", pair->private_pem, true),
        std::make_tuple(prefix + ".pub", pair->public_pem, false)}) {
    if (absl::Status s = WriteWholeFile(path, contents, private_file); !s.ok()) {
      std::fprintf(stderr, "gridledger keygen: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::printf("wrote %s.key (keep it secret) and %s.pub\n", prefix.c_str(), prefix.c_str());
  return 0;
}

int RunCheckpoint(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags = ParseFlags(args, FlagSpec{{"store", "key", "out"}, {}});
  if (!flags.ok() || !flags->count("store") || !flags->count("key") || !flags->count("out")) {
    std::fprintf(stderr, "gridledger checkpoint: %s\n",
                 flags.ok() ? "--store, --key and --out are all needed"
                            : std::string(flags.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> private_pem = ReadWholeFile("key", flags->at("key"));
  if (!private_pem.ok()) {
    std::fprintf(stderr, "gridledger checkpoint: %s\n", private_pem.status().ToString().c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags->at("store"));
  eventstore::ChainWalker walker;
  absl::Status walked = store.ok() ? walker.Advance(**store) : store.status();
  if (!walked.ok()) {
    std::fprintf(stderr, "gridledger checkpoint: %s\n", walked.ToString().c_str());
    return absl::IsDataLoss(walked) ? 1 : 2;
  }
  v1::ChainCheckpoint heads = walker.Heads();
  heads.set_store(StoreLabel(flags->at("store")));
  absl::StatusOr<v1::SignedChainCheckpoint> signed_checkpoint = SignCheckpoint(heads, *private_pem);
  absl::Status written = signed_checkpoint.ok()
                             ? WriteCheckpointFile(flags->at("out"), *signed_checkpoint)
                             : signed_checkpoint.status();
  if (!written.ok()) {
    std::fprintf(stderr, "gridledger checkpoint: %s\n", written.ToString().c_str());
    return 2;
  }
  std::printf("signed checkpoint of %lld events over %d partitions written to %s\n",
              static_cast<long long>(heads.events()), heads.heads_size(), flags->at("out").c_str());
  return 0;
}

}  // namespace gridledger::cli
