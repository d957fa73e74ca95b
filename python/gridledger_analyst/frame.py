"""Events as a pandas DataFrame (the ``pandas`` extra: ``pip install './python[pandas]'``).

    frame = to_dataframe(read_topic(bootstrap, "gridledger.billing.v1", schemas,
                                    event_type="BillIssued"))
    frame.groupby("org_unit")["payload.bill_issued.total_fen"].sum()

One row per event; nested fields flattened into dotted columns
(``actor.org_unit``, ``position.offset``, ``payload.<type>.<field>`` such as
``payload.bill_issued.total_fen`` or ``payload.meter_read_recorded.registers.total_wh``);
lists stay lists in one cell. Integer columns keep exact integers: pandas'
nullable ``Int64`` where some rows lack the field (an event of another type),
never floats. Timestamps become timezone-aware (UTC) datetimes unless
``times=False``.
"""

import re

from .decode import flatten

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def to_dataframe(events, times=True, sep="."):
    """Events (dicts from read_topic, subscribe or decode_record; any iterable) → a DataFrame."""
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError("to_dataframe needs pandas: pip install 'gridledger-analyst[pandas]' "
                          "(from the repository: pip install './python[pandas]')") from e

    rows = [flatten(event, sep) for event in events]
    columns = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    data = {}
    for key in columns:
        values = [row.get(key) for row in rows]
        present = [v for v in values if v is not None]
        column = values
        if present and all(_is_int(v) for v in present):
            try:
                column = pd.array(values, dtype="Int64" if len(present) < len(values) else "int64")
            except (OverflowError, TypeError, ValueError):  # beyond int64 (uint64)
                column = pd.array(values, dtype=object)
        elif (times and present and all(isinstance(v, str) for v in present)
              and all(_RFC3339.match(v) for v in present)):
            try:
                column = pd.to_datetime(pd.Series(values, dtype=object), utc=True,
                                        format="ISO8601")
            except (ValueError, OverflowError):  # out of pandas' range: keep the text
                column = values
        data[key] = column
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)), columns=list(columns))
