// Signed checkpoints on a schedule, for `gridledger serve --checkpoint_key`:
// a background thread walks the store's chains incrementally (only what is
// new since the last time), signs the heads and writes
// <dir>/checkpoint-<unix seconds>.json and <dir>/latest.json, every `every`
// and whenever ExportNow() is called (serve calls it on SIGUSR1). A broken
// chain is never signed: the exporter reports it on stderr and stops.
#ifndef GRIDLEDGER_SERVER_CHECKPOINT_EXPORTER_H_
#define GRIDLEDGER_SERVER_CHECKPOINT_EXPORTER_H_

#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/chain_verifier.h"

namespace gridledger::server {

class CheckpointExporter {
 public:
  CheckpointExporter(eventstore::EventStore* store, std::string store_label,
                     std::string private_pem, std::string directory, absl::Duration every);
  ~CheckpointExporter();  // stops the thread

  void Start();
  void ExportNow();
  int64_t exported() const;

 private:
  absl::Status ExportOnce();
  void Loop();

  eventstore::EventStore* const store_;
  const std::string store_label_, private_pem_, directory_;
  const absl::Duration every_;
  eventstore::ChainWalker walker_;  // only on the thread
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  int64_t exported_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_CHECKPOINT_EXPORTER_H_
