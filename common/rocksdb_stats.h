// What a RocksDB database says of its size and of write stalls, read from
// its properties, for the metrics endpoint (gridledger_rocksdb_*).
//
//   RocksDbStats stats = ReadRocksDbStats("store", db);
//
// Thread-safe as RocksDB's GetIntProperty is.
#ifndef GRIDLEDGER_COMMON_ROCKSDB_STATS_H_
#define GRIDLEDGER_COMMON_ROCKSDB_STATS_H_

#include <cstdint>
#include <string>

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace gridledger {

struct RocksDbStats {
  std::string name;                      // "store", "view:ledger", …
  int64_t live_sst_bytes = 0;            // rocksdb.live-sst-files-size
  int64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
  int64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  bool write_stopped = false;            // rocksdb.is-write-stopped
  int64_t delayed_write_rate = 0;        // rocksdb.actual-delayed-write-rate (bytes/s; 0: no delay)
};

// Properties RocksDB does not know read as 0.
RocksDbStats ReadRocksDbStats(std::string name, rocksdb::DB* db);

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_ROCKSDB_STATS_H_
