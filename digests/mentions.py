"""Mention safety, one function per target: whatever the text holds, what compass posts pings nobody.

Every digest render and every chat reply ends with one of these passes over the whole Markdown:

- ``for_zulip``: wildcard mentions (``@**all**``, ``@**everyone**``, ``@**channel**``, ``@**stream**``,
  ``@**topic**``, silent or not, any case, with or without ``|id``) and group mentions (``@*team*``,
  ``@_*team*``) become the plain name (``all``, ``team``); every other ``@`` directly before a ``*`` gets
  a ``_``, so a person mention ``@**Jane**`` becomes the silent ``@_**Jane**`` (it names, never notifies). No
  backslashes (Zulip's Markdown has no backslash escapes) and no invisible characters. A bare ``@all`` or
  ``@here`` is no Zulip mention but reads as one: it becomes the word (``all``); ``@manics`` stays as typed.
- ``for_discourse``: an ``@`` that Discourse could read as a mention (after the start of the text, a space
  or punctuation, and before a letter, digit or ``_``) is dropped: ``@here`` reads ``here``, ``it.@staff``
  reads ``it.staff``. Discourse has no silent mention, and the digest's API user may ping ``@here`` and
  groups, so every mention goes. ``\\@`` and character references (``&#64;``) count as ``@`` too; an
  ``@`` inside an http(s) URL becomes ``%40`` (the same address) instead of being dropped;
  ``jane@example.org`` keeps its ``@`` (a letter before it is no mention boundary).
  Zulip mention syntax there becomes the bare name.
- ``for_plain`` (the file outbox, a terminal): the Discourse pass, then the Zulip one, so a file copied to
  either platform is harmless.

The rules these passes defeat are documented in ``tests/mention_oracles.py`` (with their sources), which
the property tests use to check them.

Example usage::

    for_zulip("thanks @**all**, @*core* and @**Jane Doe|8**")   # 'thanks all, core and @_**Jane Doe|8**'
    for_discourse("announce it.@here, ask @docs-team")  # 'announce it.here, ask docs-team'
    defang("@*core* hi", "plain")                      # 'core hi'
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Literal

__all__ = ["WILDCARDS", "defang", "for_discourse", "for_plain", "for_zulip", "is_wildcard", "strip_zulip_mentions"]

Target = Literal["zulip", "discourse", "plain"]

# Zulip's stream and topic wildcards (zerver/lib/mention.py), and the names Discourse and Slack readers
# expect to ping a crowd ("here"); compared case-insensitively.
WILDCARDS = frozenset({"all", "everyone", "channel", "stream", "topic", "here"})


def is_wildcard(name: str) -> bool:
    """Whether ``name`` (a mention's text, ``|id`` allowed) names a crowd rather than a person."""
    return name.partition("|")[0].strip().casefold() in WILDCARDS


# --- Zulip ------------------------------------------------------------------------------------------

# @**Name**, @**Name|8**, @_**Name** (users and wildcards); @*group*, @_*group* (user groups).
_ZULIP_USER = re.compile(r"@(?P<silent>_?)\*\*(?P<name>[^*]+)\*\*")
_ZULIP_GROUP = re.compile(r"@_?\*(?P<name>[^*]+)\*")
# An HTML character reference as Python-Markdown (and so Zulip) reads one; ``&#64;`` is an ``@``.
_REFERENCE = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z0-9]+);")
_BARE_WILDCARD = re.compile(r"(?<![\w@])@+(?=(?:all|everyone|channel|stream|topic|here)\b)", re.IGNORECASE)
_ZULIP_AT = re.compile(r"@|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z0-9]+);")


def _decodes_to(piece: str, char: str) -> bool:
    return piece == char or (piece.startswith("&") and html.unescape(piece) == char)


_WITH_ID = re.compile(r"(?P<name>.*?)\|\d+\s*")


def _name(match: re.Match[str]) -> str:
    name = match.group("name")
    with_id = _WITH_ID.fullmatch(name)  # "Jane Doe|8": the name without the user id
    return " ".join((with_id.group("name") if with_id else name).split())


def strip_zulip_mentions(text: str) -> str:
    """Reduce Zulip mention syntax to the names it holds: ``@**all**`` -> ``all``, ``@*team*`` -> ``team``."""
    if "@" not in text:
        return text
    text = _ZULIP_USER.sub(_name, text)
    return _ZULIP_GROUP.sub(_name, text)


def for_zulip(text: str) -> str:
    """``text`` (Zulip Markdown) with no notifying mention: wildcards plain, everyone else silent."""
    if "@" not in text and "&" not in text:
        return text
    text = _ZULIP_USER.sub(lambda m: _name(m) if is_wildcard(m.group("name")) else m.group(0), text)
    text = _ZULIP_GROUP.sub(_name, text)
    # A bare "@all" or "@here" is no Zulip mention, but it reads as one (and is one elsewhere): the word alone.
    text = _BARE_WILDCARD.sub("", text)
    # Every "@" (or "&#64;") right before a "*" (or "&#42;") gets a "_": @**x** and @*x* turn silent.
    out: list[str] = []
    pos = 0
    for match in _ZULIP_AT.finditer(text):
        piece = match.group(0)
        if not _decodes_to(piece, "@"):
            continue
        end = match.end()
        following = _REFERENCE.match(text, end)
        nxt = following.group(0) if following else text[end : end + 1]
        if _decodes_to(nxt, "*"):
            out.append(text[pos:end] + "_")
            pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


# --- Discourse --------------------------------------------------------------------------------------

# One "@" as CommonMark text can hold it: literal, backslash-escaped, or a character reference.
_AT_SOURCE = re.compile(r"@|\\@|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_URL = re.compile(r"https?://[^\s<>\"'`]*", re.IGNORECASE)


def _is_at(piece: str) -> bool:
    return piece == "@" or piece == "\\@" or (piece.startswith("&") and html.unescape(piece) == "@")


def _word_like(char: str) -> bool:
    """A letter, digit or combining mark: a character Discourse does not take for a mention boundary."""
    return unicodedata.category(char)[0] in "LNM"


def _discourse_once(text: str) -> str:
    runs: list[tuple[int, int, int]] = []  # (start, end, how many @ in the run)
    for match in _AT_SOURCE.finditer(text):
        if not _is_at(match.group(0)):
            continue
        if runs and runs[-1][1] == match.start():
            start, _, count = runs[-1]
            runs[-1] = (start, match.end(), count + 1)
        else:
            runs.append((match.start(), match.end(), 1))
    if not runs:
        return text
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
    out: list[str] = []
    pos = 0
    for start, end, _count in runs:
        nxt = text[end : end + 1]
        if not nxt or nxt.isspace():
            continue  # "@ " or a final "@": no name follows
        keep_first = start > 0 and _word_like(text[start - 1])  # "jane@example.org"
        pieces = [m.group(0) for m in _AT_SOURCE.finditer(text, start, end)]
        in_url = any(s <= start < e for s, e in urls)
        if keep_first and len(pieces) == 1:
            continue
        replaced = [pieces[0]] if keep_first else []
        if in_url:  # an address stays the same address: "%40" is what "@" means there
            replaced.extend("%40" for _ in pieces[len(replaced) :])
        out.append(text[pos:start] + "".join(replaced))
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def for_discourse(text: str) -> str:
    """``text`` (Discourse Markdown) with every ``@`` that could start a Discourse mention taken out."""
    if "@" not in text and "&" not in text:
        return text
    text = strip_zulip_mentions(text)  # Zulip syntax means nothing there: the name alone
    for _ in range(len(text) + 1):  # removing an "@" can complete a reference such as "&#6@4;": go again
        changed = _discourse_once(text)
        if changed == text:
            return text
        text = changed
    return text


# --- plain ------------------------------------------------------------------------------------------


def for_plain(text: str) -> str:
    """``text`` (CommonMark, for a file or a terminal) harmless on both Zulip and Discourse."""
    return for_zulip(for_discourse(text))


def defang(text: str, target: Target) -> str:
    """The pass for ``target``: ``for_zulip``, ``for_discourse`` or ``for_plain``."""
    if target == "zulip":
        return for_zulip(text)
    if target == "discourse":
        return for_discourse(text)
    return for_plain(text)
