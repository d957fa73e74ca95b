#include "common/log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gridledger::log {
namespace {

std::atomic<Format> current_format{Format::kText};

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view flag, absl::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": \"", text, "\" is not a log format; use text or json"));
}

void SetFormat(Format format) { current_format.store(format); }

Format CurrentFormat() { return current_format.load(); }

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatLine(Format format, Level level, absl::string_view event,
                       absl::string_view message, std::initializer_list<Field> fields,
                       absl::string_view now_text) {
  if (format == Format::kText) return std::string(message);
  std::string line =
      absl::StrCat("{\"ts\":", JsonQuote(now_text), ",\"level\":\"", LevelName(level),
                   "\",\"event\":", JsonQuote(event), ",\"msg\":", JsonQuote(message));
  for (const Field& field : fields) {
    absl::StrAppend(&line, ",", JsonQuote(field.key), ":");
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      line += JsonQuote(*text);
    } else if (const auto* number = std::get_if<int64_t>(&field.value)) {
      absl::StrAppend(&line, *number);
    } else {
      line += std::get<bool>(field.value) ? "true" : "false";
    }
  }
  line += '}';
  return line;
}

void Emit(Level level, absl::string_view event, absl::string_view message,
          std::initializer_list<Field> fields) {
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = FormatLine(CurrentFormat(), level, event, message, fields, now);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace gridledger::log
