"""gridledger_analyst: GridLedger's events for analysts, from Kafka topics or the gRPC gateway.

No generated code: the schema comes at run time from descriptor sets that
`gridledger schema --out DIR` writes (see schemas.py), and each Kafka record
names the set it was written with in its ``gridledger-schema`` header
(``gl-schema`` as GridLedger's writer names it today: both are read).

    from gridledger_analyst import Schemas, read_topic, subscribe, to_dataframe

    schemas = Schemas("schemas/")
    events = list(read_topic("127.0.0.1:9092", "gridledger.billing.v1", schemas,
                             event_type="BillIssued", org_unit="sn/xa"))
    frame = to_dataframe(events)          # needs the pandas extra

- Schemas(directory, default=None): every *.desc there; .get(name),
  .envelope_class(name=None), .record_class(name=None), .message_class(full_name, name=None).
- decode_record(value, headers, schemas, topic=None, partition=None, offset=None) -> dict
- read_topic(bootstrap, topic, schemas, until_end=True, max_events=None, event_type=None,
  org_unit=None, ...) -> iterator of dicts (confluent-kafka, read_committed)
- subscribe(target, token, schemas, event_types=None, stream_prefixes=None, org_unit=None,
  from_position=None, from_time=None, from_now=False, max_events=None, idle_seconds=None, ...)
  -> iterator of dicts (grpcio, gridledger.v1.EventGateway/Subscribe)
- to_dataframe(events) -> pandas.DataFrame, payload fields as payload.<type>.<field> columns
- the dict's shape and value rendering: decode.py's docstring; README.md beside the package.
"""

from .decode import (StreamUnits, canonical_bytes, decode_envelope, decode_record, flatten,
                     message_to_dict, unit_matches)
from .schemas import SCHEMA_HEADER, SCHEMA_HEADERS, Schema, Schemas, UnknownSchemaError
from .frame import to_dataframe  # pandas is imported on first use (the extra)
from .gateway import subscribe  # grpcio, imported on first use
from .kafka import read_topic  # confluent-kafka, imported on first use

__version__ = "0.1.0"

__all__ = ["SCHEMA_HEADER", "SCHEMA_HEADERS", "Schema", "Schemas", "StreamUnits",
           "UnknownSchemaError", "canonical_bytes", "decode_envelope", "decode_record", "flatten", "message_to_dict",
           "read_topic", "subscribe", "to_dataframe", "unit_matches"]
