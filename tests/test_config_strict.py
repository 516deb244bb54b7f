"""Every configuration model refuses unknown keys: a typo is an error, never a silent default."""

from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import BaseModel

import chatops.config as config_module
from chatops.config import Config, ConfigError, parse_config


def _models_under(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            kind = stack.pop()
            if inspect.isclass(kind) and issubclass(kind, BaseModel):
                _models_under(kind, seen)
            stack.extend(typing.get_args(kind))


def all_config_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    _models_under(Config, seen)
    # Models of other configuration files defined in the module (people.yaml), reachable or not from Config.
    for value in vars(config_module).values():
        if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == config_module.__name__:
            _models_under(value, seen)
    return seen


def test_the_walk_finds_the_nested_models():
    names = {m.__name__ for m in all_config_models()}
    assert {"Config", "Zulip", "ZulipTarget", "DiscourseTarget", "Target", "DigestConfig", "ShoutoutPolicy"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize("model", sorted(all_config_models(), key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_every_model_forbids_unknown_keys(model):
    assert model.model_config.get("extra") == "forbid", f"{model.__name__} accepts unknown keys"
    required = {name: None for name, field in model.model_fields.items() if field.is_required()}
    with pytest.raises(Exception) as caught:
        model.model_validate({**required, "surely_a_typo": 1})
    assert "surely_a_typo" in str(caught.value)


def test_a_typo_in_a_zulip_target_is_an_error_naming_it():
    data = {
        "zulip": {"site": "https://z.example.org", "email": "bot@z.example.org"},
        "digests": [{"name": "weekly", "kind": "community", "schedule": "weekly monday 09:00",
                     "targets": [{"zulip": {"stream": "general", "topc": "News"}}]}],
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert "digests[0].targets[0].zulip: unknown key 'topc'; check its spelling" in str(caught.value)
