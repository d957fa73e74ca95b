#include "cli/checkpoint_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <tuple>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "common/ed25519.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "server/audit_files.h"

namespace gridledger::cli {
namespace {

struct CheckpointFlags {
  std::string store, key, out;
};

int RunKeygen(const std::string& prefix) {
  for (const std::string& path : {prefix + ".key", prefix + ".pub"}) {
    std::error_code error;
    if (std::filesystem::exists(path, error)) {
      // A new pair would orphan every checkpoint the old key signed.
      return Report("keygen",
                    absl::AlreadyExistsError(
                        absl::StrCat("--out: ", path, " exists; keygen never replaces a key")),
                    kExitUsage);
    }
  }
  absl::StatusOr<Ed25519KeyPair> pair = GenerateEd25519KeyPair();
  if (!pair.ok()) return Report("keygen", pair.status());
  for (const auto& [path, contents, private_file] :
       {std::make_tuple(prefix + ".key", pair->private_pem, true),
        std::make_tuple(prefix + ".pub", pair->public_pem, false)}) {
    if (absl::Status s = server::WriteWholeFile(path, contents, private_file); !s.ok()) {
      return Report("keygen", s);
    }
  }
  std::printf("wrote %s.key (keep it secret) and %s.pub\n", prefix.c_str(), prefix.c_str());
  return kExitOk;
}

int RunCheckpoint(const CheckpointFlags& flags) {
  absl::StatusOr<std::string> private_pem = server::ReadWholeFile("key", flags.key);
  if (!private_pem.ok()) return Report("checkpoint", private_pem.status(), kExitUsage);
  absl::StatusOr<eventstore::StoreUri> uri = eventstore::StoreUri::Parse(flags.store);
  if (!uri.ok()) return Report("checkpoint", uri.status());
  // Damage acknowledged with this very key is honoured; any other refused.
  eventstore::StoreOptions options = eventstore::ReadOnlyStoreOptions();
  absl::StatusOr<std::string> public_pem = Ed25519PublicOf(*private_pem);
  if (!public_pem.ok()) return Report("checkpoint", public_pem.status(), kExitUsage);
  options.trusted_acknowledgement_keys.push_back(*public_pem);
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(*uri, options);
  eventstore::ChainWalker walker;
  absl::Status walked = store.ok() ? walker.Advance(**store) : store.status();
  if (!walked.ok()) {
    return Report("checkpoint", walked, absl::IsDataLoss(walked) ? kExitFailed : kExitUsage);
  }
  v1::ChainCheckpoint heads = walker.Heads();
  heads.set_store(uri->Label());
  absl::StatusOr<v1::SignedChainCheckpoint> signed_checkpoint =
      server::SignCheckpoint(heads, *private_pem);
  absl::Status written = signed_checkpoint.ok()
                             ? server::WriteCheckpointFile(flags.out, *signed_checkpoint)
                             : signed_checkpoint.status();
  if (!written.ok()) return Report("checkpoint", written, kExitUsage);
  std::printf("signed checkpoint of %lld events over %d partitions written to %s\n",
              static_cast<long long>(heads.events()), heads.heads_size(), flags.out.c_str());
  return kExitOk;
}

}  // namespace

void AddCheckpointCommands(CLI::App& app, int* exit_code) {
  auto prefix = std::make_shared<std::string>();
  CLI::App* command =
      app.add_subcommand("keygen", "make an Ed25519 key pair for signed checkpoints");
  command->add_option("--out", *prefix, "PREFIX: writes PREFIX.key (0600) and PREFIX.pub")
      ->required();
  command->callback([prefix, exit_code] { *exit_code = RunKeygen(*prefix); });

  auto flags = std::make_shared<CheckpointFlags>();
  command = app.add_subcommand("checkpoint", "sign the chains' heads");
  command->add_option("--store", flags->store, "the event store")->required();
  command->add_option("--key", flags->key, "the private key (PREFIX.key from keygen)")->required();
  command->add_option("--out", flags->out, "the signed checkpoint file to write")->required();
  command->callback([flags, exit_code] { *exit_code = RunCheckpoint(*flags); });
}

}  // namespace gridledger::cli
