// Keeps a TokenRegistry in step with its tokens file, so a removed line
// revokes its token within about `every` without a restart: a thread looks at
// the file's size, modification time and inode every `every` and reloads it
// when one changed; ReloadNow() (serve calls it on SIGHUP) reloads at once.
// A file that does not parse (or cannot be read) leaves the tokens in force
// as they were and says so on stderr; each reload is reported there too.
//
// Thread-safe; `tokens` must outlive the watcher. Destroying it stops the
// thread.
#ifndef GRIDLEDGER_SERVER_TOKEN_WATCHER_H_
#define GRIDLEDGER_SERVER_TOKEN_WATCHER_H_

#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/auth.h"

namespace gridledger::server {

class TokenWatcher {
 public:
  TokenWatcher(service::TokenRegistry* tokens, std::string path, absl::Duration every);
  ~TokenWatcher();

  TokenWatcher(const TokenWatcher&) = delete;
  TokenWatcher& operator=(const TokenWatcher&) = delete;

  // Reloads now; the status of the reload (the tokens stay as they were on error).
  absl::Status ReloadNow();

 private:
  // The file's identity and version as stat sees it; empty when it cannot be read.
  std::string Fingerprint() const;
  void Loop();

  service::TokenRegistry* const tokens_;
  const std::string path_;
  const absl::Duration every_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_TOKEN_WATCHER_H_
