#!/usr/bin/env python3
"""Checks that GridLedger's folders depend on each other only downwards.

    cli/ → server/ → services/ → projections/ → eventstore/ → common/, protos
                                  ↘ domain/ ↙

- domain/ (the units' pure rules) includes no gRPC, no store, no RocksDB or
  Kafka header, and nothing from eventstore/, projections/, services/,
  server/ or cli/;
- projections/ includes nothing from services/, server/ or cli/;
- eventstore/ includes nothing above it (only domain/common/streams.h of
  domain/, the one definition of stream categories);
- services/ includes nothing from server/ or cli/; server/ nothing from cli/;
- fuzz/ (the fuzz targets) sits beside them, over services/ and below server/:
  it includes nothing from server/ or cli/, and nothing includes fuzz/.

Usage: check_layering.py [ROOT]      exit 1 listing every violation
       check_layering.py --self-test  shows the check catches a violation
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')

# folder → (forbidden include prefixes or substrings, allowed exceptions)
RULES = {
    "domain/": (["eventstore/", "projections/", "services/", "server/", "cli/", "grpcpp/",
                 "grpc/", ".grpc.pb.h", "rocksdb/", "librdkafka/", "rdkafka", "fuzz/"], []),
    "projections/": (["services/", "server/", "cli/", "fuzz/"], []),
    "eventstore/": (["projections/", "services/", "server/", "cli/", "domain/", "fuzz/"],
                    ["domain/common/streams.h"]),
    "common/": (["eventstore/", "projections/", "services/", "server/", "cli/", "domain/",
                 "fuzz/"], []),
    "services/": (["server/", "cli/", "fuzz/"], []),
    "server/": (["cli/", "fuzz/"], []),
    "cli/": (["fuzz/"], []),
    "fuzz/": (["server/", "cli/"], []),
}


def violations(root):
    found = []
    for folder, (forbidden, allowed) in RULES.items():
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as source:
                    for number, line in enumerate(source, 1):
                        match = INCLUDE.match(line)
                        if not match or match.group(1) in allowed:
                            continue
                        header = match.group(1)
                        for bad in forbidden:
                            if header.startswith(bad) or (not bad.endswith("/") and bad in header):
                                found.append(f"{os.path.relpath(path, root)}:{number}: "
                                             f"{folder} must not include {header}")
                                break
    return found


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "domain/x"))
        os.makedirs(os.path.join(root, "projections/v"))
        with open(os.path.join(root, "domain/x/rules.cc"), "w") as f:
            f.write('#include "gridledger/v1/envelope.pb.h"\n#include <grpcpp/grpcpp.h>\n'
                    '#include "eventstore/event_store.h"\n')
        with open(os.path.join(root, "projections/v/view.cc"), "w") as f:
            f.write('#include "domain/common/calendar.h"\n#include "services/common/auth.h"\n')
        found = violations(root)
        expected = ["domain/x/rules.cc:2", "domain/x/rules.cc:3", "projections/v/view.cc:2"]
        got = [line.split(": ")[0] for line in found]
        if got != expected:
            print(f"self-test failed: expected {expected}, got {found}")
            return 1
    print("self-test: the check reports each forbidden include and nothing else")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    found = violations(root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) break the layering (tests/check_layering.py)")
        return 1
    print("layering: every include points downwards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
