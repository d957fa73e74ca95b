#include "tests/testing/test_util.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "common/ids.h"
#include "gtest/gtest.h"

namespace gridledger::testing {

v1::EventEnvelope MeterReadEvent(const std::string& read_id, int64_t total_wh) {
  v1::EventEnvelope event;
  event.set_type("gridledger.v1.MeterReadRecorded");
  event.mutable_occurred_at()->set_seconds(1795000000);
  event.mutable_actor()->set_principal("reader-0042");
  event.mutable_actor()->set_role("meter_reader");
  event.mutable_actor()->set_org_unit("sn/xa/huyi");
  event.set_correlation_id("corr-" + read_id);
  auto* read = event.mutable_payload()->mutable_meter_read_recorded();
  read->set_read_id(read_id);
  read->set_account_id("6101000123");
  read->set_meter_bar_code("3310001000000123456789");
  read->mutable_period()->set_year(2026);
  read->mutable_period()->set_month(11);
  auto* registers = read->mutable_registers();
  registers->set_total_wh(total_wh);
  registers->set_sharp_wh(total_wh / 10);
  registers->set_peak_wh(total_wh / 10 * 3);
  registers->set_flat_wh(total_wh / 10 * 4);
  registers->set_valley_wh(total_wh - total_wh / 10 * 8);
  registers->set_reactive_varh(total_wh / 3);
  registers->set_max_demand_w(812000);
  read->mutable_read_at()->set_seconds(1795000000);
  read->set_source(v1::READ_SOURCE_REMOTE_COLLECTION);
  read->set_reader("reader-0042");
  read->set_multiplier(1);
  return event;
}

eventstore::AppendRequest MeterReadAppend(const std::string& stream_id, int64_t expected_version,
                                          const std::string& command_id, int events) {
  eventstore::AppendRequest request;
  request.stream_id = stream_id;
  request.expected_version = expected_version;
  request.command_id = command_id;
  for (int i = 0; i < events; ++i) {
    request.events.push_back(MeterReadEvent(command_id + "/" + std::to_string(i)));
  }
  return request;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  path_ = std::string(base != nullptr ? base : "/tmp") + "/gridledger-test-" + NewUuid();
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;  // best effort: a leftover temp dir is harmless
  std::filesystem::remove_all(path_, ignored);
}

std::optional<std::string> TestKafkaBootstrap() {
  const char* file = std::getenv("GRIDLEDGER_TEST_KAFKA_BOOTSTRAP_FILE");
  if (file == nullptr) return std::nullopt;
  std::ifstream in(file);
  std::string bootstrap;
  std::getline(in, bootstrap);
  bootstrap = std::string(absl::StripAsciiWhitespace(bootstrap));
  EXPECT_FALSE(bootstrap.empty()) << "no broker address in " << file
                                  << " (did the kafka_broker_start fixture run?)";
  return bootstrap;
}

std::string UniqueTopicPrefix() {
  std::string id = NewUuid();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return "t" + id.substr(0, 16);
}

std::string ScriptsDir() {
  const char* dir = std::getenv("GRIDLEDGER_SCRIPTS_DIR");
  return dir != nullptr ? dir : "scripts";
}

v1::ReceiveMeterRequest NewMeterRequest(const std::string& bar_code, v1::StoreTier tier,
                                        const std::string& store_id) {
  v1::ReceiveMeterRequest request;
  request.set_command_id(NewUuid());
  v1::MeterReceived* m = request.mutable_meter();
  m->set_bar_code(bar_code);
  m->set_asset_kind(v1::ASSET_KIND_METER);
  m->set_meter_type(v1::METER_TYPE_SINGLE_PHASE);
  m->mutable_accuracy_class()->set_class_tenths(20);
  m->set_manufacturer("Weisheng");
  m->set_batch("B7");
  m->set_store_tier(tier);
  m->set_store_id(store_id);
  return request;
}

std::map<std::string, std::string> DumpRocksDb(rocksdb::DB* db) {
  std::map<std::string, std::string> contents;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    contents.emplace(it->key().ToString(), it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return contents;
}

}  // namespace gridledger::testing
