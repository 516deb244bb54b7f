"""Copy the operations compass's fakes use out of an upstream OpenAPI file, with every schema they reference.

    python tests/fakes/data/extract_openapi.py ../shared/api/zulip-openapi.yaml tests/fakes/data/zulip-openapi.subset.json \
        "post /register" "get /events" "delete /events" "get /messages" "post /messages" \
        "post /messages/{message_id}/reactions" "get /users" "get /users/me" "get /server_settings" "post /rest-error-handling" "post /user_uploads"

The output keeps the upstream ``info`` and adds ``x-extracted-from`` naming the source file and operations,
so the tests never read ../shared at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out.add(ref)
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def _get(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _put(doc: dict[str, Any], pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[2:].split("/")]
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def extract(source: Path, operations: list[str]) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(source.read_text(encoding="utf-8"), Loader=loader)
    out: dict[str, Any] = {
        "openapi": doc["openapi"],
        "info": {**doc["info"], "x-extracted-from": {"file": source.name, "operations": operations}},
        "servers": doc.get("servers", []),
        "paths": {},
        "components": {"securitySchemes": doc.get("components", {}).get("securitySchemes", {})},
    }
    for item in operations:
        method, path = item.split(" ", 1)
        out["paths"].setdefault(path, {})[method] = doc["paths"][path][method]
    done: set[str] = set()
    while True:
        refs: set[str] = set()
        _refs(out["paths"], refs)
        _refs(out["components"], refs)
        todo = refs - done
        if not todo:
            return out
        for ref in sorted(todo):
            _put(out, ref, _get(doc, ref))
            done.add(ref)


if __name__ == "__main__":
    src, dest, *ops = sys.argv[1:]
    Path(dest).write_text(json.dumps(extract(Path(src), ops), indent=1, sort_keys=False) + "\n", encoding="utf-8")
