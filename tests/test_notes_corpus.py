"""A notes source read as a whole: template text learnt from its own documents, the same meeting kept in
two documents merged, dates that disagree settled with one warning; and how `compass notes parse` shows it."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from chatops.cli import cli
from digests.notes import parse_notes, read_source

MEETING = """\
# Team Meeting

Date: 2031-0{month}-03

## Quick updates

- **Gil:** {update}
- _Add your update below, one line each_

## Agenda items

- Sign the attendance sheet please
- [name=Hana] (5m): {topic}
"""


def _docs(n: int) -> list[tuple[str, list]]:
    out = []
    for i in range(1, n + 1):
        text = MEETING.format(month=i, update=f"shipped release {i}", topic=f"Topic number {i}")
        out.append((f"2031-0{i}.md", parse_notes(text, document=f"2031-0{i}.md")))
    return out


def test_a_line_every_meeting_of_a_source_repeats_is_template_text():
    reading = read_source(_docs(4))
    assert reading.template == ["Sign the attendance sheet please"]
    for n, meeting in enumerate(reading.meetings, start=1):
        assert [a.title for a in meeting.agenda] == [f"Topic number {n}"]
        assert [u.text for u in meeting.updates] == [f"shipped release {n}"]


def test_a_document_alone_keeps_its_lines_and_knows_only_common_placeholders():
    reading = read_source(_docs(1))
    assert reading.template == []
    assert [a.title for a in reading.meetings[0].agenda] == ["Sign the attendance sheet please", "Topic number 1"]
    two = read_source(_docs(2))
    assert two.template == [], "two meetings are too few to tell a template from a recurring topic"


ARCHIVE = """\
# 2031 Cafe archive

## 2031-03-14

### Check-in

- Ana Ruiz / @anaruiz / Northwind
- Bo Tarn / @botarn / Orbital

### Agenda

- Plugin loader
  - Agreed to ship it in 2.0
"""

PAGE = """\
# Cafe 14 March 2031

## Check-in

- Ana Ruiz / @anaruiz / Northwind
- Cy Dee / @cydee / Acme

## Agenda

- Plugin loader
  - Agreed to ship it in 2.0
- Docs sprint
"""


def test_the_same_meeting_in_an_archive_and_a_page_is_one_meeting_with_its_items_once():
    reading = read_source([("archive.md", parse_notes(ARCHIVE, document="archive.md")),
                           ("2031-03-14.md", parse_notes(PAGE, document="2031-03-14.md"))])
    assert len(reading.meetings) == 1 and reading.merged == 1
    meeting = reading.meetings[0]
    assert meeting.date == dt.date(2031, 3, 14)
    assert meeting.documents == ("archive.md", "2031-03-14.md")
    assert [a.handle for a in meeting.attendees] == ["anaruiz", "cydee", "botarn"]
    assert [a.title for a in meeting.agenda] == ["Plugin loader", "Docs sprint"]
    assert [d.text for d in meeting.decisions] == ["Agreed to ship it in 2.0"]
    assert meeting.to_contract()["documents"] == ["archive.md", "2031-03-14.md"]


def test_meetings_of_one_day_that_share_nothing_stay_apart():
    other = PAGE.replace("Ana Ruiz / @anaruiz / Northwind", "Di Eve / @die / Beta").replace(
        "Plugin loader\n  - Agreed to ship it in 2.0\n", "Budget\n").replace("Cafe", "Board")
    reading = read_source([("archive.md", parse_notes(ARCHIVE, document="archive.md")),
                           ("board.md", parse_notes(other, document="board.md"))])
    assert len(reading.meetings) == 2 and reading.merged == 0


def test_dates_that_disagree_use_the_most_specific_and_say_so_once():
    text = "# Team Meeting 2031-03-11\n\nDate: 2031-03-18\n\n## Agenda\n- Topic A\n"
    [meeting] = parse_notes(text, document="notes/2031-03-11-team.md")
    assert meeting.date == dt.date(2031, 3, 18)
    assert meeting.warnings == (
        ("notes/2031-03-11-team.md: dates disagree (the Date: line 2031-03-18, the title 2031-03-11, the file name "
         "2031-03-11); using 2031-03-18 from the Date: line"),)
    [agreeing] = parse_notes(text.replace("03-18", "03-11"), document="notes/2031-03-11-team.md")
    assert agreeing.warnings == ()


def test_notes_parse_table_shows_template_text_and_merged_documents(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    for name, docs in _docs(3):
        text = MEETING.format(month=name[6], update=f"shipped release {name[6]}", topic=f"Topic number {name[6]}")
        (notes / name).write_text(text)
    (notes / "archive.md").write_text(ARCHIVE)
    (notes / "page-2031-03-14.md").write_text(PAGE)
    (notes / "dates-2031-03-11.md").write_text("# Team 2031-03-11\n\nDate: 2031-03-25\n\n- Topic\n")
    result = CliRunner().invoke(cli, ["notes", "parse", str(notes), "--no-cache"],
                                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "template text recognised (1), left out of every meeting:" in out
    assert "    Sign the attendance sheet please" in out
    assert (f"2031-03-14: one meeting kept in 2 documents, merged: {notes / 'archive.md'}, "
            f"{notes / 'page-2031-03-14.md'}") in out
    assert result.stderr.count("dates disagree") == 1
    assert "dates-2031-03-11.md: dates disagree" in result.stderr
    data = json.loads(CliRunner().invoke(
        cli, ["notes", "parse", str(notes), "--no-cache", "--format", "json"]).stdout)
    merged = [m for m in data if m["date"] == "2031-03-14"]
    assert len(merged) == 1 and len(merged[0]["documents"]) == 2
    assert not any(a["title"] == "Sign the attendance sheet please" for m in data for a in m["agenda"])
