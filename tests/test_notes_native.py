"""The compiled notes parser (mypyc, built by setup.py) and its pure-Python sources.

The compiled modules must give exactly the output of the sources, must never be used once the sources
beside them have changed, and must refuse input that would exhaust the C stack instead of crashing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import digests.notes
from digests.notes import _native, parse_notes

REPO = Path(__file__).resolve().parent.parent
NOTES_DIRS = [REPO / "chatops" / "data" / "example-notes", Path(__file__).parent / "golden"]  # any Markdown will do

DUMP = """
import json, sys
from pathlib import Path
import digests.notes
from digests.notes import parse_notes
out = {"compiled": digests.notes.COMPILED, "meetings": {}}
for name in sys.argv[1:]:
    text = Path(name).read_text(encoding="utf-8")
    out["meetings"][name] = [m.model_dump(mode="json") for m in parse_notes(text, document=name)]
print(json.dumps(out))
"""


def _documents() -> list[str]:
    return sorted(str(p) for d in NOTES_DIRS if d.is_dir() for p in d.rglob("*.md"))


def _run(code: str, *args: str, env: dict[str, str] | None = None, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "COMPASS_PURE_PYTHON"} | (env or {})
    if path is not None:
        full["PYTHONPATH"] = str(path)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full,
                          cwd=path or REPO, timeout=120, check=False)


def test_pure_python_sources_give_the_same_meetings_as_this_install() -> None:
    documents = _documents()
    assert len(documents) >= 4
    pure = _run(DUMP, *documents, env={"COMPASS_PURE_PYTHON": "1"})
    assert pure.returncode == 0, pure.stderr
    pure_out = json.loads(pure.stdout)
    assert pure_out["compiled"] is False
    here = {name: [m.model_dump(mode="json") for m in parse_notes(Path(name).read_text(encoding="utf-8"),
                                                                   document=name)]
            for name in documents}
    assert pure_out["meetings"] == here
    assert sum(len(v) for v in here.values()) >= 4


@pytest.mark.parametrize("text", [
    "> " * 100_000 + "deep",
    "- " * 100_000 + "deep",
    "> - " * 300 + "deep",
])
def test_nesting_past_the_limit_is_a_parse_error_not_a_crash(text: str) -> None:
    code = (
        "import sys\n"
        "from digests.errors import NotesParseError\n"
        "from digests.notes import parse_notes\n"
        "try:\n"
        "    parse_notes(sys.stdin.read(), document='deep.md')\n"
        "except NotesParseError as exc:\n"
        "    print(exc.line, exc.reason)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input="# Meeting 2024-01-01\n\n" + text,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"  # a segfault is -11
    line, _, reason = done.stdout.strip().partition(" ")
    assert line == "3"
    assert "nested more than 256 levels deep" in reason and "flatten" in reason


def test_nesting_under_the_limit_still_parses() -> None:
    text = "## 2024-01-01 Team meeting\n\n### Agenda\n\n" + "".join(
        "  " * i + f"- level {i} https://example.org/{i}\n" for i in range(40))
    meetings = parse_notes(text, document="nested.md")
    assert len(meetings) == 1
    assert meetings[0].links[-1] == "https://example.org/39" and len(meetings[0].links) == 40


def test_compiled_modules_are_used_only_with_the_sources_they_were_built_from(tmp_path: Path) -> None:
    source = Path(digests.notes.__file__).parent
    if not digests.notes.COMPILED:
        pytest.skip("this install runs the pure-Python parser (no C compiler, COMPASS_PURE_PYTHON set, or sources edited since the build)")
    copy = tmp_path / "digests"
    shutil.copytree(source.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = ("import digests.notes, digests.notes.meetings as m; "
             "print(digests.notes.COMPILED, m.__file__.endswith('.py'))")

    fresh = _run(probe, path=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.split() == ["True", "False"]

    with (copy / "notes" / "dates.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit after the build\n")
    stale = _run(probe, path=tmp_path)
    assert stale.returncode == 0, stale.stderr
    assert stale.stdout.split() == ["False", "True"]  # every module from its source, none compiled

    forced = _run(probe, env={"COMPASS_PURE_PYTHON": "1"})
    assert forced.stdout.split() == ["False", "True"]


def test_compiled_is_current_compares_the_recorded_hash(tmp_path: Path) -> None:
    for name in _native.MODULES:
        (tmp_path / f"{name}.py").write_text(f"NAME = {name!r}\n")
    recorded = _native.sources_hash(tmp_path)
    assert _native.compiled_is_current(recorded, tmp_path)
    assert not _native.compiled_is_current(None, tmp_path)
    (tmp_path / "people.py").write_text("NAME = 'edited'\n")
    assert not _native.compiled_is_current(recorded, tmp_path)
