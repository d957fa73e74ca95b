#include "server/token_watcher.h"

#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gridledger::server {

TokenWatcher::TokenWatcher(service::TokenRegistry* tokens, std::string path, absl::Duration every)
    : tokens_(tokens), path_(std::move(path)), every_(every) {
  {
    absl::MutexLock lock(&mu_);
    fingerprint_ = Fingerprint();  // the file as the server loaded it
  }
  thread_ = std::thread([this] { Loop(); });
}

TokenWatcher::~TokenWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

std::string TokenWatcher::Fingerprint() const {
  struct stat info {};
  if (stat(path_.c_str(), &info) != 0) return "";
  return absl::StrCat(info.st_dev, ":", info.st_ino, ":", info.st_size, ":", info.st_mtim.tv_sec,
                      ".", info.st_mtim.tv_nsec);
}

absl::Status TokenWatcher::ReloadNow() {
  const std::string fingerprint = Fingerprint();
  absl::Status reloaded = tokens_->ReloadFile(path_);
  if (reloaded.ok()) {
    log::Info("tokens.reloaded",
              absl::StrCat("gridledger: tokens reloaded from ", path_, ": ", tokens_->size(),
                           " in force"),
              {{"path", path_}, {"tokens", tokens_->size()}});
  } else {
    log::Error(
        "tokens.reload_failed",
        absl::StrCat("gridledger: tokens file ", path_, " not reloaded (", reloaded.message(),
                     "); the ", tokens_->size(), " tokens in force stay"),
        {{"path", path_}, {"reason", reloaded.message()}, {"tokens", tokens_->size()}});
  }
  absl::MutexLock lock(&mu_);
  fingerprint_ = fingerprint;
  return reloaded;
}

void TokenWatcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_), every_)) return;
      if (Fingerprint() == fingerprint_) continue;
    }
    // Reported on stderr; a bad file leaves the tokens in force.
    ReloadNow().IgnoreError();
  }
}

}  // namespace gridledger::server
