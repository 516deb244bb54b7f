"""Check requests and responses of a fake server against an OpenAPI 3.0/3.1 document.

Generic on purpose (the Zulip fake uses it; the Discourse fake can): give it the document and a path
prefix, then ask for the problems of a request (path, query and form/JSON body parameters: unknown
names, missing required ones, values that do not match their schema) or of a response (the body
against the schema declared for its status). Each problem is one line that names the operation, the
parameter or JSON path, what was wrong, and what the document expects, e.g.::

    POST /messages: form parameter 'type': 'channel' is not one of ['direct', 'private', 'stream'] (zulip-openapi)

Form values arrive as strings; a parameter whose schema is not a plain string (or that declares
``contentType: application/json``) is JSON-decoded first, the way the Zulip client encodes it.

Example usage::

    spec = OpenAPISpec.load(DATA / "zulip-openapi.subset.json", prefix="/api/v1")
    spec.request_problems("POST", "/api/v1/messages", query={}, form={"type": "stream", ...})
    spec.response_problems("POST", "/api/v1/messages", 200, {"result": "success", "msg": "", "id": 1})
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

_URI = "urn:openapi-document"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    pointer: str  # JSON pointer of the operation in the document


class OpenAPISpec:
    def __init__(self, document: dict[str, Any], *, prefix: str = "", name: str = "openapi") -> None:
        self.document = document
        self.prefix = prefix.rstrip("/")
        self.name = name
        oas31 = str(document.get("openapi", "3.0")).startswith("3.1")
        self._validator_cls = OAS31Validator if oas31 else OAS30Validator
        spec = DRAFT202012 if oas31 else DRAFT4
        resource: Resource[Any] = spec.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self.operations: list[Operation] = []
        for template, item in document.get("paths", {}).items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                regex = "^" + re.sub(r"\\\{[^}]+\\\}", r"([^/]+)", re.escape(template)) + "$"
                pointer = "#/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method
                self.operations.append(Operation(method.upper(), template, re.compile(regex), op, pointer))
        # Literal paths first, so /users/me wins over /users/{user_id}.
        self.operations.sort(key=lambda o: o.template.count("{"))

    @classmethod
    def load(cls, path: Path, *, prefix: str = "") -> OpenAPISpec:
        return _load(str(path), prefix)

    # -- lookup -----------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> Operation | None:
        local = path.removeprefix(self.prefix)
        for op in self.operations:
            if op.method == method.upper() and op.pattern.match(local):
                return op
        return None

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            found: Any = self.document
            for part in ref[2:].split("/"):
                found = found[part.replace("~1", "/").replace("~0", "~")]
            node = found
        return node

    def _deref(self, node: Any, depth: int = 0) -> Any:
        """``node`` with its ``$ref``s replaced by what they point to (small parameter schemas only)."""
        if depth > 20:
            return {}
        if isinstance(node, dict):
            if "$ref" in node and str(node["$ref"]).startswith("#/"):
                return self._deref(self._resolve(node), depth + 1)
            return {k: self._deref(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._deref(v, depth + 1) for v in node]
        return node

    def _errors(self, schema: dict[str, Any], value: Any) -> list[str]:
        if "$ref" not in schema or not str(schema["$ref"]).startswith(_URI):
            schema = self._deref(schema)
        validator = self._validator_cls(schema, registry=self._registry)
        out = []
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            if error.validator == "oneOf" and not error.context:
                # Valid under several alternatives: the upstream documents overlapping error shapes
                # (e.g. Zulip's CodedError and NonExistingChannelNameError); the value itself is fine.
                continue
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(top)"
            out.append(f"{where}: {_short(error)}")
        return out

    def _ref_schema(self, pointer: str) -> dict[str, Any]:
        return {"$ref": f"{_URI}{pointer}"}

    # -- requests ---------------------------------------------------------------------------

    def request_problems(
        self, method: str, path: str, *, query: dict[str, str], form: dict[str, str] | None = None, body: Any = None,
        unknown: list[str] | None = None,
    ) -> list[str]:
        """Problems of one request; empty when it matches the document.

        With ``unknown`` (a list), undocumented parameter names are appended there instead of being
        problems: servers such as Zulip ignore them and say so in the response.
        """
        op = self.operation(method, path)
        label = f"{method.upper()} {path}"
        if op is None:
            return [f"{label}: no such operation in {self.name}; the fake serves only documented endpoints"]
        label = f"{op.method} {op.template}"
        problems: list[str] = []
        params = [self._resolve(p) for p in op.spec.get("parameters", [])]
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        for name, raw in query.items():
            param = declared.get(name)
            if param is None:
                if unknown is not None:
                    unknown.append(name)
                else:
                    problems.append(f"{label}: unknown query parameter {name!r}; documented: {sorted(declared) or 'none'}")
                continue
            problems += [f"{label}: query parameter {name!r}{e}" for e in self._value_errors(param, raw)]
        for name, param in declared.items():
            if param.get("required") and name not in query:
                problems.append(f"{label}: required query parameter {name!r} is missing")
        content = op.spec.get("requestBody", {}).get("content", {})
        if form is not None and form:
            media = content.get("application/x-www-form-urlencoded") or content.get("multipart/form-data")
            if media is None:
                return problems + [f"{label}: takes no form body, got {sorted(form)}"]
            schema = self._resolve(media.get("schema", {}))
            props = schema.get("properties", {})
            encoding = media.get("encoding", {})
            for name, raw in form.items():
                prop = props.get(name)
                if prop is None:
                    if unknown is not None:
                        unknown.append(name)
                    else:
                        problems.append(f"{label}: unknown form parameter {name!r}; documented: {sorted(props)}")
                    continue
                json_encoded = encoding.get(name, {}).get("contentType") == "application/json"
                pointer_schema = {"schema": prop, "_json": json_encoded}
                problems += [f"{label}: form parameter {name!r}{e}" for e in self._value_errors(pointer_schema, raw)]
            for name in schema.get("required", []):
                if name not in form:
                    problems.append(f"{label}: required form parameter {name!r} is missing")
        elif body is not None:
            media = content.get("application/json")
            if media is None:
                return problems + [f"{label}: takes no JSON body"]
            problems += [f"{label}: body {e}" for e in self._errors(media.get("schema", {}), body)]
        return problems

    def _value_errors(self, param: dict[str, Any], raw: str) -> list[str]:
        if "content" in param:
            schema = next(iter(param["content"].values())).get("schema", {})
            json_encoded = True
        else:
            schema = param.get("schema", {})
            json_encoded = bool(param.get("_json"))
        resolved = self._resolve(schema)
        candidates: list[Any] = []
        if json_encoded or resolved.get("type") not in (None, "string"):
            try:
                candidates.append(json.loads(raw))
            except ValueError:
                pass
        candidates.append(raw)
        first: list[str] = []
        for value in candidates:
            errors = self._errors(schema, value)
            if not errors:
                return []
            first = first or errors
        return [": " + first[0].split(": ", 1)[-1] + f" (got {raw[:60]!r})"]

    # -- responses --------------------------------------------------------------------------

    def response_problems(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems of one JSON response body; empty when it matches the schema for ``status``."""
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in {self.name}"]
        responses = op.spec.get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else "default"
        if key not in responses:
            return [f"{op.method} {op.template}: status {status} is not documented ({sorted(responses)})"]
        response = self._resolve(responses[key])
        media = response.get("content", {}).get("application/json")
        if media is None or "schema" not in media:
            return []
        pointer = self._response_pointer(op, key)
        return [f"{op.method} {op.template} {status}: response {e}" for e in self._errors(self._ref_schema(pointer), body)]

    def _response_pointer(self, op: Operation, key: str) -> str:
        ref = op.spec["responses"][key]
        if "$ref" in ref:
            return ref["$ref"] + "/content/application~1json/schema"
        return f"{op.pointer}/responses/{key}/content/application~1json/schema"


def _short(error: Any) -> str:
    message = str(error.message)
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        message = f"{best.message} (no alternative of {error.validator} matches)"
    return message if len(message) <= 300 else message[:297] + "..."


@cache
def _load(path: str, prefix: str) -> OpenAPISpec:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return OpenAPISpec(document, prefix=prefix, name=Path(path).name)
