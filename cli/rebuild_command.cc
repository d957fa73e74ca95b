#include "cli/rebuild_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>

#include "CLI/CLI.hpp"
#include "cli/command_line.h"
#include "gridledger/v1/query_service.grpc.pb.h"

namespace gridledger::cli {
namespace {

struct RebuildFlags {
  ClientFlags client;
  std::string view;
  bool no_wait = false;
};

int RunRebuild(const RebuildFlags& flags) {
  absl::StatusOr<std::string> token = ClientToken(flags.client);
  if (!token.ok()) return Report("rebuild", token.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ClientChannel(flags.client);
  if (!channel.ok()) return Report("rebuild", channel.status());
  auto stub = v1::ViewAdmin::NewStub(*channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  v1::RebuildViewRequest request;
  request.set_view(flags.view);
  request.set_wait(!flags.no_wait);
  v1::RebuildViewReply reply;
  grpc::Status status = stub->RebuildView(&context, request, &reply);
  if (!status.ok()) {
    std::fprintf(stderr, "gridledger rebuild: %s: %s\n", flags.client.target.c_str(),
                 status.error_message().c_str());
    return kExitFailed;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(reply.status(), &json, options).ok()) {
    return kExitFailed;
  }
  std::printf("%s\n", json.c_str());
  return kExitOk;
}

}  // namespace

void AddRebuildCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<RebuildFlags>();
  CLI::App* command = app.add_subcommand(
      "rebuild", "rebuild a view from zero in a running serve/project, without stopping it");
  command->add_option("--view", flags->view, "the view to rebuild: ledger, assets or kpi")
      ->required();
  AddClientFlags(*command, flags->client);
  command->add_flag("--no_wait", flags->no_wait, "return once the rebuild has started");
  command->callback([flags, exit_code] { *exit_code = RunRebuild(*flags); });
}

}  // namespace gridledger::cli
