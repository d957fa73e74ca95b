// A RocksDB file system that fails chosen operations on demand, for tests of
// the embedded store under disk faults: a full disk or an I/O error on
// writes, a failed sync, a torn write (half the data reaches the file, then
// an I/O error), a failed read, a whole disk full. Wraps the default file
// system; faults apply to write-ahead logs (".log" files) for writes and
// syncs, except kDiskFull (appends to any file), and to any file for reads,
// while armed.
//
//   auto fs = std::make_shared<testing::FaultFs>();
//   StoreOptions options;
//   options.embedded_env = testing::NewFaultEnv(fs);
//   … fs->Arm(testing::FaultFs::Fault::kNoSpace); … fs->Clear();
//
// Thread-safe.
#ifndef GRIDLEDGER_TESTS_TESTING_FAULT_FS_H_
#define GRIDLEDGER_TESTS_TESTING_FAULT_FS_H_

#include <atomic>
#include <memory>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace gridledger::testing {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  enum class Fault {
    kNone,
    kNoSpace,    // log appends fail: no space left on device
    kIoError,    // log appends fail: I/O error
    kSyncError,  // log syncs fail: I/O error
    kTornWrite,  // a log append writes half its data, then fails
    kReadError,  // reads of any file fail: I/O error
    kDiskFull,   // appends to every file fail: no space (WAL, MANIFEST, tables, others)
  };

  FaultFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "GridLedgerFaultFs"; }

  void Arm(Fault fault) { fault_.store(fault); }
  void Clear() { fault_.store(Fault::kNone); }
  Fault armed() const { return fault_.load(); }
  // How many operations failed because of an armed fault.
  int failures() const { return failures_.load(); }
  void CountFailure() { failures_.fetch_add(1); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& name,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<Fault> fault_{Fault::kNone};
  std::atomic<int> failures_{0};
};

// An Env on `fs` for StoreOptions::embedded_env (keeps `fs` alive).
std::shared_ptr<rocksdb::Env> NewFaultEnv(const std::shared_ptr<FaultFs>& fs);

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_TESTING_FAULT_FS_H_
