// How many calls one principal may have in flight at once, across all its
// connections, unary and streaming alike: the cap that keeps one client from
// holding every handler thread or stream of a server (per connection,
// gRPC's MAX_CONCURRENT_STREAMS caps the streams; this caps the principal).
//
//   CallAdmission admission(512);
//   tokens.AttachAdmission(&admission);   // Authenticate admits each call
//   … the call observer calls Ended(context) when the call is done …
//
// Thread-safe.
#ifndef GRIDLEDGER_SERVICES_COMMON_CALL_ADMISSION_H_
#define GRIDLEDGER_SERVICES_COMMON_CALL_ADMISSION_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace gridledger::service {

class CallAdmission {
 public:
  // At most `max_per_principal` (>= 1) calls of one principal at once.
  explicit CallAdmission(int64_t max_per_principal) : max_(max_per_principal) {}

  // Counts the call `call` (its server context) of `principal`, once however
  // often its handler asks. RESOURCE_EXHAUSTED naming the cap and the flag
  // (--max_calls_per_principal) when the principal already has the most in
  // flight; the call is then not counted.
  absl::Status Admit(const std::string& principal, const void* call);
  // The call is done: its place, if it was admitted, is free.
  void Ended(const void* call);
  // The principal's calls in flight now.
  int64_t InFlight(const std::string& principal) const;

 private:
  const int64_t max_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const void*, std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_CALL_ADMISSION_H_
