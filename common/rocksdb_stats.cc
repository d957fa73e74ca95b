#include "common/rocksdb_stats.h"

#include <utility>

#include "rocksdb/db.h"

namespace gridledger {
namespace {

int64_t IntProperty(rocksdb::DB* db, const std::string& property) {
  uint64_t value = 0;
  if (!db->GetIntProperty(property, &value)) return 0;
  return static_cast<int64_t>(value);
}

}  // namespace

RocksDbStats ReadRocksDbStats(std::string name, rocksdb::DB* db) {
  RocksDbStats stats;
  stats.name = std::move(name);
  if (db == nullptr) return stats;
  stats.live_sst_bytes = IntProperty(db, rocksdb::DB::Properties::kLiveSstFilesSize);
  stats.memtable_bytes = IntProperty(db, rocksdb::DB::Properties::kCurSizeAllMemTables);
  stats.pending_compaction_bytes =
      IntProperty(db, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  stats.write_stopped = IntProperty(db, rocksdb::DB::Properties::kIsWriteStopped) != 0;
  stats.delayed_write_rate = IntProperty(db, rocksdb::DB::Properties::kActualDelayedWriteRate);
  return stats;
}

}  // namespace gridledger
