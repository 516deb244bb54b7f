"""The reader's checklist: what a community member would cut from a digest, checked on every month of notes.

Every kind, for every month that has meetings in the example notes (the real fixtures) and in the invented
notes patterns, rendered for Zulip, Discourse and plain text, must pass:

- no template or placeholder text, no "line N" and no local file name;
- no HTML entity and no invisible character (``digests.mentions`` disarms a mention with visible text);
- every link a celebration carries is kept in the celebratory digest;
- at most ``budget.topics_per_meeting`` topics per meeting in the technical digest;
- the title names the period, and the opening sentence mentions nothing the digest does not show.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from chatops.config import parse_config
from chatops.periods import explicit
from chatops.pipeline import build_digest, load_meetings, render_for_target, resolve_digest
from digests.digest import Digest
from digests.model import Meeting
from digests.sections.celebratory import is_win

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "chatops" / "data" / "example-notes"  # copies of shared/fixtures/notes
PATTERNS = next((p for p in (ROOT / "fixtures" / "notes-patterns", ROOT.parent.parent / "shared" / "fixtures" /
                             "notes-patterns") if p.is_dir()), None)

CONFIG = parse_config({
    "community": {"name": "Example Community", "timezone": "Europe/London",
                  "meetings": [{"name": "Collaboration Cafe", "schedule": "monthly third tuesday 17:00"}]},
    "zulip": {"site": "https://example.zulipchat.com", "email": "bot@example.org"},
    "discourse": {"url": "https://discourse.example.org", "category": "News"},
    "digests": [{"name": kind, "kind": kind, "schedule": "monthly 1 09:00",
                 "targets": [{"zulip": {"stream": "general"}}, {"discourse": {"category": "News"}}]}
                for kind in ("community", "technical", "celebratory")],
})

PLACEHOLDERS = re.compile(
    r"what you want to share|your news here|yourname|your report or shout-out|none this time|\(estimated time\)"
    r"|\[name=|\bNAME:|add a note to celebrate|include your name so we know",
    re.IGNORECASE,
)
ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{1,6}|#x[0-9a-f]{1,6});", re.IGNORECASE)
INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
FILE_OR_LINE = re.compile(r"\bline \d+\b|\b[\w.-]+\.(?:md|markdown)\b", re.IGNORECASE)
LINK_TARGET = re.compile(r"\]\([^)\s]*\)")


def _months(directory: Path) -> list[tuple[str, dt.date]]:
    """(source, first day) of every month with a meeting in ``directory`` (a folder or one document)."""
    meetings = load_meetings(None, notes=[str(directory)], cache=None)
    firsts = sorted({m.date.replace(day=1) for m in meetings if m.date is not None})
    return [(directory.name, first) for first in firsts]


def _cases() -> list[tuple[str, dt.date]]:
    cases = _months(FIXTURES)
    for document in sorted(PATTERNS.glob("*.md")) if PATTERNS is not None else ():
        if document.name != "README.md":
            cases += _months(document)  # each pattern on its own, as its own notes
    return cases


CASES = _cases()
DIRS = {"example-notes": FIXTURES,
        **{p.name: p for p in (sorted(PATTERNS.glob("*.md")) if PATTERNS is not None else ())}}


def _next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def _build(kind: str, directory: Path, first: dt.date) -> tuple[Digest, list[Meeting]]:
    config, digest_cfg = resolve_digest(CONFIG, kind)
    window = explicit(config, digest_cfg, since=first, until=_next_month(first))
    meetings = [m for m in load_meetings(None, notes=[str(directory)], cache=None)
                if m.date is not None and window.contains(m.date)]
    digest = build_digest(config, digest_cfg, window, meetings=meetings, releases=[], shoutouts=[])
    return digest, meetings


def _text_outside_links(markdown: str) -> str:
    return LINK_TARGET.sub("]", markdown)


def _check_text(markdown: str, where: str) -> None:
    plain = _text_outside_links(markdown)
    assert not PLACEHOLDERS.search(plain), f"{where}: template text {PLACEHOLDERS.search(plain)!r}"
    assert not FILE_OR_LINE.search(plain), f"{where}: a file name or line {FILE_OR_LINE.search(plain)!r}"
    assert not ENTITY.search(markdown), f"{where}: an HTML entity {ENTITY.search(markdown)!r}"
    match = INVISIBLE.search(markdown)
    assert match is None, (
        f"{where}: invisible character U+{ord(match.group(0)):04X} after {markdown[match.start() - 20:match.start()]!r}")


def _check_intro(digest: Digest, where: str) -> None:
    summary = digest.summary or ""
    names = {s.name for s in digest.sections}
    assert not re.search(r"\bno (?:shout-outs?|releases?|people|meetings?|decisions?)\b|\b0 (?:people|meetings?)\b"
                         r"|said thank you to no", summary), f"{where}: {summary!r}"
    needs = {
        r"\breleases?\b": "releases", r"\bdecisions?\b": "agenda", r"\btopics?\b": "agenda",
        r"\bways? to help\b": "calls_for_help", r"\bthanked\b": "shoutouts", r"\bwins?\b": "celebrations",
        r"\bmet\b": "meetings", r"\bfor the first time\b": "newcomers", r"\bopen tasks?\b": "agenda",
    }
    for pattern, section in needs.items():
        if re.search(pattern, summary):
            assert section in names, f"{where}: the intro says {pattern!r} but there is no {section} section: {summary!r}"
    assert summary.count(". ") <= 1 and summary.endswith("."), f"{where}: one or two sentences: {summary!r}"


@pytest.mark.parametrize(("source", "first"), CASES, ids=[f"{s}-{f:%Y-%m}" for s, f in CASES])
def test_every_month_passes_the_readers_checklist(source: str, first: dt.date) -> None:
    directory = DIRS[source]
    for kind in ("community", "technical", "celebratory"):
        digest, meetings = _build(kind, directory, first)
        where = f"{source} {first:%Y-%m} {kind}"
        assert digest.period in digest.title, where
        assert digest.period == f"{first:%B %Y}", where  # a whole month is named by its month
        _check_intro(digest, where)
        config, digest_cfg = resolve_digest(CONFIG, kind)
        for target in ("zulip", "discourse", "plain"):
            rendered = render_for_target(config, digest_cfg, digest, target)  # type: ignore[arg-type]
            _check_text(rendered.markdown, f"{where} {target}")
            if kind == "celebratory" and not digest.empty:
                for celebration in (c for m in meetings for c in m.celebrations):
                    if not celebration.people and not is_win(celebration.text):
                        continue  # a question or a status report is not celebrated (test_digest_compile)
                    rich = getattr(celebration, "rich", celebration.text)
                    for url in re.findall(r"\]\((https?://[^)\s]+)\)", rich):
                        assert url in rendered.markdown, f"{where} {target}: the link {url} of {rich!r} was dropped"
        if kind == "technical":
            agenda = digest.section("agenda")
            for meeting in agenda.entries if agenda else ():
                topics = [t for t in meeting.children if not t.title and "more" not in t.marks]
                assert len(topics) <= digest_cfg.budget.topics_per_meeting, where


def test_the_checklist_sees_what_a_reader_would_cut() -> None:
    """The checks themselves catch each fault they look for (so a passing month means something)."""
    with pytest.raises(AssertionError, match="template text"):
        _check_text("- **NAME:** What you want to share", "x")
    with pytest.raises(AssertionError, match="file name or line"):
        _check_text("- Drop it · collab-cafe-2025.md, line 1220", "x")
    with pytest.raises(AssertionError, match="HTML entity"):
        _check_text("We&#39;ve shipped -&gt; done", "x")
    with pytest.raises(AssertionError, match="invisible"):
        _check_text("zero\u200bwidth", "x")
    with pytest.raises(AssertionError, match="invisible"):
        _check_text("- Thanks @\u200ball [notes](https://example.org/meetings/2025.html#2025-06-17)", "x")
