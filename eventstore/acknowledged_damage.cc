#include "eventstore/acknowledged_damage.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ed25519.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace gridledger::eventstore {
namespace {

std::string PositionKey(absl::string_view partition, int64_t offset) {
  return absl::StrCat(partition, "@", offset);
}

}  // namespace

std::string KeyFingerprint(absl::string_view public_pem) {
  return absl::StrCat("sha256:", HexEncode(Sha256(absl::StripAsciiWhitespace(public_pem))));
}

absl::StatusOr<AcknowledgedDamage> AcknowledgedDamage::FromSigned(
    const std::vector<v1::SignedDamageAcknowledgement>& signed_acknowledgements) {
  AcknowledgedDamage damage;
  for (size_t i = 0; i < signed_acknowledgements.size(); ++i) {
    const v1::SignedDamageAcknowledgement& signed_form = signed_acknowledgements[i];
    Acknowledgement ack;
    if (!ack.statement.ParseFromString(signed_form.acknowledgement())) {
      return absl::DataLossError(
          absl::StrCat("damage acknowledgement #", i + 1, ": its statement does not parse"));
    }
    if (absl::Status signature = Ed25519Verify(
            signed_form.public_key_pem(), signed_form.acknowledgement(), signed_form.signature());
        !signature.ok()) {
      return absl::DataLossError(
          absl::StrCat("damage acknowledgement #", i + 1, " (\"", ack.statement.reason(),
                       "\"): its signature does not verify: ", signature.message()));
    }
    ack.signed_form = signed_form;
    ack.signer = KeyFingerprint(signed_form.public_key_pem());
    for (const v1::DamagedRecord& record : ack.statement.records()) {
      damage.covered_[PositionKey(record.partition(), record.offset())] = record.value_sha256();
    }
    damage.acknowledgements_.push_back(std::move(ack));
  }
  return damage;
}

bool AcknowledgedDamage::Covers(absl::string_view partition, int64_t offset,
                                absl::string_view record_bytes) const {
  if (covered_.empty()) return false;
  auto it = covered_.find(PositionKey(partition, offset));
  return it != covered_.end() && it->second == Sha256(record_bytes);
}

absl::Status AcknowledgedDamage::RequireSignedBy(
    const std::vector<std::string>& trusted_public_pems) const {
  for (const Acknowledgement& ack : acknowledgements_) {
    bool trusted = false;
    for (const std::string& pem : trusted_public_pems) {
      trusted = trusted || KeyFingerprint(pem) == ack.signer;
    }
    if (!trusted) {
      return absl::FailedPreconditionError(
          absl::StrCat("the log holds a damage acknowledgement (\"", ack.statement.reason(),
                       "\", by ", ack.statement.operator_name(), ") signed by key ", ack.signer,
                       ", which is not trusted here: pass its public key with --trusted_key"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SignedDamageAcknowledgement> SignDamageAcknowledgement(
    v1::DamageAcknowledgement statement, absl::string_view private_pem) {
  if (!statement.has_acknowledged_at()) {
    const absl::Time now = absl::Now();
    statement.mutable_acknowledged_at()->set_seconds(absl::ToUnixSeconds(now));
  }
  v1::SignedDamageAcknowledgement signed_form;
  signed_form.set_acknowledgement(statement.SerializeAsString());
  GL_ASSIGN_OR_RETURN(std::string signature,
                      Ed25519Sign(private_pem, signed_form.acknowledgement()));
  signed_form.set_signature(std::move(signature));
  GL_ASSIGN_OR_RETURN(std::string public_pem, Ed25519PublicOf(private_pem));
  signed_form.set_public_key_pem(std::move(public_pem));
  return signed_form;
}

}  // namespace gridledger::eventstore
