"""Notes sources: local paths and globs, git repositories, HTTP (through a loopback fake), caching."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fakes.notes_http import FakeNotesHost

import chatops.sources.notes as notes_mod
from chatops.sources.cache import FileCache, MemoryCache
from chatops.sources.notes import NotesSpec, collect_notes, download_url, redact_url, spec_of

FIXTURES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"
DOC = "# Team meeting 2024-02-06\n\n## Celebrations\n- Thanks @ana for the release! https://example.org/r\n"


@pytest.fixture
def host():
    with FakeNotesHost() as fake:
        yield fake


@pytest.fixture
def count_parses(monkeypatch):
    calls: list[str] = []
    real = notes_mod.parse_records

    def counting(text, **kw):
        calls.append(kw["document"])
        return real(text, **kw)

    monkeypatch.setattr(notes_mod, "parse_records", counting)
    return calls


def test_paths_directories_and_globs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "2024-01-01.md").write_text("## Agenda\n- one\n")
    (tmp_path / "a" / "skip.png").write_bytes(b"\x89PNG")
    (tmp_path / "b.md").write_text("## Agenda\n- two\n")
    report = collect_notes([str(tmp_path / "a"), str(tmp_path / "*.md")])
    assert report.problems == []
    assert [Path(d.document).name for d in report.documents] == ["2024-01-01.md", "b.md"]
    assert [m.agenda[0].title for m in report.meetings()] == ["one", "two"]
    assert report.meetings()[0].date is not None and report.meetings()[0].date.isoformat() == "2024-01-01"


def test_a_failing_source_is_reported_and_the_others_still_count(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(DOC)
    bad = tmp_path / "latin1.md"
    bad.write_bytes("## Agenda\n- caf\xe9\n".encode("latin-1"))
    report = collect_notes([str(tmp_path / "missing.md"), str(bad), str(good), str(tmp_path / "none-*.md")])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path / 'missing.md'}: no such file or directory",
        f"{bad}: not UTF-8 text (invalid byte at offset 15); save the file as UTF-8",
        (f"{tmp_path / 'none-*.md'}: no files match this pattern; check the path and quote the glob so the shell "
         "does not expand it"),
    ]
    assert [d.document for d in report.documents] == [str(good)]
    assert report.meetings()[0].celebrations[0].people == ("ana",)


def test_unchanged_document_is_never_parsed_twice(tmp_path, count_parses):
    path = tmp_path / "n.md"
    path.write_text(DOC)
    cache = FileCache(tmp_path / "cache")
    first = collect_notes([str(path)], cache=cache)
    second = collect_notes([str(path)], cache=cache)
    assert count_parses == [str(path)]
    assert not first.documents[0].from_cache and second.documents[0].from_cache
    assert second.meetings() == first.meetings()
    assert second.documents[0].contract_json == first.documents[0].contract_json
    path.write_text(DOC + "- Kudos to Bo\n")
    third = collect_notes([str(path)], cache=cache)
    assert count_parses == [str(path), str(path)]
    assert len(third.meetings()[0].celebrations) == 2


def test_heading_config_is_part_of_the_cache_key(tmp_path, count_parses):
    path = tmp_path / "n.md"
    path.write_text("## Bravo corner\n- @ana\n")
    cache = MemoryCache()
    assert collect_notes([str(path)], cache=cache).meetings()[0].celebrations == ()
    extended = collect_notes([str(path)], cache=cache, headings={"celebrations": ["bravo corner"]})
    assert [c.people for c in extended.meetings()[0].celebrations] == [("ana",)]
    assert len(count_parses) == 2


def test_http_conditional_requests_and_parse_cache(host, count_parses):
    host.documents["/abc/download"] = DOC
    url = host.url("/abc/download")
    cache = MemoryCache()
    first = collect_notes([url], cache=cache)
    assert first.problems == []
    meeting = first.meetings()[0]
    assert meeting.document == host.url("/abc")
    assert meeting.celebrations[0].source is not None
    assert meeting.celebrations[0].source.url == host.url("/abc") + "#celebrations"
    second = collect_notes([url], cache=cache)
    assert [r.status for r in host.requests] == [200, 304]
    assert "If-None-Match" in host.requests[1].headers and "If-Modified-Since" in host.requests[1].headers
    assert second.documents[0].from_cache
    assert count_parses == [host.url("/abc")]


def test_http_failures_are_problems_with_reasons(host):
    host.documents["/note/download"] = DOC
    host.status["/gone"] = 404
    host.status["/private"] = 403
    report = collect_notes([host.url("/gone"), host.url("/note"), host.url("/private"), host.url("/note/download")])
    assert [str(p) for p in report.problems] == [
        f"{host.url('/gone')}: not found (HTTP 404); check the URL, and that the note is published or shared",
        f"{host.url('/note')}: the server sent an HTML page, not Markdown; for HackMD use the note's '/download' URL",
        f"{host.url('/private')}: access denied (HTTP 403); make the note readable without signing in",
    ]
    assert len(report.documents) == 1


def test_server_down_uses_the_last_good_copy(host):
    host.documents["/n/download"] = DOC
    url = host.url("/n/download")
    cache = MemoryCache()
    collect_notes([url], cache=cache)
    host.status["/n/download"] = 503
    report = collect_notes([url], cache=cache)
    assert report.problems == []
    assert report.documents[0].stale
    assert report.meetings()[0].celebrations[0].people == ("ana",)


def test_unreachable_host_without_cache_is_a_problem():
    report = collect_notes(["http://127.0.0.1:9/notes.md"], timeout=2)
    assert len(report.problems) == 1
    assert report.problems[0].reason.startswith("could not fetch: ConnectError")


@pytest.mark.parametrize(
    ("url", "fetch", "readable"),
    [
        ("https://hackmd.io/AbC123", "https://hackmd.io/AbC123/download", "https://hackmd.io/AbC123"),
        ("https://hackmd.io/AbC123/download", "https://hackmd.io/AbC123/download", "https://hackmd.io/AbC123"),
        ("https://hackmd.io/@team/notes", "https://hackmd.io/@team/notes/download", "https://hackmd.io/@team/notes"),
        ("https://example.org/notes.md", "https://example.org/notes.md", "https://example.org/notes.md"),
    ],
    ids=["hackmd_page", "hackmd_download", "hackmd_team_note", "plain_file"],
)
def test_hackmd_pages_are_fetched_through_download(url, fetch, readable):
    assert download_url(url) == (fetch, readable)


def test_credentials_never_appear_in_names():
    assert redact_url("https://bot:s3cret@git.example.org/notes.git") == "https://git.example.org/notes.git"
    spec = spec_of(type("GitNotes", (), {"git": "https://bot:s3cret@example.org/n.git", "branch": "main",
                                          "paths": "*.md"})())
    assert "s3cret" not in spec.name


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_repository_is_cloned_once_then_fetched(tmp_path):
    origin = tmp_path / "origin"
    (origin / "notes").mkdir(parents=True)
    _git("init", "-q", "-b", "notes-branch", cwd=origin)
    (origin / "notes" / "2024-03-05.md").write_text("## Agenda\n- first\n")
    (origin / "README.md").write_text("not notes\n")
    _git("add", ".", cwd=origin)
    _git("commit", "-q", "-m", "one", cwd=origin)
    spec = NotesSpec("git", str(origin), branch="notes-branch", paths="notes/*.md")
    clones = tmp_path / "clones"
    first = collect_notes([spec], git_dir=clones)
    assert first.problems == []
    assert [m.agenda[0].title for m in first.meetings()] == ["first"]
    assert first.documents[0].document == f"{origin}:notes/2024-03-05.md"
    assert len(list(clones.iterdir())) == 1
    (origin / "notes" / "2024-03-19.md").write_text("## Agenda\n- second\n")
    _git("add", ".", cwd=origin)
    _git("commit", "-q", "-m", "two", cwd=origin)
    second = collect_notes([spec], git_dir=clones)
    assert [m.agenda[0].title for m in second.meetings()] == ["first", "second"]
    assert len(list(clones.iterdir())) == 1


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_wrong_branch_is_a_problem(tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    _git("init", "-q", "-b", "main", cwd=origin)
    (origin / "a.md").write_text("x\n")
    _git("add", ".", cwd=origin)
    _git("commit", "-q", "-m", "one", cwd=origin)
    report = collect_notes([NotesSpec("git", str(origin), branch="nope")], git_dir=tmp_path / "clones")
    assert len(report.problems) == 1
    assert report.problems[0].reason.startswith("git clone failed:")
    assert "nope" in report.problems[0].reason


def test_config_models_convert_to_specs(tmp_path):
    local = type("LocalNotes", (), {"path": "notes/*.md"})()
    http = type("HttpNotes", (), {"url": "https://hackmd.io/x"})()
    assert spec_of(local, base=tmp_path) == NotesSpec("path", str(tmp_path / "notes/*.md"), label="notes/*.md")
    assert spec_of(http).kind == "url"
    assert spec_of("https://example.org/n.md").kind == "url"
    assert spec_of(str(FIXTURES)).kind == "path"


def test_config_git_paths_are_relative_to_the_config_file(tmp_path):
    local = type("GitNotes", (), {"git": "notes-repo", "branch": "main", "paths": "*.md"})()
    remote = type("GitNotes", (), {"git": "git@github.com:org/notes.git", "branch": "main", "paths": "*.md"})()
    assert spec_of(local, base=tmp_path).location == str(tmp_path / "notes-repo")
    assert spec_of(remote, base=tmp_path).location == "git@github.com:org/notes.git"


def test_unknown_heading_kind_is_one_clear_error(tmp_path):
    from chatops.errors import UsageError

    (tmp_path / "n.md").write_text("x\n")
    with pytest.raises(UsageError, match=r"^sources.headings: unknown notes section kind 'kudos'; expected one of: "
                                         r"attendees, newcomers, updates, celebrations, agenda, decisions, action_items$"):
        collect_notes([str(tmp_path / "n.md")], headings={"kudos": ["Kudos corner"]})


def test_parallel_parsing_gives_the_same_meetings(tmp_path, monkeypatch):
    for i in range(3):
        for src in sorted(FIXTURES.glob("*.md")):
            (tmp_path / f"{i}-{src.name}").write_bytes(src.read_bytes())
    monkeypatch.setattr(notes_mod, "PARALLEL_MIN_BYTES", 0)
    serial = collect_notes([str(tmp_path)], workers=1)
    parallel = collect_notes([str(tmp_path)], workers=2)
    assert [d.contract_json for d in parallel.documents] == [d.contract_json for d in serial.documents]
    assert parallel.meetings() == serial.meetings()
    assert sum(len(d.meetings()) for d in parallel.documents) == 27
    # the three copies of each meeting are one meeting read from three documents (digests.notes.corpus)
    assert len(parallel.meetings()) == 9
    assert all(len(m.documents) == 3 for m in parallel.meetings())


def test_only_changed_documents_of_a_directory_are_parsed_again(tmp_path, count_parses):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("## Agenda\n- one\n")
    (notes / "b.md").write_text("## Agenda\n- two\n")
    cache = FileCache(tmp_path / "cache")
    collect_notes([str(notes)], cache=cache)
    (notes / "b.md").write_text("## Agenda\n- two, revised\n")
    report = collect_notes([str(notes)], cache=cache)
    assert [Path(p).name for p in count_parses] == ["a.md", "b.md", "b.md"]
    assert [d.from_cache for d in report.documents] == [True, False]
    assert [m.agenda[0].title for m in report.meetings()] == ["one", "two, revised"]
    collect_notes([str(notes)], cache=cache)
    assert len(count_parses) == 3


def test_a_damaged_cache_entry_means_parsing_again(tmp_path, count_parses):
    path = tmp_path / "n.md"
    path.write_text(DOC)
    cache = MemoryCache()
    collect_notes([str(path)], cache=cache)
    for key in list(cache._entries):
        cache.put(key, notes_mod.CacheEntry(body=b'[["x", 99, 99]]\n{}'))
    report = collect_notes([str(path)], cache=cache)
    assert len(count_parses) == 2
    assert report.meetings()[0].celebrations[0].people == ("ana",)


def test_a_workers_function_is_asked_only_when_there_is_much_to_parse(tmp_path, monkeypatch):
    asked: list[int] = []

    def workers() -> int:
        asked.append(1)
        return 2

    (tmp_path / "small.md").write_text(DOC)
    collect_notes([str(tmp_path / "small.md")], workers=workers)
    assert asked == []
    for i in range(3):
        for src in sorted(FIXTURES.glob("*.md")):
            (tmp_path / f"{i}-{src.name}").write_bytes(src.read_bytes())
    monkeypatch.setattr(notes_mod, "PARALLEL_MIN_BYTES", 0)
    report = collect_notes([str(tmp_path)], workers=workers)
    assert asked == [1]
    assert len(report.documents) == 13


def test_unchanged_files_are_not_read_again(tmp_path):
    """The stat index vouches for files whose mtime and size did not change; a change is parsed again."""
    import os

    from chatops.sources.cache import FileCache
    from chatops.sources.notes import collect_notes

    notes = tmp_path / "notes"
    notes.mkdir()
    page = notes / "2025-06-17.md"
    page.write_text("# Team meeting 2025-06-17\n\n## Attendees\n\n- Ada / @ada\n", encoding="utf-8")
    cache = FileCache(tmp_path / "cache")
    first = collect_notes([str(notes)], cache=cache)
    assert [a.handle for a in first.meetings()[0].attendees] == ["ada"]

    # Same size and mtime, other bytes: only a read would notice, and none happens.
    stamp = page.stat().st_mtime_ns
    page.write_text("# Team meeting 2025-06-17\n\n## Attendees\n\n- Bob / @bob\n", encoding="utf-8")
    os.utime(page, ns=(stamp, stamp))
    second = collect_notes([str(notes)], cache=cache)
    assert [a.handle for a in second.meetings()[0].attendees] == ["ada"]
    assert second.documents[0].from_cache

    os.utime(page, ns=(stamp + 1_000_000_000, stamp + 1_000_000_000))
    third = collect_notes([str(notes)], cache=cache)
    assert [a.handle for a in third.meetings()[0].attendees] == ["bob"]


def test_a_failing_source_is_told_once_by_the_caller_not_logged_by_the_collector(tmp_path, caplog):
    with caplog.at_level("DEBUG", logger="chatops"):
        report = collect_notes([str(tmp_path / "missing.md")])
    assert [p.reason for p in report.problems] == ["no such file or directory"]
    assert [r.getMessage() for r in caplog.records if "missing.md" in r.getMessage()] == []
