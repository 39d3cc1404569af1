#!/usr/bin/env python3
"""Derives ferrokube's protobuf schema table (a development step, not run at
build or run time).

Kubernetes' protobuf field numbers are taken from the k8s-pb crate's prost
structs; the JSON name of each field from the OpenAPI definitions of the
release (which name the same fields in camelCase). The output is the text
table crates/apimachinery/src/protobuf/schema.txt:

    M <message>                      a message (rust module path, dotted)
    F <tag> <json name> <type>       one field; type is a scalar, msg:<message>,
                                     list:<type> or map:<value type>; the JSON
                                     name "-" marks an embedded (inline) struct
    K <group> <version> <kind> <message>   a top-level kind

Usage: derive-protobuf-schema.py <k8s-pb source dir> <openapi v2 json> <out>
"""
import json
import os
import re
import sys

PREFIXES = {
    "api": "io.k8s.api",
    "apimachinery": "io.k8s.apimachinery",
    "apiextensions_apiserver": "io.k8s.apiextensions-apiserver",
    "kube_aggregator": "io.k8s.kube-aggregator",
}

ATTR = re.compile(r'#\[prost\((?P<kind>[a-z_0-9]+)(?: = "(?P<arg>[^"]*)")?(?P<rest>[^\]]*)tag = "(?P<tag>\d+)"')
FIELD = re.compile(r'pub (?:r#)?(?P<name>[a-z_0-9]+):\s*(?P<type>.*)')


def module_of(path, root):
    rel = os.path.relpath(os.path.dirname(path), root)
    return rel.split(os.sep)


def resolve(module, rust_type):
    """Resolves a prost type path relative to `module` to a dotted message name."""
    inner = rust_type
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"):
        while inner.startswith(wrapper):
            inner = inner[len(wrapper):-1]
    if "BTreeMap<" in inner:
        inner = inner[inner.index("BTreeMap<") + len("BTreeMap<"):-1]
        inner = inner.split(",", 1)[1].strip()
    parts = inner.split("::")
    base = list(module)
    while parts and parts[0] == "super":
        base.pop()
        parts.pop(0)
    if len(parts) == 1:
        return ".".join(base + parts)
    return ".".join(base + parts)


def openapi_name(message):
    parts = message.split(".")
    return PREFIXES[parts[0]] + "." + ".".join(parts[1:])


def normalize(name):
    return name.replace("_", "").lower()


def main(src, openapi_path, out_path):
    definitions = json.load(open(openapi_path))["definitions"]
    messages = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if f != "mod.rs":
                continue
            path = os.path.join(dirpath, f)
            module = module_of(path, src)
            if module == ["."] or module[0] not in PREFIXES:
                continue
            lines = open(path).read().split("\n")
            current = None
            i = 0
            while i < len(lines):
                line = lines[i].strip()
                m = re.match(r"pub struct (\w+) \{", line)
                if m:
                    current = ".".join(module + [m.group(1)])
                    messages[current] = []
                elif line == "}":
                    current = None
                attr = ATTR.search(line)
                if attr and current:
                    j = i + 1
                    text = ""
                    while not (text.rstrip().endswith(",") and text.count("<") == text.count(">")):
                        text += " " + lines[j].strip()
                        j += 1
                    field = FIELD.search(text.strip())
                    kind, arg, rest, tag = attr.group("kind"), attr.group("arg"), attr.group("rest"), attr.group("tag")
                    rust_type = re.sub(r"\s+", "", field.group("type")).rstrip(",").replace(",>", ">")
                    if kind == "message":
                        t = "msg:" + resolve(module, rust_type)
                    elif kind == "btree_map":
                        value = arg.split(",")[1].strip()
                        t = "map:" + ("msg:" + resolve(module, rust_type) if value == "message" else value)
                    else:
                        t = kind
                    if "repeated" in rest:
                        t = "list:" + t
                    messages[current].append((int(tag), field.group("name"), t))
                    i = j
                    continue
                i += 1
    out = []
    for message in sorted(messages):
        definition = definitions.get(openapi_name(message), {})
        props = {normalize(p): p for p in definition.get("properties", {})}
        out.append(f"M {message}")
        for tag, name, t in sorted(messages[message]):
            json_name = props.get(normalize(name))
            if json_name is None and props and t.startswith("msg:"):
                json_name = "-"
            elif json_name is None:
                json_name = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
                if props:
                    print(f"note: {message}.{name} has no OpenAPI property", file=sys.stderr)
            out.append(f"F {tag} {json_name} {t}")
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            if message.startswith("apimachinery."):
                continue
            out.append(f"K {gvk['group'] or '-'} {gvk['version']} {gvk['kind']} {message}")
    open(out_path, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
