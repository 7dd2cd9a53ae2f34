#!/usr/bin/env python3
"""Writes stream/kinesis_model.json: the request shapes of Kinesis Data Streams' actions (types,
required members, lengths, ranges, patterns, enums), taken from the AWS service model that
botocore ships, so that the gateway validates requests by AWS's own rules instead of a copy
typed by hand. Documentation is dropped; the output is sorted and stable.

  python3 tools/gen_kinesis_model.py [path/to/botocore/data/kinesis/2013-12-02/service-2.json[.gz]]

Without an argument it reads the model of the botocore that `python3` imports.
"""
import gzip
import json
import os
import sys

KEEP = ("type", "required", "members", "member", "key", "value", "min", "max", "pattern", "enum")


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def main():
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        import botocore
        base = os.path.join(os.path.dirname(botocore.__file__), "data", "kinesis", "2013-12-02")
        path = next(os.path.join(base, n) for n in ("service-2.json.gz", "service-2.json")
                    if os.path.exists(os.path.join(base, n)))
    model = load(path)
    shapes, operations = {}, {}

    def visit(name):
        if name in shapes:
            return
        shape = {k: v for k, v in model["shapes"][name].items() if k in KEEP}
        if "members" in shape:
            shape["members"] = {m: {"shape": s["shape"]} for m, s in shape["members"].items()}
        for k in ("member", "key", "value"):
            if k in shape:
                shape[k] = {"shape": shape[k]["shape"]}
        shapes[name] = shape
        for ref in list(shape.get("members", {}).values()) + [
                shape[k] for k in ("member", "key", "value") if k in shape]:
            visit(ref["shape"])

    for name, op in model["operations"].items():
        entry = {}
        if "input" in op:
            entry["input"] = op["input"]["shape"]
            visit(op["input"]["shape"])
        operations[name] = entry
    out = {"source": "botocore " + model["metadata"].get("apiVersion", "") + " service model",
           "operations": operations, "shapes": shapes}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
