"""Secret redaction: the one place that decides what of a secret may be shown, in a log, an error, a reply.

- ``MASK`` stands for a hidden value (the same text ``SecretStr`` shows: ``**********``);
- ``is_secret_key(name)``: whether a configuration key holds a secret (``api_key``, ``token``, ``password``...);
- ``mask_password(text)``: ``postgresql://bot:hunter2@db/x`` -> ``postgresql://bot:**********@db/x``,
  anywhere in a text (a database URL in an error, a configuration problem);
- ``drop_credentials(url)``: ``https://bot:token@host/x`` -> ``https://host/x`` (a source's label, a cache key);
- ``redact(text, secrets)``: known secret values masked, and quoted values on lines about secrets;
- ``config_secrets(config)``: the secret values a configuration holds, for ``redact``.

Example usage::

    log.error("cannot reach %s", mask_password(url))
    reply = redact(str(error), config_secrets(config))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "config_secrets", "drop_credentials", "is_secret_key", "mask_password", "redact"]

MASK = "**********"

_SECRET_KEY = re.compile(r"(api_?key|token|secret|password)$", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
_SECRET_WORDS = re.compile(r"api[_-]?key|token|secret|password|passwd|zuliprc|credential", re.IGNORECASE)
_AFTER_KEY = re.compile(
    r"((?:api[_-]?key|token|secret|password|passwd|credential)[\w.\[\]]*['\"]?\s*(?::|=)\s*)(?!\*{10})(.+?)(?=: |$)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def is_secret_key(name: str) -> bool:
    """Whether a configuration key (``zulip.api_key``'s last part, say) names a secret."""
    return bool(_SECRET_KEY.search(name))


def mask_password(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URL in it masked."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)


def drop_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part, before it is shown, logged or used as a key."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every known secret value masked, and quoted values on lines about secrets masked.

    A validation error quotes the bad value and the key path; on a line naming an API key, token or
    password, that value (or the YAML line quoted by a parse error) may be the secret itself.
    """
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    lines = []
    for line in text.splitlines():
        if _SECRET_WORDS.search(line):
            line = _QUOTED.sub(f"'{MASK}'", line)
            # "zulip.api_key: 12345678: Input should be..." or a quoted YAML line "api_key: abc": the value
            # after a secret's key, up to the next ": ", is masked.
            line = _AFTER_KEY.sub(lambda m: m.group(1) + MASK, line)
        lines.append(line)
    return mask_password("\n".join(lines))


def config_secrets(config: object) -> tuple[str, ...]:
    """Every secret value a configuration (``chatops.config.Config``, or any pydantic model) holds: each
    ``SecretStr`` in it (API keys, tokens), wherever it sits."""
    if config is None:
        return ()
    return tuple(dict.fromkeys(_secrets_in(config)))


def _secrets_in(value: object) -> Iterator[str]:
    from pydantic import BaseModel, SecretStr

    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets_in(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secrets_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secrets_in(item)
