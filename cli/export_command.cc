#include "cli/export_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "cli/event_json.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/org_units.h"
#include "eventstore/event_store_factory.h"
#include "google/protobuf/descriptor.h"

namespace gridledger::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct ExportFlags {
  std::string store, as_of, time = "recorded", types, org_unit, format = "jsonl", out;
};

// The envelope's columns in a CSV export, before the payload's.
const std::vector<std::string>& EnvelopeColumns() {
  static const auto* const kColumns =
      new std::vector<std::string>{"position.partition", "position.offset", "stream_id",
                                   "stream_version",     "event_id",        "type",
                                   "occurred_at",        "recorded_at",     "org_unit",
                                   "actor.principal",    "actor.role",      "actor.org_unit",
                                   "command_id",         "correlation_id",  "causation_id"};
  return *kColumns;
}

// One CSV column: a path of fields from the envelope; `as_json` for a
// repeated field (its elements as a JSON array in one cell).
struct Column {
  std::string name;
  std::vector<const FieldDescriptor*> path;
  bool as_json = false;
};

bool IsTimestamp(const Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp";
}

// Columns for every field of `type` under `prefix`/`path`, depth first.
void AddColumns(const Descriptor* type, const std::string& prefix,
                const std::vector<const FieldDescriptor*>& path, std::vector<Column>* columns) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    std::vector<const FieldDescriptor*> to = path;
    to.push_back(field);
    const std::string name = absl::StrCat(prefix, field->name());
    if (field->is_repeated()) {
      columns->push_back({name, to, true});
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               !IsTimestamp(field->message_type())) {
      AddColumns(field->message_type(), name + ".", to, columns);
    } else {
      columns->push_back({name, to, false});
    }
  }
}

// The path of envelope fields named "a.b.c".
absl::StatusOr<std::vector<const FieldDescriptor*>> PathOf(const std::string& dotted) {
  std::vector<const FieldDescriptor*> path;
  const Descriptor* type = v1::EventEnvelope::descriptor();
  for (absl::string_view part : absl::StrSplit(dotted, '.')) {
    const FieldDescriptor* field =
        type == nullptr ? nullptr : type->FindFieldByName(std::string(part));
    if (field == nullptr) return absl::InternalError(absl::StrCat("no envelope field ", dotted));
    path.push_back(field);
    type = field->message_type();
  }
  return path;
}

// The CSV columns: the envelope's, then one event type's fields, or the
// payload as one JSON column.
absl::StatusOr<std::vector<Column>> CsvColumns(const std::vector<std::string>& types) {
  std::vector<Column> columns;
  for (const std::string& name : EnvelopeColumns()) {
    GL_ASSIGN_OR_RETURN(std::vector<const FieldDescriptor*> path, PathOf(name));
    columns.push_back({name, std::move(path), false});
  }
  const FieldDescriptor* payload = v1::EventEnvelope::descriptor()->FindFieldByName("payload");
  if (types.size() != 1) {
    columns.push_back({"payload", {payload}, true});
    return columns;
  }
  const Descriptor* events = v1::DomainEvent::descriptor();
  for (int i = 0; i < events->field_count(); ++i) {
    const FieldDescriptor* event = events->field(i);
    if (event->message_type() != nullptr && event->message_type()->full_name() == types[0]) {
      AddColumns(event->message_type(), absl::StrCat("payload.", event->name(), "."),
                 {payload, event}, &columns);
      return columns;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("--type: no event type ", types[0]));
}

// The cell of `column` in `event`: FieldJson for a repeated field (or the
// payload), FieldText otherwise; "" when a message on the way is unset.
std::string CellOf(const v1::EventEnvelope& event, const Column& column) {
  const Message* message = &event;
  for (size_t i = 0; i + 1 < column.path.size(); ++i) {
    const google::protobuf::Reflection* r = message->GetReflection();
    if (!r->HasField(*message, column.path[i])) return "";
    message = &r->GetMessage(*message, column.path[i]);
  }
  const FieldDescriptor* field = column.path.back();
  if (!column.as_json) return FieldText(*message, field);
  if (!field->is_repeated() && !message->GetReflection()->HasField(*message, field)) return "";
  return FieldJson(*message, field);
}

// Whether the export keeps `event`.
struct Selection {
  absl::flat_hash_set<std::string> types;  // empty: every type
  std::string org_unit;                    // empty: every unit
  std::optional<google::protobuf::Timestamp> as_of;
  v1::TimeAxis axis = v1::TIME_AXIS_RECORDED;

  bool Keeps(const v1::EventEnvelope& event) const {
    if (!types.empty() && !types.contains(event.type())) return false;
    if (!org_unit.empty()) {
      const std::string& unit =
          event.org_unit().empty() ? event.actor().org_unit() : event.org_unit();
      if (!domain::OrgUnitContains(org_unit, unit)) return false;
    }
    return !as_of || eventstore::CountsAsOf(event, axis, *as_of);
  }
};

absl::StatusOr<Selection> SelectionOf(const ExportFlags& flags, std::vector<std::string>* types) {
  Selection selection;
  for (absl::string_view t : absl::StrSplit(flags.types, ',', absl::SkipEmpty())) {
    std::string type =
        absl::StartsWith(t, "gridledger.v1.") ? std::string(t) : absl::StrCat("gridledger.v1.", t);
    if (v1::DomainEvent::descriptor()->file()->pool()->FindMessageTypeByName(type) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--type: no event type ", type));
    }
    types->push_back(type);
    selection.types.insert(std::move(type));
  }
  if (!flags.org_unit.empty()) {
    GL_RETURN_IF_ERROR(domain::CheckOrgUnit("--org_unit", flags.org_unit));
    selection.org_unit = flags.org_unit;
  }
  if (!flags.as_of.empty()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, flags.as_of, &time, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--as-of: not an RFC 3339 time (2026-11-30T23:59:59+08:00): ", error));
    }
    selection.as_of = domain::ToTimestamp(time);
    selection.axis = flags.time == "business" ? v1::TIME_AXIS_BUSINESS : v1::TIME_AXIS_RECORDED;
  }
  return selection;
}

absl::Status Export(eventstore::EventStore& store, const Selection& selection,
                    const std::vector<Column>* columns, std::ostream& out, int64_t* exported) {
  if (columns != nullptr) {
    std::vector<std::string> header;
    for (const Column& column : *columns) header.push_back(CsvCell(column.name));
    out << absl::StrJoin(header, ",") << "\n";
  }
  GL_ASSIGN_OR_RETURN(const v1::Checkpoint end, store.EndCheckpoint());
  v1::Checkpoint next;
  constexpr int64_t kChunk = 4096;
  while (!eventstore::ReachedAll(next, end)) {
    GL_ASSIGN_OR_RETURN(eventstore::ReadAllResult chunk, store.ReadAll(next, kChunk));
    if (chunk.events.empty()) break;
    for (const v1::EventEnvelope& event : chunk.events) {
      if (!selection.Keeps(event)) continue;
      ++*exported;
      if (columns == nullptr) {
        out << ToJson(event) << "\n";
        continue;
      }
      std::vector<std::string> cells;
      cells.reserve(columns->size());
      for (const Column& column : *columns) cells.push_back(CsvCell(CellOf(event, column)));
      out << absl::StrJoin(cells, ",") << "\n";
    }
    next = std::move(chunk.next);
  }
  out.flush();
  if (!out) return absl::DataLossError("the output could not be written");
  return absl::OkStatus();
}

int RunExport(const ExportFlags& flags) {
  std::vector<std::string> types;
  absl::StatusOr<Selection> selection = SelectionOf(flags, &types);
  if (!selection.ok()) return Report("export", selection.status());
  std::optional<std::vector<Column>> columns;
  if (flags.format == "csv") {
    absl::StatusOr<std::vector<Column>> csv = CsvColumns(types);
    if (!csv.ok()) return Report("export", csv.status());
    columns = *std::move(csv);
  }
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags.store, eventstore::ReadOnlyStoreOptions());
  if (!store.ok()) return Report("export", store.status(), kExitFailed);
  std::ofstream file;
  if (!flags.out.empty()) {
    file.open(flags.out, std::ios::trunc);
    if (!file) {
      return Report("export",
                    absl::InvalidArgumentError(absl::StrCat("--out: cannot write ", flags.out)));
    }
  }
  int64_t exported = 0;
  absl::Status status = Export(**store, *selection, columns ? &*columns : nullptr,
                               flags.out.empty() ? std::cout : file, &exported);
  if (!status.ok()) return Report("export", status);
  std::fprintf(stderr, "gridledger export: %lld event(s)\n", static_cast<long long>(exported));
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* command = app.add_subcommand(
      "export", "the log's events as JSON lines or CSV for analysts (numbers as numbers)");
  command->add_option("--store", flags->store, "the event store (opened read-only)")->required();
  command->add_option("--as-of", flags->as_of,
                      "only events recorded (or, --time business, that happened) by this RFC "
                      "3339 time");
  command
      ->add_option("--time", flags->time,
                   "with --as-of: recorded (what the system knew) or business (what had happened)")
      ->check(CLI::IsMember({"recorded", "business"}))
      ->capture_default_str();
  command->add_option("--type", flags->types,
                      "only these event types, comma-separated (BillIssued or "
                      "gridledger.v1.BillIssued); with CSV, one type gives one column per field");
  command->add_option("--org_unit", flags->org_unit,
                      "only events of aggregates in this unit's subtree");
  command->add_option("--format", flags->format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  command->add_option("--out", flags->out, "write here instead of standard output");
  command->callback([flags, exit_code] { *exit_code = RunExport(*flags); });
}

}  // namespace gridledger::cli
