// Checks the fuzzers make of what the code under test returns. A failed
// check prints what broke and aborts: libFuzzer then saves the input as a
// crash.
#ifndef GRIDLEDGER_FUZZ_TESTING_CHECKS_H_
#define GRIDLEDGER_FUZZ_TESTING_CHECKS_H_

#include "absl/strings/string_view.h"

namespace gridledger::fuzzing {

// Prints "fuzz invariant broken: <what>" to stderr and aborts unless
// `condition`.
void FuzzCheck(bool condition, absl::string_view what);
[[noreturn]] void FuzzFailure(absl::string_view what);

// Silences protobuf's log (a parse of bytes that are not UTF-8 logs an
// error each time, which would slow a fuzzer down and bury its findings).
// Idempotent; call at the top of LLVMFuzzerTestOneInput.
void QuietProtobufLogging();

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// Whether `message` begins by naming the field or fields it is about, as our
// INVALID_ARGUMENT messages do: "read.multiplier: …", "events[2].type: …",
// "account_id, bill_id: …", "to_tier and to_store_id: …".
bool NamesAField(absl::string_view message);

// Whether `text` holds an ASCII control character (or DEL).
bool HasControlCharacter(absl::string_view text);

}  // namespace gridledger::fuzzing

#endif  // GRIDLEDGER_FUZZ_TESTING_CHECKS_H_
