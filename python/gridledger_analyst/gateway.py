"""Events from GridLedger's gRPC EventGateway/Subscribe stream (any backend).

    schemas = Schemas("schemas/")
    for event in subscribe("127.0.0.1:50051", token, schemas, event_types=["BillIssued"],
                           org_unit="sn/xa", idle_seconds=5):
        print(event["stream_id"], event["next"])

The call is made with grpc's generic ``channel.unary_stream`` and the
descriptor set's SubscribeRequest/SubscribeReply classes: no generated code.
The token (analyst, auditor or admin role) goes as ``authorization: Bearer``.
Each event is the dict decode_record makes, plus ``next``: the checkpoint to
pass back as `from_position` to resume after it. Subscribe follows the log
live and never ends by itself: stop it with `max_events` or `idle_seconds`,
or by closing the iterator.
"""

import queue
import threading

from .decode import decode_envelope, full_type, parse_rfc3339

METHOD = "/gridledger.v1.EventGateway/Subscribe"
_END = object()


def _request(schema, event_types, stream_prefixes, org_unit, from_position, from_time, from_now):
    request = schema.message_class("gridledger.v1.SubscribeRequest")()
    if isinstance(event_types, str):
        event_types = event_types.split(",")
    request.event_types.extend(full_type(t.strip()) for t in event_types or () if t.strip())
    if isinstance(stream_prefixes, str):
        stream_prefixes = [stream_prefixes]
    request.stream_prefixes.extend(stream_prefixes or ())
    if org_unit:
        request.org_unit = org_unit
    if from_position:
        # [{"partition": "…", "offset": N}, …], as an event's "next".
        for position in from_position:
            at = request.from_position.next.add()
            at.partition = position["partition"]
            at.offset = int(position["offset"])
    elif from_time is not None:
        if isinstance(from_time, str):
            seconds, nanos = parse_rfc3339(from_time)
        elif hasattr(from_time, "timestamp"):
            stamp = from_time.timestamp()
            seconds, nanos = int(stamp // 1), int(round((stamp % 1) * 1e9))
        else:
            seconds, nanos = int(from_time), 0
        request.from_time.seconds = seconds
        request.from_time.nanos = nanos
    elif from_now:
        request.from_now = True
    return request


def subscribe(target, token, schemas, event_types=None, stream_prefixes=None, org_unit=None,
              from_position=None, from_time=None, from_now=False, max_events=None,
              idle_seconds=None, schema=None, credentials=None, options=None, buffer=256):
    """Yields events from EventGateway/Subscribe at `target` ("host:port") as dicts.

    token: a bearer token of an analyst, auditor or admin (`gridledger token`).
    schemas: a Schemas; `schema` names the set to use (default: its default).
    event_types: ["BillIssued", …] or "A,B" (short or full names); empty: all.
    stream_prefixes: ["account-", …]; org_unit: "sn/xa" (the server filters).
    from_position: a previous event's ``next`` (resume after it); or from_time
        (RFC 3339 string, datetime or epoch seconds); or from_now; none of
        them: from the start of the log.
    max_events: stop after this many; idle_seconds: stop after this long
        with nothing new (None: wait for ever).
    credentials: grpc.ChannelCredentials for TLS (default: plaintext);
    options: grpc channel options. `buffer`: events read ahead at most (the
    server is held back by flow control beyond that).

    Raises grpc.RpcError for a refused or failed call (e.g. PERMISSION_DENIED).
    """
    import grpc  # imported late: decoding alone needs no gRPC

    chosen = schemas.get(schema)
    request = _request(chosen, event_types, stream_prefixes, org_unit, from_position, from_time,
                       from_now)
    reply_class = chosen.message_class("gridledger.v1.SubscribeReply")
    if credentials is not None:
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)
    call_method = channel.unary_stream(METHOD, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=reply_class.FromString)
    metadata = [("authorization", f"Bearer {token}")] if token else None
    call = call_method(request, metadata=metadata)
    replies = queue.Queue(maxsize=max(1, buffer))
    stopping = threading.Event()

    def read():
        try:
            for reply in call:
                replies.put(reply)
            replies.put(_END)
        except grpc.RpcError as e:
            replies.put(_END if stopping.is_set() else e)
        except Exception as e:  # e.g. a reply that does not parse
            replies.put(e)

    reader = threading.Thread(target=read, name="gridledger-subscribe", daemon=True)
    reader.start()
    yielded = 0
    try:
        while max_events is None or yielded < max_events:
            try:
                item = replies.get(timeout=idle_seconds)
            except queue.Empty:
                return
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            event = decode_envelope(item.event, chosen.name)
            event["next"] = [{"partition": p.partition, "offset": p.offset} for p in item.next.next]
            yielded += 1
            yield event
    finally:
        stopping.set()
        call.cancel()
        while reader.is_alive():  # unblock a put() on a full queue
            try:
                replies.get_nowait()
            except queue.Empty:
                reader.join(0.05)
        channel.close()
