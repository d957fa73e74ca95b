#include "tests/testing/generic_call.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>

#include <vector>

#include "gridledger/v1/billing_service.grpc.pb.h"
#include "gridledger/v1/customer_service.grpc.pb.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gridledger/v1/marketing_service.grpc.pb.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gridledger/v1/query_service.grpc.pb.h"
#include "tests/testing/serve_process.h"

namespace gridledger::testing {

const google::protobuf::MethodDescriptor* FindMethod(const std::string& method) {
  // Linking each service's descriptors in (a static library keeps only what
  // is referenced).
  for (const auto* message :
       {v1::OpenAccountRequest::descriptor(), v1::SubmitApplicationRequest::descriptor(),
        v1::ReceiveMeterRequest::descriptor(), v1::SetKpiTargetRequest::descriptor(),
        v1::GetStatementRequest::descriptor(), v1::ReadStreamRequest::descriptor()}) {
    (void)message;
  }
  const size_t slash = method.rfind('/');
  if (method.empty() || method[0] != '/' || slash == 0) return nullptr;
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      method.substr(1, slash - 1));
  return service == nullptr ? nullptr : service->FindMethodByName(method.substr(slash + 1));
}

Answer CallGeneric(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                   const std::string& text, const std::string& token) {
  const google::protobuf::MethodDescriptor* rpc = FindMethod(method);
  if (rpc == nullptr) return {grpc::StatusCode::INTERNAL, "test: no method " + method, ""};
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(rpc->input_type())
          ->New());
  if (!google::protobuf::TextFormat::ParseFromString(text, request.get())) {
    return {grpc::StatusCode::INTERNAL, "test: bad text proto for " + method + ": " + text, ""};
  }
  return CallGeneric(channel, method, *request, token);
}

Answer CallGeneric(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                   const google::protobuf::Message& request, const std::string& token) {
  const google::protobuf::MethodDescriptor* rpc = FindMethod(method);
  if (rpc == nullptr) return {grpc::StatusCode::INTERNAL, "test: no method " + method, ""};
  std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::GenericStub stub(channel);
  auto context = CallAs(token, 20);
  grpc::CompletionQueue queue;
  auto call = stub.PrepareUnaryCall(context.get(), method, request_buffer, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  Answer answer{status.error_code(), status.error_message(), ""};
  if (status.ok() && !rpc->server_streaming()) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    std::string out;
    for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
    std::unique_ptr<google::protobuf::Message> reply(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(rpc->output_type())
            ->New());
    reply->ParseFromString(out);
    answer.reply = reply->ShortDebugString();
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return answer;
}

}  // namespace gridledger::testing
