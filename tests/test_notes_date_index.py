"""The notes date index: a digest window reads and loads only the documents whose meetings can fall in it,
and still sees every edited, new and deleted file on the next run."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fakes.notes_http import FakeNotesHost

import chatops.sources.notes as notes_mod
from chatops.errors import UsageError
from chatops.pipeline import load_meetings
from chatops.sources.cache import CacheEntry, FileCache, MemoryCache
from chatops.sources.notes import NotesSpec, collect_notes

JUNE_2025 = (dt.date(2025, 4, 30), dt.date(2025, 7, 1))  # a June digest: May (previous window) and June


def meeting(day: str, *handles: str) -> str:
    return f"# Team meeting {day}\n\n## Attendees\n\n" + "".join(f"- {h.title()} / @{h}\n" for h in handles)


def archive(year: int, days: dict[str, str]) -> str:
    """A yearly archive: one ``## <date>`` section per meeting, newest first, as collab-cafe-2025.md."""
    return f"# {year} Collaboration Cafe Notes Archive\n" + "".join(
        f"\n## {day}\n\n### Check-in\n\n- {who.title()} / @{who}\n" for day, who in sorted(days.items(), reverse=True)
    )


def handles(meetings) -> dict[str, list[str]]:
    return {m.date.isoformat(): [a.handle for a in m.attendees] for m in meetings}


def bump(path: Path) -> None:
    """Move the mtime on by a second, as an editor's save a moment later would."""
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


class RecordingCache(MemoryCache):
    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []
        self.puts: list[str] = []

    def get(self, key: str) -> CacheEntry | None:
        self.gets.append(key)
        return super().get(key)

    def put(self, key: str, entry: CacheEntry) -> None:
        self.puts.append(key)
        super().put(key, entry)

    def reset(self) -> None:
        self.gets.clear()
        self.puts.clear()


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every file the notes source opens for reading (``open`` looked up in the module's globals first)."""
    paths: list[str] = []

    def recording(file, *args, **kwargs):
        paths.append(os.fspath(file))
        return open(file, *args, **kwargs)

    monkeypatch.setattr(notes_mod, "open", recording, raising=False)
    return paths


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = notes_mod.parse_records

    def counting(text, **kw):
        calls.append(Path(kw["document"]).name)
        return real(text, **kw)

    monkeypatch.setattr(notes_mod, "parse_records", counting)
    return calls


@pytest.fixture
def history(tmp_path) -> Path:
    """Two years of monthly notes, 2023-07 .. 2025-06, one file each."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for month in range(24):
        year, index = divmod(2023 * 12 + 6 + month, 12)
        day = f"{year}-{index + 1:02d}-17"
        (notes / f"{day}.md").write_text(meeting(day, f"p{month}"), encoding="utf-8")
    return notes


def test_a_window_neither_reads_nor_loads_documents_whose_meetings_are_outside(history, opened, parses):
    cache = RecordingCache()
    first = collect_notes([str(history)], cache=cache, between=JUNE_2025)
    # Nothing known yet: every file is read and parsed once, and returned (the caller filters by date).
    assert len(opened) == 24 and len(parses) == 24 and first.skipped == []
    assert len(first.documents) == 24

    opened.clear()
    parses.clear()
    cache.reset()
    second = collect_notes([str(history)], cache=cache, between=JUNE_2025)
    assert [Path(d.document).name for d in second.documents] == ["2025-05-17.md", "2025-06-17.md"]
    assert all(d.from_cache for d in second.documents)
    assert handles(second.meetings()) == {"2025-05-17": ["p22"], "2025-06-17": ["p23"]}
    assert len(second.skipped) == 22 and str(history / "2024-06-17.md") in second.skipped
    assert opened == [] and parses == []  # unchanged files: a stat call each, no read, no parse
    # One read of the index, one of the year that holds May and June; the other years are not loaded.
    assert [k.rsplit(":", 1)[-1] for k in cache.gets] == [str(history), "2025"]
    assert cache.gets[0].startswith("notes-index:") and cache.gets[1].startswith("notes-parsed:")
    assert cache.puts == []  # nothing changed, nothing written

    # Without a window everything is returned, from the cache.
    everything = collect_notes([str(history)], cache=cache)
    assert len(everything.documents) == 24 and all(d.from_cache for d in everything.documents)
    assert opened == [] and parses == []


def test_an_edited_file_shows_up_in_the_next_digest(history):
    cache = FileCache(history.parent / "cache")
    assert handles(load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)) == {
        "2025-05-17": ["p22"], "2025-06-17": ["p23"]}
    june = history / "2025-06-17.md"
    june.write_text(meeting("2025-06-17", "p23", "newcomer"), encoding="utf-8")
    bump(june)
    assert handles(load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)) == {
        "2025-05-17": ["p22"], "2025-06-17": ["p23", "newcomer"]}


def test_a_file_outside_the_window_that_is_edited_into_it_is_read(history, opened):
    """A date fixed in an old file: the index said 2024, the file now holds a June 2025 meeting."""
    cache = MemoryCache()
    collect_notes([str(history)], cache=cache, between=JUNE_2025)
    moved = history / "2024-02-17.md"
    moved.write_text(meeting("2025-06-24", "late"), encoding="utf-8")
    opened.clear()
    meetings = load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)
    assert opened == [str(moved)]
    assert handles(meetings) == {"2025-05-17": ["p22"], "2025-06-17": ["p23"], "2025-06-24": ["late"]}
    # The next run knows its new date: it is loaded (from the cache) for June, left out for February 2024.
    opened.clear()
    assert "2025-06-24" in handles(load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025))
    february = collect_notes([str(history)], cache=cache, between=(dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    assert str(moved) in february.skipped and february.documents == []
    assert opened == []


def test_a_new_file_shows_up_in_the_next_digest(history, opened):
    cache = MemoryCache()
    collect_notes([str(history)], cache=cache, between=JUNE_2025)
    opened.clear()
    added = history / "2025-06-30.md"
    added.write_text(meeting("2025-06-30", "extra"), encoding="utf-8")
    meetings = load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)
    assert opened == [str(added)]
    assert handles(meetings)["2025-06-30"] == ["extra"]


def test_a_deleted_file_disappears_from_the_next_digest_and_the_cache(history):
    cache = RecordingCache()
    collect_notes([str(history)], cache=cache, between=JUNE_2025)
    (history / "2025-06-17.md").unlink()
    (history / "2023-09-17.md").unlink()  # outside the window: still dropped from the index and its year
    cache.reset()
    assert handles(load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)) == {"2025-05-17": ["p22"]}
    index = next(v.body for k, v in cache._entries.items() if k.startswith("notes-index:"))
    assert b"2025-06-17.md" not in index and b"2023-09-17.md" not in index and b"2025-05-17.md" in index
    shards = {k.rsplit(":", 1)[-1]: v.body for k, v in cache._entries.items() if k.startswith("notes-parsed:")}
    assert b"2025-06-17.md" not in shards["2025"] and b"2023-09-17.md" not in shards["2023"]
    assert b"2023-08-17.md" in shards["2023"]
    assert sorted(k.rsplit(":", 1)[-1] for k in cache.puts if k.startswith("notes-parsed:")) == ["2023", "2025"]


def test_a_yearly_archive_is_read_for_any_window_between_its_first_and_last_meeting(tmp_path, opened):
    notes = tmp_path / "notes"
    notes.mkdir()
    cafe = notes / "collab-cafe-2024.md"
    cafe.write_text(archive(2024, {"2024-01-16": "ana", "2024-06-18": "bo", "2024-12-17": "cy"}), encoding="utf-8")
    (notes / "2025-06-17.md").write_text(meeting("2025-06-17", "dee"), encoding="utf-8")
    cache = MemoryCache()
    assert len(collect_notes([str(notes)], cache=cache).documents) == 2
    opened.clear()

    june_2024 = collect_notes([str(notes)], cache=cache, between=(dt.date(2024, 5, 31), dt.date(2024, 7, 1)))
    assert [Path(d.document).name for d in june_2024.documents] == ["collab-cafe-2024.md"]
    assert handles(load_meetings(None, notes=[str(notes)], cache=cache,
                                 between=(dt.date(2024, 5, 31), dt.date(2024, 7, 1)))) == {"2024-06-18": ["bo"]}
    # Inside its span but between two of its meetings: loaded (min..max), and no meeting found.
    assert load_meetings(None, notes=[str(notes)], cache=cache, between=(dt.date(2024, 8, 1), dt.date(2024, 9, 30))) == []
    # After its last meeting: left out.
    assert collect_notes([str(notes)], cache=cache, between=JUNE_2025).skipped == [str(cafe)]
    assert opened == []

    # A meeting appended to the archive (the usual way to keep one) moves its span: the next digest sees it.
    cafe.write_text(archive(2024, {"2024-01-16": "ana", "2024-06-18": "bo", "2024-12-17": "cy", "2025-06-03": "eve"}),
                    encoding="utf-8")
    assert handles(load_meetings(None, notes=[str(notes)], cache=cache, between=JUNE_2025)) == {
        "2025-06-03": ["eve"], "2025-06-17": ["dee"]}


def test_a_document_without_a_dated_meeting_is_left_out_of_a_window_only(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    undated = notes / "ideas.md"
    undated.write_text("## Agenda\n\n- someday\n", encoding="utf-8")
    cache = MemoryCache()
    assert [m.date for m in collect_notes([str(notes)], cache=cache).meetings()] == [None]
    assert collect_notes([str(notes)], cache=cache, between=JUNE_2025).skipped == [str(undated)]
    assert len(collect_notes([str(notes)], cache=cache).documents) == 1


def test_a_url_document_outside_the_window_is_fetched_but_not_loaded(parses):
    cache = RecordingCache()
    with FakeNotesHost() as host:
        host.documents["/old/download"] = meeting("2020-11-19", "ana")
        url = host.url("/old/download")
        first = collect_notes([url], cache=cache, between=JUNE_2025)
        assert len(first.documents) == 1 and parses == ["old"]
        cache.reset()
        second = collect_notes([url], cache=cache, between=JUNE_2025)
        assert host.requests[-1].status == 304  # still asked: a changed note must show up
        assert second.documents == [] and second.skipped == [url.removesuffix("/download")]
        assert not any(k.startswith("notes-parsed:") for k in cache.gets)
        # The note now holds a June meeting: fetched again (200), parsed, returned.
        host.documents["/old/download"] = meeting("2025-06-10", "ana", "bo")
        third = collect_notes([url], cache=cache, between=JUNE_2025)
        assert host.requests[-1].status == 200 and len(parses) == 2
        assert handles(third.meetings()) == {"2025-06-10": ["ana", "bo"]}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_document_outside_the_window_is_read_but_not_loaded_or_parsed(tmp_path, parses):
    origin = tmp_path / "origin"
    origin.mkdir()
    _git("init", "-q", "-b", "main", cwd=origin)
    (origin / "2020-11-19.md").write_text(meeting("2020-11-19", "ana"), encoding="utf-8")
    (origin / "2025-06-17.md").write_text(meeting("2025-06-17", "bo"), encoding="utf-8")
    _git("add", ".", cwd=origin)
    _git("commit", "-q", "-m", "one", cwd=origin)
    spec = NotesSpec("git", str(origin), branch="main", paths="*.md")
    cache = RecordingCache()
    first = collect_notes([spec], cache=cache, git_dir=tmp_path / "clones", between=JUNE_2025)
    assert len(first.documents) == 2 and sorted(parses) == ["origin:2020-11-19.md", "origin:2025-06-17.md"]
    cache.reset()
    second = collect_notes([spec], cache=cache, git_dir=tmp_path / "clones", between=JUNE_2025)
    assert second.skipped == [f"{origin}:2020-11-19.md"]
    assert handles(second.meetings()) == {"2025-06-17": ["bo"]} and len(parses) == 2
    assert [k.rsplit(":", 1)[-1] for k in cache.gets if k.startswith("notes-parsed:")] == ["2025"]
    # The old notes get a June meeting upstream: the fetch brings it, and it is parsed and returned.
    (origin / "2020-11-19.md").write_text(meeting("2020-11-19", "ana") + "\n" + meeting("2025-06-03", "cy"),
                                          encoding="utf-8")
    _git("commit", "-q", "-am", "two", cwd=origin)
    third = collect_notes([spec], cache=cache, git_dir=tmp_path / "clones", between=JUNE_2025)
    assert third.skipped == [] and len(parses) == 3
    assert "2025-06-03" in handles(third.meetings())


def test_a_damaged_index_means_reading_everything_again(history, opened):
    cache = MemoryCache()
    collect_notes([str(history)], cache=cache, between=JUNE_2025)
    key = next(k for k in cache._entries if k.startswith("notes-index:"))
    for body in (b"not json", b'{"documents": {"x": 1}}', b'{"documents": []}'):
        cache.put(key, CacheEntry(body=body))
        opened.clear()
        meetings = load_meetings(None, notes=[str(history)], cache=cache, between=JUNE_2025)
        assert len(opened) == 24
        assert handles(meetings) == {"2025-05-17": ["p22"], "2025-06-17": ["p23"]}
    opened.clear()
    assert len(collect_notes([str(history)], cache=cache, between=JUNE_2025).skipped) == 22 and opened == []


def test_a_failing_source_keeps_its_index(history, opened):
    cache = MemoryCache()
    collect_notes([str(history)], cache=cache, between=JUNE_2025)
    away = history.with_name("away")
    history.rename(away)
    assert [p.reason for p in collect_notes([str(history)], cache=cache, between=JUNE_2025).problems] == [
        "no such file or directory"]
    away.rename(history)
    opened.clear()
    assert len(collect_notes([str(history)], cache=cache, between=JUNE_2025).documents) == 2
    assert opened == []


def test_a_reversed_window_is_a_usage_error(history):
    with pytest.raises(UsageError, match="2025-07-01 is after 2025-04-30"):
        collect_notes([str(history)], between=(dt.date(2025, 7, 1), dt.date(2025, 4, 30)))


def test_every_cache_keeps_the_index_and_the_years(history, any_cache, opened):
    assert len(collect_notes([str(history)], cache=any_cache, between=JUNE_2025).documents) == 24
    opened.clear()
    again = collect_notes([str(history)], cache=any_cache, between=JUNE_2025)
    assert handles(again.meetings()) == {"2025-05-17": ["p22"], "2025-06-17": ["p23"]}
    assert all(d.from_cache for d in again.documents) and len(again.skipped) == 22 and opened == []
