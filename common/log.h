// Structured process logs: one line on stderr per event worth logging
// (start, stop, fencing, a failed command, a view rebuild, …).
//
//   log::Info("serve.start", "gridledger: serving on 127.0.0.1:50051",
//             {{"listen", "127.0.0.1:50051"}, {"views", 3}});
//
// Two formats, chosen once per process (SetFormat, before threads start):
//   kText (default): the message alone, as a person reads it.
//   kJson: one JSON object per line — {"ts":"2026-12-03T17:05:58.123Z",
//          "level":"info","event":"serve.start","msg":"…", then the fields}
//          — for log collectors (Kubernetes, Loki, Elasticsearch).
// Field values are strings, integers or booleans; keys are not checked for
// clashes with ts/level/event/msg (callers use other names).
//
// Thread-safe: each line is written with one fwrite, whole.
#ifndef GRIDLEDGER_COMMON_LOG_H_
#define GRIDLEDGER_COMMON_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::log {

enum class Format { kText, kJson };
enum class Level { kInfo, kWarning, kError };

// "text" or "json"; INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view flag, absl::string_view text);
void SetFormat(Format format);
Format CurrentFormat();

struct Field {
  Field(absl::string_view k, absl::string_view v) : key(k), value(std::string(v)) {}
  Field(absl::string_view k, const std::string& v) : key(k), value(v) {}
  Field(absl::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(absl::string_view k, int64_t v) : key(k), value(v) {}
  Field(absl::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(absl::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(absl::string_view k, bool v) : key(k), value(v) {}

  absl::string_view key;
  std::variant<std::string, int64_t, bool> value;
};

// Writes one line in the current format.
void Emit(Level level, absl::string_view event, absl::string_view message,
          std::initializer_list<Field> fields = {});
inline void Info(absl::string_view event, absl::string_view message,
                 std::initializer_list<Field> fields = {}) {
  Emit(Level::kInfo, event, message, fields);
}
inline void Warning(absl::string_view event, absl::string_view message,
                    std::initializer_list<Field> fields = {}) {
  Emit(Level::kWarning, event, message, fields);
}
inline void Error(absl::string_view event, absl::string_view message,
                  std::initializer_list<Field> fields = {}) {
  Emit(Level::kError, event, message, fields);
}

// The line Emit would write (without the newline) at `now_text`; for tests.
std::string FormatLine(Format format, Level level, absl::string_view event,
                       absl::string_view message, std::initializer_list<Field> fields,
                       absl::string_view now_text);

// `text` as a JSON string literal, quotes included (control characters
// escaped, UTF-8 passed through).
std::string JsonQuote(absl::string_view text);

}  // namespace gridledger::log

#endif  // GRIDLEDGER_COMMON_LOG_H_
