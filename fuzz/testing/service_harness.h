// What the service fuzzers share: a fixed set of callers and their tokens,
// a fresh in-memory store per input, one ServerContext per call carrying the
// caller's authorization, and the invariants every call's outcome must meet.
// A breach prints what happened and aborts, which libFuzzer reports as a
// finding.
//
//   ServiceHarness harness;
//   billing::BillingService service(&harness.store(), &harness.tokens());
//   harness.Run(service, &billing::BillingService::OpenAccount, "OpenAccount",
//               step.caller(), step.open_account());
//
// The invariants, per call:
//   - the code is one a client can act on: OK, INVALID_ARGUMENT, NOT_FOUND,
//     ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE or
//     UNAUTHENTICATED — never INTERNAL, UNKNOWN, DATA_LOSS (an event the
//     service appended does not read back), ABORTED (nothing runs
//     concurrently) or anything else;
//   - a refusal has a non-empty, valid UTF-8 message; INVALID_ARGUMENT's
//     begins with the field(s) it is about ("read.multiplier: …");
//   - UNAUTHENTICATED exactly for the callers without one valid token;
//   - a refusal or a query appends nothing, and an auditor appends nothing;
//   - an accepted command appends last_version - first_version + 1 events to
//     the stream its reply names, each reading back with the caller as actor;
//     the same request again (same command id, same caller) is answered
//     deduplicated with the same versions and appends nothing.
//
// Not thread-safe.
#ifndef GRIDLEDGER_FUZZ_TESTING_SERVICE_HARNESS_H_
#define GRIDLEDGER_FUZZ_TESTING_SERVICE_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/testing/memory_store.h"
#include "gridledger/fuzz/scripts.pb.h"
#include "gridledger/v1/billing_service.pb.h"
#include "gridledger/v1/command.pb.h"
#include "services/common/auth.h"

namespace gridledger::fuzzing {

// Most steps of a script that are run; the rest are ignored, so an input's
// running time stays bounded.
inline constexpr int kMaxSteps = 64;

class ServiceHarness {
 public:
  ServiceHarness();

  MemoryStore& store() { return store_; }
  const service::TokenRegistry& tokens() const { return tokens_; }

  // Calls `method` of `service` with `request` as `caller`, checks the
  // outcome (see above) and, for an accepted command, its retry.
  template <typename Service, typename Request, typename Reply>
  void Run(Service& service,
           grpc::Status (Service::*method)(grpc::ServerContext*, const Request*, Reply*),
           absl::string_view name, fuzz::Caller caller, const Request& request) {
    const auto call = [&](Reply* reply) {
      std::unique_ptr<CallContext> context = ContextFor(caller);
      return (service.*method)(&context->server, &request, reply);
    };
    Reply reply;
    int64_t before = store_.size();
    const grpc::Status status = call(&reply);
    Trace(name, caller, status);
    const v1::CommandReply* command = CommandOf(reply);
    Check(name, caller, status, before, command);
    if (!status.ok() || command == nullptr) return;
    Reply retried;
    before = store_.size();
    const grpc::Status again = call(&retried);
    CheckRetry(name, caller, *command, again, before, CommandOf(retried));
  }

 private:
  // The caller's name in the tokens file ("" for the callers without one).
  static std::string NameOf(fuzz::Caller caller);
  static bool Authenticates(fuzz::Caller caller);
  // A call's context; the spouse owns the metadata the context points into.
  struct CallContext {
    grpc::ServerContext server;
    grpc::testing::ServerContextTestSpouse spouse{&server};
  };
  static std::unique_ptr<CallContext> ContextFor(fuzz::Caller caller);
  // With GL_FUZZ_TRACE=1 in the environment, prints each call's outcome
  // (to see what a seed or a crash input does).
  static void Trace(absl::string_view name, fuzz::Caller caller, const grpc::Status& status);

  static const v1::CommandReply* CommandOf(const v1::CommandReply& reply) { return &reply; }
  static const v1::CommandReply* CommandOf(const v1::CheckReadReply& reply) {
    return &reply.command();
  }
  static const v1::CommandReply* CommandOf(const v1::IssueBillReply& reply) {
    return &reply.command();
  }
  template <typename Query>
  static const v1::CommandReply* CommandOf(const Query&) {
    return nullptr;  // a query's reply: nothing is appended
  }

  // `command` is the reply of a command, nullptr for a query.
  void Check(absl::string_view name, fuzz::Caller caller, const grpc::Status& status,
             int64_t size_before, const v1::CommandReply* command);
  void CheckRetry(absl::string_view name, fuzz::Caller caller, const v1::CommandReply& first,
                  const grpc::Status& status, int64_t size_before, const v1::CommandReply* again);

  MemoryStore store_;
  service::TokenRegistry tokens_;
};

}  // namespace gridledger::fuzzing

#endif  // GRIDLEDGER_FUZZ_TESTING_SERVICE_HARNESS_H_
