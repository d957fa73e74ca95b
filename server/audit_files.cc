#include "server/audit_files.h"

#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ed25519.h"
#include "common/sha256.h"

namespace gridledger::server {

absl::StatusOr<std::string> ReadWholeFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status WriteWholeFile(const std::string& path, const std::string& contents,
                            bool private_file) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (private_file) chmod(temporary.c_str(), 0600);
    out << contents;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

namespace {

// The checkpoint as people read it (SignedChainCheckpoint.readable).
v1::ReadableCheckpoint ReadableOf(const v1::ChainCheckpoint& checkpoint,
                                  const v1::SignedChainCheckpoint& signed_checkpoint) {
  v1::ReadableCheckpoint readable;
  readable.set_store(checkpoint.store());
  readable.set_taken_at(absl::FormatTime(absl::RFC3339_sec,
                                         absl::FromUnixSeconds(checkpoint.taken_at().seconds()),
                                         absl::UTCTimeZone()));
  readable.set_events(checkpoint.events());
  readable.set_streams(checkpoint.streams());
  for (const v1::PartitionHead& head : checkpoint.heads()) {
    v1::ReadableHead* out = readable.add_heads();
    out->set_partition(head.partition());
    out->set_last_offset(head.last_offset());
    out->set_partition_hash_hex(absl::BytesToHexString(head.partition_hash()));
  }
  readable.set_signature_hex(absl::BytesToHexString(signed_checkpoint.signature()));
  readable.set_signed_bytes_sha256_hex(
      absl::BytesToHexString(Sha256(signed_checkpoint.checkpoint())));
  return readable;
}

}  // namespace

absl::StatusOr<v1::SignedChainCheckpoint> SignCheckpoint(v1::ChainCheckpoint checkpoint,
                                                         const std::string& private_pem) {
  const absl::Time now = absl::Now();
  checkpoint.mutable_taken_at()->set_seconds(absl::ToUnixSeconds(now));
  v1::SignedChainCheckpoint signed_checkpoint;
  signed_checkpoint.set_checkpoint(checkpoint.SerializeAsString());
  absl::StatusOr<std::string> signature = Ed25519Sign(private_pem, signed_checkpoint.checkpoint());
  if (!signature.ok()) return signature.status();
  signed_checkpoint.set_signature(*std::move(signature));
  absl::StatusOr<std::string> public_pem = Ed25519PublicOf(private_pem);
  if (!public_pem.ok()) return public_pem.status();
  signed_checkpoint.set_public_key_pem(*std::move(public_pem));
  *signed_checkpoint.mutable_readable() = ReadableOf(checkpoint, signed_checkpoint);
  return signed_checkpoint;
}

absl::Status WriteCheckpointFile(const std::string& path,
                                 const v1::SignedChainCheckpoint& signed_checkpoint) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(signed_checkpoint, &json, options).ok()) {
    return absl::InternalError("cannot write the checkpoint as JSON");
  }
  return WriteWholeFile(path, json);
}

absl::StatusOr<v1::ChainCheckpoint> ReadVerifiedCheckpoint(const std::string& path,
                                                           const std::string& public_pem) {
  absl::StatusOr<std::string> json = ReadWholeFile("checkpoint", path);
  if (!json.ok()) return json.status();
  v1::SignedChainCheckpoint signed_checkpoint;
  if (!google::protobuf::util::JsonStringToMessage(*json, &signed_checkpoint).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint: ", path, " is not a signed checkpoint (JSON)"));
  }
  if (absl::Status s =
          Ed25519Verify(public_pem, signed_checkpoint.checkpoint(), signed_checkpoint.signature());
      !s.ok()) {
    return s;
  }
  v1::ChainCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(signed_checkpoint.checkpoint())) {
    return absl::InvalidArgumentError("--checkpoint: the signed bytes are not a checkpoint");
  }
  // A readable copy that says something the signature does not cover is
  // an alteration (older files have none).
  if (signed_checkpoint.has_readable() &&
      signed_checkpoint.readable().SerializeAsString() !=
          ReadableOf(checkpoint, signed_checkpoint).SerializeAsString()) {
    return absl::PermissionDeniedError(
        "readable copy differs from what is signed (the file was altered)");
  }
  return checkpoint;
}

}  // namespace gridledger::server
