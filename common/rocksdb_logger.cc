#include "common/rocksdb_logger.h"

#include <cstdarg>
#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gridledger {
namespace {

class RocksDbLogger final : public rocksdb::Logger {
 public:
  explicit RocksDbLogger(std::string db_label)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), db_label_(std::move(db_label)) {}

  // RocksDB calls this form for headers; they are INFO.
  void Logv(const char* /*format*/, va_list /*ap*/) override {}

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    va_list copy;
    va_copy(copy, ap);
    std::vsnprintf(line, sizeof line, format, copy);
    va_end(copy);
    const std::string message =
        absl::StrCat("rocksdb (", db_label_, "): ", absl::StripTrailingAsciiWhitespace(line));
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      log::Error("rocksdb", message, {{"db", db_label_}});
    } else {
      log::Warning("rocksdb", message, {{"db", db_label_}});
    }
  }

 private:
  const std::string db_label_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewRocksDbLogger(std::string db_label) {
  return std::make_shared<RocksDbLogger>(std::move(db_label));
}

}  // namespace gridledger
