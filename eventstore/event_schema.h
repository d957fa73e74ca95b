// The published schema of everything GridLedger stores and serves: the
// gridledger.v1 protos (events, envelope, service APIs) as a protobuf
// FileDescriptorSet, taken from the descriptors compiled into this binary.
// Analysts decode topics and streams with it and no generated code; each
// Kafka record names the set it was written with (header `gl-schema`).
#ifndef GRIDLEDGER_EVENTSTORE_EVENT_SCHEMA_H_
#define GRIDLEDGER_EVENTSTORE_EVENT_SCHEMA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::eventstore {

// The serialized FileDescriptorSet: every gridledger/v1 file and the files it
// imports (google/protobuf/timestamp.proto, …), each after its imports, in a
// fixed order, so equal protos give equal bytes.
const std::string& SchemaDescriptorSet();

// "gridledger-v1-" + the first 12 hex digits of SHA-256(SchemaDescriptorSet()):
// the version a record's `gl-schema` header names. A change to any proto is
// a new name; an unchanged build keeps it.
const std::string& SchemaName();

// Writes SchemaDescriptorSet() to `directory`/SchemaName().desc (creating
// the directory) and returns that path.
absl::StatusOr<std::string> WriteSchema(absl::string_view directory);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_EVENT_SCHEMA_H_
