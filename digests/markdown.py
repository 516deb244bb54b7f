"""Safe Markdown for chat and forums, per target: escape user text, build links and silent mentions.

Text taken from notes or chat goes into a digest through ``escape_inline(text, target=...)``: the result is
one line of Markdown that renders as the same words on its target and cannot

- notify anyone: Zulip mention syntax (``@**all**``, ``@**Name**``, ``@*group*``, ``@_**Name**``) is
  reduced to its text, and the target's pass from ``digests.mentions`` (``for_zulip``, ``for_discourse``,
  ``for_plain``) takes out what is left (on Discourse, the ``@`` of ``@here`` or ``@team``);
- break the surrounding Markdown on Discourse and in plain Markdown (CommonMark): emphasis, code, link and
  table characters are backslash-escaped and a leading ``#``, ``>``, ``-``, ``+`` or ``1.`` cannot start a
  block. Zulip's Markdown has no backslash escapes (a backslash shows as typed), so Zulip text is left as
  written apart from HTML; line breaks become spaces everywhere. No HTML reaches a post and no entity is
  written: entities are decoded, tags dropped and a ``<`` that could open one becomes a look-alike.

URLs in the text stay clickable: ``http(s)`` URLs become ``[label](url)`` links. ``safe_markdown``
does the same for short Markdown that carries links of its own (release highlights), keeping its
``[text](url)`` links and inline code.

Example usage::

    escape_inline("thanks @**all** <b>x</b>")                  # 'thanks all x'
    escape_inline("apt_install 2018-01-04_report.md", target="zulip")   # as written: no backslashes
    escape_inline("ping @here", target="discourse")            # 'ping here'
    silent_mention("Jane Doe", user_id=8)                      # '@_**Jane Doe|8**'
"""

from __future__ import annotations

import html
import re
from typing import Literal
from urllib.parse import quote

from digests.mentions import WILDCARDS, defang, strip_zulip_mentions

__all__ = [
    "Target",
    "code_span",
    "escape_inline",
    "link",
    "safe_markdown",
    "safe_url",
    "silent_mention",
]

Target = Literal["zulip", "discourse", "plain"]

_URL = re.compile(r"https?://[^\s<>\"'`\]\[)(]+(?:\([^\s<>\"'`()]*\)[^\s<>\"'`\]\[)(]*)*", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_MD_LINK = re.compile(r"\[(?P<label>[^\]\n]{1,300})\]\((?P<url>https?://[^\s()<>]+(?:\([^\s()<>]*\))?[^\s()<>]*)\)")
_CODE = re.compile(r"(?<!`)`(?P<code>[^`\n]{1,200})`(?!`)")
# Inline Markdown characters that change meaning in Discourse (CommonMark), escaped with a backslash there.
_SPECIAL = re.compile(r"([\\`*_\[\]])")
# Strikethrough (~~x~~) and Zulip's math ($$x$$): the second of a doubled character is escaped.
_DOUBLED = re.compile(r"(~|\$)(?=\1)")
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|={3,}|-{3,})")


# An emoji shortcode (":tada:", ":speaking_head_in_silhouette:"): underscores only between letters or digits,
# where they can never start or end emphasis.
_SHORTCODE = re.compile(r"(:[a-z0-9+-]{1,40}(?:_[a-z0-9+-]{1,40}){0,6}:)")
_PLAIN_URL = re.compile(r"^[A-Za-z0-9/:?#@!$&'*+,;=%~._-]+$")
_HTTP = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_ENTITY = re.compile(r"&#?\w+;")
_SCHEME = re.compile(r"^https?://(www\.)?", re.IGNORECASE)
# Any character that escaping could change (a URL is caught by ':'): text without them is returned as is.
_PLAIN_UNSAFE = re.compile(r"[\\`*_\[\]<>&@~$:]")


def safe_url(url: str) -> str | None:
    """``url`` made safe for a Markdown link target, or None when it is not an http(s) URL."""
    url = url.strip()
    if not _HTTP.match(url):
        return None
    if _PLAIN_URL.match(url):
        return url  # nothing to encode (the common case): skip quote()
    # Characters that would end or confuse the link target are percent-encoded.
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


_TAG = re.compile(r"</?(?:a|abbr|b|big|blockquote|br|center|code|del|details|div|em|font|h[1-6]|hr|i|iframe|img|ins|"
                  r"kbd|li|mark|ol|p|pre|s|script|small|span|strike|strong|style|sub|summary|sup|table|tbody|td|th|"
                  r"thead|tr|u|ul)\b(?:\s[^<>\n]{0,200})?/?>", re.IGNORECASE)
_ANGLED = re.compile(r"<(?=[A-Za-z/!?])")


def _escape_plain(text: str, target: Target) -> str:
    # No HTML reaches a post and no entity shows as "&lt;": entities are decoded, tags dropped, arrows
    # written as arrows, and a '<' that could still open a tag becomes a look-alike angle bracket.
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub("", text).replace("<-", "\u2190")
        text = _ANGLED.sub("\u2039", text)
    text = text.replace("->", "\u2192")
    if target == "zulip":
        return text  # Zulip shows a backslash as typed: no escapes there (mentions are the mention pass's job)
    # Emoji shortcodes such as :speaking_head: keep their underscores; everything else is escaped.
    pieces = _SHORTCODE.split(text)
    text = "".join(p if i % 2 else _SPECIAL.sub(r"\\\1", p) for i, p in enumerate(pieces))
    return _DOUBLED.sub(lambda m: m.group(1) + "\\", text)


_GITHUB_ITEM = re.compile(r"^https?://github\.com/[\w.-]+/(?P<repo>[\w.-]+)/(?:issues|pull|discussions)/(?P<n>\d+)/?$",
                          re.IGNORECASE)


def _shorten(url: str, limit: int = 60) -> str:
    """A readable label for a bare URL: ``repo#12`` for a GitHub issue or PR, else the URL without its scheme."""
    item = _GITHUB_ITEM.match(url)
    if item:
        return f"{item.group('repo')}#{item.group('n')}"
    label = _SCHEME.sub("", url).rstrip("/")
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def link(label: str, url: str | None, *, target: Target = "plain") -> str:
    """``[label](url)`` with the label escaped; just the escaped label when ``url`` is not http(s)."""
    address = safe_url(url) if url else None
    text = escape_inline(label, links=False, target=target) or (address or "")
    if address is None:
        return text
    return defang(f"[{text}]({address})", target)


def _split_urls(text: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        end = match.end()
        while url and url[-1] in _TRAILING:
            url = url[:-1]
            end -= 1
        if not url:
            continue
        parts.append((text[pos : match.start()], False))
        parts.append((url, True))
        pos = end
    parts.append((text[pos:], False))
    return parts


def _escape_segment(text: str, *, at_start: bool, target: Target, links: bool = True) -> str:
    out: list[str] = []
    for index, (part, is_url) in enumerate(_split_urls(text) if links else [(text, False)]):
        if is_url:
            address = safe_url(part)
            label = _escape_plain(_shorten(part), target)
            out.append(f"[{label}]({address})" if address else label)
        else:
            escaped = _escape_plain(part, target)
            if index == 0 and at_start:
                escaped = _escape_block_start(escaped, target)
            out.append(escaped)
    return "".join(out)


def _escape_block_start(text: str, target: Target) -> str:
    match = _BLOCK_START.match(text)
    if not match or target == "zulip":  # inside Zulip list items and sentences a leading marker stays text
        return text
    lead, marker = match.group(1), match.group(2)
    if marker[0].isdigit():  # "1." starts an ordered list: escape the dot, a backslash before a digit is literal
        return lead + marker + "\\" + text[match.end() :]
    return lead + "\\" + text[len(lead) :]


def _normalize(text: str, limit: int | None) -> str:
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        cut = text[:limit]
        if " " in cut[limit // 2 :]:
            cut = cut[: cut.rfind(" ")]
        text = cut.rstrip(" ,;:") + "\u2026"
    return strip_zulip_mentions(text)


def escape_inline(text: str, *, links: bool = True, limit: int | None = None, target: Target = "plain") -> str:
    """One line of Markdown for ``target`` that shows ``text`` literally and can ping no one (see above).

    With ``links`` (the default) http(s) URLs become ``[short label](url)`` links. ``limit`` cuts
    the text (before escaping) at a word boundary and adds an ellipsis.
    """
    text = _normalize(text, limit)
    if not _PLAIN_UNSAFE.search(text) and not _BLOCK_START.match(text):
        return text  # nothing to escape: plain words and harmless punctuation (the common case)
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(text):
        # Inline code shows its text literally: kept as it is (the mention pass still reads it).
        out.append(_escape_segment(text[pos : match.start()], at_start=pos == 0, links=links, target=target))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_segment(text[pos:], at_start=pos == 0, links=links, target=target))
    return defang("".join(out), target)


def safe_markdown(text: str, *, limit: int | None = None, target: Target = "plain") -> str:
    """Short Markdown (a release highlight) with its links and inline code kept, everything else escaped."""
    if limit is not None and len(" ".join(str(text).split())) > limit:
        return escape_inline(text, limit=limit, target=target)
    text = _normalize(text, None)
    out: list[str] = []
    pos = 0
    tokens = sorted(
        [(m.start(), m.end(), "link", m) for m in _MD_LINK.finditer(text)]
        + [(m.start(), m.end(), "code", m) for m in _CODE.finditer(text)],
        key=lambda t: (t[0], -t[1]),
    )
    for start, end, kind, match in tokens:
        if start < pos:
            continue  # overlapping (code inside a link label): the outer token wins
        out.append(_escape_segment(text[pos:start], at_start=pos == 0, target=target))
        if kind == "link":
            out.append(link(match.group("label"), match.group("url"), target=target))
        else:
            out.append("`" + match.group("code") + "`")
        pos = end
    out.append(_escape_segment(text[pos:], at_start=pos == 0, target=target))
    return defang("".join(out), target)


def code_span(text: str, *, limit: int | None = None) -> str:
    """``text`` as inline code, shown exactly on every target (no escapes inside code): `` `text` ``.

    Backticks become ``'`` and line breaks spaces, so the text cannot end the span early.
    """
    shown = _normalize(text, limit).replace("`", "'")
    return f"`{shown}`" if shown else "` `"


def silent_mention(name: str, user_id: int | None = None) -> str:
    """A Zulip silent mention, ``@_**Name**`` (``@_**Name|8**`` with the user id): it names, never notifies.

    Names that could not be a person (wildcards, or text with ``*``) come back as escaped text for Zulip.
    """
    clean = " ".join(name.split())
    if not clean or any(c in clean for c in "*|@`\\[]<>&") or clean.casefold() in WILDCARDS:
        return escape_inline(clean, target="zulip")
    suffix = f"|{user_id}" if user_id is not None else ""
    return f"@_**{clean}{suffix}**"
