"""The four real notes documents against expected JSON written by reading them.

tests/golden/notes/<fixture>.json holds, per meeting, every attendee, newcomer, celebration, update,
agenda item (with its discussion and links), decision and action item (with their topics), link and
whether it was cancelled, checked by hand against the document (contract v2). The comparison goes field
by field so a failure names what changed; a celebration or update given without "markdown" must have no
Markdown beyond its text.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from notes_golden import shape as _shape

from digests.notes import parse_notes

ROOT = Path(__file__).resolve().parent.parent
# Copies of the four documents of shared/fixtures/notes, byte for byte (see the SHA-256 test below).
FIXTURES = ROOT / "chatops" / "data" / "example-notes"
GOLDEN = ROOT / "tests" / "golden" / "notes"
SCHEMA = json.loads((ROOT / "tests" / "contracts" / "meeting.schema.json").read_text())
NAMES = ["collab-cafe-2025", "community-2020-11-19", "community-2022-09-20", "community-2023-01-17"]
FIELDS = ["date", "title", "cancelled", "attendees", "newcomers", "celebrations", "updates", "agenda", "decisions",
          "action_items", "links", "source"]


def parsed(name: str) -> list[dict]:
    text = (FIXTURES / f"{name}.md").read_text(encoding="utf-8")
    return [m.to_contract() for m in parse_notes(text, document=f"{name}.md")]


@pytest.mark.parametrize("name", NAMES)
def test_fixture_matches_hand_checked_golden(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    actual = parsed(name)
    assert [m["date"] for m in actual] == [m["date"] for m in expected]
    for got, want in zip(actual, expected):
        for key in FIELDS:
            assert _shape(got[key], want[key], key) == want[key], f"{name} {want['date']}: {key}"


@pytest.mark.parametrize("name", NAMES)
def test_fixture_output_validates_against_the_contract(name):
    jsonschema.validate(parsed(name), SCHEMA, format_checker=jsonschema.FormatChecker())


# SHA-256 of shared/fixtures/notes/<name>.md when they were copied into chatops/data/example-notes: the
# goldens were checked by hand against exactly these bytes, so an edited copy must fail here.
SHARED_SHA256 = {
    "collab-cafe-2025": "b710d4034f0a6cd28fdea261876c371ad38d6d097091eb772d75236ccb57bbb6",
    "community-2020-11-19": "5f3fda5a9708379cd1f6f0ad890f44127c43b491940f8030b3228b520ade5793",
    "community-2022-09-20": "91617b514b052f032842fec50afa84277aead86f71cd663b9f7a8046844ae236",
    "community-2023-01-17": "b760ae82f2720f714b5a9857eb48f98ffea2ef629b0a73e6a6b25627ae03e6db",
}


def test_packaged_example_notes_are_the_shared_fixtures():
    for name in NAMES:
        assert hashlib.sha256((FIXTURES / f"{name}.md").read_bytes()).hexdigest() == SHARED_SHA256[name], name


def test_archive_meetings_link_back_to_their_heading():
    meetings = parse_notes((FIXTURES / "collab-cafe-2025.md").read_text(), document="cafe.md",
                           url="https://hackmd.io/cafe")
    assert [m.anchor for m in meetings] == ["2025-06-17", "2025-05-20", "2025-04-15", "2025-03-18",
                                            "2025-02-18", "2025-01-21"]
    jan = meetings[-1]
    # the "#### Voices of JupyterHub" notes belong to the agenda item that links to them
    voices = next(a for a in jan.agenda if a.title == "Voices of JupyterHub update")
    assert "Update from Dan" in voices.discussion
    assert voices.source is not None and voices.source.url == "https://hackmd.io/cafe#agenda-5"
    assert voices.source.line == 279
