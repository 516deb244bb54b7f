"""Notes from other ecosystems, against expected JSON written by reading them.

tests/fixtures/notes-ecosystems/ holds realistic notes in formats the project's own communities do not use
(meetbot minutes from Fedora and OpenStack, Kubernetes SIG notes, Rust HackMD minutes, Node.js TSC minutes,
Apache and DSF board minutes, GNOME board minutes, a NumPy HackMD call, a Google Docs export, a Confluence
export, minutes posted on Discourse, W3C scribe minutes, a JupyterLab yearly archive, scikit-learn's monthly
meeting, OpenSSF working-group minutes with motions, formal numbered minutes, CNCF TOC tables, notes pasted from a
wiki, plain-text notes with underlined headings, a Zulip summary, a raw IRC log, and the JupyterHub team's own notes
across its eras: a 2017 GitHub-issue meeting, a 2019 HackMD with "Victories" and "Actionable items", a 2021 yearly
archive with a cancelled month, a 2022 page that keeps its template's unfilled lines, a 2024 Collaboration Cafe
with a sign-in table; and sister Jupyter teams: Accessibility, the Software Steering Council's votes,
jupyter-widgets / JupyterLite, Jupyter Book / MyST). Each stands for a class of format, not for itself: the parser must read
them by rules that hold for the class (meetbot's "(nick, HH:MM:SS)" stamps, a label over comma-separated names
in an attendance section, bots that are not people, procedure headings that are not topics, ...).
tests/golden/notes-ecosystems/<name>.json says per meeting what a careful note-taker takes from the document,
written by reading it, never produced by the parser. Objects give only the keys compared (see
tests/notes_golden.py); each field is its own test, so a failure names the document and the field.

Fields the parser does not read yet are listed in KNOWN_GAPS (strict xfail: a gap that closes fails until it is
taken off the list).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import notes_golden
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "tests" / "fixtures" / "notes-ecosystems"
GOLDEN = ROOT / "tests" / "golden" / "notes-ecosystems"
SCHEMA = json.loads((ROOT / "tests" / "contracts" / "meeting.schema.json").read_text())
NAMES = sorted(p.stem for p in GOLDEN.glob("*.json"))
FIELDS = ["date", "title", "cancelled", "attendees", "newcomers", "celebrations", "updates", "agenda", "decisions",
          "action_items"]

# (document, field): what the parser does not read as a careful reader does yet.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def parsed(name: str) -> list[dict]:
    return notes_golden.parsed(DOCS, name)


CASES = notes_golden.field_cases(NAMES, FIELDS, KNOWN_GAPS)


@pytest.mark.parametrize(("name", "field"), CASES)
def test_other_ecosystems_read_as_a_careful_reader_would(name, field):
    notes_golden.check_field(DOCS, GOLDEN, name, field)


def test_every_document_has_a_golden():
    assert {p.stem for p in DOCS.glob("*.md")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_output_validates_against_the_contract(name):
    jsonschema.validate(parsed(name), SCHEMA, format_checker=jsonschema.FormatChecker())
