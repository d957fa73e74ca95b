#include "cli/rebuild_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "cli/command_line.h"
#include "gridledger/v1/query_service.grpc.pb.h"

namespace gridledger::cli {

int RunRebuild(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, FlagSpec{{"view", "target", "token_file"}, {"no_wait"}});
  if (!flags.ok() || !flags->count("view")) {
    std::fprintf(stderr, "gridledger rebuild: %s\n",
                 flags.ok() ? "--view: must name the view to rebuild (ledger, assets, kpi)"
                            : std::string(flags.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> token = ClientToken(*flags);
  if (!token.ok()) {
    std::fprintf(stderr, "gridledger rebuild: %s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  const std::string target = ClientTarget(*flags);
  auto stub =
      v1::ViewAdmin::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  v1::RebuildViewRequest request;
  request.set_view(flags->at("view"));
  request.set_wait(!(flags->count("no_wait") && flags->at("no_wait") == "true"));
  v1::RebuildViewReply reply;
  grpc::Status status = stub->RebuildView(&context, request, &reply);
  if (!status.ok()) {
    std::fprintf(stderr, "gridledger rebuild: %s: %s\n", target.c_str(),
                 status.error_message().c_str());
    return 1;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(reply.status(), &json, options).ok()) return 1;
  std::printf("%s\n", json.c_str());
  return 0;
}

}  // namespace gridledger::cli
