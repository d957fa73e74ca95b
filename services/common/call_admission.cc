#include "services/common/call_admission.h"

#include "absl/strings/str_cat.h"

namespace gridledger::service {

absl::Status CallAdmission::Admit(const std::string& principal, const void* call) {
  absl::MutexLock lock(&mu_);
  if (calls_.contains(call)) return absl::OkStatus();
  int64_t& count = in_flight_[principal];
  if (count >= max_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("principal ", principal, " has ", count,
                     " calls in flight, the most one principal may (--max_calls_per_principal); "
                     "finish or cancel one"));
  }
  ++count;
  calls_.emplace(call, principal);
  return absl::OkStatus();
}

void CallAdmission::Ended(const void* call) {
  absl::MutexLock lock(&mu_);
  auto found = calls_.find(call);
  if (found == calls_.end()) return;
  auto count = in_flight_.find(found->second);
  if (count != in_flight_.end() && --count->second <= 0) in_flight_.erase(count);
  calls_.erase(found);
}

int64_t CallAdmission::InFlight(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto found = in_flight_.find(principal);
  return found == in_flight_.end() ? 0 : found->second;
}

}  // namespace gridledger::service
