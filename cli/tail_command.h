// `gridledger tail [--target HOST:PORT] [--token_file FILE] [--type T[,T…]]
//                  [--prefix P[,P…]] [--org_unit U] [--from start|now|POS|TIME]
//                  [--max N] --json`
// prints events from EventGateway.Subscribe as JSON lines (the protobuf JSON
// mapping of SubscribeReply: the event and the position to resume after it),
// following live until interrupted or N events. POS is "partition@offset" (a
// comma-separated list for several partitions), the `next` of a line already
// seen; TIME is RFC 3339 (recorded at or after). The token (auditor or
// analyst) comes from --token_file or $GRIDLEDGER_TOKEN.
#ifndef GRIDLEDGER_CLI_TAIL_COMMAND_H_
#define GRIDLEDGER_CLI_TAIL_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/event_gateway.pb.h"

namespace gridledger::cli {

// "start", "now", "p@o[,p@o…]" or an RFC 3339 time, into the request's start.
absl::Status ParseTailStart(const std::string& from, v1::SubscribeRequest* request);

int RunTail(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_TAIL_COMMAND_H_
