#include "cli/tail_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"

namespace gridledger::cli {

absl::Status ParseTailStart(const std::string& from, v1::SubscribeRequest* request) {
  if (from.empty() || from == "start") return absl::OkStatus();
  if (from == "now") {
    request->set_from_now(true);
    return absl::OkStatus();
  }
  if (from.find('@') != std::string::npos) {
    v1::Checkpoint* checkpoint = request->mutable_from_position();
    for (absl::string_view part : absl::StrSplit(from, ',', absl::SkipEmpty())) {
      const size_t at = part.rfind('@');
      int64_t offset = 0;
      if (at == absl::string_view::npos || at == 0 ||
          !absl::SimpleAtoi(part.substr(at + 1), &offset) || offset < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--from: \"", part, "\" is not partition@offset"));
      }
      v1::Position* position = checkpoint->add_next();
      position->set_partition(std::string(part.substr(0, at)));
      position->set_offset(offset);
    }
    return absl::OkStatus();
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, from, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--from: must be start, now, partition@offset or an RFC 3339 time (", error, ")"));
  }
  request->mutable_from_time()->set_seconds(absl::ToUnixSeconds(time));
  request->mutable_from_time()->set_nanos(static_cast<int32_t>(
      (time - absl::FromUnixSeconds(absl::ToUnixSeconds(time))) / absl::Nanoseconds(1)));
  return absl::OkStatus();
}

int RunTail(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags = ParseFlags(
      args,
      FlagSpec{{"target", "token_file", "type", "prefix", "org_unit", "from", "max"}, {"json"}});
  v1::SubscribeRequest request;
  absl::Status valid = flags.ok() ? absl::OkStatus() : flags.status();
  if (valid.ok() && !(flags->count("json") && flags->at("json") == "true")) {
    valid = absl::InvalidArgumentError("--json: the only output there is; say it");
  }
  if (valid.ok() && flags->count("from")) valid = ParseTailStart(flags->at("from"), &request);
  int64_t max = -1;
  if (valid.ok() && flags->count("max") && (!absl::SimpleAtoi(flags->at("max"), &max) || max < 1)) {
    valid = absl::InvalidArgumentError("--max: must be a count of events, 1 or more");
  }
  if (!valid.ok()) {
    std::fprintf(stderr, "gridledger tail: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  if (flags->count("type")) {
    for (absl::string_view t : absl::StrSplit(flags->at("type"), ',', absl::SkipEmpty())) {
      request.add_event_types(absl::StartsWith(t, "gridledger.v1.")
                                  ? std::string(t)
                                  : absl::StrCat("gridledger.v1.", t));
    }
  }
  if (flags->count("prefix")) {
    for (absl::string_view p : absl::StrSplit(flags->at("prefix"), ',', absl::SkipEmpty())) {
      request.add_stream_prefixes(std::string(p));
    }
  }
  if (flags->count("org_unit")) request.set_org_unit(flags->at("org_unit"));
  absl::StatusOr<std::string> token = ClientToken(*flags);
  if (!token.ok()) {
    std::fprintf(stderr, "gridledger tail: %s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  const std::string target = ClientTarget(*flags);
  auto stub =
      v1::EventGateway::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeReply>> reader =
      stub->Subscribe(&context, request);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  v1::SubscribeReply reply;
  int64_t printed = 0;
  while (reader->Read(&reply)) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(reply, &json, options).ok()) return 1;
    std::printf("%s\n", json.c_str());
    std::fflush(stdout);
    if (max > 0 && ++printed >= max) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok() && !(max > 0 && printed >= max)) {
    std::fprintf(stderr, "gridledger tail: %s: %s\n", target.c_str(),
                 status.error_message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace gridledger::cli
