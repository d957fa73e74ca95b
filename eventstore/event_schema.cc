#include "eventstore/event_schema.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gridledger/v1/audit.pb.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/cluster.pb.h"
#include "gridledger/v1/customer_service.pb.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/event_gateway.pb.h"
#include "gridledger/v1/marketing_service.pb.h"
#include "gridledger/v1/metering_service.pb.h"
#include "gridledger/v1/query_service.pb.h"
#include "gridledger/v1/view_records.pb.h"

namespace gridledger::eventstore {
namespace {

// Appends `file` after its imports (depth first), each file once.
void AddWithImports(const google::protobuf::FileDescriptor* file,
                    absl::flat_hash_set<std::string>& added,
                    google::protobuf::FileDescriptorSet& set) {
  if (!added.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddWithImports(file->dependency(i), added, set);
  }
  file->CopyTo(set.add_file());
}

std::string BuildDescriptorSet() {
  // One message of each file is named, so its descriptors are linked in.
  const std::vector<const google::protobuf::FileDescriptor*> roots = {
      v1::EventRecord::descriptor()->file(),
      v1::ReceiveMeterRequest::descriptor()->file(),
      v1::OpenAccountRequest::descriptor()->file(),
      v1::SubmitApplicationRequest::descriptor()->file(),
      v1::SetKpiTargetRequest::descriptor()->file(),
      v1::LedgerAccount::descriptor()->file(),
      v1::GetStatementRequest::descriptor()->file(),
      v1::PartitionHead::descriptor()->file(),
      v1::ReadStreamRequest::descriptor()->file(),
      v1::PartitionClaim::descriptor()->file(),
  };
  google::protobuf::FileDescriptorSet set;
  absl::flat_hash_set<std::string> added;
  for (const google::protobuf::FileDescriptor* root : roots) AddWithImports(root, added, set);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    set.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace

const std::string& SchemaDescriptorSet() {
  static const std::string* const kSet = new std::string(BuildDescriptorSet());
  return *kSet;
}

const std::string& SchemaName() {
  static const std::string* const kName = new std::string(absl::StrCat(
      "gridledger-v1-", absl::BytesToHexString(Sha256(SchemaDescriptorSet())).substr(0, 12)));
  return *kName;
}

absl::StatusOr<std::string> WriteSchema(absl::string_view directory) {
  std::error_code error;
  std::filesystem::create_directories(std::string(directory), error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("--out: cannot create ", directory, ": ", error.message()));
  }
  const std::string path = absl::StrCat(directory, "/", SchemaName(), ".desc");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(SchemaDescriptorSet().data(),
            static_cast<std::streamsize>(SchemaDescriptorSet().size()));
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("--out: cannot write ", path));
  return path;
}

}  // namespace gridledger::eventstore
