"""The notes parser's records and the values they stand for (digests.notes.records, digests.model).

The parser builds plain records and turns them into ``Meeting`` values at its edge; the cache and the
contract JSON are written straight from the records. Both kinds must carry the same fields, and a record's
JSON must be exactly what its value gives back.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from digests import model
from digests.contract import meeting_contract
from digests.notes import parse_notes, parse_records, records

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([*(REPO / "chatops" / "data" / "example-notes").glob("*.md"),
                    *(REPO / "tests" / "fixtures" / "notes-ecosystems").glob("*.md")])
PAIRS = [(records.SourceRef, model.SourceRef), (records.Attendee, model.Attendee),
         (records.Celebration, model.Celebration), (records.Update, model.Update),
         (records.AgendaItem, model.AgendaItem), (records.Decision, model.Decision),
         (records.ActionItem, model.ActionItem), (records.Meeting, model.Meeting)]


@pytest.mark.parametrize(("record", "value"), PAIRS, ids=[v.__name__ for _, v in PAIRS])
def test_a_record_has_the_fields_and_defaults_of_its_value(record, value):
    fields = {f.name: f for f in dataclasses.fields(record)}
    assert set(fields) == set(value.model_fields)
    for name, info in value.model_fields.items():
        default = fields[name].default
        assert (default is dataclasses.MISSING) == info.is_required(), name
        if not info.is_required():
            assert default == info.default, name


def test_the_documents_are_there():
    assert len(DOCUMENTS) >= 20


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_a_records_json_is_what_its_value_gives_back_and_both_have_one_contract(path):
    text = path.read_text(encoding="utf-8")
    found = parse_records(text, document=path.name)
    values = parse_notes(text, document=path.name)
    assert found and len(found) == len(values)
    for record, value in zip(found, values):
        assert value.model_dump(mode="json") == record.as_values()
        assert meeting_contract(record) == value.to_contract()


def test_parsing_notes_in_a_process_of_its_own_never_loads_pydantic(tmp_path):
    # `compass notes parse` and its forked workers write JSON from the records: building the values (and
    # importing pydantic to do it) would cost every run a tenth of a second before the workers start.
    for i in range(12):
        (tmp_path / f"2024-01-{i + 10}.md").write_text(DOCUMENTS[i % len(DOCUMENTS)].read_text(encoding="utf-8"),
                                                       encoding="utf-8")
    code = ("import sys\nfrom chatops.cli import main\nsys.argv = ['compass', 'notes', 'parse', sys.argv[1], "
            "'--format', 'json', '--no-cache', '--workers', '1']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pydantic' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          check=False,
                          cwd=tmp_path)
    assert done.stdout.startswith("[{"), done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
