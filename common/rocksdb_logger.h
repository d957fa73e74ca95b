// RocksDB's own diagnostics (its "info log") as our log lines on stderr,
// never as a LOG file beside the database. On a full disk RocksDB's file
// logger keeps appending to a LOG file whose last write failed, and the
// RocksDB we build on (Debian's, assertions on) aborts the process there; a
// database whose diagnostics go to stderr writes nothing but its data.
//
//   rocksdb::DBOptions options;
//   options.info_log = NewRocksDbLogger("store");
//
// Lines at WARN and above become `rocksdb` log lines (common/log.h) whose
// message begins "rocksdb (LABEL): " and with a `db` field naming the
// database; INFO and DEBUG are dropped.
#ifndef GRIDLEDGER_COMMON_ROCKSDB_LOGGER_H_
#define GRIDLEDGER_COMMON_ROCKSDB_LOGGER_H_

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace gridledger {

std::shared_ptr<rocksdb::Logger> NewRocksDbLogger(std::string db_label);

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_ROCKSDB_LOGGER_H_
