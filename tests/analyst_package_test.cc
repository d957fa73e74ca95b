// The gridledger-analyst Python package (python/) as an analyst installs it:
// scripts/analyst-venv makes its virtualenv from PyPI, and the package —
// no generated code, the schema from `gridledger schema` — reads a real
// broker's topics to their end and a real `gridledger serve`'s
// EventGateway/Subscribe stream. Also runs the package's own unit tests
// (python/tests) with the venv's python.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gridledger/v1/metering_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "projections/testing/business_generator.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;

// Single-quotes `text` for sh.
std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string LastLine(const std::string& output) {
  std::vector<std::string> lines = absl::StrSplit(absl::StripTrailingAsciiWhitespace(output), '\n');
  return lines.empty() ? "" : std::string(absl::StripAsciiWhitespace(lines.back()));
}

// The venv's python from scripts/analyst-venv (which installs python/ into it
// when it changed); empty, with a failure, if it could not.
std::string AnalystPython(const std::string& dir) {
  const std::string log = dir + "/analyst-venv.log";
  std::string python =
      LastLine(testing::RunCommand(Quote(testing::ScriptsDir() + "/analyst-venv") + " 2>" + log));
  if (!absl::EndsWith(python, "/bin/python") || !std::filesystem::exists(python)) {
    ADD_FAILURE() << "scripts/analyst-venv printed \"" << python << "\":\n" << ReadFile(log);
    return "";
  }
  return python;
}

// A schema directory as `gridledger schema --out DIR` writes it; its set's
// name in `name`. Until that command exists, a protoc-made set (name empty).
std::string SchemaDir(const std::string& dir, std::string* name) {
  std::string schemas = dir + "/schemas";
  const std::string printed = LastLine(testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " schema --out ", Quote(schemas), " 2>/dev/null")));
  if (absl::EndsWith(printed, ".desc") && std::filesystem::exists(printed)) {
    *name = std::filesystem::path(printed).stem().string();
    return schemas;
  }
  name->clear();
  std::filesystem::create_directories(schemas);
  const std::string protos = absl::StrCat(GL_SOURCE_DIR, "/protos");
  testing::RunCommand(
      absl::StrCat(GL_PROTOC, " -I ", protos, " --include_imports --descriptor_set_out=", schemas,
                   "/gridledger-v1-protoc.desc ", protos, "/gridledger/v1/*.proto"));
  return schemas;
}

// One JSON object per line → Structs (numbers stay number_value, strings string_value).
std::vector<Struct> JsonLines(const std::string& output) {
  std::vector<Struct> objects;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    Struct object;
    const auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &object);
    EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line.substr(0, 500);
    if (status.ok()) objects.push_back(std::move(object));
  }
  return objects;
}

const Value* Field(const Struct& object, const std::vector<std::string>& path) {
  const Struct* at = &object;
  const Value* value = nullptr;
  for (const std::string& key : path) {
    if (at == nullptr) return nullptr;
    auto it = at->fields().find(key);
    if (it == at->fields().end()) return nullptr;
    value = &it->second;
    at = value->has_struct_value() ? &value->struct_value() : nullptr;
  }
  return value;
}

std::string Text(const Struct& object, const std::vector<std::string>& path) {
  const Value* value = Field(object, path);
  return value != nullptr && value->has_string_value() ? value->string_value() : "";
}

bool UnitMatches(const std::string& unit, const std::string& wanted) {
  return unit == wanted || absl::StartsWith(unit, wanted + "/");
}

TEST(AnalystPackageTest, UnitTestsPassInTheVenv) {
  testing::TempDir dir;
  const std::string python = AnalystPython(dir.path());
  ASSERT_FALSE(python.empty());
  std::string name;
  const std::string schemas = SchemaDir(dir.path(), &name);
  const std::string output = testing::RunCommand(absl::StrCat(
      "GRIDLEDGER_ANALYST_SCHEMAS=", Quote(schemas), " ", python, " -m unittest discover -v -s ",
      GL_SOURCE_DIR, "/python/tests 2>&1; echo exit=$?"));
  EXPECT_THAT(output, HasSubstr("\nOK")) << output;
  EXPECT_THAT(output, HasSubstr("exit=0")) << output;
  EXPECT_THAT(output, ::testing::Not(HasSubstr("skipped"))) << output;
}

TEST(AnalystPackageTest, KafkaTopicsAndSubscribeThroughThePackage) {
  std::optional<std::string> bootstrap = testing::TestKafkaBootstrap();
  if (!bootstrap) GTEST_SKIP() << "run through ctest: it starts the broker";
  testing::TempDir dir;
  const std::string python = AnalystPython(dir.path());
  ASSERT_FALSE(python.empty());
  std::string schema_name;
  const std::string schemas = SchemaDir(dir.path(), &schema_name);
  if (schema_name.empty()) {
    std::cerr << "note: `gridledger schema` did not write a set; decoding with protoc's\n";
  }

  // Business from the generator straight into the store (its envelopes
  // leave org_unit empty: their streams belong to their first actor's unit)…
  const std::string prefix = testing::UniqueTopicPrefix();
  const std::string uri = absl::StrCat("kafka://", *bootstrap, "?topic_prefix=", prefix,
                                       "&partitions=2&timeout_ms=8000");
  {
    auto store = eventstore::OpenEventStore(uri);
    ASSERT_TRUE(store.ok()) << store.status();
    testing::BusinessGenerator generator(33, 12, 10);
    for (int i = 0; i < 150; ++i) ASSERT_TRUE((*store)->Append(generator.Next()).ok());
  }
  // …then through `gridledger serve`, which sets org_unit: org units and
  // meters received by technicians of two cities.
  std::map<std::string, std::string> tokens;
  {
    std::ofstream file(dir.path() + "/tokens");
    for (const auto& [principal, unit, roles] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"registrar", "sn", "admin"},
             {"analyst", "sn", "analyst"},
             {"tech-xa", "sn/xa", "metering_technician"},
             {"tech-bj", "sn/bj", "metering_technician"}}) {
      auto issued = service::IssueToken(principal, unit, roles);
      ASSERT_TRUE(issued.ok()) << issued.status();
      tokens[principal] = issued->token;
      file << issued->line << "\n";
    }
  }
  {
    std::ofstream file(dir.path() + "/analyst.token");
    file << tokens["analyst"] << "\n";
  }
  testing::ServeProcess serve(
      GL_GRIDLEDGER_PATH,
      {"serve", "--clock_tick_s", "0", "--store", uri, "--listen", "127.0.0.1:0", "--tokens",
       dir.path() + "/tokens", "--view_dir", dir.path() + "/views"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  ASSERT_TRUE(testing::RegisterOrgUnits(address, tokens["registrar"], testing::TestOrgUnits()));
  auto metering =
      v1::MeteringCenter::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) {
    for (const auto& [tech, store_id] :
         {std::pair<std::string, std::string>{"tech-xa", "xa"}, {"tech-bj", "bj"}}) {
      v1::ReceiveMeterRequest request = testing::NewMeterRequest(
          absl::StrCat("AN-", store_id, "-", i), v1::STORE_TIER_CITY, store_id);
      v1::CommandReply reply;
      const grpc::Status status =
          metering->ReceiveMeter(testing::CallAs(tokens[tech]).get(), request, &reply);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  // EventGateway/Subscribe through the package (grpc generic calls, the
  // descriptor set's classes), everything from the start until 10 s idle.
  const std::string subscribed = testing::RunCommand(
      absl::StrCat(python, " -m gridledger_analyst subscribe --target ", address, " --token-file ",
                   Quote(dir.path() + "/analyst.token"), " --schemas ", Quote(schemas),
                   " --idle-seconds 10 2>", Quote(dir.path() + "/subscribe.err")));
  EXPECT_EQ(serve.Wait(SIGTERM), 0);

  // What the log holds, and each event's org unit as scoping sees it.
  std::map<std::string, std::string> unit_of;  // event id → unit
  std::set<std::string> all_ids;
  {
    auto store = eventstore::OpenEventStore(uri);
    ASSERT_TRUE(store.ok()) << store.status();
    std::map<std::string, std::string> first_actor_unit;  // stream → unit
    v1::Checkpoint from;
    for (int batch = 0; batch < 100; ++batch) {
      absl::StatusOr<eventstore::ReadAllResult> all = (*store)->ReadAll(from, 1000);
      ASSERT_TRUE(all.ok()) << all.status();
      if (all->events.empty()) break;
      for (const v1::EventEnvelope& e : all->events) {
        if (e.stream_version() == 1) first_actor_unit[e.stream_id()] = e.actor().org_unit();
        std::string unit = e.org_unit();
        if (unit.empty()) unit = first_actor_unit[e.stream_id()];
        unit_of[e.event_id()] = unit;
        all_ids.insert(e.event_id());
      }
      from = all->next;
    }
  }
  ASSERT_GT(all_ids.size(), 150u);

  auto check_every_event_once = [&](const std::vector<Struct>& events, const std::string& what) {
    std::map<std::string, int> seen;
    for (const Struct& event : events) ++seen[Text(event, {"event_id"})];
    std::set<std::string> ids;
    for (const auto& [id, times] : seen) {
      EXPECT_EQ(times, 1) << what << ": " << id;
      ids.insert(id);
    }
    EXPECT_EQ(ids, all_ids) << what;
    int hashed = 0;
    for (const Struct& event : events) {
      const Value* ok = Field(event, {"hash_ok"});
      ASSERT_NE(ok, nullptr) << what;
      EXPECT_TRUE(ok->has_bool_value() && ok->bool_value())
          << what << ": " << Text(event, {"event_id"});
      hashed += ok->bool_value();
    }
    EXPECT_EQ(hashed, static_cast<int>(all_ids.size())) << what;
  };
  {
    SCOPED_TRACE("subscribe");
    std::vector<Struct> events = JsonLines(subscribed);
    check_every_event_once(events, "subscribe");
    if (events.size() != all_ids.size()) ADD_FAILURE() << ReadFile(dir.path() + "/subscribe.err");
  }

  // The topics, read to their ends as of the start.
  std::string topics;
  for (const char* unit : {"customer", "billing", "metering", "marketing"}) {
    absl::StrAppend(&topics, " --topic ", prefix, ".", unit, ".v1");
  }
  const std::string read = absl::StrCat(python, " -m gridledger_analyst topic --bootstrap ",
                                        *bootstrap, topics, " --schemas ", Quote(schemas));
  const std::string output = testing::RunCommand(read + " 2>" + Quote(dir.path() + "/topic.err"));
  std::vector<Struct> events = JsonLines(output);
  check_every_event_once(events, "topic");
  if (events.size() != all_ids.size()) ADD_FAILURE() << ReadFile(dir.path() + "/topic.err");
  int bills = 0, reads = 0;
  for (const Struct& event : events) {
    const Value* version = Field(event, {"stream_version"});
    ASSERT_NE(version, nullptr);
    EXPECT_TRUE(version->has_number_value()) << "stream_version is not a JSON number";
    if (const Value* fen = Field(event, {"payload", "bill_issued", "total_fen"})) {
      EXPECT_TRUE(fen->has_number_value()) << "total_fen is not a JSON number";
      ++bills;
    }
    if (const Value* wh =
            Field(event, {"payload", "meter_read_recorded", "registers", "total_wh"})) {
      EXPECT_TRUE(wh->has_number_value()) << "total_wh is not a JSON number";
      EXPECT_GT(wh->number_value(), 0);
      ++reads;
    }
    const Value* offset = Field(event, {"position", "offset"});
    ASSERT_NE(offset, nullptr);
    EXPECT_TRUE(offset->has_number_value());
    EXPECT_TRUE(absl::StartsWith(Text(event, {"position", "topic"}), prefix + "."));
    if (!schema_name.empty()) {
      // Every record names the set it was written with, which `gridledger schema` wrote.
      EXPECT_EQ(Text(event, {"schema"}), schema_name);
      EXPECT_EQ(Text(event, {"schema_source"}), "header") << Text(event, {"event_id"});
    }
  }
  EXPECT_GT(bills, 0);
  EXPECT_GT(reads, 0);

  // The org-unit filter: sn/xa and below, by the envelope's org_unit (or, for
  // the generator's streams, their first actor's unit); not sn/bj, nor sn.
  std::set<std::string> expected_xa;
  for (const auto& [id, unit] : unit_of) {
    if (UnitMatches(unit, "sn/xa")) expected_xa.insert(id);
  }
  ASSERT_FALSE(expected_xa.empty());
  ASSERT_LT(expected_xa.size(), all_ids.size());
  std::set<std::string> got_xa;
  for (const Struct& event :
       JsonLines(testing::RunCommand(read + " --org-unit sn/xa 2>/dev/null"))) {
    EXPECT_TRUE(got_xa.insert(Text(event, {"event_id"})).second);
  }
  EXPECT_EQ(got_xa, expected_xa);

  // The DataFrame: one row per event, the amounts exact integers.
  const std::string script = dir.path() + "/frame.py";
  {
    std::ofstream file(script);
    file << "import json, sys\n"
            "import gridledger_analyst as ga\n"
            "bootstrap, prefix, schemas = sys.argv[1:4]\n"
            "topics = [f'{prefix}.{u}.v1' for u in ('customer', 'billing', 'metering', "
            "'marketing')]\n"
            "frame = ga.to_dataframe(ga.read_topic(bootstrap, topics, ga.Schemas(schemas)))\n"
            "print(json.dumps({'rows': len(frame), 'ids': int(frame['event_id'].nunique()),\n"
            "                  'fen': str(frame['payload.bill_issued.total_fen'].dtype),\n"
            "                  'version': str(frame['stream_version'].dtype)}))\n";
  }
  const std::string frame = testing::RunCommand(absl::StrCat(
      python, " ", script, " ", *bootstrap, " ", prefix, " ", Quote(schemas), " 2>&1"));
  std::vector<Struct> summary = JsonLines(LastLine(frame));
  ASSERT_EQ(summary.size(), 1u) << frame;
  EXPECT_EQ(Field(summary[0], {"rows"})->number_value(), all_ids.size()) << frame;
  EXPECT_EQ(Field(summary[0], {"ids"})->number_value(), all_ids.size()) << frame;
  EXPECT_EQ(Text(summary[0], {"fen"}), "Int64") << frame;
  EXPECT_EQ(Text(summary[0], {"version"}), "int64") << frame;
}

}  // namespace
}  // namespace gridledger
