#include "server/checkpoint_exporter.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "server/audit_files.h"

namespace gridledger::server {

CheckpointExporter::CheckpointExporter(eventstore::EventStore* store, std::string store_label,
                                       std::string private_pem, std::string directory,
                                       absl::Duration every)
    : store_(store),
      store_label_(std::move(store_label)),
      private_pem_(std::move(private_pem)),
      directory_(std::move(directory)),
      every_(every) {}

CheckpointExporter::~CheckpointExporter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CheckpointExporter::Start() {
  {
    absl::MutexLock lock(&mu_);
    wanted_ = true;  // one at start
  }
  thread_ = std::thread([this] { Loop(); });
}

void CheckpointExporter::ExportNow() {
  absl::MutexLock lock(&mu_);
  wanted_ = true;
}

int64_t CheckpointExporter::exported() const {
  absl::MutexLock lock(&mu_);
  return exported_;
}

absl::Status CheckpointExporter::ExportOnce() {
  if (absl::Status walked = walker_.Advance(*store_); !walked.ok()) return walked;
  v1::ChainCheckpoint heads = walker_.Heads();
  heads.set_store(store_label_);
  absl::StatusOr<v1::SignedChainCheckpoint> signed_checkpoint = SignCheckpoint(heads, private_pem_);
  if (!signed_checkpoint.ok()) return signed_checkpoint.status();
  const std::string name = absl::StrCat(
      directory_, "/checkpoint-", absl::ToUnixSeconds(absl::Now()), "-", heads.events(), ".json");
  if (absl::Status s = WriteCheckpointFile(name, *signed_checkpoint); !s.ok()) return s;
  return WriteCheckpointFile(directory_ + "/latest.json", *signed_checkpoint);
}

void CheckpointExporter::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_ || wanted_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), every_);
      if (stop_) return;
      wanted_ = false;
    }
    absl::Status exported = ExportOnce();
    if (absl::IsDataLoss(exported)) {
      log::Error(
          "checkpoint.chain_broken",
          absl::StrCat("gridledger serve: CHAIN BROKEN, no more checkpoints will be signed: ",
                       exported.ToString()),
          {{"reason", exported.ToString()}});
      return;
    }
    if (!exported.ok()) {
      log::Warning("checkpoint.failed",
                   absl::StrCat("gridledger serve: checkpoint not written (will retry): ",
                                exported.ToString()),
                   {{"reason", exported.ToString()}});
      continue;
    }
    absl::MutexLock lock(&mu_);
    ++exported_;
  }
}

}  // namespace gridledger::server
