#!/usr/bin/env python3
"""Derives the table of upstream's OpenAPI extensions for built-in types (a
development step, not run at build or run time).

Reads an upstream OpenAPI v2 document and writes
crates/apiserver/src/openapi/extensions.txt, one line per extended schema:

    D <definition> <key>=<value>[;<key>=<value>...]               on a definition
    P <definition> <property> <key>=<value>[;<key>=<value>...]    on a property

Keys drop the `x-kubernetes-` prefix; list values are comma-separated.

Usage: derive-openapi-extensions.py <openapi v2 json> <out>
"""
import json
import sys

KEYS = ["list-type", "list-map-keys", "map-type", "patch-strategy", "patch-merge-key"]


def render(schema):
    parts = []
    for key in KEYS:
        value = schema.get("x-kubernetes-" + key)
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(value)
        parts.append(f"{key}={value}")
    return ";".join(parts)


def main(source, out):
    definitions = json.load(open(source))["definitions"]
    lines = []
    for name in sorted(definitions):
        definition = definitions[name]
        rendered = render(definition)
        if rendered:
            lines.append(f"D {name} {rendered}")
        for prop in sorted(definition.get("properties", {})):
            rendered = render(definition["properties"][prop])
            if rendered:
                lines.append(f"P {name} {prop} {rendered}")
    open(out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
