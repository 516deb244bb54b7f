"""Review modes: approve (nothing before approval, reminder, expiry), veto (published after the window, a hold
stops it), edits published as edited, a crash between approval and publication, and two reviewers at once."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from chatops.config import parse_config
from chatops.errors import ConfigError
from chatops.review import Reviewer
from chatops.service import Compass
from chatops.storage.publications import list_publications
from digests.model import Window

# The monthly period holding the 2025-05-20 Collaboration Cafe of the bundled notes.
SINCE = dt.datetime(2025, 5, 6, 16, 0, tzinfo=dt.UTC)
UNTIL = dt.datetime(2025, 6, 3, 16, 0, tzinfo=dt.UTC)  # a fire: the first Tuesday of June, 16:00 UTC
# What that fire publishes: the calendar month before it (the default 'period: auto').
WINDOW = Window(since=dt.datetime(2025, 5, 1, tzinfo=dt.UTC), until=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
ANN = Reviewer(email="ann@example.org")
BOB = Reviewer(user_id=42)
EVE = Reviewer(email="eve@example.org")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Notes:
    """A notifier that keeps what reviewers were told."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str | int], str]] = []

    def __call__(self, to, where, text) -> None:
        self.sent.append((list(to), text))


def _config(tmp_path: Path, notes_dir: Path, review: object, db_url: str):
    return parse_config(
        {
            "community": {"name": "JupyterHub", "timezone": "UTC"},
            "sources": {"notes": [str(notes_dir)]},
            "digests": [{
                "name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 16:00",
                "targets": [{"outbox": {"directory": str(tmp_path / "out-a")}},
                            {"outbox": {"directory": str(tmp_path / "out-b")}}],
                "review": review,
            }],
            "storage": {"url": db_url},
        },
        path=tmp_path / "compass.yaml",
    )


APPROVE = {"mode": "approve", "reviewers": ["ann@example.org", 42], "remind_after": "24h", "expire_after": "72h"}
VETO = {"mode": "veto", "reviewers": ["ann@example.org"], "window": "24h"}


@pytest.fixture
def make(tmp_path, notes_dir, db_url):
    made = []

    def build(review=APPROVE, *, clock=None, notes=None):
        config = _config(tmp_path, notes_dir, review, db_url)
        compass = Compass(config, clock=clock or Clock(UNTIL + dt.timedelta(minutes=1)), notifier=notes or Notes())
        made.append(compass)
        return compass

    yield build
    for compass in made:
        compass.close()


def _files(tmp_path: Path) -> list[Path]:
    return sorted(p for d in ("out-a", "out-b") if (tmp_path / d).exists() for p in (tmp_path / d).rglob("*.md"))


def _statuses(compass: Compass) -> list[str]:
    with compass.open().session() as session:
        return [r.status for r in list_publications(session=session, digest="community-monthly")]


def test_review_config_is_strict_and_names_the_fix(tmp_path, notes_dir):
    def problems(review):
        with pytest.raises(ConfigError) as info:
            _config(tmp_path, notes_dir, review, "sqlite://")
        return str(info.value)

    assert "never by display name" in problems({"mode": "approve", "reviewers": ["Ann Smith"]})
    assert "'approval' is not a review mode" in problems({"mode": "approval", "reviewers": ["a@b.org"]})
    assert "unknown key 'windw'" in problems({"mode": "veto", "reviewers": ["a@b.org"], "windw": "2h"})
    assert "must be longer than remind_after" in problems({"mode": "approve", "reviewers": [1], "remind_after": "3d",
                                                          "expire_after": "1d"})
    assert "at least one reviewer" in problems({"mode": "veto", "reviewers": []})
    assert _config(tmp_path, notes_dir, "none", "sqlite://").digests[0].review is None
    assert _config(tmp_path, notes_dir, APPROVE, "sqlite://").digests[0].review.reviewers == ["ann@example.org", 42]


def test_approve_mode_publishes_nothing_before_approval(make, tmp_path):
    notes = Notes()
    compass = make(notes=notes)
    outcome = compass.fire("community-monthly", UNTIL)
    assert outcome is not None and [t.status for t in outcome.targets] == ["draft", "draft"]
    assert _files(tmp_path) == [] and _statuses(compass) == ["draft", "draft"]
    # Reviewers were told: what, which period and targets, a preview and the page's link.
    (to, text), = notes.sent
    assert to == ["ann@example.org", 42]
    assert "`community-monthly`, 2025-05-01 to 2025-05-31" in text and "outbox:" in text
    assert "/review/drafts/" in text and "approve community-monthly" in text
    draft = compass.find_draft("community-monthly")
    assert draft.original.strip() and draft.original[:80] in text
    # Firing again, a sweep, a manual post: still nothing published.
    compass.fire("community-monthly", UNTIL)
    compass.sweep()
    assert [t.status for t in compass.publish("community-monthly", WINDOW).targets] == ["draft", "draft"]
    assert _files(tmp_path) == [] and len(notes.sent) == 1
    # A non-reviewer changes nothing.
    refused = compass.approve("community-monthly", EVE)
    assert not refused.changed and "only the reviewers" in refused.message and _files(tmp_path) == []
    answer = compass.approve("community-monthly", BOB)
    assert answer.changed and "Approved `community-monthly` for 2025-05-01 to 2025-05-31" in answer.message
    assert len(_files(tmp_path)) == 2 and _statuses(compass) == ["published", "published"]
    again = compass.approve("community-monthly", ANN)
    assert not again.changed and "already approved by user 42" in again.message
    assert len(_files(tmp_path)) == 2
    actions = [(e.who, e.action) for e in compass.history(draft.id)]
    assert actions == [("compass", "drafted"), ("user 42", "approved")]


def test_the_drafts_list_reads_every_draft_and_its_posts_in_two_queries(make):
    clock = Clock(UNTIL)
    compass = make(clock=clock)
    fires = [dt.datetime(2025, 3, 4, 16, tzinfo=dt.UTC), dt.datetime(2025, 4, 1, 16, tzinfo=dt.UTC),
             dt.datetime(2025, 5, 6, 16, tzinfo=dt.UTC), UNTIL]  # first Tuesdays
    for fire in fires:
        clock.now = fire + dt.timedelta(minutes=1)
        compass.fire("community-monthly", fire)
        if fire.month == 5:  # April's draft is approved and published
            assert compass.approve("community-monthly", ANN).changed
    statements: list[str] = []
    engine = compass.open().engine

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        drafts = compass.drafts()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [d.window.since.month for d in drafts] == [5, 4, 3, 2]
    assert len(statements) == 2, statements
    posts = {d.window.since.month: [(key, status) for key, status, _ in d.posts] for d in drafts}
    assert [status for _, status in posts[4]] == ["published", "published"]
    assert [status for _, status in posts[5]] == ["draft", "draft"]
    # The list and a single draft read the same.
    assert [d.posts for d in drafts] == [compass.get_draft(d.id).posts for d in drafts]


def test_approve_mode_reminds_once_then_expires(make, tmp_path):
    clock = Clock(UNTIL + dt.timedelta(minutes=1))
    notes = Notes()
    compass = make(clock=clock, notes=notes)
    compass.fire("community-monthly", UNTIL)
    clock.now += dt.timedelta(hours=23)
    compass.sweep()
    assert len(notes.sent) == 1  # not yet
    clock.now += dt.timedelta(hours=2)
    compass.sweep()
    compass.sweep()
    assert len(notes.sent) == 2 and notes.sent[1][1].startswith("Reminder: the draft of `community-monthly`")
    clock.now = UNTIL + dt.timedelta(hours=72, minutes=2)
    compass.sweep()
    assert "expired without approval" in notes.sent[2][1]
    assert _statuses(compass) == ["skipped", "skipped"] and _files(tmp_path) == []
    late = compass.approve("community-monthly", ANN)
    assert not late.changed and "expired unapproved" in late.message and _files(tmp_path) == []


def test_veto_mode_publishes_when_the_window_ends(make, tmp_path):
    clock = Clock(UNTIL + dt.timedelta(minutes=1))
    compass = make(VETO, clock=clock)
    compass.fire("community-monthly", UNTIL)
    clock.now += dt.timedelta(hours=23, minutes=58)
    compass.sweep()
    assert _files(tmp_path) == []
    clock.now += dt.timedelta(minutes=2)
    compass.sweep()
    assert len(_files(tmp_path)) == 2 and _statuses(compass) == ["published", "published"]
    assert compass.find_draft("community-monthly").decided_by == "veto window ended"


def test_veto_mode_hold_stops_it(make, tmp_path):
    clock = Clock(UNTIL + dt.timedelta(minutes=1))
    compass = make(VETO, clock=clock)
    compass.fire("community-monthly", UNTIL)
    answer = compass.hold("community-monthly", ANN)
    assert answer.changed and "will not be published when its window ends" in answer.message
    assert not compass.hold("community-monthly", ANN).changed  # idempotent
    clock.now += dt.timedelta(days=3)
    compass.sweep()
    assert _files(tmp_path) == [] and _statuses(compass) == ["draft", "draft"]
    skipped = compass.skip("community-monthly", ANN, reason="duplicate of the forum post")
    assert skipped.changed and _statuses(compass) == ["skipped", "skipped"]
    with compass.open().session() as session:
        assert {r.last_error for r in list_publications(session=session)} == {
            "skipped by ann@example.org: duplicate of the forum post"}


def test_an_edited_draft_is_published_as_edited_and_the_original_kept(make, tmp_path):
    compass = make()
    compass.fire("community-monthly", UNTIL)
    draft = compass.find_draft("community-monthly")
    edited = draft.original.replace("\n", "\n\nA line the reviewer added.\n", 1)
    assert compass.edit(draft.id, edited, ANN, version=draft.version).changed
    stale = compass.edit(draft.id, edited + "more", BOB, version=draft.version)
    assert not stale.changed and "changed since you opened it" in stale.message
    compass.approve("community-monthly", ANN)
    for path in _files(tmp_path):
        assert "A line the reviewer added." in path.read_text()
    events = compass.history(draft.id)
    assert events[0].action == "drafted" and events[0].body == draft.original
    assert events[1].action == "edited" and "A line the reviewer added." in events[1].body


def _stored_html(compass: Compass, review_id: int) -> dict[str, str]:
    from sqlmodel import select

    from chatops.storage.tables import ReviewHtmlRecord

    with compass.open().session() as session:
        rows = session.exec(select(ReviewHtmlRecord).where(ReviewHtmlRecord.review_id == review_id)).all()
        return {row.fingerprint: row.html for row in rows}


def test_the_page_html_is_stored_with_the_draft_and_follows_its_edits(make, monkeypatch):
    from chatops import review
    from digests.html import fingerprint, to_html

    compass = make()
    compass.fire("community-monthly", UNTIL)
    draft = compass.find_draft("community-monthly")
    # Rendered at the fire: both targets carry the whole digest, so one text, stored once.
    assert _stored_html(compass, draft.id) == {fingerprint(draft.original): to_html(draft.original)}
    assert "<h1>" in to_html(draft.original)

    def no_rendering(text):
        raise AssertionError("the page rendered Markdown instead of reading it")

    monkeypatch.setattr(review, "to_html", no_rendering)
    assert compass.draft_html(draft.id, [draft.original]) == [to_html(draft.original)]
    monkeypatch.undo()
    # An edit is rendered when it is saved; the text no longer shown is dropped.
    edited = draft.original.replace("\n", "\n\nA line the reviewer added.\n", 1)
    assert compass.edit(draft.id, edited, ANN, version=draft.version).changed
    assert _stored_html(compass, draft.id) == {fingerprint(edited): to_html(edited)}
    # A text not stored (a draft made before HTML was stored) is rendered when shown and stored then; the
    # editor's live preview of a text in progress is rendered but not stored.
    assert compass.draft_html(draft.id, ["*in progress*"], store=False) == ["<p><em>in progress</em></p>\n"]
    assert fingerprint("*in progress*") not in _stored_html(compass, draft.id)
    assert compass.draft_html(draft.id, ["# New", edited]) == ["<h1>New</h1>\n", to_html(edited)]
    assert set(_stored_html(compass, draft.id)) == {fingerprint(edited), fingerprint("# New")}


def test_stored_html_is_safe_and_keyed_by_the_renderer():
    from digests.html import fingerprint, to_html

    html = to_html("<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and "<img" not in html
    assert fingerprint("a") != fingerprint("b") and len(fingerprint("a")) == 64


def test_a_replica_dying_between_approval_and_publication_still_publishes_once(make, tmp_path, monkeypatch):
    compass = make()
    compass.fire("community-monthly", UNTIL)
    from chatops import review

    def die(*args, **kwargs):
        raise SystemExit("killed")  # the process dies after the approval is recorded

    monkeypatch.setattr(review, "_publish_approved", die)
    with pytest.raises(SystemExit):
        compass.approve("community-monthly", ANN)
    monkeypatch.undo()
    assert _files(tmp_path) == [] and compass.find_draft("community-monthly").state == "approved"
    # Another replica's sweep (a day later: past the digest's grace) finishes it, once.
    other = make(clock=Clock(UNTIL + dt.timedelta(days=1)))
    other.sweep()
    other.sweep()
    assert len(_files(tmp_path)) == 2 and _statuses(other) == ["published", "published"]
    assert not compass.approve("community-monthly", BOB).changed
    assert len(_files(tmp_path)) == 2


def test_two_reviewers_approving_at_once_publish_once(make, tmp_path):
    first = make()
    first.fire("community-monthly", UNTIL)
    second = make()
    barrier = threading.Barrier(2)
    answers = []

    def approve(compass, who):
        barrier.wait()
        answers.append(compass.approve("community-monthly", who))

    threads = [threading.Thread(target=approve, args=(first, ANN)), threading.Thread(target=approve, args=(second, BOB))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.changed for a in answers) == [False, True]
    first.sweep()
    assert len(_files(tmp_path)) == 2 and _statuses(first) == ["published", "published"]
    assert [e.action for e in first.history(first.find_draft("community-monthly").id)].count("approved") == 1


def test_drafts_cli_lists_shows_and_approves(make, tmp_path, monkeypatch):
    import yaml
    from click.testing import CliRunner

    from chatops.cli import cli

    compass = make()
    compass.fire("community-monthly", UNTIL)
    config = compass.config
    path = tmp_path / "compass.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    base = ["--config", str(path)]

    def run(*args):
        return CliRunner().invoke(cli, [*base, "drafts", *args], catch_exceptions=False)

    listed = run("list")
    assert listed.exit_code == 0 and "community-monthly  2025-05-01 to 2025-06-01  waiting (approve)" in listed.output
    shown = run("show", "community-monthly", "--period", "2025-05-20")
    assert shown.exit_code == 0 and "compass  drafted" in shown.output and "outbox:" in shown.output
    refused = run("approve", "community-monthly", "--as", "eve@example.org")
    assert refused.exit_code == 2 and "only the reviewers" in refused.output and _files(tmp_path) == []
    held = run("hold", "community-monthly", "--as", "42", "--reason", "checking names")
    assert held.exit_code == 0 and "Held `community-monthly`" in held.output
    approved = run("approve", "community-monthly", "--as", "ann@example.org")
    assert approved.exit_code == 0 and "Approved `community-monthly`" in approved.output, approved.output
    assert len(_files(tmp_path)) == 2
    again = run("approve", "community-monthly")
    assert again.exit_code == 0 and "already approved by ann@example.org" in again.output
    unknown = run("show", "nope")
    assert unknown.exit_code == 2 and "no digest named 'nope'" in unknown.output


def test_newer_notes_after_an_edit_are_shown_and_taken_or_kept(tmp_path, notes_dir, db_url):
    import shutil

    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(notes_dir / "collab-cafe-2025.md", notes)
    config = _config(tmp_path, notes, APPROVE, db_url)
    compass = Compass(config, clock=Clock(UNTIL + dt.timedelta(minutes=1)), notifier=Notes())
    try:
        compass.fire("community-monthly", UNTIL)
        draft = compass.find_draft("community-monthly")
        assert not compass.refresh(draft.id, ANN).changed  # nothing new yet
        edited = draft.original + "\nEdited by Ann.\n"
        assert compass.edit(draft.id, edited, ANN, version=draft.version).changed
        (notes / "cafe-2025-05-27.md").write_text(
            "# Collaboration Cafe 2025-05-27\n\n## Check-in\n\n- Zora Quill / @zquill / Example Org\n", encoding="utf-8")
        answer = compass.refresh(draft.id, ANN)
        assert answer.changed and "after your edit" in answer.message
        draft = compass.get_draft(draft.id)
        assert draft.fresh is not None and "2 meetings" in draft.fresh and draft.edited == edited
        from chatops.review import diff_lines

        assert any(kind == "+" and "27 May 2025" in line for kind, line in diff_lines(draft.original, draft.fresh))
        kept = compass.take_fresh(draft.id, ANN, take=False, version=draft.version)
        assert kept.changed and kept.draft.edited == edited and kept.draft.fresh is None
        assert "2 meetings" in kept.draft.original  # the edit is now compared with the newer compile
        (notes / "cafe-2025-05-27.md").write_text(
            "# Collaboration Cafe 2025-05-27\n\n## Check-in\n\n- Zora Quill / @zquill / Example Org\n"
            "- Yuri Vale / @yvale / Example Org\n", encoding="utf-8")
        compass.refresh(draft.id, ANN)
        draft = compass.get_draft(draft.id)
        taken = compass.take_fresh(draft.id, ANN, take=True, version=draft.version)
        assert taken.changed and taken.draft.edited is None and "2 people attended" in taken.draft.text
        compass.approve("community-monthly", ANN)
        published = [p.read_text() for p in _files(tmp_path)]
        assert len(published) == 2 and all("2 people attended" in text and "Edited by Ann." not in text for text in published)
        actions = [e.action for e in compass.history(draft.id)]
        assert actions == ["drafted", "edited", "newer notes", "kept edit", "newer notes", "took newer", "approved"]
    finally:
        compass.close()


def test_an_edit_reaches_a_target_whose_rendering_is_shaped_differently():
    from chatops.review import apply_edit

    original = "# Digest\n\n- Ann joined\n- Bob fixed CI\n- Cy wrote docs\n- Di gave a talk\n"
    # Another target's rendering of the same digest: cut short, with a closing line of its own.
    body = "# Digest\n\n- Ann joined\n- Bob fixed CI\n\n(cut to the forum's limit)\n"
    edited = "# Digest\n\nWelcome!\n\n- Ann Lee joined\n- Bob fixed CI\n- Di gave a talk\n"
    assert apply_edit(original, edited, body) == (
        "# Digest\n\nWelcome!\n\n- Ann Lee joined\n- Bob fixed CI\n\n(cut to the forum's limit)\n")
    assert apply_edit(original, edited, original) == edited
    assert apply_edit(original, original, body) == body
