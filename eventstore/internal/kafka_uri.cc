#include "eventstore/internal/kafka_uri.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gridledger::eventstore::internal {
namespace {

// A host name or IPv4 address ([A-Za-z0-9._-]), or an IPv6 address in
// brackets ("[::1]"): what librdkafka is handed must be the broker the user
// meant, not bytes it would resolve as something else.
bool IsHostText(absl::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    return host.find_first_not_of("0123456789abcdefABCDEF:.") == absl::string_view::npos;
  }
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// 1-65535 in decimal digits only (SimpleAtoi alone would also take spaces
// around them, which the broker list then carries to librdkafka).
bool IsPortText(absl::string_view port_text) {
  int port = 0;
  return !port_text.empty() && port_text.size() <= 5 &&
         port_text.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(port_text, &port) && port >= 1 && port <= 65535;
}

absl::Status CheckHostPort(absl::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos || !IsHostText(host_port.substr(0, colon)) ||
      !IsPortText(host_port.substr(colon + 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: kafka broker \"", absl::CHexEscape(host_port),
                     "\" must be HOST:PORT (a host name, an IPv4 address or [an IPv6 one])"));
  }
  return absl::OkStatus();
}

absl::Status ParseBounded(absl::string_view name, absl::string_view text, int64_t min, int64_t max,
                          int64_t* out) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("store: kafka option ", name,
                                                   " must be an integer in [", min, ", ", max,
                                                   "], got \"", text, "\""));
  }
  *out = value;
  return absl::OkStatus();
}

// An absolute path without control characters or '&'.
bool IsFilePath(absl::string_view text) {
  if (text.size() < 2 || text.size() > 4096 || text[0] != '/') return false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '&') return false;
  }
  return true;
}

bool IsTopicNameText(absl::string_view text) {
  if (text.empty() || text.size() > 200) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<KafkaConfig> ParseKafkaUri(absl::string_view uri, int64_t default_timeout_ms) {
  constexpr absl::string_view kScheme = "kafka://";
  if (!absl::StartsWith(uri, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("store: \"", uri, "\" is not a kafka:// URI"));
  }
  absl::string_view rest = uri.substr(kScheme.size());
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (absl::EndsWith(rest, "/")) rest.remove_suffix(1);
  if (rest.empty()) return absl::InvalidArgumentError("store: kafka:// needs HOST:PORT");
  KafkaConfig config;
  config.timeout_ms = default_timeout_ms;
  for (absl::string_view broker : absl::StrSplit(rest, ',')) {
    if (absl::Status s = CheckHostPort(broker); !s.ok()) return s;
  }
  config.bootstrap_servers = std::string(rest);
  if (query.empty()) return config;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    std::vector<absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("store: kafka option \"", pair, "\" must be NAME=VALUE"));
    }
    int64_t number = 0;
    if (kv[0] == "topic_prefix") {
      if (!IsTopicNameText(kv[1])) {
        return absl::InvalidArgumentError(
            "store: kafka option topic_prefix must be 1-200 of [A-Za-z0-9._-]");
      }
      config.topic_prefix = std::string(kv[1]);
    } else if (kv[0] == "writer_id") {
      if (!IsTopicNameText(kv[1])) {
        return absl::InvalidArgumentError(
            "store: kafka option writer_id must be 1-200 of [A-Za-z0-9._-]");
      }
      config.writer_id = std::string(kv[1]);
    } else if (kv[0] == "partitions") {
      if (absl::Status s = ParseBounded(kv[0], kv[1], 1, 1024, &number); !s.ok()) return s;
      config.partitions = static_cast<int32_t>(number);
    } else if (kv[0] == "replication") {
      if (absl::Status s = ParseBounded(kv[0], kv[1], 1, 16, &number); !s.ok()) return s;
      config.replication = static_cast<int32_t>(number);
    } else if (kv[0] == "timeout_ms") {
      if (absl::Status s = ParseBounded(kv[0], kv[1], 100, 600000, &number); !s.ok()) return s;
      config.timeout_ms = number;
    } else if (kv[0] == "tls_ca" || kv[0] == "tls_cert" || kv[0] == "tls_key") {
      if (!IsFilePath(kv[1])) {
        return absl::InvalidArgumentError(
            absl::StrCat("store: kafka option ", kv[0], " must be an absolute path to a PEM file"));
      }
      std::string& field = kv[0] == "tls_ca"     ? config.tls_ca
                           : kv[0] == "tls_cert" ? config.tls_cert
                                                 : config.tls_key;
      field = std::string(kv[1]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("store: unknown kafka option \"", kv[0],
                       "\"; known: topic_prefix, partitions, replication, timeout_ms, writer_id, "
                       "tls_ca, tls_cert, tls_key"));
    }
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "store: kafka options tls_cert and tls_key go together (the client's certificate and "
        "its key)");
  }
  return config;
}

}  // namespace gridledger::eventstore::internal
