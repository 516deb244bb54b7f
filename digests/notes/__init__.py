"""Meeting notes (Markdown) -> ``Meeting`` values.

Example usage::

    from digests.notes import parse_notes

    meetings = parse_notes(text, document="notes/2023-01-17.md",
                           url="https://example.org/notes/2023-01-17",
                           headings={"celebrations": ["Bravo corner"]})

One document may hold one meeting or a yearly archive of them; see ``digests.notes.meetings`` for
how they are told apart, ``digests.notes.sections`` for the heading table that admins extend, and
``digests.notes.people`` / ``digests.notes.statements`` for the notation understood.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from digests.errors import NotesParseError
from digests.notes import _native

_native.choose()  # compiled modules (mypyc) when they match these sources, else the sources

from digests.notes import blocks as _blocks
from digests.notes.blocks import NestingTooDeep, parse_blocks
from digests.notes.corpus import SourceReading, read_source
from digests.notes.meetings import Assembler, is_placeholder, slugify
from digests.notes.records import Meeting as MeetingRecord
from digests.notes.sections import (
    DEFAULT_HEADINGS,
    SECTION_KINDS,
    SectionTable,
    normalize_heading,
    section_table,
)

if TYPE_CHECKING:
    from digests.model import Meeting

__all__ = [
    "DEFAULT_HEADINGS",
    "PARSER_VERSION",
    "SECTION_KINDS",
    "MeetingRecord",
    "SectionTable",
    "SourceReading",
    "is_placeholder",
    "normalize_heading",
    "parse_notes",
    "parse_records",
    "read_source",
    "section_table",
    "slugify",
]

# Whether the mypyc-compiled parser is in use (see digests/notes/_native.py); the output is the same.
COMPILED = _native.is_compiled(_blocks)

# Bump when the output for the same input changes: cached results keyed by it are then ignored.
PARSER_VERSION = "14"  # 14: struck rows and labels in agenda tables, a flat notes list after an agenda is about the topics it names, a decisions table's "Decision" column, month-only archive headings ("## February 2021": the 1st, the archive's title), reviews of earlier tasks keep only open ones, thanks among updates, welcomes among topics, struck items withdrawn, "Discuss:"/"FYI:" labels, stated outcomes in a notes list are no topics; 13: raw IRC/Matrix logs, flat notes after a listed agenda, weekday and "(cancelled)" archive headings, HackMD tags lines, emoji before labels, template stand-ins, "Please add your name below", Victories / Hall of fame / Actionable items headings, a pronouns column, vote outcomes and emoji assent, known first names in action lists, first names that start a handle, a closing :shortcode: in titles, acronyms are no owners; 12: minutes without an agenda (headings as topics, motions, presence columns, task tables), Zulip mentions, wiki markup, status tags, TODO(name); 11: sub-items that end a sentence are not followed by "; "; 10: a "News and kudos" heading is news, a numbered part of it no poster; 9: "Mei volunteered / offered / agreed to ..." is a task; 8: a short topic heading matches its agenda line exactly; 7: meetbot lines a level too shallow, channel header as title; 6: bold topic titles before a colon; 5: roll-call boxes, several people a line, triage lines; 4: formats of other ecosystems (meetbot, formal minutes, bold-line headings); 3: contract v2 (topics, done, markdown, pronouns, cancelled); 2: same-level sections


def parse_notes(
    text: str,
    *,
    document: str,
    url: str | None = None,
    headings: Mapping[str, Iterable[str]] | SectionTable | None = None,
) -> list[Meeting]:
    """Parse one Markdown notes document into its meetings, in document order.

    ``document`` names the source (a path or URL) in every ``SourceRef``; ``url``, when given, is
    the readable address that heading anchors are appended to. ``headings`` adds heading phrases
    per section kind (see ``SECTION_KINDS``). Raises ``NotesParseError`` and nothing else.
    """
    from digests.model import Meeting

    return [Meeting.model_validate(record.as_values())
            for record in parse_records(text, document=document, url=url, headings=headings)]


def parse_records(
    text: str,
    *,
    document: str,
    url: str | None = None,
    headings: Mapping[str, Iterable[str]] | SectionTable | None = None,
) -> list[MeetingRecord]:
    """``parse_notes`` without building the values: the parser's records (``digests.notes.records``), for
    a process that only writes them out as JSON (``as_values``, ``digests.contract.meeting_contract``)."""
    if not isinstance(text, str):
        raise NotesParseError(document, f"expected the document's text (str), got {type(text).__name__}")
    try:
        table = section_table(headings)
    except ValueError as exc:
        raise NotesParseError(document, str(exc)) from exc
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        return Assembler(parse_blocks(text), table, document, url).meetings()
    except NestingTooDeep as exc:
        raise NotesParseError(document, f"{exc}; flatten the outline", line=exc.line) from exc
    except RecursionError as exc:
        raise NotesParseError(document, "nesting too deep to parse") from exc
