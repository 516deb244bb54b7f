"""Golden digests: the example notes, a set of shout-outs and releases, two windows, every kind and target.

The expected outputs live in tests/golden/digests/ and were written and checked by reading them as a community
member would; there is no switch that rewrites them from the output: after an intended change, edit the file
by hand (or write the new output to a scratch file, read it, and copy what reads right).
Besides the whole text, each section of each digest is checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from chatops.config import parse_config
from chatops.periods import explicit as digest_window
from chatops.pipeline import build_digest, render_for_target, resolve_digest
from chatops.sources.notes import NotesSpec
from digests.digest import Digest
from digests.model import Recipient, Release, Shoutout

GOLDEN = Path(__file__).parent / "golden" / "digests"
UTC = dt.UTC

CONFIG = parse_config({
    "community": {
        "name": "Example Community",
        "timezone": "Europe/London",
        "links": {"chat": "https://example.zulipchat.com", "forum": "https://discourse.example.org",
                  "notes": "https://notes.example.org/meetings"},
        "meetings": [{"name": "Collaboration Cafe", "schedule": "monthly third tuesday 17:00",
                      "url": "https://example.org/calendar"}],
    },
    "zulip": {"site": "https://example.zulipchat.com", "email": "bot@example.org"},
    "discourse": {"url": "https://discourse.example.org", "category": "News"},
    "digests": [
        {"name": kind, "kind": kind, "schedule": "monthly 1 09:00",
         "targets": [{"zulip": {"stream": "general"}}, {"discourse": {"category": "News"}}]}
        for kind in ("community", "technical", "celebratory")
    ],
})

WINDOWS = {"2025h1": ("2025-01-01", "2025-07-01"), "2022-2023": ("2022-09-01", "2023-02-01")}


def _at(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=UTC)


USER_IDS = {"Simon Li": 201, "Chris Holdgraf": 202, "Kirstie Whitaker": 203, "Min RK": 204, "Angus Hollands": 205,
            "Sarah Gibson": 206}


def _shout(n: int, giver: str, to: list[str], text: str, when: str, kind: str = "user") -> Shoutout:
    return Shoutout(id=n, giver=giver, giver_id=100 + n,
                    recipients=tuple(Recipient(name=r, kind=kind, user_id=USER_IDS.get(r))  # type: ignore[arg-type]
                                     for r in to),
                    text=text, created_at=_at(when), stream="general", topic="thanks", message_id=5000 + n,
                    permalink=f"https://example.zulipchat.com/#narrow/channel/1-general/topic/thanks/near/{5000 + n}")


SHOUTOUTS = [
    _shout(1, "Ann Example", ["Simon Li"], "for setting up jupyterhub-container-images for publishing our images",
           "2025-04-14T10:00"),
    _shout(2, "Min RK", ["Chris Holdgraf", "Kirstie Whitaker"], "for organising the first Collaboration Cafe",
           "2025-05-21T09:30"),
    _shout(3, "Erik Sundell", ["Min RK"], "for the dependabot pip-compile PRs on mybinder.org-deploy",
           "2025-06-02T15:00"),
    _shout(4, "Sam", ["Angus Hollands"], "@**all** look: Angus fixed <b>the</b> *docs* build! [x](javascript:1)",
           "2025-06-10T08:00"),
    _shout(5, "Erik Sundell", ["jupyterhub-team"], "for the JupyterHub 5.3 release", "2025-04-16T12:00",
           kind="group"),
    _shout(6, "Nobody", ["Min RK"], "outside every window", "2024-12-31T23:30"),
    _shout(7, "Erik Sundell", ["Sarah Gibson"], "for running the Outreachy contribution period",
           "2022-10-05T12:00"),
]


def _rel(project: str, version: str, when: str, *, pre: bool = False, highlights: tuple[str, ...] = ()) -> Release:
    return Release(project=project, version=version, date=_at(when), prerelease=pre, highlights=highlights,
                   url=f"https://github.com/jupyterhub/{project}/releases/tag/{version}", sources=("github",))


RELEASES = [
    _rel("jupyterhub", "5.3.0", "2025-04-15T14:00",
         highlights=("Add `JupyterHub.public_url` config [#4936](https://github.com/jupyterhub/jupyterhub/pull/4936)",
                     "Fix <b>admin</b> page with @all users")),
    _rel("configurable-http-proxy", "5.0.0b1", "2025-05-13T09:00", pre=True,
         highlights=("Replace http-proxy with http-proxy-3",)),
    _rel("jupyterhub", "5.2.1", "2025-01-08T10:00"),
    _rel("jupyterhub", "3.0.0", "2022-09-09T10:00", highlights=("Python 3.7 or newer is required",)),
    _rel("zero-to-jupyterhub-k8s", "2.0.0", "2022-09-12T10:00"),
    _rel("jupyterhub", "3.1.0", "2022-12-05T10:00"),
]


def compile_golden(kind: str, window_name: str, notes_dir: Path) -> Digest:
    config, digest_cfg = resolve_digest(CONFIG, kind)
    since, until = WINDOWS[window_name]
    window = digest_window(config, digest_cfg, since=dt.date.fromisoformat(since), until=dt.date.fromisoformat(until))
    # The notes are published as HTML pages: every meeting and item links to its meeting's page there.
    source = NotesSpec("path", str(notes_dir), published="https://notes.example.org/meetings/{html}")
    return build_digest(config, digest_cfg, window, notes=[source], releases=RELEASES,  # type: ignore[list-item]
                        shoutouts=SHOUTOUTS)


def golden_text(kind: str, window_name: str, target: str, notes_dir: Path) -> str:
    config, digest_cfg = resolve_digest(CONFIG, kind)
    rendered = render_for_target(config, digest_cfg, compile_golden(kind, window_name, notes_dir), target)  # type: ignore[arg-type]
    if target == "zulip":
        head = f"stream: {rendered.stream}\ntopic: {rendered.topic}\n"
        body = "".join(f"\n----- message {i} of {len(rendered.messages)} -----\n{m}\n"
                       for i, m in enumerate(rendered.messages, 1))
        return head + body
    return f"title: {rendered.title}\ncategory: {rendered.category}\n\n{rendered.raw}\n"


CASES = [(k, w, t) for w in WINDOWS for k in ("community", "technical", "celebratory") for t in ("zulip", "discourse")]


@pytest.mark.parametrize(("kind", "window_name", "target"), CASES, ids=[f"{w}-{k}-{t}" for k, w, t in CASES])
def test_golden_output(kind: str, window_name: str, target: str, notes_dir: Path) -> None:
    text = golden_text(kind, window_name, target, notes_dir)
    path = GOLDEN / f"{window_name}-{kind}-{target}.md"
    assert text == path.read_text(encoding="utf-8")


# --- section by section -------------------------------------------------------------------------


def names(entries: object) -> list[str]:
    return [e.title or e.text for e in entries]  # type: ignore[attr-defined]


def test_community_2025(notes_dir: Path) -> None:
    digest = compile_golden("community", "2025h1", notes_dir)
    assert digest.period == "January\u2013June 2025" and digest.title == "Community digest, January\u2013June 2025"
    assert digest.summary == ("In January\u2013June 2025, Example Community met 6 times, with "
                              f"{digest.counts.people} people, {digest.counts.newcomers} of them for the first time. "
                              "There are 3 ways to help below.")
    meetings = digest.section("meetings")
    assert meetings is not None
    assert [e.date for e in meetings.entries] == [dt.date(2025, m, d) for m, d in
                                                  ((1, 21), (2, 18), (3, 18), (4, 15), (5, 20), (6, 17))]
    # Each meeting links to its published page at its heading, never to a file and line.
    assert all(e.links[0].url == f"https://notes.example.org/meetings/collab-cafe-2025.html#{e.date}"
               for e in meetings.entries)
    newcomers = digest.section("newcomers")
    assert newcomers is not None
    welcomed = [p.name for e in newcomers.entries for p in e.people]
    assert {"Matt Fisher", "Dan Sholler", "Zachary Katz"} <= set(welcomed)
    assert len(welcomed) == len(set(welcomed))
    calls = digest.section("calls_for_help")
    assert calls is not None
    assert any("Please test" in e.markdown[0] for e in calls.entries)
    assert any("would love feedback" in e.markdown[0] for e in calls.entries)
    assert any("[form](https://docs.google.com/forms/" in e.markdown[0] for e in calls.entries)  # a sign-up form
    upcoming = digest.section("upcoming")
    assert upcoming is not None and upcoming.entries[0].text == "Tuesday 15 July 2025, 17:00 BST"
    links = digest.section("links")
    assert links is not None and [e.title for e in links.entries] == ["Chat with us", "Ask on the forum", "Meeting notes"]
    attendance = digest.section("attendance")
    assert attendance is not None and not digest.empty
    seats = sum(int(e.text.split()[0]) for e in meetings.entries)
    assert attendance.entries[0].text == (f"{digest.counts.people} people took part in 6 meetings, {seats} attendances "
                                          "in all. No meetings were recorded in the previous period.")


def test_community_2022_compares_with_the_previous_window(notes_dir: Path) -> None:
    digest = compile_golden("community", "2022-2023", notes_dir)
    assert digest.period == "September 2022 \u2013 January 2023"
    meetings = digest.section("meetings")
    assert meetings is not None and [e.date for e in meetings.entries] == [dt.date(2022, 9, 20), dt.date(2023, 1, 17)]
    attendance = digest.section("attendance")
    assert attendance is not None
    # The previous five months (April-August 2022) have no notes; November 2020 is much older.
    assert attendance.entries[0].text.endswith("No meetings were recorded in the previous period.")
    newcomers = digest.section("newcomers")
    assert newcomers is not None and [p.name for e in newcomers.entries for p in e.people] == ["Morgan Radic",
                                                                                             "Sheila Kahwai"]
    calls = digest.section("calls_for_help")
    assert calls is not None and any(e.markdown[0].startswith("We need mentors") for e in calls.entries)


def test_technical_2025(notes_dir: Path) -> None:
    digest = compile_golden("technical", "2025h1", notes_dir)
    releases = digest.section("releases")
    assert releases is not None
    # Final releases only (the CHP beta is left out), and the notes' "github-activity 1.0 released" merged in;
    # "JupyterHub 5.3 release today" in the notes is the 5.3.0 the sources know, listed once.
    assert [(p.title, [(r.title, r.marks) for r in p.children]) for p in releases.entries] == [
        ("jupyterhub", [("5.3.0", ()), ("5.2.1", ())]),
        ("github-activity", [("1.0", ())]),
    ]
    assert releases.entries[1].children[0].links[0].url == (
        "https://notes.example.org/meetings/collab-cafe-2025.html#2025-04-15")
    agenda = digest.section("agenda")
    assert agenda is not None
    assert [m.date for m in agenda.entries] == [dt.date(2025, m, d) for m, d in
                                                ((1, 21), (2, 18), (3, 18), (4, 15), (5, 20), (6, 17))]
    assert all(m.links[0].url == f"https://notes.example.org/meetings/collab-cafe-2025.html#{m.date}"
               for m in agenda.entries)
    topics = [t for m in agenda.entries for t in m.children if not t.title and "more" not in t.marks]
    assert all(len([t for t in m.children if not t.title and "more" not in t.marks]) <= 6 for m in agenda.entries)
    assert any(link.label == "jupyterhub#4936" for t in topics for link in t.links)
    more = [t for m in agenda.entries for t in m.children if "more" in t.marks]
    assert [t.text for t in more] == ["and 1 more topic in the notes", "and 4 more topics in the notes"]
    # Each decision sits under the topic it was taken under (notes contract v2), or under its meeting.
    decided = [i.text for m in agenda.entries for t in m.children for i in (t, *t.children) if i.title == "Decided"]
    assert len(decided) == digest.counts.decisions == 4
    pilot = next(t for m in agenda.entries for t in m.children if t.text.startswith("JupyterHub org to pilot"))
    assert [i.title for i in pilot.children] == ["Decided"]
    # The 2025 café notes record no action items: no "To do" line and none counted.
    assert digest.counts.action_items == 0
    assert digest.section("decisions") is None and digest.section("action_items") is None
    assert digest.summary == ("In January\u2013June 2025, Example Community shipped 3 releases of 2 projects, and its "
                              f"6 meetings discussed {digest.counts.topics} topics and took 4 decisions.")


def test_technical_2022(notes_dir: Path) -> None:
    digest = compile_golden("technical", "2022-2023", notes_dir)
    releases = digest.section("releases")
    assert releases is not None
    assert [(p.title, [r.title for r in p.children]) for p in releases.entries] == [
        ("jupyterhub", ["3.1.0", "3.0.0"]), ("zero-to-jupyterhub-k8s", ["2.0.0"])]
    agenda = digest.section("agenda")
    assert agenda is not None
    todo = [(i.text, [p.name for p in i.people]) for m in agenda.entries for t in m.children
            for i in (t, *t.children) if i.title == "To do"]
    assert ("Erik to remove LTE 1.3.", ["Erik Sundell"]) in todo
    # A long topic is cut at a sentence, not in the middle of a word.
    titles = [t.text for m in agenda.entries for t in m.children]
    assert "Outreachy for Spring. Do we do it, or wait for Fall?" in titles


def test_celebratory_2025_merges_and_groups_thanks(notes_dir: Path) -> None:
    digest = compile_golden("celebratory", "2025h1", notes_dir)
    thanks = digest.section("shoutouts")
    assert thanks is not None
    by_title = {g.title: g for g in thanks.entries}
    simon = by_title["Simon Li"]
    # chat (14 April) and notes (15 April) thanked Simon for the container images: merged into one.
    merged = [t for t in simon.children if "container-images" in t.text]
    assert len(merged) == 1
    chat_link, notes_link = (link.url for link in merged[0].links)
    assert chat_link == "https://example.zulipchat.com/#narrow/channel/1-general/topic/thanks/near/5001"
    assert notes_link == "https://notes.example.org/meetings/collab-cafe-2025.html#2025-04-15"
    # the notes name him as "manics", "Simon" and in a group; the first two join his own group
    assert len(simon.children) >= 2
    assert "Chris Holdgraf and Kirstie Whitaker" in by_title
    assert "jupyterhub-team" in by_title and by_title["jupyterhub-team"].people[0].kind == "group"
    assert thanks.entries[0].title == "Simon Li"  # the most thanked first
    assert digest.counts.shoutouts == 5
    celebrations = digest.section("celebrations")
    assert celebrations is not None and any("memorable URL" in e.text for e in celebrations.entries)
    assert digest.summary == (f"In January\u2013June 2025, Example Community thanked {digest.counts.thanked} people "
                              f"and 2 teams, and celebrated {digest.counts.wins} wins.")
    # "Thanks to everyone who participated ..." thanks everyone (a team), it is not a win
    assert "everyone" in by_title and by_title["everyone"].marks == ("team",)
    # a celebratory digest carries thanks, not minutes
    assert {s.name for s in digest.sections} == {"shoutouts", "celebrations"}


def test_celebratory_2022(notes_dir: Path) -> None:
    digest = compile_golden("celebratory", "2022-2023", notes_dir)
    thanks = digest.section("shoutouts")
    assert thanks is not None
    assert [g.title for g in thanks.entries] == ["Sarah Gibson", "bollwyvl", "dolfinus"]
    assert [c.name for c in thanks.entries[1].children[0].credits] == ["Erik Sundell"]  # "Erik" in the notes
    assert thanks.entries[1].people[0].kind == "github"


def test_golden_texts_are_safe(notes_dir: Path) -> None:
    from markdown_it import MarkdownIt

    for path in sorted(GOLDEN.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<!_)@\*\*|@\*[^*]|<b>", text), path.name
        html = MarkdownIt("commonmark").render(text)
        # Zulip's global time syntax (<time:...>) reads as an autolink to CommonMark; every other link is https.
        assert all(href.startswith("https://") or (href.startswith("time:") and "zulip" in path.name)
                   for href in re.findall(r'href="([^"]*)"', html)), path.name
        if path.name.endswith("-zulip.md"):
            assert "@_**Angus Hollands|205**" in text or "2022" in path.name or "celebratory" not in path.name


def test_every_item_links_back_to_its_source(notes_dir: Path) -> None:
    """Every item links to its source, itself or through the meeting it is listed under (the technical
    digest's "**Meeting, date** ([notes](...))" lines); never to a file name or a line."""
    for path in sorted(GOLDEN.glob("*.md")):
        meeting_linked = False
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.startswith("**"):
                meeting_linked = bool(re.search(r"\]\(https://[^)]+\)\)?$", line))
            elif line.startswith("#"):
                meeting_linked = False
            if line.startswith("- "):
                assert meeting_linked or re.search(r"\]\(https://[^)]+\)", line), f"{path.name}: {line}"
            assert not re.search(r"\bline \d+|\.md\b", line), f"{path.name}: {line}"
