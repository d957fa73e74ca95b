#include "fuzz/testing/service_harness.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "fuzz/testing/checks.h"

namespace gridledger::fuzzing {
namespace {

struct CallerToken {
  fuzz::Caller caller;
  const char* name;
  const char* org_unit;
  const char* roles;
  const char* expires;  // "" for none
};

// Every caller with a line in the tokens file. The others present no token,
// an unknown one, or two headers.
constexpr CallerToken kCallers[] = {
    {fuzz::CALLER_ADMIN, "fuzz-admin", "sn", "admin", ""},
    {fuzz::CALLER_CUSTOMER_SERVICE, "fuzz-desk", "sn/xa/huyi", "customer_service", ""},
    {fuzz::CALLER_METER_READER, "fuzz-reader", "sn/xa/huyi", "meter_reader", ""},
    {fuzz::CALLER_BILL_CHECKER, "fuzz-checker", "sn/xa/huyi", "bill_checker", ""},
    {fuzz::CALLER_SECOND_BILL_CHECKER, "fuzz-checker-2", "sn/xa/huyi", "bill_checker", ""},
    {fuzz::CALLER_COLLECTOR, "fuzz-collector", "sn/xa/huyi", "collector", ""},
    {fuzz::CALLER_COLLECTOR_AND_CHECKER, "fuzz-both", "sn/xa/huyi", "collector,bill_checker", ""},
    {fuzz::CALLER_METERING_TECHNICIAN, "fuzz-technician", "sn/xa", "metering_technician", ""},
    {fuzz::CALLER_MARKETING_MANAGER, "fuzz-manager", "sn/xa", "marketing_manager", ""},
    {fuzz::CALLER_AUDITOR, "fuzz-auditor", "sn", "auditor,analyst", ""},
    {fuzz::CALLER_COUNTY_ADMIN, "fuzz-county-admin", "sn/bj/chencang", "admin", ""},
    {fuzz::CALLER_EXPIRED, "fuzz-expired", "sn/xa/huyi", "admin", "2000-01-01T00:00:00Z"},
    {fuzz::CALLER_FIELD_CREW, "fuzz-crew", "sn/xa", "field_crew", ""},
};

fuzz::Caller Normalize(fuzz::Caller caller) {
  const int count = fuzz::Caller_ARRAYSIZE;
  return static_cast<fuzz::Caller>((static_cast<int>(caller) % count + count) % count);
}

const CallerToken* TokenOf(fuzz::Caller caller) {
  for (const CallerToken& token : kCallers) {
    if (token.caller == Normalize(caller)) return &token;
  }
  return nullptr;
}

std::string BearerOf(const CallerToken& token) {
  return absl::StrCat("Bearer fuzz-token-", token.name);
}

service::TokenRegistry MakeTokens() {
  std::string file = "# the service fuzzers' callers (fuzz/testing/service_harness.cc)\n";
  for (const CallerToken& token : kCallers) {
    absl::StrAppend(&file, HexEncode(Sha256(absl::StrCat("fuzz-token-", token.name))), " ",
                    token.name, " ", token.org_unit, " ", token.roles,
                    *token.expires ? absl::StrCat(" expires=", token.expires) : "", "\n");
  }
  absl::StatusOr<service::TokenRegistry> tokens = service::TokenRegistry::Parse(file);
  if (!tokens.ok()) {
    FuzzFailure(absl::StrCat("the harness's tokens file: ", tokens.status().ToString()));
  }
  return *std::move(tokens);
}

bool ClientCanActOn(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAUTHENTICATED:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void Breach(absl::string_view name, fuzz::Caller caller, const grpc::Status& status,
                         absl::string_view what) {
  FuzzFailure(absl::StrCat(name, " as ", fuzz::Caller_Name(Normalize(caller)), ": ", what,
                           "\n   status ", status.error_code(), ": ", status.error_message()));
}

}  // namespace

ServiceHarness::ServiceHarness() : tokens_(MakeTokens()) {}

std::string ServiceHarness::NameOf(fuzz::Caller caller) {
  const CallerToken* token = TokenOf(caller);
  return token == nullptr ? "" : token->name;
}

bool ServiceHarness::Authenticates(fuzz::Caller caller) {
  const CallerToken* token = TokenOf(caller);
  return token != nullptr && *token->expires == '\0';
}

std::unique_ptr<ServiceHarness::CallContext> ServiceHarness::ContextFor(fuzz::Caller caller) {
  auto context = std::make_unique<CallContext>();
  grpc::testing::ServerContextTestSpouse& spouse = context->spouse;
  switch (Normalize(caller)) {
    case fuzz::CALLER_NO_TOKEN:
      break;
    case fuzz::CALLER_UNKNOWN_TOKEN:
      spouse.AddClientMetadata("authorization", "Bearer not-a-token");
      break;
    case fuzz::CALLER_TWO_HEADERS:
      spouse.AddClientMetadata("authorization", BearerOf(kCallers[0]));
      spouse.AddClientMetadata("authorization", BearerOf(kCallers[0]));
      break;
    default:
      spouse.AddClientMetadata("authorization", BearerOf(*TokenOf(caller)));
      break;
  }
  return context;
}

void ServiceHarness::Trace(absl::string_view name, fuzz::Caller caller,
                           const grpc::Status& status) {
  static const bool kTrace = [] {
    const char* trace = std::getenv("GL_FUZZ_TRACE");
    return trace != nullptr && std::string(trace) == "1";
  }();
  if (!kTrace) return;
  std::fprintf(stderr, "%.*s as %s: %d %s\n", static_cast<int>(name.size()), name.data(),
               fuzz::Caller_Name(Normalize(caller)).c_str(), static_cast<int>(status.error_code()),
               status.error_message().c_str());
}

void ServiceHarness::Check(absl::string_view name, fuzz::Caller caller, const grpc::Status& status,
                           int64_t size_before, const v1::CommandReply* command) {
  if (!ClientCanActOn(status.error_code())) {
    Breach(name, caller, status, "a code no client acts on");
  }
  if ((status.error_code() == grpc::StatusCode::UNAUTHENTICATED) == Authenticates(caller)) {
    Breach(name, caller, status, "UNAUTHENTICATED must answer exactly the callers without a token");
  }
  const int64_t appended = store_.size() - size_before;
  if (!status.ok()) {
    if (status.error_message().empty()) Breach(name, caller, status, "a refusal without a message");
    if (!IsValidUtf8(status.error_message())) {
      Breach(name, caller, status, "a message that is not valid UTF-8");
    }
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
        !NamesAField(status.error_message())) {
      Breach(name, caller, status, "INVALID_ARGUMENT not naming a field");
    }
    if (appended != 0) Breach(name, caller, status, "a refused call appended events");
    return;
  }
  if (Normalize(caller) == fuzz::CALLER_AUDITOR && appended != 0) {
    Breach(name, caller, status, "an auditor appended events");
  }
  if (command == nullptr) {
    if (appended != 0) Breach(name, caller, status, "a query appended events");
    return;
  }
  if (command->deduplicated()) {
    if (appended != 0) Breach(name, caller, status, "a deduplicated command appended events");
    return;
  }
  if (command->first_version() < 1 || command->last_version() < command->first_version() ||
      appended != command->last_version() - command->first_version() + 1) {
    Breach(name, caller, status,
           absl::StrCat("appended ", appended, " events, but the reply says versions ",
                        command->first_version(), "..", command->last_version()));
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      store_.ReadStream(command->stream_id(), command->first_version(),
                        command->last_version() - command->first_version() + 1);
  if (!events.ok()) {
    Breach(name, caller, status,
           absl::StrCat("the appended events do not read back: ", events.status().ToString()));
  }
  for (const v1::EventEnvelope& event : *events) {
    if (event.actor().principal() != NameOf(caller)) {
      Breach(name, caller, status, absl::StrCat("an event's actor is ", event.actor().principal()));
    }
  }
}

void ServiceHarness::CheckRetry(absl::string_view name, fuzz::Caller caller,
                                const v1::CommandReply& first, const grpc::Status& status,
                                int64_t size_before, const v1::CommandReply* again) {
  const std::string retry = absl::StrCat(name, " (retried)");
  if (!status.ok()) Breach(retry, caller, status, "an identical retry was refused");
  if (store_.size() != size_before) Breach(retry, caller, status, "an identical retry appended");
  if (!again->deduplicated() || again->stream_id() != first.stream_id() ||
      again->first_version() != first.first_version() ||
      again->last_version() != first.last_version()) {
    Breach(retry, caller, status,
           absl::StrCat("an identical retry answered ", again->ShortDebugString(),
                        " instead of the first outcome ", first.ShortDebugString()));
  }
}

}  // namespace gridledger::fuzzing
