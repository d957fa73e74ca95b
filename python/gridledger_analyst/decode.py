"""Decoding GridLedger events into plain, JSON-ready dicts.

A Kafka record's value is a ``gridledger.v1.EventRecord``; its
``canonical_envelope`` holds the ``EventEnvelope`` bytes exactly as they were
hashed (docs/EVENTS.md). `decode_record` turns one into a dict:

    {"event_id": "…", "stream_id": "account-A1", "stream_version": 3,
     "type": "gridledger.v1.BillIssued", "schema_version": 2,
     "occurred_at": "2026-01-01T00:05:00Z", "recorded_at": "…",
     "actor": {"principal": "…", "role": "…", "org_unit": "sn/xa/huyi"},
     "command_id": "…", "correlation_id": "", "causation_id": "",
     "request_digest": "<hex>", "org_unit": "sn/xa/huyi",
     "payload": {"bill_issued": {"total_fen": 12345, …}},
     "prev_hash": "<hex>", "hash": "<hex>", "partition_prev_hash": "<hex>",
     "partition_hash": "<hex>", "writer_signature": "<hex>", "writer_key": "",
     "position": {"partition_name": "gridledger.billing.v1/0",
                  "topic": "gridledger.billing.v1", "partition": 0, "offset": 12},
     "hash_ok": true, "partition_hash_ok": true,
     "schema": "gridledger-v1-0123456789ab", "schema_source": "header"}

How values are rendered: field names as in the proto (snake_case); every
integer (int32, int64, uint64, …) a Python int — never a string, unlike
json_format.MessageToDict; bytes as lower-case hex; Timestamps as RFC 3339
strings in UTC; enums by name (the number when the set does not know it);
repeated fields as lists; a message field or oneof member only when set;
every other scalar always, with its default when unset.
"""

import datetime
import hashlib

from google.protobuf.descriptor import FieldDescriptor

from .schemas import PACKAGE, SCHEMA_HEADERS

_EPOCH = datetime.datetime(1970, 1, 1)
_UINT64 = (1 << 64) - 1
# Set by the store, outside the canonical bytes (EventEnvelope in envelope.proto).
_STORE_FIELDS = ("prev_hash", "hash", "partition_prev_hash", "partition_hash", "position",
                 "writer_signature", "writer_key")


def rfc3339(seconds, nanos=0):
    """A Timestamp as RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits (as protobuf's JSON)."""
    moment = _EPOCH + datetime.timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        if nanos % 1_000_000 == 0:
            text += f".{nanos // 1_000_000:03d}"
        elif nanos % 1_000 == 0:
            text += f".{nanos // 1_000:06d}"
        else:
            text += f".{nanos:09d}"
    return text + "Z"


def parse_rfc3339(text):
    """RFC 3339 ("2026-01-01T00:00:00Z", "…+08:00", fractions) → (seconds, nanos)."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    fraction = 0
    if "." in text:
        head, rest = text.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        fraction = int((digits + "000000000")[:9]) if digits else 0
        text = head + rest
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    seconds = int((moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
                  .total_seconds())
    return seconds, fraction


def _is_repeated(field):
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return repeated() if callable(repeated) else repeated
    return field.label == FieldDescriptor.LABEL_REPEATED


def _has_presence(field):
    # Message fields, oneof members and proto3 `optional` (a synthetic oneof).
    return field.type == FieldDescriptor.TYPE_MESSAGE or field.containing_oneof is not None


def _value(field, value):
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return message_to_dict(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known is not None else value
    if field.type == FieldDescriptor.TYPE_BYTES:
        return bytes(value).hex()
    return value  # int, float, bool, str: as protobuf gives them (ints stay ints)


def message_to_dict(message):
    """Any message → a dict by its descriptor (see the module's docstring for how values look).

    A google.protobuf.Timestamp becomes its RFC 3339 string.
    """
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        return rfc3339(message.seconds, message.nanos)
    out = {}
    for field in descriptor.fields:
        value = getattr(message, field.name)
        if _is_repeated(field):
            if (field.type == FieldDescriptor.TYPE_MESSAGE
                    and field.message_type.GetOptions().map_entry):
                value_field = field.message_type.fields_by_name["value"]
                out[field.name] = {k: _value(value_field, v) for k, v in value.items()}
            else:
                out[field.name] = [_value(field, v) for v in value]
        elif _has_presence(field):
            if message.HasField(field.name):
                out[field.name] = _value(field, value)
        else:
            out[field.name] = _value(field, value)
    return out


def _varint(value):
    value &= _UINT64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def canonical_bytes(envelope):
    """The canonical bytes the store hashed, re-made from a whole envelope (as Subscribe sends).

    The store serializes the envelope deterministically without the fields it
    sets, then appends stream_version (field 3) and recorded_at (field 7) —
    eventstore/internal/record_codec.cc SealEvent. A Kafka record keeps these
    bytes verbatim, so `decode_record` needs none of this.
    """
    body = type(envelope)()
    body.CopyFrom(envelope)
    for name in _STORE_FIELDS + ("stream_version", "recorded_at"):
        body.ClearField(name)
    out = bytearray(body.SerializeToString(deterministic=True))
    out += _varint((3 << 3) | 0) + _varint(envelope.stream_version)
    timestamp = b""
    if envelope.recorded_at.seconds:
        timestamp += _varint((1 << 3) | 0) + _varint(envelope.recorded_at.seconds)
    if envelope.recorded_at.nanos:
        timestamp += _varint((2 << 3) | 0) + _varint(envelope.recorded_at.nanos)
    out += _varint((7 << 3) | 2) + _varint(len(timestamp)) + timestamp
    return bytes(out)


def position_dict(partition_name, offset):
    """GridLedger's partition name ("<topic>/<n>" on Kafka, "log" embedded) and offset → a dict."""
    topic, partition = None, None
    head, slash, tail = partition_name.rpartition("/")
    if slash and tail.isdigit():
        topic, partition = head, int(tail)
    return {"partition_name": partition_name, "topic": topic, "partition": partition,
            "offset": offset}


def header_value(headers, key):
    """The value (str) of header `key` in confluent-kafka's list of pairs or a dict; None if absent."""
    if not headers:
        return None
    items = headers.items() if isinstance(headers, dict) else headers
    for name, value in items:
        if name == key:
            if isinstance(value, (bytes, bytearray)):
                return bytes(value).decode("utf-8", "replace")
            return value
    return None


def _envelope_dict(envelope):
    event = message_to_dict(envelope)
    for name in _STORE_FIELDS:
        event.pop(name, None)
    return event


def decode_record(value, headers=None, schemas=None, topic=None, partition=None, offset=None):
    """One Kafka record's value (a gridledger.v1.EventRecord) → the event as a dict.

    `headers`: the record's headers (confluent-kafka's list of (key, bytes)
    pairs, or a dict); the ``gridledger-schema`` (or ``gl-schema``) one picks the descriptor set
    from `schemas` (a Schemas), else its default. `topic`, `partition`,
    `offset`: where the record was read, for ``position`` (None when unknown).
    ``hash_ok`` is SHA-256(prev_hash ‖ canonical_envelope) == hash, and
    ``partition_hash_ok`` the same for the partition chain.

    Raises UnknownSchemaError for a header naming a set the Schemas lack, and
    google.protobuf.message.DecodeError for bytes that do not parse.
    """
    if schemas is None:
        raise TypeError("decode_record needs the Schemas to decode with")
    name = None
    for key in SCHEMA_HEADERS:
        name = header_value(headers, key)
        if name:
            break
    schema = schemas.get(name)
    record = schema.message_class(f"{PACKAGE}.EventRecord")()
    record.ParseFromString(value)
    envelope = schema.message_class(f"{PACKAGE}.EventEnvelope")()
    envelope.ParseFromString(record.canonical_envelope)
    event = _envelope_dict(envelope)
    for field in ("prev_hash", "hash", "partition_prev_hash", "partition_hash",
                  "writer_signature"):
        event[field] = getattr(record, field).hex()
    event["writer_key"] = record.writer_key
    if topic is not None and partition is not None:
        event["position"] = position_dict(f"{topic}/{partition}", offset)
    else:
        event["position"] = {"partition_name": None, "topic": topic, "partition": partition,
                             "offset": offset}
    canonical = record.canonical_envelope
    event["hash_ok"] = bool(record.hash) and (
        hashlib.sha256(record.prev_hash + canonical).digest() == record.hash)
    event["partition_hash_ok"] = bool(record.partition_hash) and (
        hashlib.sha256(record.partition_prev_hash + canonical).digest() == record.partition_hash)
    event["schema"] = schema.name
    event["schema_source"] = "header" if name else "default"
    return event


def decode_envelope(envelope, schema_name):
    """A whole EventEnvelope message (as EventGateway sends) → the same dict as decode_record.

    ``hash_ok`` and ``partition_hash_ok`` are computed over `canonical_bytes`
    (the envelope re-encoded as the store encoded it); None when the envelope
    carries no hash.
    """
    event = _envelope_dict(envelope)
    for field in ("prev_hash", "hash", "partition_prev_hash", "partition_hash",
                  "writer_signature"):
        event[field] = getattr(envelope, field).hex()
    event["writer_key"] = envelope.writer_key
    if envelope.HasField("position"):
        event["position"] = position_dict(envelope.position.partition, envelope.position.offset)
    else:
        event["position"] = {"partition_name": None, "topic": None, "partition": None,
                             "offset": None}
    if envelope.hash or envelope.partition_hash:
        canonical = canonical_bytes(envelope)
        event["hash_ok"] = hashlib.sha256(envelope.prev_hash + canonical).digest() == envelope.hash
        event["partition_hash_ok"] = (
            hashlib.sha256(envelope.partition_prev_hash + canonical).digest()
            == envelope.partition_hash)
    else:
        event["hash_ok"] = None
        event["partition_hash_ok"] = None
    event["schema"] = schema_name
    event["schema_source"] = "default"
    return event


def full_type(name):
    """"BillIssued" → "gridledger.v1.BillIssued" (full names are kept)."""
    return name if "." in name else f"{PACKAGE}.{name}"


def unit_matches(unit, wanted):
    """Whether org unit `unit` is `wanted` or below it, by path segments.

    "sn/xa" matches "sn/xa" and "sn/xa/huyi", not "sn/xab". An empty `wanted` matches all.
    """
    wanted = (wanted or "").strip("/")
    if not wanted:
        return True
    unit = unit or ""
    return unit == wanted or unit.startswith(wanted + "/")


class StreamUnits:
    """The org unit each event belongs to, as GridLedger's scoping sees it.

    The envelope's ``org_unit`` when set; events recorded before that field
    existed leave it empty, and their stream belongs to its first event's
    actor's unit (docs/EVENTS.md). Fed events in each stream's order (as a
    topic read from its start gives them), this remembers that first unit
    for such streams; a stream first seen past its version 1 falls back to
    the event's own actor's unit.
    """

    def __init__(self):
        self._first = {}

    def unit_of(self, event):
        if event.get("org_unit"):
            return event["org_unit"]
        actor_unit = (event.get("actor") or {}).get("org_unit", "")
        stream = event.get("stream_id", "")
        if event.get("stream_version") == 1:
            self._first[stream] = actor_unit
        return self._first.get(stream, actor_unit)


def flatten(event, sep="."):
    """A nested event dict → one level: {"payload.bill_issued.total_fen": 12345, …}.

    Nested dicts join their keys with `sep`; lists stay as they are (one cell).
    """
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}{sep}{key}" if prefix else key, inner)
        else:
            out[prefix] = value

    walk("", event)
    return out
