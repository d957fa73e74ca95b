#include "eventstore/store_uri.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gridledger::eventstore {

absl::StatusOr<StoreUri> StoreUri::Parse(absl::string_view text) {
  StoreUri uri;
  uri.text_ = std::string(text);
  if (absl::StartsWith(text, "embedded:")) {
    absl::string_view path = text.substr(absl::string_view("embedded:").size());
    if (absl::StartsWith(path, "//")) path.remove_prefix(2);  // embedded:///abs/path
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "store: \"embedded:\" needs a directory, e.g. embedded:/var/lib/gridledger");
    }
    for (char c : path) {
      if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "store: the embedded path \"", absl::CHexEscape(path),
            "\" holds a control character (a NUL would cut the path short at the file system)"));
      }
    }
    uri.embedded_path_ = std::string(path);
    return uri;
  }
  if (absl::StartsWith(text, "kafka://")) {
    absl::StatusOr<internal::KafkaConfig> config =
        internal::ParseKafkaUri(text, /*default_timeout_ms=*/0);
    if (!config.ok()) return config.status();
    uri.kafka_uri_ = true;
    uri.kafka_ = *std::move(config);
    uri.has_writer_id_ = absl::StrContains(text, "writer_id=");
    return uri;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("store: unknown URI \"", text,
                   "\"; expected embedded:PATH or kafka://HOST:PORT[,HOST:PORT]"));
}

StoreUri StoreUri::WithWriterId(absl::string_view writer_id) const {
  if (!kafka_uri_) return *this;
  StoreUri copy = *this;
  std::string base = text_;
  if (has_writer_id_) {
    // Drop the old writer_id=… option; the new one is appended below.
    const size_t at = base.find("writer_id=");
    const size_t end = base.find('&', at);
    base.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
  }
  // "…?" (an empty query) or what the erase left: the option is appended after.
  while (!base.empty() && (base.back() == '&' || base.back() == '?')) base.pop_back();
  copy.text_ =
      absl::StrCat(base, base.find('?') == std::string::npos ? "?" : "&", "writer_id=", writer_id);
  copy.kafka_.writer_id = std::string(writer_id);
  copy.has_writer_id_ = true;
  return copy;
}

std::string StoreUri::Label() const { return text_.substr(0, text_.find('?')); }

}  // namespace gridledger::eventstore
