"""Test oracles: re-implementations of Zulip's and Discourse's mention rules, independent of ``digests.mentions``.

Each oracle returns the live (notifying) mentions in a piece of Markdown as the target would find them.
Both err on the side of finding too many (each place where they are stricter than the platform is named),
so "the oracle finds none" implies "the platform notifies nobody". The property tests in
``tests/test_mentions.py`` assert that nothing compass posts yields one.
"""

from __future__ import annotations

import html
import re
import unicodedata

from markdown_it import MarkdownIt

__all__ = ["discourse_live_mentions", "zulip_live_mentions"]

# Python-Markdown's ENTITY_RE (markdown/inlinepatterns.py), which Zulip's renderer keeps.
_PYMD_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z0-9]+);")
_ZULIP_USER = re.compile(r"@(?P<silent>_?)\*\*(?P<name>[^*]+)\*\*")
_ZULIP_GROUP = re.compile(r"@(?P<silent>_?)\*(?P<name>[^*]+)\*")


def zulip_live_mentions(markdown: str) -> list[str]:
    """Every notifying mention Zulip would find in ``markdown`` (a message's raw content).

    The rules, and where they come from:

    - A user mention is ``@**Full Name**`` or ``@**Full Name|user_id**``; a silent one ``@_**Full Name**``
      notifies nobody. A user-group mention is ``@*group name*``, silent ``@_*group name*``. Sources: Zulip's
      help centre, "Mention a user or group" (/help/mention-a-user-or-group: "@**", "silent mentions" that
      "do not trigger notifications"), and its Markdown processor, zerver/lib/markdown/__init__.py
      (``USER_MENTIONS_RE = ...@(?P<silent>_?)(\\*\\*(?P<match>[^\\*]+)\\*\\*)``, ``USER_GROUP_MENTIONS_RE =
      ...@(?P<silent>_?)(\\*(?P<match>[^\\*]+)\\*)``), where the name may hold any character but ``*``,
      line breaks included.
    - Wildcards are user-mention syntax with the names ``all``, ``everyone``, ``stream``, ``channel``
      (channel wildcards) and ``topic`` (topic wildcard): zerver/lib/mention.py (``stream_wildcards``,
      ``topic_wildcards``) and the OpenAPI description in /work/shared/api/zulip-openapi.yaml (message
      flags ``stream_wildcard_mentioned`` "(like @**all**)", ``topic_wildcard_mentioned``, and the
      ``STREAM_WILDCARD_MENTION_NOT_ALLOWED`` error of POST /messages). Every non-silent ``@**...**`` is
      reported, wildcard or person, since either notifies; a silent one (``@_**all**``, ``@_**Jane**``)
      notifies nobody.
    - Zulip's Markdown has no backslash escapes, so ``\\@**all**`` is still a mention (help centre,
      "Format your message using Markdown"; Zulip removes Python-Markdown's escape pattern).

    Stricter than Zulip: the character before the ``@`` is not checked (Zulip wants the start, a space, a
    quote, ``(``, ``{``, ``[``, ``/`` or ``<``: ``BEFORE_MENTION_ALLOWED_REGEX``); mentions inside code
    spans and code blocks count; the content is read both as written and with its character references
    (``&#64;``) decoded.
    """
    found: list[str] = []
    decoded = _PYMD_ENTITY.sub(lambda m: html.unescape(m.group(0)), markdown)
    for text in (markdown, decoded) if decoded != markdown else (markdown,):
        for at in (m.start() for m in re.finditer("@", text)):
            user = _ZULIP_USER.match(text, at)
            if user is not None:
                if not user.group("silent"):
                    found.append(user.group(0))
                continue
            group = _ZULIP_GROUP.match(text, at)
            if group is not None and not group.group("silent"):
                found.append(group.group(0))
    return found


# Discourse renders posts with markdown-it (CommonMark) plus its own rules; strikethrough and tables are on.
_MD = MarkdownIt("commonmark").enable(["strikethrough", "table"])


def _boundary(char: str | None) -> bool:
    # Discourse: whitespace or punctuation (markdown-it's isWhiteSpace/isPunctChar) or the start of the text.
    # Stricter: anything that is not a letter, digit or mark counts (symbols and emoji too).
    return char is None or unicodedata.category(char)[0] not in "LNM"


def _name_start(char: str) -> bool:
    # Discourse usernames and group names start with a word character (\\w; with unicode_usernames, a
    # letter, mark or number); "_" included.
    return char == "_" or unicodedata.category(char)[0] in "LNM" or unicodedata.category(char) == "Pc"


def _scan(text: str, found: list[str]) -> None:
    for match in re.finditer("@", text):
        at = match.start()
        before = text[at - 1] if at else None
        after = text[at + 1 : at + 2]
        if after and _name_start(after) and _boundary(before):
            found.append(text[at : at + 20].split()[0] if text[at:].split() else "@")


def _walk(tokens: list, found: list[str]) -> None:  # type: ignore[type-arg]
    for token in tokens:
        if token.type in ("code_inline", "code_block", "fence", "html_inline"):
            continue
        if token.type == "text" or token.type == "html_block":
            _scan(token.content, found)
        if token.children:
            _walk(token.children, found)


def discourse_live_mentions(markdown: str) -> list[str]:
    """Every ``@name`` Discourse would cook into a mention (user, group, ``@here``) in ``markdown``.

    The rules, and where they come from:

    - Discourse finds mentions after Markdown parsing, in the text of the parsed post: its mentions feature
      (app/assets/javascripts/discourse-markdown-it/src/features/mentions.js) registers a
      ``textPostProcess`` rule whose matcher is ``@`` followed by a username (``\\w[\\w.-]*``; with the
      ``unicode_usernames`` setting, letters, marks and numbers too). Code spans and code blocks are not
      text, and a link's address is an attribute, not text.
    - The rule fires only at a boundary: text-post-process.js's ``allowedBoundary`` accepts the start of the
      text, whitespace or any punctuation before the ``@`` (markdown-it's ``isWhiteSpace``/``isPunctChar``),
      which is why ``it.@here`` and ``the_@team`` are mentions and ``jane@example.org`` is not.
    - The text is the decoded text: markdown-it turns ``\\@`` and character references (``&#64;``) into the
      characters they stand for and joins them with the text around them (the ``text_join`` core rule), so
      ``\\@here`` and ``&#64;here`` are mentions.
    - The name decides what it notifies: a user, a mentionable group (``@staff``, ``@docs-team``) or
      ``@here`` (the site setting ``here_mention``; allowed to staff and to the admin API user that posts
      digests). Every one of them notifies, so every match is reported; Discourse has no silent mention.

    Stricter than Discourse: any character that is not a letter, digit or mark counts as a boundary; text
    inside link labels, image descriptions and raw HTML blocks is read like any text; linkify is off, so
    bare URLs are read as text (``https://host/@name`` counts).
    """
    found: list[str] = []
    if "@" not in markdown and "&" not in markdown:
        return found  # no "@", written or escaped or as a character reference: nothing to parse for
    _walk(_MD.parse(markdown), found)
    return found
