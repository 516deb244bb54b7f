"""Comparing parser output with hand-written golden notes files (tests/golden/notes*)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from digests.notes import parse_notes


def parsed(directory: Path, name: str) -> list[dict]:
    """The contract form of ``directory/name.md``, as ``compass notes parse`` prints it."""
    text = (directory / f"{name}.md").read_text(encoding="utf-8")
    return [m.to_contract() for m in parse_notes(text, document=f"{name}.md")]


def field_cases(names: Sequence[str], fields: Sequence[str], gaps: Mapping[tuple[str, str], str]) -> list:
    """One pytest case per (document, field); a known gap is a strict xfail, so a gap that closes fails
    until it is taken off the list."""
    return [pytest.param(name, field, id=f"{name}-{field}",
                         marks=[pytest.mark.xfail(strict=True, reason=gaps[(name, field)])]
                         if (name, field) in gaps else [])
            for name in names for field in fields]


def check_field(directory: Path, golden: Path, name: str, field: str) -> None:
    """``field`` of every meeting of ``directory/name.md`` reads as ``golden/name.json`` says."""
    expected = json.loads((golden / f"{name}.json").read_text(encoding="utf-8"))
    actual = parsed(directory, name)
    assert len(actual) == len(expected), f"{name}: number of meetings"
    for got, want in zip(actual, expected):
        assert shape(got[field], want[field], field) == want[field], f"{name} {want['date']}: {field}"


def shape(got: object, want: object, field: str) -> object:
    """``got`` cut down to the keys the expected objects give (see the module docstring)."""
    if not (isinstance(got, list) and isinstance(want, list)):
        return got
    out = []
    for n, g in enumerate(got):
        w = want[n] if n < len(want) else None
        if isinstance(g, dict) and isinstance(w, dict):
            if field in ("celebrations", "updates") and "markdown" not in w and g.get("markdown") == g.get("text"):
                g = {k: v for k, v in g.items() if k != "markdown"}
            g = {k: v for k, v in g.items() if k in w or k == "markdown"}
        out.append(g)
    return out
