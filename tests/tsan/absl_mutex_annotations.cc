// ThreadSanitizer sees only the synchronisation of code built with it.
// Debian's Abseil is not, so every absl::Mutex hand-off looked like a race
// (a deque filled under the lock and read under it by another thread). This
// file, linked into each test executable of the TSan build (and only there),
// interposes absl::Mutex's and absl::CondVar's entry points: each calls the
// library's own function (found with dlsym(RTLD_NEXT)) and tells TSan what
// it did — acquiring a mutex is __tsan_acquire(mu), releasing it
// __tsan_release(mu), and a wait releases before and acquires after.
// Readers are modelled as writers (conservative: it can hide a race between
// two readers, which read-only access cannot have).
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"

namespace {

// The library's function `mangled`, cast to `Fn`; aborts when it is missing
// (a different Abseil than this file was written for).
template <typename Fn>
Fn Real(const char* mangled) {
  void* address = dlsym(RTLD_NEXT, mangled);
  if (address == nullptr) {
    std::fprintf(stderr, "tsan annotations: %s not found\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(address);
}

void Acquired(const void* mu) { __tsan_acquire(const_cast<void*>(mu)); }
void Releasing(const void* mu) { __tsan_release(const_cast<void*>(mu)); }

// A condition evaluated inside the library (by the waiter once it holds the
// mutex again, or by the thread unlocking it on the waiter's behalf) reads
// state guarded by the mutex: tell TSan the mutex is held while it does.
struct AnnotatedCondition {
  const absl::Condition* condition;
  const absl::Mutex* mu;
};

bool EvalAnnotated(AnnotatedCondition* annotated) {
  Acquired(annotated->mu);
  const bool met = annotated->condition->Eval();
  // A false condition sends the waiter back to sleep, releasing the mutex
  // inside the library: what it read happens before the next holder.
  Releasing(annotated->mu);
  return met;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

#define GL_REAL(type, mangled) static const auto real = Real<type>(mangled)
// `cond`, told to TSan as evaluated under `this` (see AnnotatedCondition).
#define GL_ANNOTATED(cond)                           \
  AnnotatedCondition annotated_state{&(cond), this}; \
  const Condition annotated(&EvalAnnotated, &annotated_state)

void Mutex::Lock() {
  GL_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  Acquired(this);
}

void Mutex::Unlock() {
  GL_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  Releasing(this);
  real(this);
}

bool Mutex::TryLock() {
  GL_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquired(this);
  return locked;
}

void Mutex::ReaderLock() {
  GL_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  Acquired(this);
}

void Mutex::ReaderUnlock() {
  GL_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Releasing(this);
  real(this);
}

bool Mutex::ReaderTryLock() {
  GL_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquired(this);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  GL_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  GL_ANNOTATED(cond);
  real(this, annotated);
  Acquired(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  GL_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  GL_ANNOTATED(cond);
  real(this, annotated);
  Acquired(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  GL_REAL(bool (*)(Mutex*, const Condition&, Duration),
          "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  GL_ANNOTATED(cond);
  const bool met = real(this, annotated, timeout);
  Acquired(this);  // held on return either way
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  GL_REAL(bool (*)(Mutex*, const Condition&, Time),
          "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  GL_ANNOTATED(cond);
  const bool met = real(this, annotated, deadline);
  Acquired(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  GL_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  GL_ANNOTATED(cond);
  Releasing(this);
  real(this, annotated);
  Acquired(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  GL_REAL(bool (*)(Mutex*, const Condition&, Duration),
          "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  GL_ANNOTATED(cond);
  Releasing(this);
  const bool met = real(this, annotated, timeout);
  Acquired(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  GL_REAL(bool (*)(Mutex*, const Condition&, Time),
          "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  GL_ANNOTATED(cond);
  Releasing(this);
  const bool met = real(this, annotated, deadline);
  Acquired(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  GL_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Releasing(mu);
  real(this, mu);
  Acquired(this);
  Acquired(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  GL_REAL(bool (*)(CondVar*, Mutex*, Duration),
          "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Releasing(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquired(this);
  Acquired(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  GL_REAL(bool (*)(CondVar*, Mutex*, Time),
          "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Releasing(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquired(this);
  Acquired(mu);
  return timed_out;
}

void CondVar::Signal() {
  GL_REAL(void (*)(CondVar*), "_ZN4absl7debian37CondVar6SignalEv");
  Releasing(this);
  real(this);
}

void CondVar::SignalAll() {
  GL_REAL(void (*)(CondVar*), "_ZN4absl7debian37CondVar9SignalAllEv");
  Releasing(this);
  real(this);
}

#undef GL_ANNOTATED
#undef GL_REAL

ABSL_NAMESPACE_END
}  // namespace absl
