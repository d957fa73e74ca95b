#include "cli/cluster_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/command_line.h"
#include "gridledger/v1/cluster.grpc.pb.h"

namespace gridledger::cli {
namespace {

struct ClusterFlags {
  ClientFlags client;
  bool json = false;
};

// One line per member with the partitions it owns, then one per partition.
void PrintTable(const v1::ClusterStatusReply& reply) {
  std::map<std::string, std::vector<std::string>> owned;
  for (const v1::PartitionStatus& partition : reply.partitions()) {
    owned[partition.owner_instance().empty() ? "(unclaimed)" : partition.owner_instance()]
        .push_back(partition.partition());
  }
  std::printf("answered by %s; %d member(s)\n", reply.instance().c_str(), reply.members_size());
  for (const auto& [member, partitions] : owned) {
    std::printf("member %s: %zu partition(s)\n", member.c_str(), partitions.size());
  }
  std::printf("%-34s %-16s %-22s %12s %8s\n", "PARTITION", "OWNER", "ADDRESS", "END_OFFSET",
              "EPOCH");
  for (const v1::PartitionStatus& partition : reply.partitions()) {
    std::printf("%-34s %-16s %-22s %12lld %8lld%s\n", partition.partition().c_str(),
                partition.owner_instance().c_str(), partition.owner_advertise().c_str(),
                static_cast<long long>(partition.end_offset()),
                static_cast<long long>(partition.claim_epoch()),
                partition.owned_here() ? "  (here)" : "");
  }
}

int RunClusterStatus(const ClusterFlags& flags) {
  absl::StatusOr<std::string> token = ClientToken(flags.client);
  if (!token.ok()) return Report("cluster status", token.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ClientChannel(flags.client);
  if (!channel.ok()) return Report("cluster status", channel.status());
  auto stub = v1::Cluster::NewStub(*channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  v1::ClusterStatusReply reply;
  grpc::Status status = stub->Status(&context, v1::ClusterStatusRequest(), &reply);
  if (!status.ok()) {
    std::fprintf(stderr, "gridledger cluster status: %s: %s\n", flags.client.target.c_str(),
                 status.error_message().c_str());
    return kExitFailed;
  }
  if (!flags.json) {
    PrintTable(reply);
    return kExitOk;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(reply, &json, options).ok()) {
    return kExitFailed;
  }
  std::printf("%s\n", json.c_str());
  return kExitOk;
}

}  // namespace

void AddClusterCommand(CLI::App& app, int* exit_code) {
  CLI::App* cluster = app.add_subcommand("cluster", "look at a clustered deployment on Kafka");
  cluster->require_subcommand(1);
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* status = cluster->add_subcommand(
      "status", "members, the partitions each owns, end offsets and claim epochs");
  AddClientFlags(*status, flags->client);
  status->add_flag("--json", flags->json, "print the reply as JSON");
  status->callback([flags, exit_code] { *exit_code = RunClusterStatus(*flags); });
}

}  // namespace gridledger::cli
