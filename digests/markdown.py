"""Safe Markdown for chat and forums: escape user text, build links and silent mentions.

Text taken from notes or chat goes into a digest through ``escape_inline``: the result is one line of
Markdown that renders as the same words in Zulip and Discourse and cannot

- notify anyone: Zulip mentions (``@**all**``, ``@**everyone**``, ``@**channel**``, ``@**topic**``,
  ``@**Name**``, ``@*group*``, ``@_**Name**``) are reduced to their text, and a remaining ``@`` in front of a
  word gets a zero-width space after it, so ``@all`` or ``@team`` is no Discourse mention either;
- inject HTML (``<`` and ``>`` become entities; no raw HTML reaches either platform);
- break the surrounding Markdown: emphasis, code, link and table characters are backslash-escaped,
  a leading ``#``, ``>``, ``-``, ``+`` or ``1.`` cannot start a block, and line breaks become spaces.

URLs in the text stay clickable: ``http(s)`` URLs become ``[label](url)`` links. ``safe_markdown``
does the same for short Markdown that carries links of its own (release highlights), keeping its
``[text](url)`` links and inline code.

Example usage::

    escape_inline("thanks @**all** <b>x</b>")      # 'thanks all &lt;b&gt;x&lt;/b&gt;'
    silent_mention("Jane Doe", user_id=8)            # '@_**Jane Doe|8**'
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

__all__ = [
    "ZWSP",
    "escape_inline",
    "link",
    "safe_markdown",
    "safe_url",
    "silent_mention",
    "strip_mentions",
]

ZWSP = "\u200b"

# Zulip mention syntax: @**Name**, @**Name|12**, @_**Name**, @*group*, @_*group*.
_ZULIP_USER = re.compile(r"@_?\*\*(?P<name>[^*\n]*?)(?:\|\d+)?\*\*")
_ZULIP_GROUP = re.compile(r"@_?\*(?P<name>[^*\n]+?)\*")
_AT = re.compile(r"(?<![\w.])@(?=[\w*_\[])")
_URL = re.compile(r"https?://[^\s<>\"'`\]\[)(]+(?:\([^\s<>\"'`()]*\)[^\s<>\"'`\]\[)(]*)*", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_MD_LINK = re.compile(r"\[(?P<label>[^\]\n]{1,300})\]\((?P<url>https?://[^\s()<>]+(?:\([^\s()<>]*\))?[^\s()<>]*)\)")
_CODE = re.compile(r"(?<!`)`(?P<code>[^`\n]{1,200})`(?!`)")
# Inline Markdown characters that change meaning in Zulip or Discourse and that both let a backslash
# escape (Python-Markdown, which Zulip builds on, escapes fewer characters than CommonMark).
_SPECIAL = re.compile(r"([\\`*_\[\]])")
# Zulip's strikethrough (~~x~~) and math ($$x$$) cannot be backslash-escaped there: a zero-width
# space between the doubled characters keeps them literal in both.
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


def strip_mentions(text: str) -> str:
    """Reduce Zulip mention syntax to plain text: ``@**all**`` -> ``all``, ``@*team*`` -> ``team``."""
    text = _ZULIP_USER.sub(lambda m: m.group("name"), text)
    return _ZULIP_GROUP.sub(lambda m: m.group("name"), text)


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


def _escape_plain(text: str) -> str:
    # No HTML reaches a post and no entity shows as "&lt;": entities are decoded, tags dropped, arrows
    # written as arrows, and a '<' that could still open a tag becomes a look-alike angle bracket.
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub("", text).replace("<-", "\u2190")
        text = _ANGLED.sub("\u2039", text)
    text = text.replace("->", "\u2192")
    # Emoji shortcodes such as :speaking_head: keep their underscores; everything else is escaped.
    pieces = _SHORTCODE.split(text)
    text = "".join(p if i % 2 else _SPECIAL.sub(r"\\\1", p) for i, p in enumerate(pieces))
    text = _DOUBLED.sub(lambda m: m.group(1) + ZWSP, text)
    return text


def _defuse_at(text: str) -> str:
    return _AT.sub("@" + ZWSP, text)


_GITHUB_ITEM = re.compile(r"^https?://github\.com/[\w.-]+/(?P<repo>[\w.-]+)/(?:issues|pull|discussions)/(?P<n>\d+)/?$",
                          re.IGNORECASE)


def _shorten(url: str, limit: int = 60) -> str:
    """A readable label for a bare URL: ``repo#12`` for a GitHub issue or PR, else the URL without its scheme."""
    item = _GITHUB_ITEM.match(url)
    if item:
        return f"{item.group('repo')}#{item.group('n')}"
    label = _SCHEME.sub("", url).rstrip("/")
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def link(label: str, url: str | None) -> str:
    """``[label](url)`` with the label escaped; just the escaped label when ``url`` is not http(s)."""
    target = safe_url(url) if url else None
    text = escape_inline(label, links=False) or (target or "")
    if target is None:
        return text
    return f"[{text}]({target})"


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


def _escape_segment(text: str, *, at_start: bool, links: bool = True) -> str:
    out: list[str] = []
    for index, (part, is_url) in enumerate(_split_urls(text) if links else [(text, False)]):
        if is_url:
            target = safe_url(part)
            label = _defuse_at(_escape_plain(_shorten(part)))
            out.append(f"[{label}]({target})" if target else label)
        else:
            escaped = _defuse_at(_escape_plain(part))
            if index == 0 and at_start:
                escaped = _escape_block_start(escaped)
            out.append(escaped)
    return "".join(out)


def _escape_block_start(text: str) -> str:
    match = _BLOCK_START.match(text)
    if not match:
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
    return strip_mentions(text)


def escape_inline(text: str, *, links: bool = True, limit: int | None = None) -> str:
    """One line of Markdown that shows ``text`` literally and can ping no one (see the module docstring).

    With ``links`` (the default) http(s) URLs become ``[short label](url)`` links. ``limit`` cuts
    the text (before escaping) at a word boundary and adds an ellipsis.
    """
    text = _normalize(text, limit)
    if not _PLAIN_UNSAFE.search(text) and not _BLOCK_START.match(text):
        return text  # nothing to escape: plain words and harmless punctuation (the common case)
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(text):
        # Inline code shows its text literally and mentions inside it never notify: kept as it is.
        out.append(_escape_segment(text[pos : match.start()], at_start=pos == 0, links=links))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_segment(text[pos:], at_start=pos == 0, links=links))
    return "".join(out)


def safe_markdown(text: str, *, limit: int | None = None) -> str:
    """Short Markdown (a release highlight) with its links and inline code kept, everything else escaped."""
    if limit is not None and len(" ".join(str(text).split())) > limit:
        return escape_inline(text, limit=limit)
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
        out.append(_escape_segment(text[pos:start], at_start=pos == 0))
        if kind == "link":
            out.append(link(match.group("label"), match.group("url")))
        else:
            out.append("`" + match.group("code") + "`")
        pos = end
    out.append(_escape_segment(text[pos:], at_start=pos == 0))
    return "".join(out)


def silent_mention(name: str, user_id: int | None = None) -> str:
    """A Zulip silent mention, ``@_**Name**`` (``@_**Name|8**`` with the user id): it names, never notifies.

    Names that could not be a person (wildcards, or text with ``*``) come back as escaped text.
    """
    clean = " ".join(name.split())
    if (
        not clean
        or any(c in clean for c in "*|@`\\[]<>")
        or clean.lower() in {"all", "everyone", "channel", "stream", "topic", "here"}
    ):
        return escape_inline(clean)
    suffix = f"|{user_id}" if user_id is not None else ""
    return f"@_**{clean}{suffix}**"
