// Fuzzes the store URI parser (eventstore/store_uri.h, StoreUri::Parse, and
// behind it the kafka:// option parser): every command's --store flag. Each
// input is a URI. Per input:
//   1. Parse is OK or INVALID_ARGUMENT whose message begins "store:";
//   2. what parses is usable as given: an embedded path without NUL or other
//      control characters (the file system would see another path); Kafka
//      brokers HOST:PORT with a port of 1-65535 and no spaces or control
//      characters, options within their documented bounds;
//   3. Parse(uri.text()) gives the same store, and Label() is a prefix of the
//      text;
//   4. WithWriterId("fuzz-writer-2") names that writer and otherwise the
//      same store, and its text parses back to it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/store_uri.h"
#include "fuzz/testing/checks.h"

namespace gridledger::fuzzing {
namespace {

using eventstore::StoreUri;
using eventstore::internal::KafkaConfig;

bool SameStore(const StoreUri& a, const StoreUri& b) {
  if (a.is_embedded() != b.is_embedded()) return false;
  if (a.is_embedded()) return a.embedded_path() == b.embedded_path();
  const KafkaConfig& x = a.kafka();
  const KafkaConfig& y = b.kafka();
  return x.bootstrap_servers == y.bootstrap_servers && x.topic_prefix == y.topic_prefix &&
         x.partitions == y.partitions && x.replication == y.replication &&
         x.timeout_ms == y.timeout_ms;
}

void CheckKafka(const KafkaConfig& kafka) {
  for (absl::string_view broker : absl::StrSplit(kafka.bootstrap_servers, ',')) {
    const size_t colon = broker.rfind(':');
    int port = 0;
    FuzzCheck(colon != absl::string_view::npos && colon > 0 &&
                  absl::SimpleAtoi(broker.substr(colon + 1), &port) && port >= 1 && port <= 65535,
              absl::StrCat("a broker that is not HOST:PORT: \"", absl::CHexEscape(broker), "\""));
    FuzzCheck(!HasControlCharacter(broker) && !absl::StrContains(broker, ' '),
              absl::StrCat("a broker with spaces or control characters: \"",
                           absl::CHexEscape(broker), "\""));
  }
  FuzzCheck(kafka.partitions >= 1 && kafka.partitions <= 1024, "partitions out of bounds");
  FuzzCheck(kafka.replication >= 1 && kafka.replication <= 16, "replication out of bounds");
  FuzzCheck(kafka.timeout_ms == 0 || (kafka.timeout_ms >= 100 && kafka.timeout_ms <= 600000),
            "timeout_ms out of bounds");
  FuzzCheck(!kafka.topic_prefix.empty() && !kafka.writer_id.empty(),
            "an empty topic prefix or writer id");
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger::fuzzing;  // NOLINT(google-build-using-namespace)
  using gridledger::eventstore::StoreUri;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<StoreUri> uri = StoreUri::Parse(text);
  if (!uri.ok()) {
    FuzzCheck(absl::IsInvalidArgument(uri.status()) &&
                  absl::StartsWith(uri.status().message(), "store: "),
              absl::StrCat("Parse: ", uri.status().ToString()));
    return 0;
  }
  FuzzCheck(uri->text() == text, "text() is not the URI as given");
  FuzzCheck(absl::StartsWith(uri->text(), uri->Label()), "Label() is not a prefix of the URI");
  if (uri->is_embedded()) {
    FuzzCheck(!uri->embedded_path().empty() && !HasControlCharacter(uri->embedded_path()),
              absl::StrCat("an embedded path the file system would not see as given: \"",
                           absl::CHexEscape(uri->embedded_path()), "\""));
  } else {
    CheckKafka(uri->kafka());
  }
  absl::StatusOr<StoreUri> again = StoreUri::Parse(uri->text());
  FuzzCheck(again.ok() && SameStore(*uri, *again), "Parse(text()) is another store");
  const StoreUri rewritten = uri->WithWriterId("fuzz-writer-2");
  absl::StatusOr<StoreUri> reparsed = StoreUri::Parse(rewritten.text());
  FuzzCheck(reparsed.ok(),
            absl::StrCat("WithWriterId made a URI that does not parse: \"",
                         absl::CHexEscape(rewritten.text()), "\": ", reparsed.status().ToString()));
  FuzzCheck(SameStore(*uri, *reparsed) && SameStore(rewritten, *reparsed),
            absl::StrCat("WithWriterId changed the store: \"", rewritten.text(), "\""));
  if (uri->is_kafka()) {
    FuzzCheck(reparsed->kafka().writer_id == "fuzz-writer-2" && reparsed->has_writer_id(),
              absl::StrCat("WithWriterId's URI names another writer: \"", rewritten.text(), "\""));
  }
  return 0;
}
