// Damage an operator acknowledged (DamageAcknowledgement, audit.proto): the
// records a store's readers skip, and what verify reports about them forever.
// A record is skipped only when its partition, offset and bytes (SHA-256) are
// exactly those acknowledged; anything else that breaks a chain is still
// DATA_LOSS. Immutable once built, so thread-safe.
#ifndef GRIDLEDGER_EVENTSTORE_ACKNOWLEDGED_DAMAGE_H_
#define GRIDLEDGER_EVENTSTORE_ACKNOWLEDGED_DAMAGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gridledger/v1/audit.pb.h"

namespace gridledger::eventstore {

// One acknowledgement as read: the statement, its signed form, and the
// fingerprint of the key that signed it ("sha256:" + hex of the public PEM).
struct Acknowledgement {
  v1::DamageAcknowledgement statement;
  v1::SignedDamageAcknowledgement signed_form;
  std::string signer;
};

class AcknowledgedDamage {
 public:
  AcknowledgedDamage() = default;

  // Checks each signature against the key it carries (DATA_LOSS naming the
  // acknowledgement when one does not verify or does not parse: an
  // acknowledgement altered after signing is damage itself).
  static absl::StatusOr<AcknowledgedDamage> FromSigned(
      const std::vector<v1::SignedDamageAcknowledgement>& signed_acknowledgements);

  // Whether the record at `partition`@`offset` holding `record_bytes` is one
  // an acknowledgement names.
  bool Covers(absl::string_view partition, int64_t offset, absl::string_view record_bytes) const;

  bool empty() const { return acknowledgements_.empty(); }
  const std::vector<Acknowledgement>& acknowledgements() const { return acknowledgements_; }

  // OK when every acknowledgement is signed by one of `trusted_public_pems`;
  // FAILED_PRECONDITION naming the first that is not (its signer's
  // fingerprint and reason).
  absl::Status RequireSignedBy(const std::vector<std::string>& trusted_public_pems) const;

 private:
  std::vector<Acknowledgement> acknowledgements_;
  // "partition@offset" → the SHA-256 of the bytes acknowledged there.
  absl::flat_hash_map<std::string, std::string> covered_;
};

// "sha256:<hex>" of a public key PEM (whitespace at either end ignored).
std::string KeyFingerprint(absl::string_view public_pem);

// Signs `statement` with the private key (PKCS#8 PEM); acknowledged_at is
// set to now when unset.
absl::StatusOr<v1::SignedDamageAcknowledgement> SignDamageAcknowledgement(
    v1::DamageAcknowledgement statement, absl::string_view private_pem);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_ACKNOWLEDGED_DAMAGE_H_
