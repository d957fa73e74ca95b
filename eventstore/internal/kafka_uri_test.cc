#include "eventstore/internal/kafka_uri.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::eventstore::internal {
namespace {

using ::testing::HasSubstr;

TEST(ParseKafkaUriTest, ParsesBrokersAndOptions) {
  absl::StatusOr<KafkaConfig> config = ParseKafkaUri(
      "kafka://127.0.0.1:9092,10.0.0.2:9093?topic_prefix=t1&partitions=6&timeout_ms=2500", 10000);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bootstrap_servers, "127.0.0.1:9092,10.0.0.2:9093");
  EXPECT_EQ(config->topic_prefix, "t1");
  EXPECT_EQ(config->partitions, 6);
  EXPECT_EQ(config->timeout_ms, 2500);
  EXPECT_EQ(config->writer_id, "main");
}

TEST(ParseKafkaUriTest, HostsAreNamesOrAddresses) {
  absl::StatusOr<KafkaConfig> config =
      ParseKafkaUri("kafka://broker-1.example.net:9092,10.0.0.2:9093,[::1]:9094", 1000);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bootstrap_servers, "broker-1.example.net:9092,10.0.0.2:9093,[::1]:9094");
}

TEST(ParseKafkaUriTest, DefaultsApply) {
  absl::StatusOr<KafkaConfig> config = ParseKafkaUri("kafka://localhost:9092/", 777);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->topic_prefix, "gridledger");
  EXPECT_EQ(config->partitions, 3);
  EXPECT_EQ(config->timeout_ms, 777);
}

TEST(ParseKafkaUriTest, TlsFilesMakeTheConnectionTls) {
  absl::StatusOr<KafkaConfig> plain = ParseKafkaUri("kafka://h:1", 10000);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls());
  absl::StatusOr<KafkaConfig> config = ParseKafkaUri(
      "kafka://h:9093?tls_ca=/etc/ca/ca.crt&tls_cert=/etc/u/user.crt&tls_key=/etc/u/user.key",
      10000);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls());
  EXPECT_EQ(config->tls_ca, "/etc/ca/ca.crt");
  EXPECT_EQ(config->tls_cert, "/etc/u/user.crt");
  EXPECT_EQ(config->tls_key, "/etc/u/user.key");
}

TEST(ParseKafkaUriTest, RejectsMalformed) {
  const std::pair<const char*, const char*> cases[] = {
      {"kafka://", "needs HOST:PORT"},
      {"kafka://host", "must be HOST:PORT"},
      {"kafka://host:99999", "must be HOST:PORT"},
      {"kafka://h:1?partitions=0", "partitions must be an integer"},
      {"kafka://h:1?timeout_ms=abc", "timeout_ms must be an integer"},
      {"kafka://h:1?colour=red", "unknown kafka option \"colour\""},
      {"kafka://h:1?topic_prefix=a/b", "topic_prefix"},
      {"kafka://h:1?partitions", "NAME=VALUE"},
      {"kafka://h:1?tls_ca=ca.crt", "tls_ca must be an absolute path"},
      {"kafka://h:1?tls_cert=/u.crt", "tls_cert and tls_key go together"},
      {"kafka://h:1?tls_key=/u\x01.key", "tls_key must be an absolute path"},
      // Found by fuzz/store_uri_fuzzer: any bytes before the last ':' passed
      // as the host, control characters and all.
      {"kafka://kafk\x17"
       "a:/\xff\xff"
       "a.:2",
       "must be HOST:PORT"},
      {"kafka://a b:9092", "must be HOST:PORT"},
      {"kafka://:9092", "must be HOST:PORT"},
      {"kafka://[::1:9092", "must be HOST:PORT"},
      // Also found by it: whitespace around the port passed (SimpleAtoi
      // skips it) and stayed in the broker list.
      {"kafka://h:909\r?writer_id=a", "must be HOST:PORT"},
      {"kafka://[::]:\x0c"
       "2",
       "must be HOST:PORT"},
      {"kafka://h:3 ", "must be HOST:PORT"},
      {"kafka://h:+3", "must be HOST:PORT"},
  };
  for (const auto& [uri, message] : cases) {
    absl::Status status = ParseKafkaUri(uri, 1000).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << uri;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message)) << uri;
  }
}

}  // namespace
}  // namespace gridledger::eventstore::internal
