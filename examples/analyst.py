#!/usr/bin/env python3
"""Reads GridLedger's events straight from a Kafka topic, as an analyst would.

Each record's value is a gridledger.v1.EventRecord; its canonical_envelope is
an EventEnvelope (docs/EVENTS.md). Records are written in Kafka transactions,
so this consumes with isolation.level=read_committed. Every record's own
stream hash is checked (SHA-256 of prev_hash + canonical_envelope); the full
chains are `gridledger verify`'s job.

Prints one JSON object per event:
  {"partition": 0, "offset": 12, "key": "account-A1", "type": "...",
   "stream": "account-A1", "version": 3, "hashOk": true, "payload": {...}}

For analysis beyond this sketch — every topic, the gRPC Subscribe stream,
org-unit filters, CSV, pandas DataFrames, no generated code — use the
gridledger-analyst package in python/ (python/README.md).

Python classes: `protoc -I protos --python_out=OUT protos/gridledger/v1/*.proto`
(the build makes them in build/python); put OUT on PYTHONPATH. Needs
confluent-kafka and protobuf (Debian: python3-confluent-kafka python3-protobuf).

  PYTHONPATH=build/python /usr/bin/python3 examples/analyst.py \
      --bootstrap 127.0.0.1:9092 --topic gridledger.billing.v1 --max 100
"""

import argparse
import hashlib
import json
import sys
import uuid

from confluent_kafka import Consumer, KafkaError
from google.protobuf import json_format

from gridledger.v1 import envelope_pb2


def decode(value: bytes) -> dict:
    """One record's value → the event as a JSON-ready dict."""
    record = envelope_pb2.EventRecord()
    record.ParseFromString(value)
    envelope = envelope_pb2.EventEnvelope()
    envelope.ParseFromString(record.canonical_envelope)
    hash_ok = hashlib.sha256(record.prev_hash + record.canonical_envelope).digest() == record.hash
    payload = json_format.MessageToDict(envelope.payload)
    return {
        "type": envelope.type,
        "stream": envelope.stream_id,
        "version": envelope.stream_version,
        "eventId": envelope.event_id,
        "occurredAt": envelope.occurred_at.ToJsonString(),
        "orgUnit": envelope.actor.org_unit,
        "hashOk": hash_ok,
        "payload": payload,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", required=True, help="e.g. gridledger.billing.v1")
    parser.add_argument("--group", default=None, help="consumer group (default: a new one)")
    parser.add_argument("--type", default=None, help="only this event type, e.g. BillIssued")
    parser.add_argument("--max", type=int, default=0, help="stop after this many events")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="stop after this long with nothing new (0: follow forever)")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group or f"analyst-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    consumer.subscribe([args.topic])
    wanted = None
    if args.type:
        wanted = args.type if args.type.startswith("gridledger.v1.") else f"gridledger.v1.{args.type}"
    printed = 0
    idle = 0.0
    try:
        while args.max == 0 or printed < args.max:
            message = consumer.poll(0.5)
            if message is None:
                idle += 0.5
                if args.idle_seconds and idle >= args.idle_seconds:
                    break
                continue
            idle = 0.0
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"analyst: {message.error()}", file=sys.stderr)
                return 1
            headers = dict(message.headers() or [])
            if wanted and headers.get("gl-type", b"").decode() != wanted:
                continue
            event = decode(message.value())
            event.update({"partition": message.partition(), "offset": message.offset(),
                          "key": (message.key() or b"").decode()})
            print(json.dumps(event, sort_keys=True))
            printed += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
