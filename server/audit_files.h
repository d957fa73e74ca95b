// Files of the auditor's commands: signed chain checkpoints as JSON (the
// protobuf JSON mapping of SignedChainCheckpoint, bytes in base64) and keys
// as PEM. Shared by `keygen`, `checkpoint`, `verify` and serve's scheduled
// checkpoints.
#ifndef GRIDLEDGER_SERVER_AUDIT_FILES_H_
#define GRIDLEDGER_SERVER_AUDIT_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "gridledger/v1/audit.pb.h"

namespace gridledger::server {

absl::StatusOr<std::string> ReadWholeFile(const std::string& flag, const std::string& path);
// Writes through a temporary file and a rename; `private_file` gives 0600.
absl::Status WriteWholeFile(const std::string& path, const std::string& contents,
                            bool private_file = false);

// Signs `checkpoint` (taken_at set to now) with the private key.
absl::StatusOr<v1::SignedChainCheckpoint> SignCheckpoint(v1::ChainCheckpoint checkpoint,
                                                         const std::string& private_pem);
absl::Status WriteCheckpointFile(const std::string& path,
                                 const v1::SignedChainCheckpoint& signed_checkpoint);
// Reads the file and checks its signature with `public_pem`: the checkpoint
// it signs; PERMISSION_DENIED when the signature does not verify.
absl::StatusOr<v1::ChainCheckpoint> ReadVerifiedCheckpoint(const std::string& path,
                                                           const std::string& public_pem);

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_AUDIT_FILES_H_
