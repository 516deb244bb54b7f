"""Links to the published notes: each notes source may name its published page; a digest never cites a file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from chatops.config import parse_config
from chatops.errors import ConfigError
from chatops.periods import explicit
from chatops.pipeline import build_digest, load_meetings, render_for_target
from chatops.sources.notes import NotesSpec, published_url, spec_of


@pytest.mark.parametrize(
    ("template", "url"),
    [
        ("https://team.example.org/{path}", "https://team.example.org/meetings/2025.md#2025-06-17"),
        ("https://team.example.org/{html}", "https://team.example.org/meetings/2025.html#2025-06-17"),
        ("https://team.example.org/{dir}#{anchor}", "https://team.example.org/meetings/2025/#2025-06-17"),
        ("https://hackmd.example.org/{stem}?date={date}#top", "https://hackmd.example.org/2025?date=2025-06-17#top"),
    ],
    ids=["path", "html", "directory", "stem_and_date"],
)
def test_published_url_fills_the_template(template: str, url: str) -> None:
    assert published_url(template, path="meetings/2025.md", date=dt.date(2025, 6, 17), anchor="2025-06-17") == url


def test_a_document_path_is_relative_to_its_source_root(tmp_path: Path) -> None:
    (tmp_path / "docs" / "meetings").mkdir(parents=True)
    note = tmp_path / "docs" / "meetings" / "2025.md"
    note.write_text("# x\n", encoding="utf-8")
    assert NotesSpec("path", str(tmp_path / "docs")).relative(str(note)) == "meetings/2025.md"
    assert NotesSpec("path", str(tmp_path / "docs" / "**" / "*.md")).relative(str(note)) == "meetings/2025.md"
    assert NotesSpec("path", str(note)).relative(str(note)) == "2025.md"
    repo = NotesSpec("git", "https://github.com/org/team")
    assert repo.relative("https://github.com/org/team:docs/meetings/2025.md") == "docs/meetings/2025.md"


def test_a_bad_template_is_a_config_error_naming_the_fields() -> None:
    with pytest.raises(ConfigError, match=r"unknown field\(s\) file; use path, html, dir, stem, date, anchor"):
        parse_config({"sources": {"notes": [{"path": "notes", "published": "https://x.org/{file}"}]}})


def test_meetings_and_items_link_to_the_published_page(tmp_path: Path, notes_dir: Path) -> None:
    notes = tmp_path / "config" / "notes"
    notes.mkdir(parents=True)
    shutil.copy(notes_dir / "community-2023-01-17.md", notes / "community-2023-01-17.md")
    config = parse_config(
        {"community": {"name": "Example", "timezone": "UTC"},
         "sources": {"notes": [{"path": "notes", "published": "https://team.example.org/meetings/{dir}"}]},
         "digests": [{"name": "technical", "kind": "technical", "schedule": "monthly 1 09:00"}]},
        path=tmp_path / "config" / "compass.yaml",
    )
    (meeting,) = load_meetings(config, cache=None)
    assert meeting.source is not None
    assert meeting.source.url == "https://team.example.org/meetings/community-2023-01-17/"
    digest_cfg = config.digests[0]
    window = explicit(config, digest_cfg, since=dt.date(2023, 1, 1), until=dt.date(2023, 2, 1))
    digest = build_digest(config, digest_cfg, window, releases=[], shoutouts=[])
    text = render_for_target(config, digest_cfg, digest, "plain").markdown
    assert "(https://team.example.org/meetings/community-2023-01-17/)" in text
    assert ".md" not in text and "line " not in text


def test_without_a_published_page_a_local_meeting_has_no_link_and_no_file_name(notes_dir: Path) -> None:
    config = parse_config({"digests": [{"name": "technical", "kind": "technical", "schedule": "monthly 1 09:00"}]})
    digest_cfg = config.digests[0]
    window = explicit(config, digest_cfg, since=dt.date(2023, 1, 1), until=dt.date(2023, 2, 1))
    digest = build_digest(config, digest_cfg, window, notes=[str(notes_dir / "community-2023-01-17.md")],
                          releases=[], shoutouts=[])
    text = render_for_target(config, digest_cfg, digest, "plain").markdown
    assert "community-2023-01-17" not in text and "line " not in text
    assert "**JupyterHub and BinderHub Team Meeting, 17 January 2023**\n" in text


def test_a_git_source_on_github_links_to_the_file_at_the_meeting_by_default() -> None:
    spec = spec_of(parse_config({"sources": {"notes": [{"git": "https://github.com/org/team"}]}}).sources.notes[0])
    assert spec.kind == "git" and spec.published is None
    from chatops.sources.notes import _web_base

    assert _web_base(spec.location, spec.branch) == "https://github.com/org/team/blob/main"
