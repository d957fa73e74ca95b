#include "cli/event_json.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"

namespace gridledger::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsTimestamp(const google::protobuf::Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp";
}

std::string TimestampText(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  const google::protobuf::Descriptor* type = message.GetDescriptor();
  const int64_t seconds = reflection->GetInt64(message, type->FindFieldByName("seconds"));
  const int32_t nanos = reflection->GetInt32(message, type->FindFieldByName("nanos"));
  const absl::Time time = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return absl::FormatTime(nanos == 0 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%E*SZ", time,
                          absl::UTCTimeZone());
}

// A JSON string: quotes, backslashes and control characters escaped, UTF-8
// kept as it is (the log's escaper: one JSON string writer in the project).
std::string Quoted(absl::string_view text) { return log::JsonQuote(text); }

void AppendJson(const Message& message, std::string* out);

// One value of `field` (element `index` when repeated) in JSON.
std::string ValueJson(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r->GetRepeatedInt32(message, field, index)
                                   : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                   : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(repeated ? r->GetRepeatedUInt32(message, field, index)
                                   : r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? r->GetRepeatedUInt64(message, field, index)
                                   : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(repeated ? r->GetRepeatedDouble(message, field, index)
                                   : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(repeated ? r->GetRepeatedFloat(message, field, index)
                                   : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* value =
          repeated ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field);
      return Quoted(value->name());
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string value =
          repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      return Quoted(field->type() == FieldDescriptor::TYPE_BYTES ? absl::Base64Escape(value)
                                                                 : value);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child =
          repeated ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      if (IsTimestamp(child.GetDescriptor())) return Quoted(TimestampText(child));
      std::string json;
      AppendJson(child, &json);
      return json;
    }
  }
  return "null";
}

// The fields AppendJson prints, by number: every singular scalar outside a
// oneof (its default too, so every object of a type has the same keys: an
// offset 0 is there as 0), and messages, oneof members and repeated fields
// that are set.
std::vector<const FieldDescriptor*> PrintedFields(const Message& message) {
  const Reflection* r = message.GetReflection();
  const google::protobuf::Descriptor* type = message.GetDescriptor();
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->is_repeated()) {
      if (r->FieldSize(message, field) > 0) fields.push_back(field);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
               field->containing_oneof() != nullptr) {
      if (r->HasField(message, field)) fields.push_back(field);
    } else {
      fields.push_back(field);
    }
  }
  std::sort(fields.begin(), fields.end(), [](const FieldDescriptor* a, const FieldDescriptor* b) {
    return a->number() < b->number();
  });
  return fields;
}

void AppendJson(const Message& message, std::string* out) {
  const std::vector<const FieldDescriptor*> fields = PrintedFields(message);
  out->push_back('{');
  bool first = true;
  for (const FieldDescriptor* field : fields) {
    absl::StrAppend(out, first ? "" : ",", Quoted(field->name()), ":");
    first = false;
    if (!field->is_repeated()) {
      out->append(ValueJson(message, field, 0));
      continue;
    }
    out->push_back('[');
    const int size = message.GetReflection()->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      absl::StrAppend(out, i == 0 ? "" : ",", ValueJson(message, field, i));
    }
    out->push_back(']');
  }
  out->push_back('}');
}

std::string CellText(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    const std::string value =
        repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
    return field->type() == FieldDescriptor::TYPE_BYTES ? absl::BytesToHexString(value) : value;
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    return (repeated ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))
        ->name();
  }
  return ValueJson(message, field, index);
}

void AppendFlat(const Message& message, const std::string& prefix, FlatRow* row) {
  std::vector<const FieldDescriptor*> fields;
  const Reflection* r = message.GetReflection();
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = absl::StrCat(prefix, field->name());
    const int count = field->is_repeated() ? r->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string column = field->is_repeated() ? absl::StrCat(name, ".", i) : name;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& child = field->is_repeated() ? r->GetRepeatedMessage(message, field, i)
                                                    : r->GetMessage(message, field);
        if (IsTimestamp(child.GetDescriptor())) {
          row->emplace_back(column, TimestampText(child));
        } else {
          AppendFlat(child, column + ".", row);
        }
        continue;
      }
      row->emplace_back(column, CellText(message, field, i));
    }
  }
}

}  // namespace

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string FieldJson(const Message& message, const FieldDescriptor* field) {
  if (!field->is_repeated()) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !message.GetReflection()->HasField(message, field)) {
      return "null";
    }
    return ValueJson(message, field, 0);
  }
  std::string json = "[";
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) {
    absl::StrAppend(&json, i == 0 ? "" : ",", ValueJson(message, field, i));
  }
  json.push_back(']');
  return json;
}

std::string FieldText(const Message& message, const FieldDescriptor* field) {
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return CellText(message, field, 0);
  if (!message.GetReflection()->HasField(message, field)) return "";
  const Message& child = message.GetReflection()->GetMessage(message, field);
  return IsTimestamp(child.GetDescriptor()) ? TimestampText(child) : ToJson(child);
}

std::string ToJson(const Message& message) {
  std::string json;
  AppendJson(message, &json);
  return json;
}

FlatRow Flatten(const Message& message) {
  FlatRow row;
  AppendFlat(message, "", &row);
  return row;
}

}  // namespace gridledger::cli
