"""The people registry in the database (SQLite and PostgreSQL): incremental builds, changed notes, chat,
opt-outs, forget, merge and split, and the CLI in front of it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatops.cli import cli
from chatops.people import build_people, people_snapshot, rules_from_config
from chatops.storage.db import Database
from chatops.storage.people import forget_person, load_registry, record_sighting, save_registry
from chatops.storage.shoutouts import list_shoutouts, record_shoutout
from digests.model import Recipient, Shoutout, Window

UTC = dt.UTC
FIXTURES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"


def month(year: int, m: int) -> Window:
    return Window(since=dt.datetime(year, m, 1, tzinfo=UTC), until=dt.datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=UTC))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


NOTES = """# Team meeting

## 2024-01-09

### Check-in
- Ana Lopez / @alopez / Acme
- Ben Ode / @benode

## 2024-07-02

### Check-in
- Ben Ode / @benode

## 2024-08-06

### Check-in
- Ben Ode / @benode

## 2024-09-03

### Check-in
- Ana Lopez / @alopez
- Cy Dee / @cydee
"""


def test_build_is_incremental_and_a_changed_document_keeps_its_people(database: Database, tmp_path: Path) -> None:
    notes = write(tmp_path / "team.md", NOTES)
    first = build_people(None, database, notes=[str(notes)], cache=None)
    assert (first.documents_read, first.new_people) == (1, 3)
    again = build_people(None, database, notes=[str(notes)], cache=None)
    assert (again.documents_read, again.documents_unchanged, again.sightings) == (0, 1, 0)
    write(notes, NOTES.replace("- Cy Dee / @cydee", "- Cy Dee / @cydee\n- Dora Fay / @dfay"))
    changed = build_people(None, database, notes=[str(notes)], cache=None)
    assert (changed.documents_read, changed.new_people) == (1, 1)
    with database.session() as session:
        registry = load_registry(session=session)
    assert sorted(p.canonical() for p in registry.people.values()) == ["Ana Lopez", "Ben Ode", "Cy Dee", "Dora Fay"]
    ana = registry.find("@alopez")[0]
    assert ana.first_seen is not None and ana.first_seen.date() == dt.date(2024, 1, 9) and len(ana.seen) == 2
    snapshot = people_snapshot(None, database, month(2024, 9))
    assert sorted(p.name for p in snapshot.welcomed()) == ["Cy Dee", "Dora Fay"]
    assert [p.name for p, _ in snapshot.returning()] == ["Ana Lopez"]  # away since January


def test_shoutouts_link_people_by_zulip_id_and_forget_removes_them(database: Database, tmp_path: Path) -> None:
    notes = write(tmp_path / "team.md", NOTES)
    with database.session() as session:
        record_shoutout(session=session, shoutout=Shoutout(
            giver="Ana Lopez", giver_id=11, text="for the release", created_at=dt.datetime(2024, 9, 4, tzinfo=UTC),
            recipients=(Recipient(name="Cy Dee", user_id=33), Recipient(name="docs team", kind="text"))))
        record_shoutout(session=session, shoutout=Shoutout(
            giver="Ben Ode", giver_id=22, text="for reviews", created_at=dt.datetime(2024, 9, 5, tzinfo=UTC),
            recipients=(Recipient(name="Cy Dee", user_id=33),)))
    report = build_people(None, database, notes=[str(notes)], cache=None)
    assert report.shoutouts_read == 2
    with database.session() as session:
        registry = load_registry(session=session)
        cy = registry.find("zulip:33")[0]
        assert cy.handle == "cydee" and registry.find("Cy Dee") == [cy]
        assert registry.find("zulip:11") == registry.find("@alopez")
        assert registry.find("docs team") == []
        removed = forget_person(session=session, registry=registry, person_id=cy.id)
    assert removed["shout-outs received"] == 2 and removed["sightings"] >= 3
    with database.session() as session:
        left = list_shoutouts(session=session)
    assert [s.text for s in left] == ["for the release"]  # it also thanked the docs team; the other one is gone
    build_people(None, database, notes=[str(notes)], cache=None)
    write(notes, NOTES + "\n")  # the notes change: the forgotten person does not come back
    build_people(None, database, notes=[str(notes)], cache=None)
    with database.session() as session:
        assert load_registry(session=session).find("Cy Dee") == []


def test_record_sighting_for_github_activity(database: Database) -> None:
    when = dt.datetime(2024, 5, 1, tzinfo=UTC)
    with database.session() as session:
        record_sighting(session=session, kind="release", login="oldhand", when=when - dt.timedelta(days=400))
        first = record_sighting(session=session, kind="github", login="@NewDev", when=when)
        second = record_sighting(session=session, kind="release", login="newdev", when=when + dt.timedelta(days=3))
    assert first.rule == "new" and second.rule == "handle" and first.person == second.person
    snapshot = people_snapshot(None, database, month(2024, 5))
    assert [p.handle for p in snapshot.welcomed()] == ["newdev"]


def test_config_merges_and_opt_outs_apply_to_stored_people(database: Database, tmp_path: Path) -> None:
    notes = write(tmp_path / "team.md", NOTES)
    (tmp_path / "compass.yaml").write_text("community: {name: Test}\n", encoding="utf-8")
    (tmp_path / "people.yaml").write_text(
        "merges:\n  - ['@benode', '@cydee']\nopt_out: ['@alopez']\n", encoding="utf-8")
    from chatops.config import load_config

    config = load_config(tmp_path / "compass.yaml")
    build_people(config, database, notes=[str(notes)], cache=None)
    with database.session() as session:
        registry = load_registry(session=session, rules=rules_from_config(config))
    assert registry.find("@benode") == registry.find("@cydee")
    assert registry.find("@alopez")[0].opted_out
    snapshot = people_snapshot(config, database, month(2024, 1))
    assert [p.name for p in snapshot.welcomed()] == []  # Ana opted out; Ben is the first meeting's


def test_people_yaml_errors_name_the_key_and_the_fix(tmp_path: Path) -> None:
    from chatops.config import load_config
    from chatops.errors import ConfigError

    (tmp_path / "compass.yaml").write_text("people: {welcome_back_after: 26w}\n", encoding="utf-8")
    (tmp_path / "people.yaml").write_text(
        "people:\n  - name: Min\n    github: ['not a handle']\n    nickname: x\nmerges: [[only-one]]\n", encoding="utf-8")
    config = load_config(tmp_path / "compass.yaml")
    assert config.people.welcome_back_after == dt.timedelta(weeks=26)
    with pytest.raises(ConfigError) as info:
        rules_from_config(config)
    text = str(info.value)
    assert "people.yaml: people[0].github" in text and "is not a GitHub handle" in text
    assert "people[0]: unknown key 'nickname'" in text
    assert "merges" in text and "at least two" in text


def test_cli_build_list_show_merge_split_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no configuration file here
    notes = write(tmp_path / "team.md", NOTES.replace("- Ben Ode / @benode", "- Ben Ode / @benode\n- Ben"))
    db = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--db", db, "people", *args])
        assert result.exit_code == code, result.output
        return result.output

    built = json.loads(run("build", "--notes", str(notes), "--format", "json"))
    assert built["new_people"] == 3 and built["documents_read"] == 1
    listed = json.loads(run("list", "--format", "json"))
    assert [p["name"] for p in listed] == ["Ana Lopez", "Ben Ode", "Cy Dee"]
    shown = run("show", "Ben")
    assert "Ben Ode (person" in shown and "first-name-same-meeting" in shown and "check-in at Team meeting" in shown
    assert "nobody called 'Zed'" in run("show", "Zed", code=2)
    assert "Merged Cy Dee into Ben Ode" in run("merge", "@benode", "@cydee")
    assert "may be" not in run("show", "@cydee")
    assert "Split '@cydee'" in run("split", "@benode", "@cydee")
    assert "never written 'Zed'" in run("split", "@benode", "Zed", code=2)
    out = run("forget", "@alopez", "--yes")
    assert out.startswith("Forgot Ana Lopez") and "2 sightings" in out
    assert [p["name"] for p in json.loads(run("list", "--format", "json"))] == ["Ben Ode", "Cy Dee"]


def test_saved_registry_round_trips(database: Database) -> None:
    from digests.people import Registry, Sighting

    registry = Registry()
    when = dt.datetime(2024, 2, 1, tzinfo=UTC)
    registry.observe(Sighting("s", "p", "checkin", when, "check-in", name="Ana Lopez", handle="alopez",
                              affiliation="Acme", pronouns="she/her"))
    with database.session() as session:
        save_registry(session=session, registry=registry)
    with database.session() as session:
        loaded = load_registry(session=session)
    ana = loaded.find("@alopez")[0]
    assert (ana.canonical(), ana.pronouns, list(ana.affiliations), ana.first_seen) == ("Ana Lopez", "she/her", ["acme"], when)


def test_shoutouts_are_read_once_in_the_order_they_were_recorded(database: Database) -> None:
    def give(n: int, to: str, user_id: int) -> None:
        with database.session() as session:
            record_shoutout(session=session, shoutout=Shoutout(
                giver="Ana Lopez", giver_id=11, text=f"thanks {n}", created_at=dt.datetime(2024, 9, n, tzinfo=UTC),
                recipients=(Recipient(name=to, user_id=user_id),)))

    give(1, "Cy Dee", 33)
    assert build_people(None, database, meetings=[], cache=None).shoutouts_read == 1
    assert build_people(None, database, meetings=[], cache=None).shoutouts_read == 0  # nothing new
    give(2, "Dora Fay", 44)
    report = build_people(None, database, meetings=[], cache=None)
    assert (report.shoutouts_read, report.new_people) == (1, 1)
    with database.session() as session:
        registry = load_registry(session=session)
    assert sorted(p.canonical() for p in registry.people.values()) == ["Ana Lopez", "Cy Dee", "Dora Fay"]


def test_two_builds_at_once_make_each_person_once(db_url: str, tmp_path: Path) -> None:
    import threading

    notes = write(tmp_path / "team.md", NOTES)
    first = Database.open(db_url)
    databases = [first, Database.open(db_url)]
    errors: list[BaseException] = []

    def run(database: Database) -> None:
        try:
            build_people(None, database, notes=[str(notes)], cache=None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with first.session() as session:
        registry = load_registry(session=session)
    assert sorted(p.canonical() for p in registry.people.values()) == ["Ana Lopez", "Ben Ode", "Cy Dee"]
    for database in databases:
        database.close()
