#include "cli/verify_command.h"

#include <cstdio>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "common/sha256.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/cluster.h"
#include "eventstore/embedded_store.h"
#include "eventstore/event_store_factory.h"
#include "eventstore/store_uri.h"
#include "server/audit_files.h"

namespace gridledger::cli {
namespace {

struct VerifyFlags {
  std::string store, checkpoint, public_key;
  std::vector<std::string> writer_keys;  // the registry of writers' public keys
  std::string state_dir;                 // a cluster instance's owner state (Kafka)
};

// A break is exit 1 with "BROKEN: …"; anything else that stops the walk is 2.
int ReportWalk(const absl::Status& status) {
  if (absl::IsDataLoss(status)) {
    std::printf("BROKEN: %s\n", std::string(status.message()).c_str());
    return kExitFailed;
  }
  std::fprintf(stderr, "gridledger verify: %s\n", status.ToString().c_str());
  return kExitUsage;
}

void PrintIntact(const eventstore::ChainWalker& walker, bool against_checkpoint) {
  const v1::ChainCheckpoint heads = walker.Heads();
  std::printf("intact: %lld events in %lld streams over %d partitions%s\n",
              static_cast<long long>(walker.events()), static_cast<long long>(walker.streams()),
              heads.heads_size(), against_checkpoint ? "; extends the signed checkpoint" : "");
  for (const v1::PartitionHead& head : heads.heads()) {
    std::printf("  head %s@%lld %s\n", head.partition().c_str(),
                static_cast<long long>(head.last_offset()),
                HexEncode(head.partition_hash()).c_str());
  }
}

// The most disagreements one check reports.
constexpr int64_t kMostReported = 100;

// Each disagreement as "BROKEN: WHAT INDEX, key KEY: PROBLEM", then how many
// `entries` disagree ("at least" when the check stopped at kMostReported) and
// `remedy`: exit 1.
int ReportDiscrepancies(const std::vector<eventstore::IndexDiscrepancy>& found, const char* what,
                        const char* entries, const std::string& remedy) {
  for (const eventstore::IndexDiscrepancy& d : found) {
    std::printf("BROKEN: %s %s, key %s: %s\n", what, d.index.c_str(), d.key.c_str(),
                d.problem.c_str());
  }
  std::printf("%s%zu %s disagree with the log; %s\n",
              found.size() == kMostReported ? "at least " : "", found.size(), entries,
              remedy.c_str());
  return kExitFailed;
}

// The store's own indexes against the log: each disagreement is a break.
int ReportIndexes(eventstore::EventStore& store) {
  absl::StatusOr<std::vector<eventstore::IndexDiscrepancy>> found =
      store.CheckIndexes(kMostReported);
  if (absl::IsUnimplemented(found.status())) {
    std::printf("indexes: not checked here (%s)\n", std::string(found.status().message()).c_str());
    return kExitOk;
  }
  if (!found.ok()) return ReportWalk(found.status());
  if (found->empty()) {
    std::printf("indexes: the command index, stream index and stream heads agree with the log\n");
    return kExitOk;
  }
  return ReportDiscrepancies(
      *found, "index", "index entries",
      "`gridledger reindex` rebuilds the indexes from it (with serve stopped)");
}

// A cluster instance's owner state against the log: each disagreement is a
// break.
int ReportOwnerState(eventstore::EventStore& store, const std::string& state_dir,
                     const std::string& topic_prefix) {
  absl::StatusOr<std::vector<eventstore::IndexDiscrepancy>> found =
      eventstore::CheckOwnerState(store, state_dir, topic_prefix, kMostReported);
  if (!found.ok()) return ReportWalk(found.status());
  if (found->empty()) {
    std::printf(
        "owner state %s: its events, stream heads, command index and partition heads agree "
        "with the log\n",
        state_dir.c_str());
    return kExitOk;
  }
  return ReportDiscrepancies(
      *found, "owner state", "owner-state entries",
      absl::StrCat("stop the instance and delete ", state_dir,
                   ": it is rebuilt from the topics when the instance next owns its partitions"));
}

// Every acknowledged damage, never silently; with a trusted key, one signed
// by another key is a break.
int ReportAcknowledgements(const eventstore::EventStore& store, const std::string& trusted_pem) {
  int exit_code = kExitOk;
  const std::string trusted =
      trusted_pem.empty() ? std::string() : eventstore::KeyFingerprint(trusted_pem);
  for (const eventstore::Acknowledgement& ack : store.DamageAcknowledgements()) {
    const v1::DamageAcknowledgement& s = ack.statement;
    const std::string trust = trusted.empty()         ? "signer not checked: pass --public_key"
                              : ack.signer == trusted ? "signed by the trusted key"
                                                      : "NOT signed by the trusted key";
    for (const v1::DamagedRecord& record : s.records()) {
      std::printf(
          "ACKNOWLEDGED damage: %s@%lld (sha256 %s) skipped: \"%s\", by %s at %s; key %s, %s\n",
          record.partition().c_str(), static_cast<long long>(record.offset()),
          HexEncode(record.value_sha256()).c_str(), s.reason().c_str(), s.operator_name().c_str(),
          absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(s.acknowledged_at().seconds()),
                           absl::UTCTimeZone())
              .c_str(),
          ack.signer.c_str(), trust.c_str());
      if (!record.found().empty()) std::printf("  found then: %s\n", record.found().c_str());
    }
    if (!trusted.empty() && ack.signer != trusted) {
      std::printf(
          "BROKEN: a damage acknowledgement (\"%s\") is signed by %s, not the trusted key %s\n",
          s.reason().c_str(), ack.signer.c_str(), trusted.c_str());
      exit_code = kExitFailed;
    }
  }
  return exit_code;
}

int RunVerify(const VerifyFlags& flags) {
  eventstore::ChainWalker walker;
  std::string public_pem;
  if (!flags.public_key.empty()) {
    absl::StatusOr<std::string> read = server::ReadWholeFile("public_key", flags.public_key);
    if (!read.ok()) return ReportWalk(read.status());
    public_pem = *std::move(read);
  }
  if (!flags.writer_keys.empty()) {
    std::vector<std::string> writers;
    for (const std::string& file : flags.writer_keys) {
      absl::StatusOr<std::string> pem = server::ReadWholeFile("writer_key", file);
      if (!pem.ok()) return ReportWalk(pem.status());
      writers.push_back(*std::move(pem));
    }
    walker.RequireWriters(writers);
  }
  if (!flags.checkpoint.empty()) {
    absl::StatusOr<v1::ChainCheckpoint> checkpoint =
        server::ReadVerifiedCheckpoint(flags.checkpoint, public_pem);
    if (absl::IsPermissionDenied(checkpoint.status())) {
      std::printf("BROKEN: the checkpoint's %s\n",
                  std::string(checkpoint.status().message()).c_str());
      return kExitFailed;
    }
    if (!checkpoint.ok()) return ReportWalk(checkpoint.status());
    walker.Expect(*checkpoint);
  }
  absl::StatusOr<eventstore::StoreUri> uri = eventstore::StoreUri::Parse(flags.store);
  if (!uri.ok()) return ReportWalk(uri.status());
  if (!flags.state_dir.empty() && !uri->is_kafka()) {
    return ReportWalk(absl::InvalidArgumentError(
        "--state_dir: a cluster instance's owner state is checked against a Kafka store "
        "(kafka://…); the embedded store's indexes are checked without it"));
  }
  // Acknowledged damage is skipped whoever signed it, and reported below.
  eventstore::StoreOptions options = eventstore::ReadOnlyStoreOptions();
  options.accept_any_acknowledgement = true;
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags.store, options);
  // A Kafka store reads every record when it opens: a break can show here.
  if (!store.ok()) return ReportWalk(store.status());
  if (absl::Status walked = walker.Advance(**store); !walked.ok()) return ReportWalk(walked);
  if (absl::Status reached = walker.ExpectedHeadsReached(); !reached.ok()) {
    return ReportWalk(reached);
  }
  if (absl::Status signed_all = walker.WritersSignedAll(); !signed_all.ok()) {
    return ReportWalk(signed_all);
  }
  PrintIntact(walker, !flags.checkpoint.empty());
  if (flags.writer_keys.empty()) {
    std::printf("writers: not checked (pass --writer_key with each registered writer's key)\n");
  } else {
    std::printf("writers: every event vouched for by a registered writer (%lld signatures)\n",
                static_cast<long long>(walker.writer_signatures()));
  }
  const int acknowledged = ReportAcknowledgements(**store, public_pem);
  const int indexes = ReportIndexes(**store);
  const int owner_state = flags.state_dir.empty() ? kExitOk
                                                  : ReportOwnerState(**store, flags.state_dir,
                                                                     uri->kafka().topic_prefix);
  for (const int code : {acknowledged, indexes, owner_state}) {
    if (code != kExitOk) return code;
  }
  return kExitOk;
}

int RunReindex(const std::string& store_text) {
  absl::StatusOr<eventstore::StoreUri> uri = eventstore::StoreUri::Parse(store_text);
  if (!uri.ok()) return Report("reindex", uri.status());
  if (!uri->is_embedded()) {
    return Report("reindex", absl::InvalidArgumentError(
                                 "--store: only the embedded store keeps indexes on disk (Kafka "
                                 "rebuilds its index from the log at every open)"));
  }
  absl::StatusOr<int64_t> indexed = eventstore::RebuildEmbeddedIndexes(uri->embedded_path());
  if (!indexed.ok()) {
    return Report("reindex", indexed.status(),
                  absl::IsDataLoss(indexed.status()) ? kExitFailed : kExitUsage);
  }
  std::printf("reindexed %lld events: command index, stream index and heads rebuilt from the log\n",
              static_cast<long long>(*indexed));
  return kExitOk;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* command = app.add_subcommand(
      "verify",
      "walk every stream and partition chain and check the store's indexes against the log; "
      "report the first break (exit 1)");
  command->add_option("--store", flags->store, "the event store to verify")->required();
  CLI::Option* checkpoint = command->add_option(
      "--checkpoint", flags->checkpoint, "also prove the log extends this signed checkpoint");
  CLI::Option* public_key = command->add_option(
      "--public_key", flags->public_key,
      "the key (PEM) the checkpoint and every damage acknowledgement must be signed by");
  checkpoint->needs(public_key);
  command->add_option("--writer_key", flags->writer_keys,
                      "a registered writer's public key (PEM; repeatable): every event must be "
                      "signed by one");
  command->add_option("--state_dir", flags->state_dir,
                      "also check this cluster instance's owner state (its --state_dir) against "
                      "the log, beside the running instance (Kafka)");
  command->callback([flags, exit_code] { *exit_code = RunVerify(*flags); });

  auto store = std::make_shared<std::string>();
  command = app.add_subcommand(
      "reindex",
      "rebuild the embedded store's command index, stream index and heads from its log (serve "
      "stopped)");
  command->add_option("--store", *store, "the embedded store (embedded:PATH)")->required();
  command->callback([store, exit_code] { *exit_code = RunReindex(*store); });
}

}  // namespace gridledger::cli
