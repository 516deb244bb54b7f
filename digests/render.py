"""Render a ``Digest`` with Jinja2 for a target: Zulip messages, a Discourse topic, or plain Markdown.

Templates: the packaged defaults are ``digests/templates/<kind>.md.j2`` (with ``_macros.j2``); a digest may
name its own template file instead, which can ``{% extends "default/community.md.j2" %}`` or import
``"default/_macros.j2"``. Every ``{{ value }}`` a template prints is escaped for Markdown (see
``digests.markdown``) unless a filter already returned safe Markdown, so a template cannot forget to
escape a name or a note.

Targets and their limits:

- **zulip**: messages of at most 10,000 characters (code points) and a topic of at most 60; a long digest
  is split between blocks (never inside a link or a list item) into several messages, in order, the
  section heading repeated with "(continued)"; ``mode="summary"`` gives one short message linking to the
  Discourse topic instead. Mentions are silent (``@_**Name**``).
- **discourse**: one topic whose title (at least 15 characters) carries the period, so it is unique in
  its category; the body is cut at the forum's ``max_post_length``.
- **plain**: a title and Markdown text (the file outbox, a terminal).

Example usage::

    rendered = render(digest, target="zulip", stream="general")
    rendered.payload()   # {"stream": "general", "topic": "Community digest, June 2025", "messages": [...]}
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup

from digests.digest import Chart, Digest, Entry, Link, Person
from digests.errors import RenderError
from digests.markdown import escape_inline, link, safe_markdown, silent_mention
from digests.mentions import defang
from digests.model import Value

__all__ = [
    "DISCOURSE_MIN_TITLE",
    "ZULIP_MAX_MESSAGE",
    "ZULIP_MAX_TOPIC",
    "Rendered",
    "TargetKind",
    "discourse_title",
    "render",
    "render_markdown",
    "split_message",
    "zulip_topic",
]

TargetKind = Literal["zulip", "discourse", "plain"]

CHART_SCHEME = "compass-chart:"  # a picture's place in rendered Markdown, until a publisher uploads it

ZULIP_MAX_MESSAGE = 10_000
ZULIP_MAX_TOPIC = 60
DISCOURSE_MIN_TITLE = 15
DISCOURSE_MAX_TITLE = 255
DISCOURSE_MAX_POST = 32_000
TEXT_LIMIT = 500

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

# Emoji shortcodes differ a little between Zulip and Discourse; plain text gets the character itself.
_EMOJI: dict[str, tuple[str, str, str]] = {
    # name: (zulip, discourse, unicode)
    "calendar": ("calendar", "calendar", "\U0001f4c5"),
    "bar_chart": ("bar_chart", "bar_chart", "\U0001f4ca"),
    "wave": ("wave", "wave", "\U0001f44b"),
    "raised_hand": ("raised_hand", "raised_hand", "\u270b"),
    "link": ("link", "link", "\U0001f517"),
    "rocket": ("rocket", "rocket", "\U0001f680"),
    "handshake": ("handshake", "handshake", "\U0001f91d"),
    "speech_balloon": ("speech_bubble", "speech_balloon", "\U0001f4ac"),
    "pencil": ("memo", "memo", "\U0001f4dd"),
    "heart": ("heart", "heart", "\u2764\ufe0f"),
    "tada": ("tada", "tada", "\U0001f389"),
    "wrench": ("wrench", "wrench", "\U0001f527"),
    "package": ("package", "package", "\U0001f4e6"),
    "warning": ("warning", "warning", "\u26a0\ufe0f"),
    "fire": ("fire", "fire", "\U0001f525"),
}


class Rendered(Value):
    """A digest ready to send: what ``compass digest preview --format json`` prints via ``payload()``."""

    target: TargetKind
    title: str
    markdown: str  # the whole rendered Markdown, before splitting
    empty: bool = False
    # zulip
    stream: str | None = None
    topic: str | None = None
    messages: tuple[str, ...] = ()
    # discourse
    category: str | None = None
    raw: str | None = None
    # plain
    text: str | None = None

    def payload(self) -> dict[str, Any]:
        """Exactly what would be sent: Zulip ``{stream, topic, messages}``, Discourse ``{title, category, raw}``,
        plain ``{title, text}``."""
        if self.target == "zulip":
            return {"stream": self.stream, "topic": self.topic, "messages": list(self.messages)}
        if self.target == "discourse":
            return {"title": self.title, "category": self.category, "raw": self.raw}
        return {"title": self.title, "text": self.text}


# --- filters ----------------------------------------------------------------------------------


def _finalize(value: Any, target: TargetKind = "plain") -> Markup:
    """Applied to every ``{{ }}`` output: values that are not already safe Markdown get escaped.

    The environment autoescapes, so macros and filters return ``Markup`` and pass through; Jinja's own
    HTML escaping then sees only ``Markup`` and leaves it alone.
    """
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, dt.datetime | dt.date):
        return Markup(_day(value))
    return Markup(escape_inline(str(value), target=target))


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


_HANDLE = re.compile(r"[A-Za-z0-9-]{1,39}")


@dataclass(frozen=True)
class _Filters:
    target: TargetKind

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one _Filters per cached environment; Persons are frozen
    def person(self, person: Person) -> Markup:
        if person.kind == "zulip" and self.target == "zulip":
            return Markup(silent_mention(person.name, person.user_id))
        if person.kind == "github" and person.handle and _HANDLE.fullmatch(person.handle):
            label = person.name if person.name.lower() != person.handle else person.handle
            return Markup(link(label, f"https://github.com/{person.handle}", target=self.target))
        return Markup(escape_inline(person.name, target=self.target))

    def people(self, people: Iterable[Person]) -> Markup:
        names = [self.person(p) for p in people]
        if len(names) <= 1:
            return Markup("".join(names))
        return Markup(", ".join(names[:-1]) + " and " + names[-1])

    def link(self, item: Link) -> Markup:
        return Markup(link(item.label, item.url, target=self.target))

    def links(self, items: Iterable[Link]) -> Markup:
        return Markup(" \u00b7 ".join(self.link(i) for i in items))

    def sources(self, items: Sequence[Link]) -> Markup:
        return Markup(f" ({self.links(items)})") if items else Markup("")

    def link_to(self, url: str | None, text: str) -> Markup:
        return Markup(link(text, url, target=self.target))

    def moment(self, entry: Entry) -> Markup:
        """A moment each reader sees in their own zone: Zulip ``<time:...>``, Discourse ``[date=...]``; plain
        text (the outbox, a terminal) keeps the community's zone, as ``entry.text`` words it."""
        when = entry.when
        if when is None:
            return Markup(escape_inline(entry.text, target=self.target))
        if self.target == "zulip":
            return Markup(f"<time:{when.astimezone(dt.UTC).isoformat(timespec='seconds')}>")
        if self.target == "discourse":
            zone = getattr(when.tzinfo, "key", None) or "UTC"
            local = when if zone != "UTC" else when.astimezone(dt.UTC)
            return Markup(f'[date={local:%Y-%m-%d} time={local:%H:%M:%S} timezone="{zone}"]')
        return Markup(escape_inline(entry.text, target=self.target))

    def picture(self, chart: Chart) -> Markup:
        """Where the chart goes: ``![alt](compass-chart:attendance.png)``, which each publisher replaces with
        its upload (or drops when the upload fails)."""
        alt = escape_inline(chart.alt, links=False, target=self.target).replace("[", "(").replace("]", ")")
        return Markup(f"![{alt}]({CHART_SCHEME}{chart.name})")

    def emoji(self, name: str) -> Markup:
        codes = _EMOJI.get(name)
        if codes is None:
            return Markup("")
        if self.target == "plain":
            return Markup(codes[2])
        return Markup(f":{codes[0] if self.target == 'zulip' else codes[1]}:")


@functools.lru_cache(maxsize=32)
def _environment(target: TargetKind, extra_dir: Path | None) -> jinja2.Environment:
    """One environment per target and template directory, kept: compiling the templates is the slow part.

    Jinja re-checks a template file's modification time on each use, so an edited override is picked up.
    """
    loaders: dict[str, jinja2.BaseLoader] = {"default": jinja2.PackageLoader("digests", "templates")}
    loader: jinja2.BaseLoader = jinja2.PrefixLoader(loaders)
    if extra_dir is not None:
        loader = jinja2.ChoiceLoader([loader, jinja2.FileSystemLoader(str(extra_dir))])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        finalize=functools.partial(_finalize, target=target),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    filters = _Filters(target)
    env.filters.update(
        person=filters.person,
        people=filters.people,
        link=filters.link,
        links=filters.links,
        sources=filters.sources,
        emoji=filters.emoji,
        moment=filters.moment,
        picture=filters.picture,
        link_to=filters.link_to,
        md=lambda text: Markup(safe_markdown(str(text), limit=TEXT_LIMIT, target=target)),
        text=lambda text: Markup(escape_inline(str(text), limit=TEXT_LIMIT, target=target)),
        day=lambda value: Markup(_day(value)),
    )
    return env


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def render_markdown(digest: Digest, *, target: TargetKind = "plain", template: str | Path | None = None) -> str:
    """The digest as Markdown for ``target``, from the packaged template of its kind or ``template`` (a file).

    ``RenderError`` names the template and the line when a template is missing or fails.
    """
    extra_dir: Path | None = None
    name = f"default/{digest.kind}.md.j2"
    if template is not None:
        path = Path(template)
        if not path.is_file():
            raise RenderError(str(path), "no such template file; put it in config/templates/ or fix 'template:'")
        extra_dir, name = path.parent, path.name
    env = _environment(target, extra_dir)
    try:
        tmpl = env.get_template(name)
        text = tmpl.render(digest=digest, target=target, sections={s.name: s for s in digest.sections})
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(str(template or name), f"line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        line = _template_line(exc)
        raise RenderError(str(template or name), f"{line}{exc}") from None
    # The last pass: whatever a template or a value holds, no mention on the target notifies anyone.
    return defang(_tidy(text), target)


def _template_line(exc: BaseException) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".j2", ".md", ".jinja", ".txt")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"line {line}: " if line else ""


# --- splitting --------------------------------------------------------------------------------

_ITEM_START = re.compile(r"^(?:[-*+]|\d{1,9}[.)])\s")
_HEADING = re.compile(r"^#{1,6}\s")
_LINK_SPAN = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|https?://\S+|@_?\*\*[^*\n]*\*\*|`[^`\n]*`")


@dataclass
class _Block:
    text: str
    blank_before: bool
    heading: bool
    sticky: bool  # keep with the block after it (a heading, an intro line ending in ':')


def _blocks(markdown: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    blank = False
    kind = ""

    def flush() -> None:
        nonlocal current
        if current:
            text = "\n".join(current)
            heading = kind == "heading"
            blocks.append(_Block(text, blank_before, heading, heading or (kind == "para" and text.endswith(":"))))
        current = []

    blank_before = False
    for line in markdown.split("\n"):
        if not line.strip():
            flush()
            blank = True
            continue
        if _HEADING.match(line):
            flush()
            blank_before, kind = blank, "heading"
            current = [line]
            flush()
            blank = False
            continue
        if _ITEM_START.match(line):
            flush()
            blank_before, kind = blank, "item"
            current = [line]
        elif current:
            current.append(line)  # a continuation (indented sub-item or lazy line) of the block
        else:
            blank_before, kind = blank, "para"
            current = [line]
        blank = False
    flush()
    return blocks


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut an overlong line at spaces, never inside a link, a mention or inline code."""
    spans = [(m.start(), m.end()) for m in _LINK_SPAN.finditer(line)]
    pieces: list[str] = []
    while len(line) > limit:
        cut = -1
        for pos in range(limit, 0, -1):
            if line[pos - 1] == " " and not any(s < pos < e for s, e in spans):
                cut = pos
                break
        if cut <= 0:
            cut = limit  # one unbreakable run longer than a message: nothing better is possible
        pieces.append(line[:cut].rstrip())
        line = line[cut:]
        spans = [(s - cut, e - cut) for s, e in spans if e - cut > 0]
    pieces.append(line)
    return [p for p in pieces if p]


def _oversized(block: _Block, limit: int) -> list[_Block]:
    parts: list[_Block] = []
    for index, line in enumerate(block.text.split("\n")):
        for piece_index, piece in enumerate(_cut_line(line, limit)):
            first = index == 0 and piece_index == 0
            parts.append(_Block(piece, block.blank_before if first else False, False, False))
    return parts


def split_message(markdown: str, limit: int = ZULIP_MAX_MESSAGE) -> list[str]:
    """Split Markdown into messages of at most ``limit`` characters, in order, between blocks.

    A block is a heading, a paragraph, or a list item with its sub-items; a split never falls inside
    one (only a single block longer than a whole message is cut, at a space outside any link). A
    heading or an intro line ending in ':' stays with what follows it, and a message that continues a
    section starts by repeating its heading with "(continued)".
    """
    markdown = markdown.strip("\n")
    if len(markdown) <= limit:
        return [markdown] if markdown.strip() else []
    if limit < 200:
        raise ValueError(f"a message limit of {limit} characters is too small to split a digest into")
    blocks: list[_Block] = []
    for block in _blocks(markdown):
        blocks.extend([block] if len(block.text) <= limit - 100 else _oversized(block, limit - 100))
    messages: list[str] = []
    current: list[_Block] = []
    section: str | None = None  # the heading of the section being written
    current_len = 0

    def joined(items: Sequence[_Block]) -> str:
        out = ""
        for i, b in enumerate(items):
            out += ("" if i == 0 else "\n\n" if b.blank_before else "\n") + b.text
        return out

    for block in blocks:
        extra = len(block.text) + (2 if current else 0)
        if current and current_len + extra > limit:
            carry: list[_Block] = []
            while current and current[-1].sticky:
                carry.insert(0, current.pop())
            if not current:  # nothing but headings: send them anyway rather than loop
                current, carry = carry, []
            messages.append(joined(current))
            current = list(carry)
            if not carry and not block.heading and section is not None:
                current = [_Block(f"{section} (continued)", False, True, True)]
            current_len = len(joined(current))
            extra = len(block.text) + (2 if current else 0)
        if block.heading:
            section = block.text
        current.append(block)
        current_len += extra
    if current:
        messages.append(joined(current))
    return messages


# --- titles -----------------------------------------------------------------------------------


def zulip_topic(title: str, limit: int = ZULIP_MAX_TOPIC) -> str:
    """``title`` as a Zulip topic: one line, at most ``limit`` characters, cut at a word with an ellipsis."""
    text = " ".join(title.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-\u2013") + "\u2026"


def discourse_title(digest: Digest, title: str | None = None) -> str:
    """A Discourse topic title: unique in its category because it names the period, 15-255 characters."""
    text = " ".join((title or digest.title).split())
    if digest.period not in text:
        text = f"{text}, {digest.period}"
    if len(text) < DISCOURSE_MIN_TITLE:
        text = f"{digest.community}: {text}"
    if len(text) < DISCOURSE_MIN_TITLE:
        text = f"{digest.kind.capitalize()} digest of {text}"
    if len(text) > DISCOURSE_MAX_TITLE:
        keep = DISCOURSE_MAX_TITLE - len(digest.period) - 3
        text = text[:keep].rstrip() + "\u2026, " + digest.period
    return text


def _format_topic(pattern: str, digest: Digest, name: str | None) -> str:
    values = {"digest_title": digest.title, "period": digest.period, "community": digest.community,
              "kind": digest.kind, "digest": name or digest.kind}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), pattern)


# --- entry point ------------------------------------------------------------------------------


def render(
    digest: Digest,
    *,
    target: TargetKind,
    template: str | Path | None = None,
    stream: str | None = None,
    topic: str | None = None,
    category: str | None = None,
    mode: Literal["full", "summary"] = "full",
    summary_link: str | None = None,
    name: str | None = None,
    max_message_length: int = ZULIP_MAX_MESSAGE,
    max_topic_length: int = ZULIP_MAX_TOPIC,
    max_post_length: int = DISCOURSE_MAX_POST,
) -> Rendered:
    """Render ``digest`` for ``target`` and shape it to that platform's limits (see the module docstring).

    ``topic`` is a pattern where ``{digest_title}``, ``{period}``, ``{community}``, ``{kind}`` and
    ``{digest}`` (the digest's ``name``) are filled in; ``summary_link`` is the Discourse topic a
    Zulip summary points to.
    """
    if target not in ("zulip", "discourse", "plain"):
        raise ValueError(f"{target!r} is not a target; choose zulip, discourse or plain")
    if target == "zulip" and mode == "summary":
        lines = [escape_inline(digest.summary or digest.title, target="zulip")]
        if summary_link:
            lines.append(f"Read the whole digest on the forum: {link(digest.title, summary_link, target='zulip')}")
        markdown = defang("\n\n".join(lines) + "\n", "zulip")
    else:
        markdown = render_markdown(digest, target=target, template=template)
    if target == "zulip":
        topic_text = zulip_topic(_format_topic(topic or "{digest_title}", digest, name), max_topic_length)
        return Rendered(target="zulip", title=digest.title, markdown=markdown, empty=digest.empty,
                        stream=stream, topic=topic_text, messages=tuple(split_message(markdown, max_message_length)))
    if target == "discourse":
        raw = markdown.strip("\n")
        if len(raw) > max_post_length:
            note = "\n\n*This digest was shortened to fit the forum's post length.*"
            raw = split_message(raw, max_post_length - len(note))[0] + note
        return Rendered(target="discourse", title=discourse_title(digest), markdown=markdown, empty=digest.empty,
                        category=category, raw=raw)
    return Rendered(target="plain", title=digest.title, markdown=markdown, empty=digest.empty, text=markdown)
