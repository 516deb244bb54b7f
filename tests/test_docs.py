"""Docs stay true: every configuration key appears in docs/configuration.md."""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel

from chatops.config import Config

DOC = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")


def _models(annotation: object) -> list[type[BaseModel]]:
    found = []
    for arg in typing.get_args(annotation) or [annotation]:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            found.append(arg)
        elif typing.get_args(arg) or isinstance(arg, types.UnionType):
            found += _models(arg)
    return found


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    keys: set[str] = set()
    if model in seen or model.__name__ == "Schedule":
        return keys
    seen.add(model)
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        keys.add(name)
        for sub in _models(field.annotation):
            keys |= _keys(sub, seen)
    return keys


def test_every_config_key_is_documented() -> None:
    missing = sorted(k for k in _keys(Config, set()) if f"`{k}" not in DOC and f".{k}`" not in DOC and f"{k}:" not in DOC)
    assert missing == [], f"document these keys in docs/configuration.md: {missing}"
