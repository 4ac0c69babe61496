#!/usr/bin/env python3
"""Strict check of Kubernetes manifests against the official API models (the Kubernetes
Python client's generated models): every field must be one the model knows (unknown fields
rejected, at any depth), of the model's type, and every required field present."""
import re
import sys

import yaml
from kubernetes import client

KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("batch/v1", "Job"): "V1Job",
}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check(value, type_name, path, errors):
    if value is None:
        return
    # Older clients write list[X] and dict(str, X); newer ones List[X] and Dict[str, X].
    m = re.fullmatch(r"[lL]ist\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {value!r}")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\((\w+), (.+)\)|Dict\[(\w+), (.+)\]", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {value!r}")
            return
        inner = m.group(2) or m.group(4)
        for k, v in value.items():
            check(v, inner, f"{path}.{k}", errors)
        return
    if type_name in PRIMITIVES:
        if not isinstance(value, PRIMITIVES[type_name]) or (type_name == "int" and isinstance(value, bool)):
            errors.append(f"{path}: expected {type_name}, got {value!r}")
        return
    if type_name == "object":
        return
    model = getattr(client, type_name, None)
    if model is None:
        errors.append(f"{path}: no model {type_name}")
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {type_name} object, got {value!r}")
        return
    by_json = {json: attr for attr, json in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: unknown field of {type_name}")
            continue
        check(v, model.openapi_types[by_json[key]], f"{path}.{key}", errors)


def images(value, path, errors):
    """Optional in the API, required to run: every container names its image."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "containers" and isinstance(v, list):
                for i, c in enumerate(v):
                    if not (isinstance(c, dict) and c.get("image")):
                        errors.append(f"{path}.containers[{i}]: no image")
            images(v, f"{path}.{k}", errors)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            images(v, f"{path}[{i}]", errors)


def main(paths):
    api = client.ApiClient()
    errors = []
    seen = 0
    for path in paths:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                seen += 1
                key = (doc.get("apiVersion"), doc.get("kind"))
                type_name = KINDS.get(key)
                if type_name is None:
                    errors.append(f"{path}: unexpected {key}")
                    continue
                check(doc, type_name, f"{path}:{key[1]}", errors)
                images(doc, f"{path}:{key[1]}", errors)
                try:
                    # The models' own constructors check required fields and enums.
                    api._ApiClient__deserialize(doc, type_name)
                except (ValueError, TypeError) as e:
                    errors.append(f"{path}:{key[1]}: {e}")
    if seen == 0:
        errors.append("no manifest found")
    for e in errors:
        print(f"k8s: {e}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"k8s: {seen} manifests match the Kubernetes API models")


if __name__ == "__main__":
    main(sys.argv[1:])
