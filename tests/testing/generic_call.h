// Calling any RPC of GridLedger by its method name with a request given as a
// text proto (or a message), through gRPC's generic stub: the field table and
// scoping tests list requests as data.
#ifndef GRIDLEDGER_TESTS_TESTING_GENERIC_CALL_H_
#define GRIDLEDGER_TESTS_TESTING_GENERIC_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace gridledger::testing {

struct Answer {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string reply;  // the reply as a one-line text proto
};

// The descriptor of a method ("/gridledger.v1.BillingCenter/RecordRead"), or
// null; every GridLedger service is linked in.
const google::protobuf::MethodDescriptor* FindMethod(const std::string& method);

// Calls `method` with `request` (of its input type) as `token`. A unary
// method's reply is given as text; a streaming one's only its status.
Answer CallGeneric(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                   const google::protobuf::Message& request, const std::string& token);
// As above, from the text proto `text` of the method's input type (INTERNAL
// "test: …" when it does not parse).
Answer CallGeneric(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                   const std::string& text, const std::string& token);

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_TESTING_GENERIC_CALL_H_
