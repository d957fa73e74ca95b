"""Unit tests of gridledger_analyst on hand-built records (no broker, no server).

    GRIDLEDGER_ANALYST_SCHEMAS=DIR python -m unittest discover -s python/tests

DIR holds a descriptor set (`gridledger schema --out DIR`); unset, the tests
make one with protoc from the repository's protos/ (skipped when neither is
to be had).
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import gridledger_analyst as ga
from gridledger_analyst import decode

_HERE = os.path.dirname(os.path.abspath(__file__))
_PROTOS = os.path.join(_HERE, "..", "..", "protos")


def _schema_dir():
    given = os.environ.get("GRIDLEDGER_ANALYST_SCHEMAS")
    if given:
        return given, None
    protoc = shutil.which("protoc")
    if protoc is None or not os.path.isdir(os.path.join(_PROTOS, "gridledger", "v1")):
        raise unittest.SkipTest("no GRIDLEDGER_ANALYST_SCHEMAS and no protoc + protos/ to make one")
    tmp = tempfile.mkdtemp(prefix="gl-analyst-test-")
    proto_dir = os.path.join(_PROTOS, "gridledger", "v1")
    files = sorted(os.path.join(proto_dir, f) for f in os.listdir(proto_dir) if f.endswith(".proto"))
    out = os.path.join(tmp, "made.desc")
    subprocess.run([protoc, "-I", _PROTOS, "--include_imports", f"--descriptor_set_out={out}",
                    *files], check=True)
    with open(out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    os.rename(out, os.path.join(tmp, f"gridledger-v1-{digest}.desc"))
    return tmp, tmp


SCHEMAS_DIR, _MADE = None, None


def setUpModule():
    global SCHEMAS_DIR, _MADE
    SCHEMAS_DIR, _MADE = _schema_dir()


def tearDownModule():
    if _MADE:
        shutil.rmtree(_MADE, ignore_errors=True)


BIG_FEN = 2**40 + 7  # beyond 32 bits: must stay an exact int
ZERO = bytes(32)


def _envelope(schemas, total_fen=BIG_FEN):
    envelope = schemas.envelope_class()()
    envelope.event_id = "9b2f6f4e-2a7c-4d0e-9c55-1f7b1c0d2e3a"
    envelope.stream_id = "account-A1"
    envelope.stream_version = 3
    envelope.type = "gridledger.v1.BillIssued"
    envelope.schema_version = 2
    envelope.occurred_at.seconds = 1767196800
    envelope.recorded_at.seconds = 1767196801
    envelope.recorded_at.nanos = 250_000_000
    envelope.actor.principal = "biller-7"
    envelope.actor.role = "billing_clerk"
    envelope.actor.org_unit = "sn/xa/huyi"
    envelope.command_id = "biller-7:c1"
    envelope.request_digest = bytes(range(32))
    envelope.org_unit = "sn/xa/huyi"
    bill = envelope.payload.bill_issued
    bill.bill_id = "B1"
    bill.account_id = "A1"
    bill.period.year = 2026
    bill.period.month = 1
    bill.total_fen = total_fen
    bill.energy_wh = -5  # negative int64 too
    bill.read_ids.extend(["R1", "R2"])
    line = bill.lines.add()
    line.kind = 1
    line.amount_fen = total_fen
    line.tou_period = 2
    return envelope


def _record(schemas, envelope, prev=ZERO):
    canonical = envelope.SerializeToString()
    record = schemas.record_class()()
    record.canonical_envelope = canonical
    record.prev_hash = prev
    record.hash = hashlib.sha256(prev + canonical).digest()
    record.partition_prev_hash = ZERO
    record.partition_hash = hashlib.sha256(ZERO + canonical).digest()
    return record


class DecodeRecordTest(unittest.TestCase):
    def setUp(self):
        self.schemas = ga.Schemas(SCHEMAS_DIR)

    def test_decodes_every_field_with_ints_as_ints(self):
        record = _record(self.schemas, _envelope(self.schemas))
        event = ga.decode_record(record.SerializeToString(), [], self.schemas,
                                 topic="gl.billing.v1", partition=1, offset=42)
        self.assertEqual(event["event_id"], "9b2f6f4e-2a7c-4d0e-9c55-1f7b1c0d2e3a")
        self.assertEqual(event["stream_version"], 3)
        self.assertIs(type(event["stream_version"]), int)
        bill = event["payload"]["bill_issued"]
        self.assertEqual(bill["total_fen"], BIG_FEN)
        self.assertIs(type(bill["total_fen"]), int)
        self.assertEqual(bill["energy_wh"], -5)
        self.assertEqual(bill["period"], {"year": 2026, "month": 1})
        self.assertEqual(bill["read_ids"], ["R1", "R2"])
        self.assertEqual(bill["lines"][0]["amount_fen"], BIG_FEN)
        self.assertEqual(bill["lines"][0]["kind"], self.schemas.get().pool.FindEnumTypeByName(
            "gridledger.v1.BillLineKind").values_by_number[1].name)
        self.assertEqual(bill["lines"][0]["tou_period"], "TOU_PERIOD_PEAK")
        self.assertNotIn("due_date", bill)  # an unset message field is left out
        self.assertEqual(bill["replaces_bill_id"], "")  # an unset scalar is its default
        self.assertEqual(event["occurred_at"], "2025-12-31T16:00:00Z")
        self.assertEqual(event["recorded_at"], "2025-12-31T16:00:01.250Z")
        self.assertEqual(event["request_digest"], bytes(range(32)).hex())
        self.assertEqual(event["actor"]["org_unit"], "sn/xa/huyi")
        self.assertEqual(event["prev_hash"], ZERO.hex())
        self.assertEqual(event["position"], {"partition_name": "gl.billing.v1/1",
                                             "topic": "gl.billing.v1", "partition": 1,
                                             "offset": 42})
        self.assertIs(event["hash_ok"], True)
        self.assertIs(event["partition_hash_ok"], True)
        self.assertEqual(event["schema"], self.schemas.default_name)
        self.assertEqual(event["schema_source"], "default")
        # JSON keeps them numbers, not strings (as json_format.MessageToDict would make them).
        text = json.dumps(event)
        self.assertIn(f'"total_fen": {BIG_FEN}', text)
        self.assertIn('"stream_version": 3', text)
        self.assertEqual(json.loads(text), event)

    def test_a_broken_hash_is_reported(self):
        record = _record(self.schemas, _envelope(self.schemas))
        record.hash = bytes([record.hash[0] ^ 1]) + record.hash[1:]
        event = ga.decode_record(record.SerializeToString(), None, self.schemas)
        self.assertIs(event["hash_ok"], False)
        self.assertIs(event["partition_hash_ok"], True)
        # Contents changed after hashing: both chains break.
        record = _record(self.schemas, _envelope(self.schemas))
        record.canonical_envelope = _envelope(self.schemas, total_fen=1).SerializeToString()
        event = ga.decode_record(record.SerializeToString(), None, self.schemas)
        self.assertIs(event["hash_ok"], False)
        self.assertIs(event["partition_hash_ok"], False)
        self.assertEqual(event["payload"]["bill_issued"]["total_fen"], 1)
        # Position unknown: said so, not made up.
        self.assertIsNone(event["position"]["offset"])

    def test_the_schema_header_picks_the_set_and_an_unknown_one_is_named(self):
        record = _record(self.schemas, _envelope(self.schemas)).SerializeToString()
        name = self.schemas.default_name
        event = ga.decode_record(record, [("gl-type", b"gridledger.v1.BillIssued"),
                                          ("gridledger-schema", name.encode())], self.schemas)
        self.assertEqual(event["schema"], name)
        self.assertEqual(event["schema_source"], "header")
        event = ga.decode_record(record, [("gl-schema", name.encode())], self.schemas)
        self.assertEqual(event["schema_source"], "header")
        with self.assertRaises(ga.UnknownSchemaError) as raised:
            ga.decode_record(record, {"gridledger-schema": b"gridledger-v1-ffffffffffff"},
                             self.schemas)
        message = str(raised.exception)
        self.assertIn("gridledger-v1-ffffffffffff", message)
        self.assertIn(self.schemas.directory, message)

    def test_a_directory_without_sets_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaises(FileNotFoundError) as raised:
                ga.Schemas(empty)
            self.assertIn(empty, str(raised.exception))

    def test_a_subscribe_envelope_is_rehashed_as_the_store_hashed_it(self):
        # The store's canonical bytes: the body without stream_version and
        # recorded_at, then those two appended (eventstore SealEvent).
        envelope = _envelope(self.schemas)
        body = type(envelope)()
        body.CopyFrom(envelope)
        body.ClearField("stream_version")
        body.ClearField("recorded_at")
        stamp = envelope.recorded_at.SerializeToString()
        canonical = (body.SerializeToString(deterministic=True) + bytes([0x18, 3, 0x3A, len(stamp)])
                     + stamp)
        self.assertEqual(decode.canonical_bytes(envelope), canonical)
        whole = type(envelope)()
        whole.ParseFromString(canonical)
        whole.prev_hash = ZERO
        whole.hash = hashlib.sha256(ZERO + canonical).digest()
        whole.partition_prev_hash = ZERO
        whole.partition_hash = hashlib.sha256(ZERO + canonical).digest()
        whole.position.partition = "gl.billing.v1/0"
        whole.position.offset = 7
        event = ga.decode_envelope(whole, "s")
        self.assertIs(event["hash_ok"], True)
        self.assertEqual(event["position"]["partition"], 0)
        self.assertEqual(event["position"]["offset"], 7)
        whole.payload.bill_issued.total_fen += 1
        self.assertIs(ga.decode_envelope(whole, "s")["hash_ok"], False)


class HelpersTest(unittest.TestCase):
    def test_org_units_match_by_path_segment(self):
        self.assertTrue(ga.unit_matches("sn/xa", "sn/xa"))
        self.assertTrue(ga.unit_matches("sn/xa/huyi", "sn/xa"))
        self.assertTrue(ga.unit_matches("sn/xa/huyi", "sn/xa/"))
        self.assertFalse(ga.unit_matches("sn/xab", "sn/xa"))
        self.assertFalse(ga.unit_matches("sn", "sn/xa"))
        self.assertFalse(ga.unit_matches("", "sn"))
        self.assertTrue(ga.unit_matches("", ""))

    def test_a_stream_without_org_unit_belongs_to_its_first_actor(self):
        units = ga.StreamUnits()
        first = {"stream_id": "account-A", "stream_version": 1, "org_unit": "",
                 "actor": {"org_unit": "sn/xa/huyi"}}
        later = {"stream_id": "account-A", "stream_version": 2, "org_unit": "",
                 "actor": {"org_unit": "sn"}}
        moved = {"stream_id": "account-A", "stream_version": 3, "org_unit": "sn/bj",
                 "actor": {"org_unit": "sn"}}
        self.assertEqual(units.unit_of(first), "sn/xa/huyi")
        self.assertEqual(units.unit_of(later), "sn/xa/huyi")
        self.assertEqual(units.unit_of(moved), "sn/bj")
        unseen = {"stream_id": "account-B", "stream_version": 5, "org_unit": "",
                  "actor": {"org_unit": "sn/bj/weibin"}}
        self.assertEqual(units.unit_of(unseen), "sn/bj/weibin")

    def test_rfc3339(self):
        self.assertEqual(decode.rfc3339(0), "1970-01-01T00:00:00Z")
        self.assertEqual(decode.rfc3339(1, 5), "1970-01-01T00:00:01.000000005Z")
        self.assertEqual(decode.rfc3339(1, 5000), "1970-01-01T00:00:01.000005Z")
        self.assertEqual(decode.parse_rfc3339("2026-01-01T00:00:00+08:00"), (1767196800, 0))
        self.assertEqual(decode.parse_rfc3339("2026-01-01T00:00:00.25Z"),
                         (1767225600, 250_000_000))

    def test_flatten(self):
        self.assertEqual(ga.flatten({"a": 1, "payload": {"bill_issued": {"total_fen": 2,
                                                                          "lines": [{"x": 1}]}}}),
                         {"a": 1, "payload.bill_issued.total_fen": 2,
                          "payload.bill_issued.lines": [{"x": 1}]})


class DataFrameTest(unittest.TestCase):
    def test_one_row_per_event_with_exact_integers(self):
        try:
            import pandas
        except ImportError:
            self.skipTest("pandas (the [pandas] extra) is not installed")
        schemas = ga.Schemas(SCHEMAS_DIR)
        events = [ga.decode_record(_record(schemas, _envelope(schemas)).SerializeToString(), None,
                                   schemas)]
        other = schemas.envelope_class()()
        other.event_id = "e2"
        other.stream_id = "meter-M1"
        other.stream_version = 1
        other.type = "gridledger.v1.MeterReceived"
        other.payload.meter_received.bar_code = "M1"
        events.append(ga.decode_record(_record(schemas, other).SerializeToString(), None, schemas))
        frame = ga.to_dataframe(iter(events))
        self.assertEqual(len(frame), 2)
        self.assertIn("payload.bill_issued.total_fen", frame.columns)
        self.assertIn("payload.meter_received.bar_code", frame.columns)
        self.assertEqual(frame["payload.bill_issued.total_fen"][0], BIG_FEN)
        self.assertEqual(str(frame["payload.bill_issued.total_fen"].dtype), "Int64")
        self.assertTrue(frame["payload.bill_issued.total_fen"].isna()[1])
        self.assertEqual(str(frame["stream_version"].dtype), "int64")
        self.assertTrue(pandas.api.types.is_datetime64_any_dtype(frame["occurred_at"]))
        self.assertEqual(str(frame["occurred_at"].dt.tz), "UTC")
        self.assertEqual(len(ga.to_dataframe([])), 0)


class CliTest(unittest.TestCase):
    def test_schemas_lists_the_sets(self):
        from gridledger_analyst import cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(cli.main(["schemas", "--schemas", SCHEMAS_DIR]), 0)
        self.assertIn("(default)", out.getvalue())


if __name__ == "__main__":
    unittest.main()
