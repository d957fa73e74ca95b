#include "tests/testing/fault_fs.h"

#include <utility>

#include "absl/strings/match.h"

namespace gridledger::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;
using Fault = FaultFs::Fault;

class FaultyWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultFs* fs, bool is_log)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), is_log_(is_log) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus failed = AppendFault(data, options, dbg); !failed.ok()) return failed;
    return target()->Append(data, options, dbg);
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (IOStatus failed = AppendFault(data, options, dbg); !failed.ok()) return failed;
    return target()->Append(data, options, info, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus failed = SyncFault(); !failed.ok()) return failed;
    return target()->Sync(options, dbg);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus failed = SyncFault(); !failed.ok()) return failed;
    return target()->Fsync(options, dbg);
  }

 private:
  IOStatus AppendFault(const Slice& data, const IOOptions& options, IODebugContext* dbg) {
    if (fs_->armed() == Fault::kDiskFull) {
      fs_->CountFailure();
      return IOStatus::NoSpace("fault injected: no space left on device (every file)");
    }
    if (!is_log_) return IOStatus::OK();
    switch (fs_->armed()) {
      case Fault::kNoSpace:
        fs_->CountFailure();
        return IOStatus::NoSpace("fault injected: no space left on device");
      case Fault::kIoError:
        fs_->CountFailure();
        return IOStatus::IOError("fault injected: I/O error on write");
      case Fault::kTornWrite: {
        fs_->CountFailure();
        // Half the record reaches the file, as after a power cut mid-write.
        IOStatus half = target()->Append(Slice(data.data(), data.size() / 2), options, dbg);
        if (half.ok()) half = target()->Flush(options, dbg);
        return IOStatus::IOError("fault injected: torn write");
      }
      default:
        return IOStatus::OK();
    }
  }
  IOStatus SyncFault() {
    if (!is_log_ || fs_->armed() != Fault::kSyncError) return IOStatus::OK();
    fs_->CountFailure();
    return IOStatus::IOError("fault injected: I/O error on sync");
  }

  FaultFs* const fs_;
  const bool is_log_;
};

class FaultyRandomAccessFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultyRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, FaultFs* fs)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), fs_(fs) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options, Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    if (fs_->armed() == Fault::kReadError) {
      fs_->CountFailure();
      return IOStatus::IOError("fault injected: I/O error on read");
    }
    return target()->Read(offset, n, options, result, scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* requests, size_t count, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (fs_->armed() == Fault::kReadError) {
      fs_->CountFailure();
      return IOStatus::IOError("fault injected: I/O error on read");
    }
    return target()->MultiRead(requests, count, options, dbg);
  }

 private:
  FaultFs* const fs_;
};

bool IsLog(const std::string& name) { return absl::EndsWith(name, ".log"); }

}  // namespace

std::shared_ptr<rocksdb::Env> NewFaultEnv(const std::shared_ptr<FaultFs>& fs) {
  return std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(fs).release());
}

IOStatus FaultFs::NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                  IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus opened = target()->NewWritableFile(name, options, &file, dbg);
  if (opened.ok()) {
    *result = std::make_unique<FaultyWritableFile>(std::move(file), this, IsLog(name));
  }
  return opened;
}

IOStatus FaultFs::ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                                     IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus opened = target()->ReopenWritableFile(name, options, &file, dbg);
  if (opened.ok()) {
    *result = std::make_unique<FaultyWritableFile>(std::move(file), this, IsLog(name));
  }
  return opened;
}

IOStatus FaultFs::NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                      IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  IOStatus opened = target()->NewRandomAccessFile(name, options, &file, dbg);
  if (opened.ok()) *result = std::make_unique<FaultyRandomAccessFile>(std::move(file), this);
  return opened;
}

}  // namespace gridledger::testing
