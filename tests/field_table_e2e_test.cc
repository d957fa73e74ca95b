// The field table (issue 10): every field of every command request of the
// four units, found by walking the request types' descriptors (nested
// messages, repeated fields and oneofs included), is given each bad value of
// its kind in an otherwise empty request and sent to a real `gridledger
// serve` on both backends. Each must be refused INVALID_ARGUMENT naming the
// field's path, and nothing may be appended. Bad values: strings with a
// control character or a bidirectional override, enum numbers the proto does
// not define, int64 and int32 at their extremes, impossible dates and months,
// times in year 1 and year 9999.
#include <google/protobuf/descriptor.h>

#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/generic_call.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;

constexpr int kMaxDepth = 4;

// One bad request: the field path named in the refusal, and how to make it.
struct Mutation {
  std::string method;
  std::string path;
  std::string what;                           // the bad value, for failure messages
  std::vector<const FieldDescriptor*> chain;  // from the request to the leaf
  std::function<void(Message&, const FieldDescriptor&)> set_leaf;
};

bool IsValueMessage(const Descriptor& type) {
  return type.full_name() == "gridledger.v1.Date" || type.full_name() == "gridledger.v1.Period" ||
         type.full_name() == "google.protobuf.Timestamp";
}

void SetInts(Message& m, std::initializer_list<std::pair<const char*, int64_t>> values) {
  for (const auto& [name, value] : values) {
    const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      m.GetReflection()->SetInt64(&m, f, value);
    } else {
      m.GetReflection()->SetInt32(&m, f, static_cast<int32_t>(value));
    }
  }
}

// The bad values for a leaf field, each as a setter.
std::vector<std::pair<std::string, std::function<void(Message&, const FieldDescriptor&)>>>
BadValuesFor(const FieldDescriptor& field) {
  using Setter = std::function<void(Message&, const FieldDescriptor&)>;
  std::vector<std::pair<std::string, Setter>> bad;
  const auto scalar = [](auto set, auto add) -> Setter {
    return [set, add](Message& m, const FieldDescriptor& f) {
      if (f.is_repeated()) {
        add(m, f);
      } else {
        set(m, f);
      }
    };
  };
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (field.type() == FieldDescriptor::TYPE_BYTES) break;
      for (const std::string& text : {std::string("a\x01z"), std::string("a\xe2\x80\xaez")}) {
        bad.emplace_back(
            "string " + absl::CEscape(text),
            scalar([text](Message& m,
                          const FieldDescriptor& f) { m.GetReflection()->SetString(&m, &f, text); },
                   [text](Message& m, const FieldDescriptor& f) {
                     m.GetReflection()->AddString(&m, &f, text);
                   }));
      }
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      bad.emplace_back("enum 12345", scalar(
                                         [](Message& m, const FieldDescriptor& f) {
                                           m.GetReflection()->SetEnumValue(&m, &f, 12345);
                                         },
                                         [](Message& m, const FieldDescriptor& f) {
                                           m.GetReflection()->AddEnumValue(&m, &f, 12345);
                                         }));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      for (int64_t v : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        bad.emplace_back(absl::StrCat("int64 ", v), scalar(
                                                        [v](Message& m, const FieldDescriptor& f) {
                                                          m.GetReflection()->SetInt64(&m, &f, v);
                                                        },
                                                        [v](Message& m, const FieldDescriptor& f) {
                                                          m.GetReflection()->AddInt64(&m, &f, v);
                                                        }));
      }
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      for (int32_t v : {std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()}) {
        bad.emplace_back(absl::StrCat("int32 ", v), scalar(
                                                        [v](Message& m, const FieldDescriptor& f) {
                                                          m.GetReflection()->SetInt32(&m, &f, v);
                                                        },
                                                        [v](Message& m, const FieldDescriptor& f) {
                                                          m.GetReflection()->AddInt32(&m, &f, v);
                                                        }));
      }
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string type = field.message_type()->full_name();
      std::vector<std::pair<std::string, std::vector<std::pair<const char*, int64_t>>>> values;
      if (type == "gridledger.v1.Date") {
        values = {{"date 2026-13-01", {{"year", 2026}, {"month", 13}, {"day", 1}}},
                  {"date 2026-02-30", {{"year", 2026}, {"month", 2}, {"day", 30}}},
                  {"date 9999-01-01", {{"year", 9999}, {"month", 1}, {"day", 1}}}};
      } else if (type == "gridledger.v1.Period") {
        values = {{"period 2026-13", {{"year", 2026}, {"month", 13}}},
                  {"period 1-01", {{"year", 1}, {"month", 1}}}};
      } else {
        values = {{"time in year 1", {{"seconds", -62'135'596'800}}},
                  {"time in year 9999", {{"seconds", 253'402'300'799}}}};
      }
      for (const auto& [what, ints] : values) {
        bad.emplace_back(what, [ints = ints](Message& m, const FieldDescriptor& f) {
          Message* value = f.is_repeated() ? m.GetReflection()->AddMessage(&m, &f)
                                           : m.GetReflection()->MutableMessage(&m, &f);
          for (const auto& [name, v] : ints) SetInts(*value, {{name, v}});
        });
      }
      break;
    }
    default:
      break;  // bool, float, double: no bad value by kind
  }
  return bad;
}

void Walk(const std::string& method, const Descriptor& type, const std::string& prefix,
          std::vector<const FieldDescriptor*>& chain, std::vector<Mutation>& out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    const std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !IsValueMessage(*field->message_type())) {
      if (static_cast<int>(chain.size()) + 1 >= kMaxDepth) continue;
      chain.push_back(field);
      Walk(method, *field->message_type(), path, chain, out);
      chain.pop_back();
      continue;
    }
    for (auto& [what, setter] : BadValuesFor(*field)) {
      std::vector<const FieldDescriptor*> full = chain;
      full.push_back(field);
      out.push_back({method, path, what, full, setter});
    }
  }
}

// Every command of the four units: the methods whose request has a command_id.
std::vector<Mutation> AllMutations() {
  std::vector<Mutation> out;
  for (const char* service :
       {"gridledger.v1.BillingCenter", "gridledger.v1.CustomerServiceCenter",
        "gridledger.v1.MeteringCenter", "gridledger.v1.MarketingDepartment"}) {
    const auto* any = testing::FindMethod(absl::StrCat("/", service, "/x"));  // links descriptors
    (void)any;
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    if (descriptor == nullptr) continue;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const auto* method = descriptor->method(i);
      if (method->input_type()->FindFieldByName("command_id") == nullptr) continue;
      std::vector<const FieldDescriptor*> chain;
      Walk(absl::StrCat("/", service, "/", method->name()), *method->input_type(), "", chain, out);
    }
  }
  return out;
}

std::unique_ptr<Message> Build(const Mutation& mutation, int n) {
  const auto* rpc = testing::FindMethod(mutation.method);
  std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                       ->GetPrototype(rpc->input_type())
                                       ->New());
  Message* at = request.get();
  for (size_t i = 0; i + 1 < mutation.chain.size(); ++i) {
    const FieldDescriptor* f = mutation.chain[i];
    at = f->is_repeated() ? at->GetReflection()->AddMessage(at, f)
                          : at->GetReflection()->MutableMessage(at, f);
  }
  mutation.set_leaf(*at, *mutation.chain.back());
  if (mutation.path != "command_id") {
    request->GetReflection()->SetString(request.get(),
                                        request->GetDescriptor()->FindFieldByName("command_id"),
                                        absl::StrCat("table-", n));
  }
  return request;
}

class FieldTableE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    served_ = testing::StartGridLedgerAs(GL_GRIDLEDGER_PATH, GetParam(), dir_.path(),
                                         {{"anyone", "admin", "sn"}});
    if (served_.store_uri.empty()) GTEST_SKIP() << "run through ctest: it starts the broker";
    ASSERT_FALSE(served_.address.empty());
    channel_ = grpc::CreateChannel(served_.address, grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (served_.process) EXPECT_EQ(served_.process->Wait(SIGTERM), 0);
  }

  // Every event in the store, read from the start until 3 s pass quietly.
  int CountEvents() {
    auto gateway = v1::EventGateway::NewStub(channel_);
    auto context = testing::CallAs(served_.tokens["anyone"], 3);
    v1::SubscribeRequest all;
    auto reader = gateway->Subscribe(context.get(), all);
    int count = 0;
    v1::SubscribeReply reply;
    while (reader->Read(&reply)) ++count;
    reader->Finish().IgnoreError();
    return count;
  }

  testing::TempDir dir_;
  testing::ServedGridLedger served_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_P(FieldTableE2eTest, EveryFieldOfEveryCommandRefusesItsBadValues) {
  const std::vector<Mutation> mutations = AllMutations();
  // The table is generated: it must have found the commands and their fields.
  ASSERT_GT(mutations.size(), 500u);
  const int before = CountEvents();
  EXPECT_EQ(before, static_cast<int>(testing::TestOrgUnits().size()));
  int n = 0;
  std::set<std::string> methods;
  for (const Mutation& mutation : mutations) {
    methods.insert(mutation.method);
    std::unique_ptr<Message> request = Build(mutation, ++n);
    const testing::Answer answer =
        testing::CallGeneric(channel_, mutation.method, *request, served_.tokens["anyone"]);
    EXPECT_EQ(answer.code, grpc::StatusCode::INVALID_ARGUMENT)
        << mutation.method << " " << mutation.path << " = " << mutation.what << ": "
        << answer.message;
    EXPECT_THAT(answer.message, HasSubstr(mutation.path + ": "))
        << mutation.method << " " << mutation.path << " = " << mutation.what;
  }
  EXPECT_GE(methods.size(), 35u) << "every command of the four units";
  // Bytes that are not UTF-8 in a string field never reach a handler (the
  // request does not parse): INVALID_ARGUMENT naming the request type.
  for (const Mutation& mutation : mutations) {
    if (mutation.what.rfind("string ", 0) != 0 || mutation.path != "command_id") continue;
    std::unique_ptr<Message> request = Build(mutation, ++n);
    request->GetReflection()->SetString(
        request.get(), request->GetDescriptor()->FindFieldByName("command_id"), "id-\xff");
    const testing::Answer answer =
        testing::CallGeneric(channel_, mutation.method, *request, served_.tokens["anyone"]);
    EXPECT_EQ(answer.code, grpc::StatusCode::INVALID_ARGUMENT) << mutation.method;
    EXPECT_THAT(answer.message, HasSubstr("valid UTF-8")) << mutation.method;
    EXPECT_THAT(answer.message, HasSubstr(request->GetDescriptor()->full_name()))
        << mutation.method;
  }
  EXPECT_EQ(CountEvents(), before) << "a refused request appended something";
}

INSTANTIATE_TEST_SUITE_P(Backends, FieldTableE2eTest, ::testing::Values("embedded", "kafka"),
                         testing::BackendTestName);

}  // namespace
}  // namespace gridledger
