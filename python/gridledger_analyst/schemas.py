"""The GridLedger schema, loaded at run time from descriptor sets.

`gridledger schema --out DIR` writes ``DIR/gridledger-v1-<12 hex>.desc``: a
binary ``google.protobuf.FileDescriptorSet`` holding every gridledger/v1 proto
and its imports (google/protobuf/timestamp.proto). The 12 hex digits are the
first 12 of the SHA-256 of the file's bytes, and every Kafka record GridLedger
writes names the set it was written with in its ``gridledger-schema`` header
(the file name without ``.desc``; GridLedger's writer may call the header
``gl-schema``, beside its ``gl-type`` and ``gl-stream-version``: both names
are read). No generated ``_pb2`` code is needed: the
message classes are made from the descriptors with google.protobuf's
descriptor_pool and message_factory.

    schemas = Schemas("schemas/")            # every *.desc in the directory
    Envelope = schemas.envelope_class()      # the default set's EventEnvelope
    Record = schemas.record_class("gridledger-v1-0123456789ab")

Each set gets a descriptor pool of its own, so sets of different versions sit
side by side.
"""

import hashlib
import os
import re
import warnings

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "gridledger.v1"
SCHEMA_HEADER = "gridledger-schema"
# Every name a record's schema header may go by (the first found counts):
# "gridledger-schema", and "gl-schema" beside GridLedger's other gl-* headers.
SCHEMA_HEADERS = (SCHEMA_HEADER, "gl-schema")
SUFFIX = ".desc"
_CONTENT_NAME = re.compile(r"^gridledger-v1-([0-9a-f]{12})$")


class UnknownSchemaError(LookupError):
    """A record names a descriptor set that the Schemas directory lacks."""


def _message_class(descriptor):
    get = getattr(message_factory, "GetMessageClass", None)
    if get is not None:  # protobuf >= 4.22
        return get(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


class Schema:
    """One descriptor set: its name, the file it came from, and its classes."""

    def __init__(self, name, path, data):
        self.name = name
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        files = descriptor_pb2.FileDescriptorSet()
        files.ParseFromString(data)
        if not files.file:
            raise ValueError(f"{path}: not a FileDescriptorSet (no files in it)")
        self.pool = descriptor_pool.DescriptorPool()
        # Add in dependency order: a file's imports first.
        by_name = {f.name: f for f in files.file}
        added = set()

        def add(proto):
            if proto.name in added:
                return
            added.add(proto.name)
            for dependency in proto.dependency:
                if dependency in by_name:
                    add(by_name[dependency])
            self.pool.AddSerializedFile(proto.SerializeToString())

        for proto in files.file:
            add(proto)
        self.files = sorted(by_name)
        self._classes = {}
        try:
            self.message_class(f"{PACKAGE}.EventEnvelope")
            self.message_class(f"{PACKAGE}.EventRecord")
        except KeyError as e:
            raise ValueError(f"{path}: the set has no {PACKAGE}.EventEnvelope/EventRecord "
                             f"(made with --include_imports from protos/gridledger/v1/*.proto?)") from e

    def message_class(self, full_name):
        """The message class of `full_name` ("gridledger.v1.BillIssued")."""
        cls = self._classes.get(full_name)
        if cls is None:
            cls = _message_class(self.pool.FindMessageTypeByName(full_name))
            self._classes[full_name] = cls
        return cls

    def __repr__(self):
        return f"Schema({self.name!r}, {self.path!r})"


class Schemas:
    """Every ``*.desc`` descriptor set in a directory, by name (file name without .desc).

    `directory` may also be one ``.desc`` file. `default` names the set used
    for what carries no ``gridledger-schema`` (or ``gl-schema``) header (records written before
    the header existed, and the gRPC Subscribe stream); unset, it is the only
    set, or else the newest file (by modification time) — any later set reads
    earlier events, since the schema only grows.
    """

    def __init__(self, directory, default=None):
        self.directory = os.path.abspath(directory)
        if os.path.isfile(self.directory):
            paths = [self.directory]
            self.directory = os.path.dirname(self.directory)
        elif os.path.isdir(self.directory):
            paths = sorted(os.path.join(self.directory, f) for f in os.listdir(self.directory)
                           if f.endswith(SUFFIX))
        else:
            raise FileNotFoundError(f"schemas: {self.directory} is neither a directory nor a "
                                    f"{SUFFIX} file (make one with `gridledger schema --out DIR`)")
        if not paths:
            raise FileNotFoundError(f"schemas: no *{SUFFIX} file in {self.directory} "
                                    f"(make one with `gridledger schema --out {self.directory}`)")
        self._by_name = {}
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            name = os.path.basename(path)[:-len(SUFFIX)]
            schema = Schema(name, path, data)
            match = _CONTENT_NAME.match(name)
            if match and not schema.sha256.startswith(match.group(1)):
                warnings.warn(f"{path}: its SHA-256 starts {schema.sha256[:12]}, not as its "
                              f"name says: the file was changed after it was written")
            self._by_name[name] = schema
        if default is None:
            default = max(paths, key=lambda p: (os.path.getmtime(p), p))
            default = os.path.basename(default)[:-len(SUFFIX)]
        self.default_name = default
        self.get(default)  # fails now if the default is unknown

    def names(self):
        """The names of the loaded sets, sorted."""
        return sorted(self._by_name)

    def get(self, name=None):
        """The Schema called `name` (the default when None or empty)."""
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if not name:
            name = self.default_name
        schema = self._by_name.get(name)
        if schema is None:
            raise UnknownSchemaError(
                f"unknown GridLedger schema {name!r}: no {name}{SUFFIX} in {self.directory} "
                f"(it has {', '.join(self.names())}); write it there with "
                f"`gridledger schema --out {self.directory}` from the GridLedger that wrote "
                f"the events")
        return schema

    def message_class(self, full_name, name=None):
        """A gridledger.v1 (or imported) message class from set `name`."""
        if "." not in full_name:
            full_name = f"{PACKAGE}.{full_name}"
        return self.get(name).message_class(full_name)

    def envelope_class(self, name=None):
        return self.message_class(f"{PACKAGE}.EventEnvelope", name)

    def record_class(self, name=None):
        return self.message_class(f"{PACKAGE}.EventRecord", name)

    def subscribe_request_class(self, name=None):
        return self.message_class(f"{PACKAGE}.SubscribeRequest", name)

    def subscribe_reply_class(self, name=None):
        return self.message_class(f"{PACKAGE}.SubscribeReply", name)

    def __contains__(self, name):
        return name in self._by_name

    def __repr__(self):
        return f"Schemas({self.directory!r}, names={self.names()!r}, default={self.default_name!r})"
