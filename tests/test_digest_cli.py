"""``compass digest preview`` through CliRunner, and the pipeline reading shout-outs from the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatops.cli import cli
from chatops.config import parse_config
from chatops.periods import explicit as digest_window
from chatops.pipeline import build_digest, render_for_target, resolve_digest
from digests.model import Recipient, Shoutout

UTC = dt.UTC


def write_config(tmp_path: Path, db_url: str | None = None, **extra: object) -> Path:
    lines = [
        "community:",
        "  name: Example Community",
        "  timezone: Europe/London",
        "zulip: {site: 'https://example.zulipchat.com', email: bot@example.org}",
        "discourse: {url: 'https://discourse.example.org'}",
        "digests:",
        "  - name: thanks-monthly",
        "    kind: celebratory",
        "    schedule: monthly 1 09:00",
        "    targets:",
        "      - zulip: {stream: general, topic: 'Thanks {period}'}",
        "      - discourse: {category: News}",
    ]
    if extra.get("template"):
        lines.append(f"    template: {extra['template']}")
    if db_url:
        lines += ["storage:", f"  url: '{db_url}'"]
    path = tmp_path / "compass.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(database: object, *shoutouts: Shoutout) -> None:
    from chatops.storage.shoutouts import record_shoutout

    with database.session() as session:  # type: ignore[attr-defined]
        for shoutout in shoutouts:
            record_shoutout(session=session, shoutout=shoutout)


def thanks(text: str, when: dt.datetime, message_id: int) -> Shoutout:
    return Shoutout(giver="Bob", giver_id=3, recipients=(Recipient(name="Jane Doe", user_id=8),), text=text,
                    created_at=when, stream="general", topic="t", message_id=message_id,
                    permalink=f"https://example.zulipchat.com/#narrow/near/{message_id}")


def test_preview_json_for_zulip_reads_the_window_from_the_database(tmp_path: Path, database: object,
                                                                   db_url: str) -> None:
    record(database,
           thanks("for @**all** the CI fixes", dt.datetime(2025, 6, 5, tzinfo=UTC), 1),
           thanks("for last year's work", dt.datetime(2024, 6, 5, tzinfo=UTC), 2))
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", db_url, "digest", "preview", "thanks-monthly",
                                      "--since", "2025-06-01", "--until", "2025-07-01", "--target", "zulip",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"stream", "topic", "messages"}
    assert payload["stream"] == "general" and payload["topic"] == "Thanks June 2025"
    text = "\n".join(payload["messages"])
    assert "@_**Jane Doe|8**" in text and "for all the CI fixes" in text
    assert "last year" not in text and "@**all**" not in text


def test_preview_json_for_discourse_and_plain(tmp_path: Path, notes_dir: Path) -> None:
    config = write_config(tmp_path)
    runner = CliRunner()
    base = ["--config", str(config), "digest", "preview", "community", "--notes", str(notes_dir),
            "--since", "2022-09-01", "--until", "2023-02-01", "--format", "json"]
    discourse = runner.invoke(cli, [*base, "--target", "discourse"])
    assert discourse.exit_code == 0, discourse.output
    payload = json.loads(discourse.stdout)
    assert set(payload) == {"title", "category", "raw"}
    assert payload["title"] == "Community digest, September 2022 \u2013 January 2023"
    assert "20 September 2022" in payload["raw"]
    plain = runner.invoke(cli, [*base, "--target", "plain"])
    assert plain.exit_code == 0, plain.output
    data = json.loads(plain.stdout)
    assert set(data) == {"title", "text"} and data["text"].startswith("# Community digest, September 2022")


def test_preview_markdown_to_a_file_and_empty_note(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    notes = tmp_path / "notes.md"
    notes.write_text("# Team meeting 2025-06-03\n\n## Attendees\n\n- Ann / @ann\n", encoding="utf-8")
    out = tmp_path / "digest.md"
    result = CliRunner().invoke(cli, ["--config", str(config), "digest", "preview", "thanks-monthly", "--notes",
                                      str(notes), "--since", "2025-06-01", "--until", "2025-07-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "is empty; publishing would skip it (skip_if_empty)" in result.stderr
    assert out.read_text(encoding="utf-8").startswith("# Celebratory digest, June 2025\n")


def test_preview_never_creates_a_database(tmp_path: Path, notes_dir: Path) -> None:
    missing = tmp_path / "nothing" / "compass.db"
    config = write_config(tmp_path, db_url=f"sqlite:///{missing}")
    result = CliRunner().invoke(cli, ["--config", str(config), "digest", "preview", "celebratory", "--notes",
                                      str(notes_dir), "--since", "2025-01-01", "--until", "2025-07-01"])
    assert result.exit_code == 0, result.output
    assert not missing.exists() and "no database" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no digest named 'nope'; use a configured name (thanks-monthly) or a kind"),
        (["community", "--since", "2025-07-01", "--until", "2025-06-01"], "the window is empty"),
        (["community", "--notes", "/no/such/notes"], "cannot read notes: /no/such/notes: no such file or directory"),
    ],
    ids=["unknown_digest", "empty_window", "missing_notes"],
)
def test_preview_errors_name_the_problem(tmp_path: Path, args: list[str], message: str) -> None:
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "digest", "preview", *args,
                                      *([] if "--since" in args else ["--since", "2025-06-01", "--until", "2025-07-01"])])
    assert result.exit_code in (1, 2)
    assert message in result.output


def test_template_from_config_templates(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "short.md.j2").write_text("{{ digest.title }}: {{ digest.counts.shoutouts }}\n",
                                                        encoding="utf-8")
    config = parse_config({"digests": [{"name": "t", "kind": "celebratory", "schedule": "monthly",
                                        "template": "short.md.j2"}]}, path=tmp_path / "compass.yaml")
    config, digest_cfg = resolve_digest(config, "t")
    window = digest_window(config, digest_cfg, since=dt.date(2025, 6, 1), until=dt.date(2025, 7, 1))
    digest = build_digest(config, digest_cfg, window, meetings=[], releases=[],
                          shoutouts=[thanks("x", dt.datetime(2025, 6, 2, tzinfo=UTC), 1)])
    assert render_for_target(config, digest_cfg, digest, "plain").text == "Celebratory digest, June 2025: 1\n"
    missing = parse_config({"digests": [{"name": "t", "kind": "celebratory", "schedule": "monthly",
                                         "template": "nope.j2"}]}, path=tmp_path / "compass.yaml")
    from chatops.errors import UsageError

    with pytest.raises(UsageError, match="template 'nope.j2' not found"):
        render_for_target(missing, missing.digests[0], digest, "plain")


def test_default_window_is_the_latest_complete_period() -> None:
    config = parse_config({"community": {"timezone": "Europe/London"},
                           "digests": [{"name": "m", "kind": "community", "schedule": "monthly 1 00:00"}]})
    _, digest_cfg = resolve_digest(config, "m")
    window = digest_window(config, digest_cfg, now=dt.datetime(2025, 7, 10, tzinfo=UTC))
    assert window.since.isoformat() == "2025-06-01T00:00:00+01:00"
    assert window.until.isoformat() == "2025-07-01T00:00:00+01:00"


def test_preview_with_a_database_without_schema_says_what_to_do(tmp_path: Path, notes_dir: Path) -> None:
    import sqlite3

    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", f"sqlite:///{path}", "digest", "preview",
                                      "celebratory", "--notes", str(notes_dir), "--since", "2025-01-01",
                                      "--until", "2025-07-01"])
    assert result.exit_code == 1
    assert "cannot read shout-outs from sqlite:///" in result.output
    assert "run 'compass db upgrade'" in result.output


def test_terminal_preview_shows_each_zulip_message_under_a_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from chatops.cli.digest import _show
    from digests.render import Rendered

    rendered = Rendered(target="zulip", title="T", markdown="", stream="general", topic="Thanks June 2025",
                        messages=("first **message**", "second message"))
    _show(rendered)
    out = capsys.readouterr().out
    assert "#general > Thanks June 2025  message 1/2" in out and "message 2/2" in out
    assert "first message" in out and "**" not in out  # rendered by rich, not raw Markdown


def test_render_for_a_configured_zulip_target_in_summary_mode(tmp_path: Path) -> None:
    config = parse_config({
        "zulip": {"site": "https://example.zulipchat.com", "email": "bot@example.org"},
        "discourse": {"url": "https://discourse.example.org", "category": "News"},
        "digests": [{"name": "thanks", "kind": "celebratory", "schedule": "monthly",
                     "targets": [{"zulip": {"stream": "general", "topic": "{digest} {period}", "mode": "summary"}},
                                 {"discourse": {}}]}],
    })
    config, digest_cfg = resolve_digest(config, "thanks")
    window = digest_window(config, digest_cfg, since=dt.date(2025, 6, 1), until=dt.date(2025, 7, 1))
    digest = build_digest(config, digest_cfg, window, meetings=[], releases=[],
                          shoutouts=[thanks("for the docs", dt.datetime(2025, 6, 2, tzinfo=UTC), 1)])
    zulip = render_for_target(config, digest_cfg, digest, digest_cfg.targets[0], summary_link="https://d.example/t/9")
    assert digest.summary == "In June 2025, the community thanked 1 person."
    assert zulip.payload() == {
        "stream": "general", "topic": "thanks June 2025",
        "messages": [(f"{digest.summary}\n\nRead the whole digest on the forum: "
                     "[Celebratory digest, June 2025](https://d.example/t/9)")],
    }
    forum = render_for_target(config, digest_cfg, digest, digest_cfg.targets[1])
    assert forum.category == "News" and forum.title == "Celebratory digest, June 2025"
    assert forum.raw is not None and "Jane Doe" in forum.raw and "@_**" not in forum.raw


def test_load_meetings_between_builds_only_the_window_from_the_parse_cache(notes_dir: Path) -> None:
    from chatops.pipeline import load_meetings
    from chatops.sources.cache import MemoryCache

    cache = MemoryCache()
    everything = load_meetings(None, notes=[str(notes_dir)], cache=cache)  # parses, fills the cache
    between = (dt.date(2022, 9, 1), dt.date(2023, 1, 31))
    cached = load_meetings(None, notes=[str(notes_dir)], cache=cache, between=between)
    assert [m.date for m in cached] == [dt.date(2022, 9, 20), dt.date(2023, 1, 17)]
    assert cached == [m for m in everything if m.date and between[0] <= m.date <= between[1]]


def test_preview_writes_the_chart_beside_the_file_and_never_prints_its_placeholder(tmp_path: Path,
                                                                                   notes_dir: Path) -> None:
    config = write_config(tmp_path)
    base = ["--config", str(config), "digest", "preview", "community", "--notes", str(notes_dir),
            "--since", "2025-01-01", "--until", "2025-07-01", "--target", "discourse"]
    out = tmp_path / "digest.md"
    result = CliRunner().invoke(cli, [*base, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    picture = tmp_path / "digest-attendance.png"
    assert "compass-chart:" not in text and "](digest-attendance.png)" in text
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    shown = CliRunner().invoke(cli, base)
    assert shown.exit_code == 0, shown.output
    assert "compass-chart:" not in shown.stdout and "### :bar_chart: Attendance" in shown.stdout
    assert "the attendance chart is left out here" in shown.stderr


def test_a_month_of_notes_learns_its_sources_template_from_the_meetings_around_it(tmp_path: Path) -> None:
    """One document per meeting, each a copy of the source's template: a month's digest holds one meeting,
    too few to tell the template from content alone, so the months around it are read to learn it."""
    from chatops.pipeline import load_meetings
    from chatops.sources.cache import MemoryCache

    notes = tmp_path / "notes"
    notes.mkdir()
    for month, topic in enumerate(("Docs sprint", "Release 2.0", "Outreach budget", "CI costs", "Logo vote"), 1):
        (notes / f"2025-{month:02d}-10.md").write_text(
            f"# Team call 2025-{month:02d}-10\n\n## Attendees\n\n- Ann / @ann\n\n## Agenda\n\n"
            f"- Recording link goes in the calendar invite\n- {topic}\n", encoding="utf-8")
    cache = MemoryCache()
    march = load_meetings(None, notes=[str(notes)], cache=cache, between=(dt.date(2025, 3, 1), dt.date(2025, 3, 31)))
    assert [m.date for m in march] == [dt.date(2025, 3, 10)]
    assert [a.title for a in march[0].agenda] == ["Outreach budget"]
    alone = load_meetings(None, notes=[str(notes / "2025-03-10.md")], cache=cache)
    assert [a.title for a in alone[0].agenda] == ["Recording link goes in the calendar invite", "Outreach budget"]
