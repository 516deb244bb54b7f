"""Bounded input: size, nesting and node-count limits for what compass reads, checked before parsing.

A 100,000-deep JSON array or a 50,000-deep YAML list makes Python's parsers recurse past the
interpreter's limit (``RecursionError``), and YAML aliases can make a small file expand into millions of
values. Everything compass reads from outside goes through these checks first, and a refusal is one
line saying what was too big and what the limit is (the CLI exits 2 for files the user points at).

- ``check_size``: a byte count against a limit;
- ``check_json_nesting``: one linear pass over JSON text (strings skipped) that refuses nesting deeper
  than ``max_depth`` before ``json.loads`` sees it; ``load_json`` does both and decodes;
- ``check_tree``: an iterative walk over decoded data (YAML or JSON) that refuses more than ``max_depth``
  levels or ``max_nodes`` values (aliases counted each time they are used), stopping at the limit.

Example usage::

    data = load_json(body, what="GitHub releases page")       # InputLimitError: nested 100,000 levels deep ...
    check_tree(yaml.safe_load(text), what="compass.yaml", max_depth=MAX_CONFIG_DEPTH)
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_NODES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NOTES_BYTES",
    "MAX_SECRETS_BYTES",
    "InputLimitError",
    "check_json_nesting",
    "check_size",
    "check_tree",
    "load_json",
]

MAX_JSON_BYTES = 32 * 1024 * 1024  # one release payload page (GitHub's are well under 1 MB)
MAX_JSON_DEPTH = 64  # GitHub and PyPI payloads nest fewer than 10 levels
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 32  # the deepest configuration key is 6 levels down
MAX_CONFIG_NODES = 100_000
MAX_SECRETS_BYTES = 64 * 1024
MAX_NOTES_BYTES = 64 * 1024 * 1024  # one notes document (ten years of a yearly archive is a few MB)


class InputLimitError(ValueError):
    """Input over a size, nesting or count limit; the message says which and the limit."""


def check_size(size: int, *, what: str, limit: int) -> None:
    if size > limit:
        raise InputLimitError(f"{what} is {size:,} bytes; the limit is {limit:,} bytes")


def check_json_nesting(text: str | bytes, *, what: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` (arrays and objects), in one pass, before decoding."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # cannot be deeper than the number of openers
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise InputLimitError(f"{what} is nested more than {max_depth} levels deep; no real payload is")
        elif byte in (0x5D, 0x7D):
            depth -= 1


def load_json(text: str | bytes, *, what: str, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after the size and nesting checks; ``InputLimitError`` or ``ValueError`` (not JSON)."""
    check_size(len(text), what=what, limit=max_bytes)
    check_json_nesting(text, what=what, max_depth=max_depth)
    return json.loads(text)


def check_tree(data: Any, *, what: str, max_depth: int, max_nodes: int = MAX_CONFIG_NODES) -> None:
    """Refuse decoded data deeper than ``max_depth`` or with more than ``max_nodes`` values (iteratively)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputLimitError(
                f"{what} holds more than {max_nodes:,} values (YAML aliases count each time they are used)"
            )
        if isinstance(value, dict):
            children: Any = list(value.keys()) + list(value.values())
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth >= max_depth and children:
            raise InputLimitError(f"{what} is nested more than {max_depth} levels deep")
        stack.extend((child, depth + 1) for child in children)
