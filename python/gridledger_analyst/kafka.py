"""Reading GridLedger's Kafka topics directly.

    schemas = Schemas("schemas/")
    for event in read_topic("127.0.0.1:9092", "gridledger.billing.v1", schemas,
                            event_type="BillIssued", org_unit="sn/xa"):
        print(event["payload"]["bill_issued"]["total_fen"])

Records are written in Kafka transactions, so the consumer reads with
``isolation.level=read_committed`` (aborted attempts never show). It is
assigned every partition of the topics from their start under a fresh group
id and commits nothing. With ``until_end`` (the default) it stops once every
partition reached the end offset it had when the read started; without, it
follows the topics until `max_events` or `idle_seconds`.
"""

import time
import uuid

from .decode import StreamUnits, decode_record, full_type, header_value, unit_matches

TYPE_HEADER = "gl-type"


def _consumer(bootstrap, group, config):
    from confluent_kafka import Consumer  # imported late: decoding alone needs no Kafka

    settings = {
        "bootstrap.servers": bootstrap,
        "group.id": group or f"gridledger-analyst-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
    }
    settings.update(config or {})
    return Consumer(settings)


def _types(event_type):
    if not event_type:
        return None
    if isinstance(event_type, str):
        event_type = event_type.split(",")
    return {full_type(t.strip()) for t in event_type if t.strip()}


def read_topic(bootstrap, topic, schemas, until_end=True, max_events=None, event_type=None,
               org_unit=None, timeout=30.0, idle_seconds=None, group=None, config=None):
    """Yields the events of `topic` (a name, or a list of names) as decode_record dicts.

    bootstrap: Kafka bootstrap servers ("127.0.0.1:9092").
    schemas: a Schemas; each record's ``gridledger-schema`` header picks its set.
    until_end: stop at each partition's end offset as of the start (read_committed:
        the last stable offset), else follow new events.
    max_events: stop after yielding this many.
    event_type: "BillIssued", "gridledger.v1.BillIssued", a comma-separated
        string or a list of them: only those types (by the ``gl-type`` header,
        else the decoded type).
    org_unit: only events of this org unit or below it ("sn/xa" keeps "sn/xa"
        and "sn/xa/…"), by the envelope's ``org_unit`` — for events recorded
        before it existed, the stream's first actor's unit (StreamUnits).
    timeout: seconds to wait for the broker's metadata and offsets.
    idle_seconds: stop after this long with no record (None: never, which only
        matters when not until_end).
    group, config: a consumer group id (default: a fresh one) and further
        librdkafka settings.

    Raises RuntimeError for a topic that does not exist or a consumer error,
    UnknownSchemaError for a record whose schema is not in `schemas`.
    """
    from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

    topics = [topic] if isinstance(topic, str) else list(topic)
    types = _types(event_type)
    units = StreamUnits()
    consumer = _consumer(bootstrap, group, config)
    try:
        assignment, end = [], {}
        for name in topics:
            metadata = consumer.list_topics(name, timeout=timeout)
            described = metadata.topics.get(name)
            if described is None or described.error is not None or not described.partitions:
                error = described.error if described is not None else "not found"
                raise RuntimeError(f"topic {name} on {bootstrap}: {error}")
            for partition in sorted(described.partitions):
                assignment.append(TopicPartition(name, partition, OFFSET_BEGINNING))
                if until_end:
                    low, high = consumer.get_watermark_offsets(
                        TopicPartition(name, partition), timeout=timeout, cached=False)
                    if high > low:
                        end[(name, partition)] = high
        if until_end and not end:
            return
        consumer.assign(assignment)
        yielded = 0
        idle_since = time.monotonic()
        while True:
            if max_events is not None and yielded >= max_events:
                return
            if until_end and not end:
                return
            message = consumer.poll(0.5)
            if message is None:
                if idle_seconds is not None and time.monotonic() - idle_since >= idle_seconds:
                    return
                continue
            idle_since = time.monotonic()
            where = (message.topic(), message.partition())
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    # At the end of what is committed: done if that is past the start's end.
                    if until_end and where in end and message.offset() >= end[where]:
                        del end[where]
                    continue
                raise RuntimeError(f"{where[0]}/{where[1]}: {error}")
            offset = message.offset()
            if until_end:
                if where not in end or offset >= end[where]:
                    end.pop(where, None)  # written after the read started
                    continue
                if offset + 1 >= end[where]:
                    del end[where]
            headers = message.headers()
            if types is not None and not org_unit:  # (the unit filter must see every event)
                declared = header_value(headers, TYPE_HEADER)
                if declared is not None and declared not in types:
                    continue
            event = decode_record(message.value(), headers, schemas, topic=where[0],
                                  partition=where[1], offset=offset)
            unit = units.unit_of(event)
            if types is not None and event["type"] not in types:
                continue
            if org_unit and not unit_matches(unit, org_unit):
                continue
            yielded += 1
            yield event
    except KafkaException as e:
        raise RuntimeError(f"{bootstrap}: {e}") from e
    finally:
        consumer.close()
