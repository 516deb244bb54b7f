"""The notes-pattern documents against expected JSON written by reading them.

tests/fixtures/notes-patterns/ holds copies of shared/fixtures/notes-patterns (small invented documents,
each showing a way real notes are written; their README says what a careful reader takes from each).
tests/golden/notes-patterns/<name>.json holds, per meeting, what a careful human note-taker takes from
the document: written by reading it, never produced by the parser. Each field is its own test, so a
failure names the document and the field. Where the expected list gives an object with fewer keys than
the output (a celebration without "markdown"), only the given keys are compared, and a celebration or
update without a "markdown" key must have no Markdown beyond its text.

Fields the parser does not read yet are listed in KNOWN_GAPS (strict xfail: a gap that closes fails
until it is taken off the list).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import notes_golden
import pytest

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ROOT / "tests" / "fixtures" / "notes-patterns"
GOLDEN = ROOT / "tests" / "golden" / "notes-patterns"
SCHEMA = json.loads((ROOT / "tests" / "contracts" / "meeting.schema.json").read_text())
SHARED = ROOT.parent / "shared" / "fixtures" / "notes-patterns"
NAMES = sorted(p.stem for p in GOLDEN.glob("*.json"))
FIELDS = ["date", "title", "cancelled", "attendees", "newcomers", "celebrations", "updates", "agenda", "decisions",
          "action_items", "links"]

# (pattern, field): what the parser does not read as a careful reader does yet.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def parsed(name: str) -> list[dict]:
    return notes_golden.parsed(PATTERNS, name)


CASES = notes_golden.field_cases(NAMES, FIELDS, KNOWN_GAPS)


@pytest.mark.parametrize(("name", "field"), CASES)
def test_pattern_reads_as_a_careful_reader_would(name, field):
    notes_golden.check_field(PATTERNS, GOLDEN, name, field)


def test_every_pattern_document_has_a_golden():
    documents = {p.stem for p in PATTERNS.glob("*.md")} - {"README"}
    assert documents == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_pattern_output_validates_against_the_contract(name):
    jsonschema.validate(parsed(name), SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared fixtures not mounted")
def test_pattern_copies_are_the_shared_documents():
    for path in PATTERNS.glob("*.md"):
        shared = SHARED / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(shared.read_bytes()).digest(), path.name
