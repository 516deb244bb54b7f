"""Turn a Markdown document into a small block tree, in one pass over pulldown-cmark's events.

``pyromark`` (pulldown-cmark) gives a flat stream of start/end events with byte ranges. The notes
parser needs a little more structure than that (which bullet is nested under which, where a
paragraph's text starts, the links of an item) and a lot less than a full syntax tree, so this
module folds the stream into:

    Heading(level, inline)       Para(inline)           ListBlock(items)
    Item(inline, blocks, task)   Table(rows of Inline)  Quote(blocks)      Raw(text: code/HTML)

``Inline`` is the rendered text of a paragraph-like span: Markdown links reduced to their text,
emphasis dropped, inline code kept in backticks, line breaks kept as ``\\n``, plus the http(s)
URLs it holds (link targets and bare URLs, in order) and a few facts about how it begins (a
``**strong**`` lead, a code-span lead, whether all of it is emphasised), which is what people
notation such as ``**Min:**`` needs.

HackMD containers (``:::spoiler ...`` to ``:::``) are not Markdown; their fence lines are replaced by an
HTML comment line before parsing (so they end any open list; line numbers still hold) and the blocks inside are flagged
``aside``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import pyromark

# Patterns compiled once (the compiled parser would otherwise look them up in re's cache on every call).
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)

_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_YAML_STYLE_METADATA_BLOCKS
    | pyromark.Options.ENABLE_FOOTNOTES
)
_MARKDOWN = pyromark.Markdown(options=_OPTIONS)

# A bare URL ends at whitespace or at characters that cannot be part of one in running text.
URL_RE = re.compile(r"https?://[^\s<>\"`|\\{}^]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_'"
_CONTAINER_RE = re.compile(rb"(?m)^[ \t]{0,3}:::(.*)$")
# MeetBot (Fedora, OpenStack, Debian, Ubuntu minutes) ends every summary line with who logged it and when:
# "* AGREED: APPROVED (+6, 0, -0)  (zbyszek, 17:21:02)". That is the bot's metadata, not the notes' text.
_STAMP = rb"\([ \t]*[^\s(),]{1,40},[ \t]*\d{1,2}:\d\d:\d\d[ \t]*\)[ \t]*(?=\r?\n|$)"
_MEETBOT_STAMP = re.compile(_STAMP)  # starts with a literal "(": a quick scan
_MEETBOT_STAMP_SPACED = re.compile(rb"[ \t]*" + _STAMP)


def clean_url(url: str) -> str:
    """Trim the punctuation that running text puts after a URL, keeping balanced brackets."""
    while url:
        last = url[-1]
        if last in _TRAILING or last == ")" and url.count("(") < url.count(")") or last == "]" and url.count("[") < url.count("]"):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[str]:
    if "://" not in text:
        return []
    out = []
    for m in URL_RE.finditer(text):
        url = clean_url(m.group(0))
        if len(url) > 8 and "://" in url and url.split("://", 1)[1]:
            out.append(url)
    return out


class Inline:
    """Rendered text of a paragraph-like span; see the module docstring."""

    __slots__ = ("all_emphasis", "code_lead", "flat", "fragments", "lead_cache", "link_texts", "links", "strong_lead",
                 "text")

    def __init__(self, text: str, links: list[str], strong_lead: str | None = None, code_lead: str | None = None,
                 all_emphasis: bool = False, link_texts: list[tuple[str, str]] | None = None) -> None:
        self.text = text  # '\n' where the source had a line break
        self.links = links
        self.strong_lead = strong_lead  # text of a **strong** span the text starts with
        self.code_lead = code_lead  # text of a `code` span the text starts with
        self.all_emphasis = all_emphasis  # the whole text is one _emphasis_ (template instructions)
        self.link_texts = link_texts if link_texts is not None else []  # (text, http target) of [text](url)
        # one line, single spaces; most texts already are (every whitespace character but " " is
        # unprintable, so a printable text without double, leading or trailing spaces is its own flat form)
        if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
            self.flat = text
        else:
            self.flat = " ".join(text.split())
        self.lead_cache: tuple[Any, Any] | None = None  # people.split_lead's memo
        self.fragments: list[str] = []  # targets of in-page links, "[notes](#voices)" -> "voices"

    @property
    def lines(self) -> list[str]:
        return [" ".join(part.split()) for part in self.text.split("\n") if part.strip()]

    def __repr__(self) -> str:
        return f"Inline({self.text!r})"


@dataclass(slots=True)
class Block:
    start: int  # byte offset in the source
    aside: bool = False  # inside a :::container


@dataclass(slots=True)
class Heading(Block):
    level: int = 1
    inline: Inline = field(default_factory=lambda: Inline("", []))


@dataclass(slots=True)
class Para(Block):
    inline: Inline = field(default_factory=lambda: Inline("", []))


@dataclass(slots=True)
class Item(Block):
    inline: Inline | None = None
    blocks: list[Block] = field(default_factory=list)
    task: bool | None = None  # None: not a task-list item; False/True: unchecked/checked


@dataclass(slots=True)
class ListBlock(Block):
    items: list[Item] = field(default_factory=list)
    ordered: bool = False


@dataclass(slots=True)
class Table(Block):
    rows: list[list[Inline]] = field(default_factory=list)  # first row is the header


@dataclass(slots=True)
class Quote(Block):
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class Raw(Block):
    """A code block or HTML block: no items, but its URLs count."""

    text: str = ""
    links: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Document:
    blocks: list[Block]
    front_matter: str | None
    line_starts: list[int]  # byte offset of each line start

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)


class _Collector:
    """Accumulates one inline span (paragraph, heading, tight item text, table cell).

    Most spans are plain text: the lists only a few spans need (links, raw HTML, open links, link
    texts, in-page fragments) stay ``None`` until first used.
    """

    __slots__ = (
        "code_lead",
        "em_at",
        "em_depth",
        "em_end",
        "fragments",
        "has_text",
        "html",
        "link_open",
        "link_texts",
        "links",
        "parts",
        "start",
        "strong_at",
        "strong_lead",
    )

    def __init__(self, start: int) -> None:
        self.parts: list[str] = []
        self.has_text = False
        self.links: list[tuple[int, str]] | None = None
        self.start = start
        self.strong_at: int | None = None
        self.strong_lead: str | None = None
        self.code_lead: str | None = None
        self.em_at: int | None = None
        self.em_end: int = -1
        self.em_depth = 0
        self.html: list[str] | None = None
        self.link_open: list[tuple[int, str]] | None = None
        self.link_texts: list[tuple[str, str]] | None = None
        self.fragments: list[str] | None = None

    def finish(self) -> Inline:
        parts = self.parts
        text = "".join(parts)
        links: list[str]
        if "://" in text:
            bare = find_urls(text)
        else:
            bare = []
        html_links = [u for h in self.html for u in find_urls(h)] if self.html else []
        if self.links or html_links:
            # Order by first appearance: a link target sits where its text starts.
            positioned = list(self.links) if self.links else []
            for url in bare:
                positioned.append((text.find(url), url))
            links = [u for _, u in sorted(positioned, key=lambda p: p[0])] + html_links
        else:
            links = bare
        all_em = self.em_at == 0 and self.em_end == len(parts) and text != "" and not text.isspace()
        inline = Inline(text, links, self.strong_lead, self.code_lead, all_em, self.link_texts)
        if self.fragments:
            inline.fragments = self.fragments
        return inline

    def at_start(self) -> bool:
        if self.has_text:
            return False
        for p in self.parts:
            if p.strip():
                self.has_text = True
                return False
        return True


def _fence_lines(data: bytes) -> list[tuple[int, int, bytes]]:
    """``(line start, line end, text after ":::")`` of each line that is a container fence: up to three
    spaces or tabs, then ``:::``. What ``_CONTAINER_RE.finditer`` finds, without trying the pattern at
    every line of the document."""
    out = []
    pos = data.find(b":::")
    while pos != -1:
        line_start = data.rfind(b"\n", 0, pos) + 1
        if pos - line_start <= 3 and not data[line_start:pos].strip(b" \t"):
            line_end = data.find(b"\n", pos)
            if line_end == -1:
                line_end = len(data)
            out.append((line_start, line_end, data[pos + 3:line_end]))
            pos = data.find(b":::", line_end)
        else:
            pos = data.find(b":::", pos + 1)
    return out


def _blank_containers(data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """Replace ``:::name`` / ``:::`` fence lines by an HTML comment line, which ends any open
    paragraph or list (the line count is unchanged, so line numbers still hold), and return the
    byte ranges of the containers in the rewritten text."""
    if b":::" not in data:
        return data, []
    out = bytearray()
    ranges: list[tuple[int, int]] = []
    open_at: int | None = None
    last = 0
    for line_start, line_end, tail in _fence_lines(data):
        rest = tail.strip()
        if rest:  # an opening fence (:::spoiler, :::info ...)
            if open_at is not None:
                continue
        elif open_at is None:
            continue
        out += data[last:line_start]
        if rest:
            open_at = len(out)
        out += b"<!-- container -->"
        if not rest and open_at is not None:
            ranges.append((open_at, len(out)))
            open_at = None
        last = line_end
    out += data[last:]
    if open_at is not None:
        ranges.append((open_at, len(out)))
    return bytes(out), ranges


# Lists and quotes nested deeper than this are refused: real notes stay under ten levels, and the passes
# over the tree recurse once per level (in compiled builds on the C stack, which has no RecursionError).
MAX_NESTING = 256


class NestingTooDeep(ValueError):
    def __init__(self, line: int) -> None:
        super().__init__(f"lists or quotes nested more than {MAX_NESTING} levels deep")
        self.line = line


def _line_of(line_starts: list[int], offset: int) -> int:
    return bisect_right(line_starts, offset)


# Zulip's mentions: "@**Tim Abbott**", silent "@_**Sahil Batra**", "@**Ann Lee|1234**" (a user id told apart).
_ZULIP_MENTION = re.compile(rb"@_?\*\*([^*\n|]{1,80})(?:\|\d+)?\*\*")
# A template's stand-ins in angle brackets ("<Name>: thanks <someone> for <something>"), which Markdown drops as HTML.
_ANGLE_STANDIN = re.compile(rb"<((?i:(?:your[ _]?)?(?:name|someone|somebody|something|topic|update|handle|org|affiliation|"
                            rb"item|task|description|person|github[ _]handle)))>")
_CODE_BEFORE = frozenset(b"`/=.-_")


def _standins(data: bytes) -> bytes | None:
    """``data`` with a template's "<Name>", "<someone>" stand-ins written "[Name]" (Markdown would drop them as HTML);
    not in code ("`<name>`", "--url=<name>") nor XML ("<name>x</name>"). None when there are none."""
    parts: list[bytes] = []
    done = 0
    for m in _ANGLE_STANDIN.finditer(data):
        before = data[m.start() - 1] if m.start() > 0 else 32
        if before in _CODE_BEFORE or chr(before).isalnum():
            continue
        end_line = data.find(b"\n", m.end())
        if data.find(b"</" + m.group(1), m.end(), len(data) if end_line < 0 else end_line) >= 0:
            continue
        parts.append(data[done:m.start()])
        parts.append(b"[" + m.group(1) + b"]")
        done = m.end()
    if not parts:
        return None
    parts.append(data[done:])
    return b"".join(parts)


_HACKMD_TAGS_HEAD = re.compile(rb"[ \t]{0,3}#{1,6}[ \t]+")


def _blank_hackmd_tags(data: bytes) -> bytes | None:
    """``data`` with HackMD's "###### tags: ..." heading lines emptied (the line count kept), or None if it has none."""
    parts: list[bytes] = []
    done = 0
    at = data.find(b"tags:")
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        if start >= done and _HACKMD_TAGS_HEAD.fullmatch(data, start, at) is not None:
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            parts.append(data[done:start])
            done = end
        at = data.find(b"tags:", at + 5)
    if not parts:
        return None
    parts.append(data[done:])
    return b"".join(parts)


# A status in brackets before a list item's text ("- [DONE] ...", "- [OPEN] ..."), as plain-text notes mark tasks: a
# task box, ticked when done. The replacement keeps the line's length.
_STATUS_TAG = re.compile(rb"(?m)^([ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+)\[(DONE|OPEN|TODO|Done|Open|Todo)\](?=[ \t])")


def _status_box(m: re.Match[bytes]) -> bytes:
    box = b"[x]" if m.group(2).upper() == b"DONE" else b"[ ]"
    return m.group(1) + box + b" " * (len(m.group(2)) - 1)


# Notes pasted from a MediaWiki page keep its markup: "== Attendees ==" is a heading, '''bold''' is bold and
# [[User:Legoktm|Kunal Mehta]] reads as its text. Read so only when the page has two such headings or more.
_WIKI_BOLD = re.compile(rb"'''([^'\n]{1,200})'''")
_WIKI_LINK = re.compile(rb"\[\[(?:[^\]|\n]{1,120}\|)?([^\]|\n]{1,120})\]\]")


def _wiki_markup(data: bytes) -> bytes | None:
    lines = data.split(b"\n")
    n = 0
    for i, line in enumerate(lines):
        if line[:1] != b"=":
            continue
        body = line.rstrip()
        k = len(body) - len(body.lstrip(b"="))
        if k > 6 or 2 * k >= len(body) or len(body) - len(body.rstrip(b"=")) != k:
            continue  # ("=", "=====": nothing between the marks; the compiled slice refuses start > end)
        inner = body[k:len(body) - k]
        if inner[:1] not in (b" ", b"\t") or inner[-1:] not in (b" ", b"\t") or not inner.strip():
            continue  # "==mark==" (a highlight) or "=====" (a setext underline): not a wiki heading
        lines[i] = b"#" * k + b" " + inner.strip()
        n += 1
    if n < 2:
        return None
    out = b"\n".join(lines)
    if b"'''" in out:
        out = _WIKI_BOLD.sub(rb"**\1**", out)
    if b"[[" in out:
        out = _WIKI_LINK.sub(rb"\1", out)
    return out


# A raw chat log pasted as notes (IRC, Matrix bridges): "[14:03] <nick> text", "<nick> text", "14:03:12 <@nick:hs> text".
# Markdown would read "<nick>" as an HTML tag and drop it with the speaker, so such a log is rewritten before parsing:
# "topic: X" / "#topic X" said by anyone starts a topic (a heading one level below the one above the log),
# "agreed: ..." / "#agreed ..." is a decision, "action: ..." / "#action ..." a task, other lines "- nick: text"
# (discussion under the topic), "* nick waves" and join/quit lines nothing; the people who spoke or acted
# follow the log as its attendance list. Lines after the log move down by the lines of that list.
_IRC_HINT = re.compile(rb"<[@+%~&]?([A-Za-z_\[\]\\`^{|}][^\s<>:]{0,40})(?::[^\s<>]{1,60})?>[ \t]")
_IRC_LINE = re.compile(
    rb"^[ \t]*(?P<ts>\[?(?:\d{4}-\d\d-\d\d[ T])?\d{1,2}:\d\d(?::\d\d)?\]?[ \t]+)?"
    rb"(?:<[@+%~&]?(?P<nick>[A-Za-z_\[\]\\`^{|}][\w\[\]\\`^{|}\-.]{0,31})(?::[\w.\-]+)?>(?:[ \t]+(?P<text>.*?))?"
    rb"|(?P<me>\*[ \t]+(?P<actor>[A-Za-z_\[\]\\`^{|}][\w\[\]\\`^{|}\-.]{0,31})\b.*)"
    rb"|(?P<event>-!-|--[>< -]|<--|-->|\*\*\*)(?:[ \t].*)?)[ \t]*$"
)
# "#topic X" (meetbot's commands, typed also where no bot listens) or "topic: X"; "action items are in the doc" is talk
_IRC_COMMAND = re.compile(rb"^(?:#(topic|agreed|agree|decision|decided|action|info|link|idea|help)[ \t]+|"
                          rb"(topic|agreed|decision|decided|action|info|link|idea)[ \t]*:[ \t]*)(?=\S)", re.IGNORECASE)
_HTML_TAGS = frozenset(b"""a abbr b big blockquote body br button center cite code dd del details div dl dt em figcaption
    figure font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label li link main mark meta
    nav ol option p pre q s script section select small span strike strong style sub summary sup table tbody td
    textarea tfoot th thead title tr tt u ul video audio""".split())


def _irc_attendance(out: list[bytes], speakers: list[bytes], level: int) -> None:
    """The people who spoke in a log, as the list under an attendance heading after it."""
    if speakers:
        out.extend([b"", b"#" * level + b" Attendees", b""])
        out.extend(b"- " + s for s in speakers)
        out.append(b"")
        speakers.clear()


def _irc_log(data: bytes) -> bytes | None:
    """``data`` with the chat log it holds rewritten as Markdown (see above), or None when it holds none: at least
    three "<nick>" lines from two people, outside code fences."""
    hints = 0
    for hint in _IRC_HINT.finditer(data):  # "<nick> " anywhere (a literal "<" first: a fast scan)
        if hint.group(1).lower() in _HTML_TAGS:
            continue  # "<br> ", "<summary> "
        hints += 1
        if hints == 3:
            break
    else:
        return None
    lines = data.split(b"\n")
    out: list[bytes] = []
    fence = False
    level = 1
    log_level = 2
    speakers: list[bytes] = []
    in_log = False
    nicks_said = 0
    voices: set[bytes] = set()
    topic = False

    for line in lines:
        head = line.lstrip()[:3]
        if head in (b"```", b"~~~"):
            fence = not fence
        m = None
        if not fence and head[:1] in b"<[*-0123456789" and head:
            m = _IRC_LINE.match(line)
            if m is not None and m.group("nick") is not None and (
                    m.group("nick").lower() in _HTML_TAGS or b"</" + m.group("nick") in line):
                m = None
            if m is not None and m.group("nick") is None and not in_log and m.group("ts") is None:
                m = None  # "* item", "--- rule": Markdown unless inside a log or stamped
        if m is None:
            if in_log and line[:1] in (b" ", b"\t") and line.strip():
                # a message wrapped onto an indented line: the rest of the message above
                if out and out[-1][:2] == b"- ":
                    out[-1] = out[-1] + b" " + line.strip()
                out.append(b"")
                continue
            if in_log and line.strip():
                _irc_attendance(out, speakers, log_level)
                in_log = False
            if not fence and line[:1] == b"#":
                k = len(line) - len(line.lstrip(b"#"))
                if k <= 6 and line[k:k + 1] in (b" ", b"\t", b""):
                    level = k
                    topic = False
            out.append(line)
            continue
        if not in_log:
            in_log = True
            log_level = min(level + 1, 6)
        who = m.group("nick") or m.group("actor")
        if who is not None and who not in speakers:
            speakers.append(who)
        if m.group("nick") is None:
            out.append(b"")  # "* nick waves", "-!- nick has quit": nothing to read
            continue
        nicks_said += 1
        voices.add(who)
        text = (m.group("text") or b"").strip()
        cmd = _IRC_COMMAND.match(text)
        if not text or (cmd is None and not topic):
            out.append(b"")  # greetings before the first topic are not a topic of their own
        elif cmd is None:
            out.append(b"- " + who + b": " + text)
        else:
            word = (cmd.group(1) or cmd.group(2)).lower()
            rest = text[cmd.end():].strip()
            if word == b"topic":
                out.append(b"#" * log_level + b" " + rest)
                topic = True
            elif word in (b"agreed", b"agree", b"decision", b"decided"):
                out.append(b"- Agreed: " + rest)
            elif word == b"action":
                out.append(b"- Action: " + rest)
            else:
                out.append(b"- " + rest)
    if in_log:
        _irc_attendance(out, speakers, log_level)
    if nicks_said < 3 or len(voices) < 2:
        return None
    return b"\n".join(out)


def parse_blocks(text: str) -> Document:
    """Fold the event stream of ``text`` into blocks. Raises ``NestingTooDeep`` past ``MAX_NESTING``
    levels of lists and quotes, and nothing else on any input string."""
    try:
        data = text.encode("utf-8")
        source = text
    except UnicodeEncodeError:  # lone surrogates: pulldown-cmark reads them as U+FFFD
        data = text.encode("utf-8", "surrogatepass")
        source = None
    if _MEETBOT_STAMP.search(data) is not None:
        data = _MEETBOT_STAMP_SPACED.sub(b"", data)  # the line count is unchanged, so line numbers still hold
        source = None
    if b"@**" in data or b"@_**" in data:
        data = _ZULIP_MENTION.sub(rb"\1", data)  # "@**Tim Abbott**" (Zulip): the person's name
        source = None
    if b"[DONE]" in data or b"[OPEN]" in data or b"[Done]" in data or b"[Open]" in data or b"[TODO]" in data:
        data = _STATUS_TAG.sub(_status_box, data)  # "- [DONE] bjoern: rotate ...": a ticked box
        source = None
    if data[:1] == b"=" or b"\n=" in data:
        wiki = _wiki_markup(data)
        if wiki is not None:
            data = wiki
            source = None
    if b"tags:" in data:
        tagless = _blank_hackmd_tags(data)  # "###### tags: `meeting`": HackMD's tags, not a heading of the notes
        if tagless is not None:
            data = tagless
            source = None
    if b"<" in data and _ANGLE_STANDIN.search(data) is not None:
        filled = _standins(data)  # "<Name>: thanks <someone>": a template's stand-ins, not HTML
        if filled is not None:
            data = filled
            source = None
    if b"> " in data and b"<" in data:
        irc = _irc_log(data)
        if irc is not None:
            data = irc
            source = None
    containers: list[tuple[int, int]] = []
    if b":::" in data:
        data, containers = _blank_containers(data)
        source = None
    if source is None:
        source = data.decode("utf-8", "replace")
    # Byte offset of each line start: 0, then one past every "\n" (summed in C, not in a Python loop).
    line_starts = list(accumulate(map((1).__add__, map(len, data.split(b"\n"))), initial=0))
    line_starts.pop()

    root: list[Block] = []
    containers_stack: list[list[Block]] = [root]
    node_stack: list[Block] = []
    col: _Collector | None = None
    implicit = False  # the collector was opened by tight item text, not by a Paragraph event
    front: list[str] | None = None
    front_matter: str | None = None
    raw: Raw | None = None
    table: Table | None = None
    row: list[Inline] | None = None
    link_stack: list[str | None] = []
    # Ordinary text goes straight into ``parts``, the open collector's list (None when there is
    # none, or while a code/HTML block or front matter takes the text instead).
    parts: list[str] | None = None
    Collector = _Collector

    for event, rng in _MARKDOWN.events_with_range(source, merge_text=True):
        if type(event) is str:  # SoftBreak, HardBreak, Rule
            if col is not None and event != "Rule":
                col.parts.append("\n")
            continue
        key, value = event.popitem()  # type: ignore[union-attr]
        if key == "Text":
            if parts is not None and raw is None and front is None:
                parts.append(value)
            elif raw is not None:
                raw.text += value
            elif front is not None:
                front.append(value)
            else:
                if col is None:
                    col = Collector(rng["start"])
                    implicit = True
                parts = col.parts
                parts.append(value)
        elif key == "Start":
            if len(node_stack) >= MAX_NESTING:
                raise NestingTooDeep(_line_of(line_starts, rng["start"]))
            if type(value) is str:
                if value == "Item":
                    if implicit and col is not None:
                        _attach_inline(node_stack, containers_stack, col.start, col.finish())
                        col = parts = None
                        implicit = False
                    item = Item(rng["start"])
                    if node_stack:
                        parent = node_stack[-1]
                        if type(parent) is ListBlock:
                            parent.items.append(item)
                    node_stack.append(item)
                    containers_stack.append(item.blocks)
                elif value == "Paragraph":
                    if implicit and col is not None:
                        _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = Collector(rng["start"])
                    parts = col.parts
                    implicit = False
                elif value == "Strong":
                    if col is None:
                        col = Collector(rng["start"])
                        parts = col.parts
                        implicit = True
                    if col.at_start():
                        col.strong_at = len(col.parts)
                elif value == "Emphasis":
                    if col is None:
                        col = Collector(rng["start"])
                        parts = col.parts
                        implicit = True
                    if col.em_depth == 0 and col.at_start():
                        col.em_at = 0
                        col.parts.clear()
                    col.em_depth += 1
                elif value == "HtmlBlock":
                    if implicit and col is not None:
                        _attach_inline(node_stack, containers_stack, col.start, col.finish())
                        col = parts = None
                        implicit = False
                    raw = Raw(rng["start"])
                elif value == "TableHead" or value == "TableRow":
                    row = []
                elif value == "TableCell":
                    col = Collector(rng["start"])
                    parts = col.parts
                    implicit = False
                continue
            tag, data_ = value.popitem()
            if tag == "Link" or tag == "Image":
                if col is None:
                    col = Collector(rng["start"])
                    parts = col.parts
                    implicit = True
                dest = data_["dest_url"]
                if dest[:1] == "#" and len(dest) > 1:
                    if col.fragments is None:
                        col.fragments = []
                    col.fragments.append(dest[1:])
                if dest[:4].lower() == "http" and "://" in dest:
                    if col.links is None:
                        col.links = []
                    col.links.append((sum(map(len, col.parts)), dest))
                    if tag == "Link":
                        if col.link_open is None:
                            col.link_open = []
                        col.link_open.append((len(col.parts), dest))
                link_stack.append(dest)
            elif tag == "List":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                lst = ListBlock(rng["start"], ordered=data_ is not None)
                containers_stack[-1].append(lst)
                node_stack.append(lst)
            elif tag == "Heading":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                col = Collector(rng["start"])
                parts = col.parts
                implicit = False
                node_stack.append(Heading(rng["start"], level=int(data_["level"][1])))
            elif tag == "CodeBlock":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                raw = Raw(rng["start"])
            elif tag == "BlockQuote" or tag == "FootnoteDefinition":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                quote = Quote(rng["start"])
                containers_stack[-1].append(quote)
                node_stack.append(quote)
                containers_stack.append(quote.blocks)
            elif tag == "Table":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                table = Table(rng["start"])
            elif tag == "MetadataBlock":
                front = []
        elif key == "End":
            if type(value) is str:
                if value == "Item":
                    item_ = node_stack.pop()
                    if implicit and col is not None:  # the item's tight text: the commonest case
                        if type(item_) is Item and item_.inline is None and not item_.blocks:
                            item_.inline = col.finish()
                        else:
                            node_stack.append(item_)
                            _attach_inline(node_stack, containers_stack, col.start, col.finish())
                            node_stack.pop()
                        col = parts = None
                        implicit = False
                    containers_stack.pop()
                elif value == "Paragraph":
                    if col is not None:
                        _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                elif value == "Strong":
                    if col is not None and col.strong_at is not None and col.strong_lead is None:
                        col.strong_lead = "".join(col.parts[col.strong_at:])
                elif value == "Link" or value == "Image":
                    if link_stack:
                        dest = link_stack.pop()
                        if (value == "Link" and col is not None and col.link_open
                                and col.link_open[-1][1] == dest):
                            at, _ = col.link_open.pop()
                            if col.link_texts is None:
                                col.link_texts = []
                            col.link_texts.append(("".join(col.parts[at:]), dest))
                elif value == "Emphasis":
                    if col is not None:
                        col.em_depth -= 1
                        if col.em_depth == 0 and col.em_at == 0:
                            col.em_end = len(col.parts)
                elif value == "CodeBlock" or value == "HtmlBlock":
                    if raw is not None:
                        raw.links = find_urls(_strip_comments(raw.text))
                        containers_stack[-1].append(raw)
                    raw = None
                elif value == "TableCell":
                    if col is not None and row is not None:
                        row.append(col.finish())
                    col = parts = None
                elif value == "TableHead" or value == "TableRow":
                    if table is not None and row is not None:
                        table.rows.append(row)
                    row = None
                elif value == "Table":
                    if table is not None:
                        containers_stack[-1].append(table)
                    table = None
                continue
            tag = next(iter(value))
            if tag == "List":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                node_stack.pop()
            elif tag == "Heading":
                heading = node_stack.pop()
                assert isinstance(heading, Heading)
                heading.inline = col.finish() if col is not None else Inline("", [])
                col = parts = None
                implicit = False
                containers_stack[-1].append(heading)
            elif tag == "BlockQuote":
                if implicit and col is not None:
                    _attach_inline(node_stack, containers_stack, col.start, col.finish())
                    col = parts = None
                    implicit = False
                node_stack.pop()
                containers_stack.pop()
            elif tag == "MetadataBlock":
                front_matter = "".join(front or [])
                front = None
        elif key == "Code":
            if col is None:
                col = Collector(rng["start"])
                parts = col.parts
                implicit = True
            if col.at_start() and col.strong_at is None:
                col.code_lead = value
            col.parts.append(f"`{value}`")
        elif key == "Html" or key == "InlineHtml":
            if raw is not None:
                raw.text += value
            elif col is not None:
                if value.lower().startswith("<br"):
                    col.parts.append("\n")
                elif not value.startswith("<!--"):
                    if col.html is None:
                        col.html = []
                    col.html.append(value)
            else:
                col = Collector(rng["start"])
                parts = col.parts
                implicit = True
                if not value.startswith("<!--"):
                    col.html = [value]
        elif key == "TaskListMarker":
            top = node_stack[-1] if node_stack else None
            if isinstance(top, Item):
                top.task = bool(value)
        elif key in ("InlineMath", "DisplayMath") and col is not None:
            col.parts.append(value)
    if col is not None and implicit:
        _attach_inline(node_stack, containers_stack, col.start, col.finish())
    if containers:
        _mark_asides(root, containers)
    return Document(root, front_matter, line_starts)


def _strip_comments(html: str) -> str:
    if "<!--" not in html:
        return html
    return _COMMENT.sub(" ", html)


def _attach_inline(node_stack: list[Block], containers_stack: list[list[Block]], start: int, inline: Inline) -> None:
    top = node_stack[-1] if node_stack else None
    if type(top) is Item and top.inline is None and not top.blocks:
        top.inline = inline
        return
    if type(top) is Heading:  # stray text inside a heading (never from pulldown-cmark)
        return
    containers_stack[-1].append(Para(start, inline=inline))


def _mark_asides(blocks: list[Block], ranges: list[tuple[int, int]]) -> None:
    for block in blocks:
        for lo, hi in ranges:
            if lo <= block.start < hi:
                block.aside = True
                break
