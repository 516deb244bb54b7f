"""The one function every chat reply passes through: it makes mentions harmless.

Escaping of *user text* inside a reply reuses ``digests.markdown.escape_inline``. This module adds the
last pass over the whole reply, keeping its formatting (bold, code, links, line breaks) while making
sure nobody is notified, whatever the user's text held:

- wildcard mentions (``@**all**``, ``@**everyone**``, ``@**channel**``, ``@**stream**``, ``@**topic**``,
  silent or not, any case) become plain text with a zero-width space after the ``@``;
- user-group mentions (``@*team*``, ``@_*team*``) become plain text the same way;
- person mentions (``@**Jane**``, ``@**Jane|8**``) become silent mentions (``@_**Jane|8**``), which name
  without notifying;
- a bare ``@all``/``@everyone``/``@here`` (a mention on Discourse and elsewhere) gets the zero-width space.

Example usage::

    safe_reply("thanks @**all** and @*docs*")   # 'thanks @\u200ball and @\u200bdocs'
"""

from __future__ import annotations

import re

from digests.markdown import ZWSP

__all__ = ["WILDCARDS", "safe_reply"]

WILDCARDS = frozenset({"all", "everyone", "channel", "stream", "topic", "here"})

# Zulip's own patterns: a user mention is @**...** (optionally silent, @_**...**) whose name has no '*';
# a group mention is @*...* (optionally silent).
_USER = re.compile(r"@(_?)\*\*(?P<name>[^*]+)\*\*")
_GROUP = re.compile(r"@_?\*(?P<name>[^*]+)\*(?!\*)")
_BARE = re.compile(r"(?<![\w.])@(?=(?:all|everyone|here|channel|stream|topic)\b)", re.IGNORECASE)


def _user(match: re.Match[str]) -> str:
    name = match.group("name")
    plain = name.split("|", 1)[0].strip()
    if plain.casefold() in WILDCARDS or not plain:
        return "@" + ZWSP + plain
    return f"@_**{name}**"


def safe_reply(text: str) -> str:
    """``text`` with every wildcard and group mention disarmed and person mentions made silent."""
    text = _USER.sub(_user, text)
    # Group syntax that is left (user mentions are now @_**...**, which _GROUP cannot match as a whole).
    text = _GROUP.sub(lambda m: "@" + ZWSP + m.group("name").strip(), text)
    return _BARE.sub("@" + ZWSP, text)
