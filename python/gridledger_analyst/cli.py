"""gridledger-analyst: GridLedger's events as JSON lines or CSV, from Kafka or EventGateway.

  gridledger-analyst topic --bootstrap 127.0.0.1:9092 --topic gridledger.billing.v1 \\
      --schemas schemas/ [--type BillIssued] [--org-unit sn/xa] [--max N] [--follow] [--csv]
  gridledger-analyst subscribe --target 127.0.0.1:50051 --token-file analyst.token \\
      --schemas schemas/ [--type BillIssued] [--stream-prefix account-] [--org-unit sn/xa] \\
      [--from-now | --from-time 2026-01-01T00:00:00Z | --from-position JSON] \\
      [--max N] [--idle-seconds S] [--csv]
  gridledger-analyst schemas --schemas schemas/

--schemas is a directory of descriptor sets (`gridledger schema --out DIR`) or
one .desc file; $GRIDLEDGER_SCHEMAS when not given. JSON lines keep every
integer a JSON number. --csv flattens each event into dotted columns
(payload.bill_issued.total_fen …), lists as JSON, after reading them all.
"""

import argparse
import csv
import json
import os
import sys

from .schemas import Schemas


def _schemas(args):
    where = args.schemas or os.environ.get("GRIDLEDGER_SCHEMAS")
    if not where:
        raise SystemExit("gridledger-analyst: --schemas DIR (or $GRIDLEDGER_SCHEMAS) is needed: "
                         "make one with `gridledger schema --out DIR`")
    return Schemas(where, default=args.default_schema)


def _write(events, as_csv, flush):
    if as_csv:
        from .decode import flatten

        rows = [flatten(e) for e in events]
        columns = {}
        for row in rows:
            for key in row:
                columns.setdefault(key, None)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else
                             ("" if v is None else v) for k, v in row.items()})
        return len(rows)
    count = 0
    for event in events:
        sys.stdout.write(json.dumps(event) + "\n")
        if flush:
            sys.stdout.flush()
        count += 1
    return count


def _topic(args):
    from .kafka import read_topic

    events = read_topic(args.bootstrap, args.topic, _schemas(args), until_end=not args.follow,
                        max_events=args.max, event_type=args.type, org_unit=args.org_unit,
                        idle_seconds=args.idle_seconds, group=args.group)
    return _write(events, args.csv, flush=args.follow)


def _subscribe(args):
    from .gateway import subscribe

    token = args.token or os.environ.get("GRIDLEDGER_TOKEN", "")
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.read().strip()
    credentials = None
    if args.tls_ca:
        import grpc

        with open(args.tls_ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    from_position = json.loads(args.from_position) if args.from_position else None
    events = subscribe(args.target, token, _schemas(args), event_types=args.type,
                       stream_prefixes=args.stream_prefix, org_unit=args.org_unit,
                       from_position=from_position, from_time=args.from_time,
                       from_now=args.from_now, max_events=args.max,
                       idle_seconds=args.idle_seconds, credentials=credentials)
    return _write(events, args.csv, flush=True)


def _list(args):
    schemas = _schemas(args)
    for name in schemas.names():
        schema = schemas.get(name)
        default = " (default)" if name == schemas.default_name else ""
        print(f"{name}{default}\t{schema.path}\tsha256:{schema.sha256}\t{len(schema.files)} files")
    return 0


def parser():
    top = argparse.ArgumentParser(prog="gridledger-analyst",
                                  description=__doc__.splitlines()[0],
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  epilog="\n".join(__doc__.splitlines()[2:]))
    commands = top.add_subparsers(dest="command", required=True)

    def common(sub):
        sub.add_argument("--schemas", help="directory of *.desc descriptor sets, or one .desc "
                         "file (default: $GRIDLEDGER_SCHEMAS)")
        sub.add_argument("--default-schema", default=None,
                         help="set used where no gridledger-schema header names one")
        return sub

    topic = common(commands.add_parser("topic", help="read Kafka topics directly"))
    topic.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    topic.add_argument("--topic", required=True, action="append",
                       help="e.g. gridledger.billing.v1 (repeat for several)")
    topic.add_argument("--follow", action="store_true",
                       help="keep reading past the end offsets the read started with")
    topic.add_argument("--group", default=None, help="consumer group id (default: a fresh one)")

    sub = common(commands.add_parser("subscribe", help="EventGateway/Subscribe over gRPC"))
    sub.add_argument("--target", required=True, help="host:port of gridledger serve")
    sub.add_argument("--token", default=None, help="bearer token (default: $GRIDLEDGER_TOKEN)")
    sub.add_argument("--token-file", default=None, help="file holding the bearer token")
    sub.add_argument("--tls-ca", default=None, help="PEM roots: use TLS (default: plaintext)")
    sub.add_argument("--stream-prefix", action="append", default=None,
                     help="only streams starting so, e.g. account- (repeatable)")
    start = sub.add_mutually_exclusive_group()
    start.add_argument("--from-now", action="store_true", help="only events appended from now")
    start.add_argument("--from-time", default=None, help="RFC 3339: events recorded from then")
    start.add_argument("--from-position", default=None,
                       help="JSON of an event's \"next\": resume after it")

    for command in (topic, sub):
        command.add_argument("--type", action="append", default=None,
                             help="only this event type, e.g. BillIssued (repeatable or A,B)")
        command.add_argument("--org-unit", default=None,
                             help="only events of this unit or below, e.g. sn/xa")
        command.add_argument("--max", type=int, default=None, help="stop after N events")
        command.add_argument("--idle-seconds", type=float, default=None,
                             help="stop after this long with nothing new")
        command.add_argument("--csv", action="store_true",
                             help="CSV with flattened columns instead of JSON lines")

    common(commands.add_parser("schemas", help="list the descriptor sets found"))
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "type", None):
        args.type = [t for item in args.type for t in item.split(",") if t]
    try:
        if args.command == "topic":
            _topic(args)
        elif args.command == "subscribe":
            _subscribe(args)
        else:
            _list(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one clear line, not a traceback
        name = type(e).__name__
        if callable(getattr(e, "code", None)) and callable(getattr(e, "details", None)):
            try:  # a grpc.RpcError
                print(f"gridledger-analyst: {e.code().name}: {e.details()}", file=sys.stderr)
                return 1
            except Exception:
                pass
        print(f"gridledger-analyst: {name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
