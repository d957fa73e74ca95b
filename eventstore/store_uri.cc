#include "eventstore/store_uri.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gridledger::eventstore {
namespace {

// The NAME=VALUE options after a kafka:// URI's '?', in order; none when it
// has no query. Option values never hold '&' (the parser refuses it), so a
// split on '&' is exact: an option is never found inside another's value.
std::vector<absl::string_view> QueryOptions(absl::string_view text) {
  const size_t question = text.find('?');
  if (question == absl::string_view::npos) return {};
  return absl::StrSplit(text.substr(question + 1), '&', absl::SkipEmpty());
}

}  // namespace

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
    for (absl::string_view option : QueryOptions(text)) {
      if (absl::StartsWith(option, "writer_id=")) uri.has_writer_id_ = true;
    }
    return uri;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("store: unknown URI \"", text,
                   "\"; expected embedded:PATH or kafka://HOST:PORT[,HOST:PORT]"));
}

StoreUri StoreUri::WithWriterId(absl::string_view writer_id) const {
  if (!kafka_uri_) return *this;
  StoreUri copy = *this;
  std::vector<std::string> options;
  for (absl::string_view option : QueryOptions(text_)) {
    if (!absl::StartsWith(option, "writer_id=")) options.emplace_back(option);
  }
  options.push_back(absl::StrCat("writer_id=", writer_id));
  copy.text_ = absl::StrCat(Label(), "?", absl::StrJoin(options, "&"));
  copy.kafka_.writer_id = std::string(writer_id);
  copy.has_writer_id_ = true;
  return copy;
}

std::string StoreUri::Label() const { return text_.substr(0, text_.find('?')); }

}  // namespace gridledger::eventstore
