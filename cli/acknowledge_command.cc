#include "cli/acknowledge_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "common/sha256.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "server/audit_files.h"
#include "services/common/auth.h"

namespace gridledger::cli {
namespace {

struct AcknowledgeFlags {
  std::string store, key, reason;
  std::string tokens_file;  // the deployment's tokens (serve's --tokens)
  ClientFlags client;       // the operator's token (--token_file or $GRIDLEDGER_TOKEN)
  std::vector<std::string> positions;
};

// The operator, by their bearer token against the deployment's tokens file:
// an admin, or PERMISSION_DENIED; UNAUTHENTICATED for no or an unknown token.
absl::StatusOr<service::Principal> AuthenticateAdmin(const AcknowledgeFlags& flags) {
  absl::StatusOr<service::TokenRegistry> tokens =
      service::TokenRegistry::LoadFile(flags.tokens_file);
  if (!tokens.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tokens: ", tokens.status().message()));
  }
  absl::StatusOr<std::string> token = ClientToken(flags.client);
  if (!token.ok()) return token.status();
  if (token->empty()) {
    return absl::UnauthenticatedError(
        "an admin's token is required (--token_file, or $GRIDLEDGER_TOKEN)");
  }
  absl::StatusOr<service::Principal> principal = tokens->Authenticate("Bearer " + *token);
  if (!principal.ok()) return principal.status();
  if (!principal->HasRole("admin")) {
    return absl::PermissionDeniedError(
        absl::StrCat("acknowledging damage needs the admin role; ", principal->name, " has none"));
  }
  return principal;
}

// "TOPIC/N@OFFSET" as a position; INVALID_ARGUMENT naming the flag.
absl::StatusOr<v1::Position> ParsePosition(const std::string& text) {
  const size_t at = text.rfind('@');
  int64_t offset = -1;
  if (at == std::string::npos || at == 0 || !absl::SimpleAtoi(text.substr(at + 1), &offset) ||
      offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--position: \"", text, "\" is not TOPIC/PARTITION@OFFSET"));
  }
  v1::Position position;
  position.set_partition(text.substr(0, at));
  position.set_offset(offset);
  return position;
}

// Opens the store read-only honouring `pending` (and any acknowledgement
// already written, whoever signed it) and walks every chain to the end.
absl::Status WalkWith(const eventstore::StoreUri& uri,
                      const std::vector<v1::SignedDamageAcknowledgement>& pending) {
  eventstore::StoreOptions options = eventstore::ReadOnlyStoreOptions();
  options.accept_any_acknowledgement = true;
  options.pending_acknowledgements = pending;
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(uri, options);
  if (!store.ok()) return store.status();
  eventstore::ChainWalker walker;
  return walker.Advance(**store);
}

int RunAcknowledge(const AcknowledgeFlags& flags) {
  constexpr absl::string_view kCommand = "acknowledge";
  if (flags.reason.empty()) {
    return Report(kCommand, absl::InvalidArgumentError(
                                "--reason: must not be empty (it is what auditors read forever)"));
  }
  absl::StatusOr<service::Principal> admin = AuthenticateAdmin(flags);
  if (!admin.ok()) return Report(kCommand, admin.status(), kExitUsage);
  absl::StatusOr<std::string> private_pem = server::ReadWholeFile("key", flags.key);
  if (!private_pem.ok()) return Report(kCommand, private_pem.status(), kExitUsage);
  absl::StatusOr<eventstore::StoreUri> uri = eventstore::StoreUri::Parse(flags.store);
  if (!uri.ok()) return Report(kCommand, uri.status());
  if (!uri->is_kafka()) {
    return Report(kCommand, absl::InvalidArgumentError(
                                "--store: damage acknowledgements are kept for Kafka logs "
                                "(kafka://…); an embedded store's damage is repaired from a "
                                "backup"));
  }
  std::vector<v1::Position> positions;
  for (const std::string& text : flags.positions) {
    absl::StatusOr<v1::Position> position = ParsePosition(text);
    if (!position.ok()) return Report(kCommand, position.status());
    positions.push_back(*std::move(position));
  }
  // What is broken now, in the operator's words for each record.
  const absl::Status before = WalkWith(*uri, {});
  if (before.ok()) {
    return Report(
        kCommand,
        absl::FailedPreconditionError("the log verifies intact: there is no damage to acknowledge"),
        kExitUsage);
  }
  if (!absl::IsDataLoss(before)) return Report(kCommand, before, kExitUsage);
  v1::DamageAcknowledgement statement;
  statement.set_reason(flags.reason);
  statement.set_operator_name(absl::StrCat(admin->name, " (admin of ", admin->org_unit, ")"));
  statement.set_store(uri->Label());
  for (const v1::Position& position : positions) {
    absl::StatusOr<std::string> value = eventstore::ReadRawRecord(*uri, position);
    if (!value.ok()) return Report(kCommand, value.status(), kExitUsage);
    v1::DamagedRecord* record = statement.add_records();
    record->set_partition(position.partition());
    record->set_offset(position.offset());
    record->set_value_sha256(Sha256(*value));
    const std::string where = absl::StrCat(position.partition(), "@", position.offset());
    if (absl::StrContains(before.message(), where)) {
      record->set_found(std::string(before.message()));
    }
  }
  absl::StatusOr<v1::SignedDamageAcknowledgement> signed_form =
      eventstore::SignDamageAcknowledgement(statement, *private_pem);
  if (!signed_form.ok()) return Report(kCommand, signed_form.status(), kExitUsage);
  // Written only when the whole log verifies past the records named.
  if (absl::Status after = WalkWith(*uri, {*signed_form}); !after.ok()) {
    if (!absl::IsDataLoss(after)) return Report(kCommand, after, kExitUsage);
    std::printf(
        "BROKEN: %s\nthe log is still broken past the records named; nothing was written "
        "(name every damaged record in one acknowledgement)\n",
        std::string(after.message()).c_str());
    return kExitFailed;
  }
  if (absl::Status written = eventstore::RecordDamageAcknowledgement(*uri, *signed_form);
      !written.ok()) {
    return Report(kCommand, written, kExitUsage);
  }
  std::printf(
      "acknowledged %d damaged record(s), signed by %s; the log verifies past them.\n"
      "serve and project honour it when given --trusted_key with this key's public half; "
      "verify reports it from now on\n",
      statement.records_size(), eventstore::KeyFingerprint(signed_form->public_key_pem()).c_str());
  return kExitOk;
}

}  // namespace

void AddAcknowledgeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<AcknowledgeFlags>();
  CLI::App* command = app.add_subcommand(
      "acknowledge",
      "record a signed acknowledgement of damaged records in a Kafka log so serve can continue "
      "past them; verify reports it forever");
  command->add_option("--store", flags->store, "the event store (kafka://…)")->required();
  command->add_option("--key", flags->key, "the signing key (PREFIX.key from keygen)")->required();
  command
      ->add_option("--position", flags->positions,
                   "a damaged record, TOPIC/PARTITION@OFFSET as verify names it (repeatable)")
      ->required();
  command->add_option("--reason", flags->reason, "why the records are damaged")->required();
  command
      ->add_option("--tokens", flags->tokens_file,
                   "the deployment's tokens file (serve's --tokens): the operator's token must "
                   "be an admin's there; the acknowledgement names that principal")
      ->required();
  command->add_option("--token_file", flags->client.token_file,
                      "a file whose first line is the operator's bearer token (else "
                      "$GRIDLEDGER_TOKEN)");
  command->callback([flags, exit_code] { *exit_code = RunAcknowledge(*flags); });
}

}  // namespace gridledger::cli
