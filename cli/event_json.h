// Events (or any message) as JSON and as flat rows, for analysts' tools:
// `gridledger tail` and `gridledger export`. Unlike protobuf's JSON printer,
// 64-bit integers are JSON numbers, never strings (every amount and count
// GridLedger stores is below 2^53, so JavaScript reads them exactly too).
// Otherwise it is protobuf's JSON mapping, which protobuf's JSON parsers
// read back: field names as in the .proto (snake_case), enums by name,
// Timestamps in RFC 3339 (UTC), bytes in base64. Every scalar field is
// printed, defaults included (an offset 0 is "offset":0), so every object
// of a type has the same keys; unset messages and oneof members, and empty
// repeated fields, are left out.
#ifndef GRIDLEDGER_CLI_EVENT_JSON_H_
#define GRIDLEDGER_CLI_EVENT_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace gridledger::cli {

// One JSON object, on one line.
std::string ToJson(const google::protobuf::Message& message);

// The message's set scalar fields as (column, value) pairs, nested fields
// joined with '.' ("payload.bill_issued.total_fen"), repeated fields by
// index ("lines.0.amount_fen"), values as ToJson prints them but strings
// unquoted; bytes in hex (hashes read as auditors quote them).
using FlatRow = std::vector<std::pair<std::string, std::string>>;
FlatRow Flatten(const google::protobuf::Message& message);

// A CSV cell: the text, quoted (quotes doubled) when it holds a comma, a
// quote or a line break.
std::string CsvCell(const std::string& text);

// One field of `message` in JSON (an array for a repeated field; "null" for
// an unset message).
std::string FieldJson(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field);
// One singular field as a cell: Flatten's text of its value (its default
// when unset: 0, false, the enum's first name, ""; "" for an unset message;
// a Timestamp in RFC 3339, any other message as JSON).
std::string FieldText(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_EVENT_JSON_H_
