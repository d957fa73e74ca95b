#include "services/common/request_check.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "domain/common/validation.h"

namespace gridledger::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string PathOf(const std::string& prefix, const FieldDescriptor& field) {
  return prefix.empty() ? field.name() : absl::StrCat(prefix, ".", field.name());
}

absl::Status Invalid(const std::string& path, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", rule));
}

bool YearInWindow(int64_t year) { return year >= kMinYear && year <= kMaxYear; }

// The special messages, checked as values; false when `message` is not one.
bool CheckValueMessage(const Message& message, const std::string& path, absl::Status* status) {
  const std::string& type = message.GetDescriptor()->full_name();
  const Reflection& r = *message.GetReflection();
  const auto int_field = [&](const char* name) -> int64_t {
    const FieldDescriptor* f = message.GetDescriptor()->FindFieldByName(name);
    return f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ? r.GetInt64(message, f)
                                                           : r.GetInt32(message, f);
  };
  if (type == "gridledger.v1.Date") {
    const int64_t year = int_field("year"), month = int_field("month"), day = int_field("day");
    const absl::CivilDay civil(year, month, day);
    if (!YearInWindow(year) || civil.year() != year || civil.month() != month ||
        civil.day() != day) {
      *status = Invalid(path, absl::StrCat("must be a calendar date in ", kMinYear, "-", kMaxYear,
                                           ", got ", year, "-", month, "-", day));
    }
    return true;
  }
  if (type == "gridledger.v1.Period") {
    const int64_t year = int_field("year"), month = int_field("month");
    if (!YearInWindow(year) || month < 1 || month > 12) {
      *status = Invalid(path, absl::StrCat("must be a month 1-12 of ", kMinYear, "-", kMaxYear,
                                           ", got ", year, "-", month));
    }
    return true;
  }
  if (type == "google.protobuf.Timestamp") {
    const int64_t seconds = int_field("seconds"), nanos = int_field("nanos");
    // 1990-01-01T00:00:00Z and 2101-01-01T00:00:00Z.
    constexpr int64_t kFrom = 631152000, kUntil = 4133980800;
    if (seconds < kFrom || seconds >= kUntil || nanos < 0 || nanos > 999'999'999) {
      *status = Invalid(path, absl::StrCat("must be a time in ", kMinYear, "-", kMaxYear));
    }
    return true;
  }
  return false;
}

absl::Status CheckMessage(const Message& message, const std::string& prefix);

// One value of `field` (element `index` when repeated).
absl::Status CheckValue(const Message& message, const FieldDescriptor& field, int index,
                        const std::string& path) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (field.type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
      const std::string value =
          repeated ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field);
      return domain::CheckText(path, value, kMaxStringField, /*required=*/false);
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int value = repeated ? r.GetRepeatedEnumValue(message, &field, index)
                                 : r.GetEnumValue(message, &field);
      if (field.enum_type()->FindValueByNumber(value) == nullptr) {
        return Invalid(path,
                       absl::StrCat("unknown value ", value, " of ", field.enum_type()->name()));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t value =
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field);
      if (value > kMaxInt64Field || value < -kMaxInt64Field) {
        return Invalid(path, "must be within ±10^15");
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      const int32_t value =
          repeated ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field);
      if (value > kMaxInt32Field || value < -kMaxInt32Field) {
        return Invalid(path, "must be within ±10^9");
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64:
      if ((repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field)) >
          static_cast<uint64_t>(kMaxInt64Field)) {
        return Invalid(path, "must be at most 10^15");
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child =
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field);
      absl::Status status;
      if (CheckValueMessage(child, path, &status)) return status;
      return CheckMessage(child, path);
    }
    default:
      return absl::OkStatus();  // bool, double, float: nothing to bound here
  }
}

absl::Status CheckMessage(const Message& message, const std::string& prefix) {
  const Reflection& r = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(message, &fields);  // set fields, in field-number order
  for (const FieldDescriptor* field : fields) {
    const std::string path = PathOf(prefix, *field);
    const int count = field->is_repeated() ? r.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (absl::Status s = CheckValue(message, *field, i, path); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequestFields(const google::protobuf::Message& request) {
  return CheckMessage(request, "");
}

}  // namespace gridledger::service
