"""``compass people``: build the people registry and look after it (list, show, merge, split, forget).

``build`` reads every notes source, shout-out and release it is given into the registry (incremental:
unchanged documents are skipped); ``show`` explains a person from the sightings that made them and the
rule that linked each one. Names are looked up as written, as ``@handle``, as a person's number (``12``)
or as ``zulip:ID``; a name that fits several people lists them and exits 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from chatops.cli import obj
from chatops.errors import UsageError

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.storage.db import Database
    from digests.people import RegisteredPerson, Registry

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                       help="table for people, json for scripts (no progress output).")


def _config(ctx: click.Context) -> Config | None:
    return obj(ctx).load_config(required=False)


def _database(ctx: click.Context) -> Database:
    from chatops.config import DEFAULT_DB_URL
    from chatops.storage.db import Database

    app = obj(ctx)
    config = _config(ctx)
    url = app.db_url or (config.database_url if config is not None else DEFAULT_DB_URL)
    return Database.open(url)


def _registry(ctx: click.Context, database: Database, session: Any) -> Registry:
    from chatops.people import rules_from_config
    from chatops.storage.people import load_registry

    return load_registry(session=session, rules=rules_from_config(_config(ctx)))


@contextmanager
def _registry_session(ctx: click.Context) -> Iterator[tuple[Any, Registry]]:
    """The database session and the registry loaded in it; committed when the block ends without error."""
    database = _database(ctx)
    try:
        with database.session() as session:
            yield session, _registry(ctx, database, session)
    finally:
        database.close()


def _one(registry: Registry, text: str) -> RegisteredPerson:
    found = registry.find(text)
    if not found:
        raise UsageError(f"nobody called {text!r} is in the registry; 'compass people list' shows everyone "
                         "('compass people build' reads the sources first)")
    if len(found) > 1:
        choices = "; ".join(f"{p.id}: {p.canonical()}" + (f" (@{p.handle})" if p.handle else "") for p in found)
        raise UsageError(f"{text!r} may be {len(found)} people ({choices}); name one by its number")
    return found[0]


def _when(value: Any) -> str | None:
    return value.date().isoformat() if value is not None else None


def _summary(person: RegisteredPerson) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.canonical(),
        "handle": person.handle,
        "handles": list(person.handles),
        "names": sorted(str(v[0]) for v in person.names.values()),
        "zulip_user_id": person.user_id,
        "pronouns": person.pronouns,
        "affiliations": [{"name": v[0], "first": _when(v[1]), "last": _when(v[2])}
                         for v in sorted(person.affiliations.values(), key=lambda v: v[1])],  # type: ignore[arg-type, return-value]
        "first_seen": _when(person.first_seen),
        "first_seen_as": person.first_label,
        "last_seen": _when(person.seen[-1]) if person.seen else None,
        "sightings": len(person.seen),
        "opted_out": person.opted_out,
        "configured": person.configured,
    }


@click.group()
def people() -> None:
    """The people registry: one identity per person across notes, chat and releases."""


@people.command("build")
@click.option("--notes", "notes", multiple=True, metavar="PATH_OR_URL",
              help="Read these notes instead of the configured sources (repeatable).")
@_FORMAT
@click.pass_context
def build_cmd(ctx: click.Context, notes: tuple[str, ...], fmt: str) -> None:
    """Read the notes, shout-outs and releases into the registry; unchanged documents are skipped."""
    from chatops.people import build_people

    config = _config(ctx)
    if config is None and not notes:
        raise UsageError("no configuration and no --notes; pass --config FILE or --notes PATH")
    database = _database(ctx)
    show_progress = fmt != "json" and sys.stderr.isatty()
    try:
        if show_progress:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("Reading notes", total=None)

                def step(done: int, total: int, source: str) -> None:
                    bar.update(task, completed=done, total=total, description=f"Reading {source[-40:]}")

                report = build_people(config, database, notes=list(notes) or None, progress=step)
        else:
            report = build_people(config, database, notes=list(notes) or None)
    finally:
        database.close()
    if report.problems and notes:
        raise UsageError("cannot read notes: " + "; ".join(report.problems))
    if fmt == "json":
        click.echo(json.dumps(report.__dict__, indent=2))
        return
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"Read {report.documents_read} notes documents ({report.documents_unchanged} unchanged), "
               f"{report.shoutouts_read} shout-outs: {report.sightings} sightings, {report.new_people} new people, "
               f"{report.people} people in all.")


@people.command("list")
@_FORMAT
@click.pass_context
def list_cmd(ctx: click.Context, fmt: str) -> None:
    """Everyone in the registry, first seen first."""
    with _registry_session(ctx) as (_, registry):
        pass
    everyone = sorted(registry.people.values(), key=lambda p: (p.first_seen is None, p.first_seen, p.id))
    rows = [_summary(p) for p in everyone]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("Nobody yet: 'compass people build' reads the sources.")
        return
    for row in rows:
        handle = f" @{row['handle']}" if row["handle"] else ""
        flags = " (opted out)" if row["opted_out"] else ""
        click.echo(f"{row['id']:>5}  {row['name']}{handle}{flags}  first {row['first_seen'] or '-'}, "
                   f"last {row['last_seen'] or '-'}, {row['sightings']} sightings")
    click.echo(f"{len(rows)} people")


@people.command("show")
@click.argument("name")
@_FORMAT
@click.pass_context
def show_cmd(ctx: click.Context, name: str, fmt: str) -> None:
    """Who NAME is, and which sightings made them, with the rule that linked each one."""
    with _registry_session(ctx) as (_, registry):
        pass
    person = _one(registry, name)
    sightings = registry.sightings_of(person.id)
    if fmt == "json":
        data = _summary(person)
        data["evidence"] = [{"date": s.when.date().isoformat(), "as": s.written, "where": s.label, "rule": r.rule,
                             "why": r.reason} for s, r in sightings]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    data = _summary(person)
    click.echo(f"{data['name']} (person {person.id})" + (" - opted out: never named in digests" if person.opted_out else ""))
    if data["handles"]:
        click.echo(f"  GitHub: {', '.join('@' + h for h in data['handles'])} (profile link: @{data['handle']})")
    if person.user_id is not None:
        click.echo(f"  Zulip user id: {person.user_id}" + (f" ({person.zulip_name})" if person.zulip_name else ""))
    click.echo(f"  Written as: {', '.join(data['names']) or '-'}")
    if data["pronouns"]:
        click.echo(f"  Pronouns: {data['pronouns']}")
    for aff in data["affiliations"]:
        click.echo(f"  Affiliation: {aff['name']} ({aff['first']} to {aff['last']})")
    click.echo(f"  First seen {data['first_seen'] or '-'} ({data['first_seen_as'] or '-'}); last seen {data['last_seen'] or '-'}")
    if person.configured:
        click.echo("  Described in people.yaml")
    click.echo(f"  {len(sightings)} sightings:")
    for s, r in sightings:
        click.echo(f"    {s.when.date().isoformat()}  {s.written!r}, {s.label}: {r.rule} - {r.reason}")


@people.command("merge")
@click.argument("keep")
@click.argument("other")
@click.pass_context
def merge_cmd(ctx: click.Context, keep: str, other: str) -> None:
    """Make OTHER the same person as KEEP (names, handles and sightings move to KEEP, whose name stays)."""
    from chatops.storage.people import save_registry

    with _registry_session(ctx) as (session, registry):
        a, b = _one(registry, keep), _one(registry, other)
        if a.id == b.id:
            raise UsageError(f"{keep!r} and {other!r} are already one person ({a.canonical()})")
        other_name, keep_name = b.canonical(), a.canonical()
        merged = registry.merge(a.id, b.id)
        merged.fixed_name = merged.fixed_name or keep_name  # KEEP's name stays the one digests show
        save_registry(session=session, registry=registry)
    click.echo(f"Merged {other_name} into {merged.canonical()} (person {merged.id}): "
               f"{len(merged.seen)} sightings, written as {', '.join(sorted(str(v[0]) for v in merged.names.values()))}.")
    click.echo("To keep this whatever the notes say later, add to people.yaml under merges: "
               f"[{', '.join(_ids(merged))}]")


def _ids(person: RegisteredPerson) -> list[str]:
    return [*(f"@{h}" for h in person.handles), *(json.dumps(str(v[0])) for v in person.names.values())]


@people.command("split")
@click.argument("person")
@click.argument("identifier")
@click.pass_context
def split_cmd(ctx: click.Context, person: str, identifier: str) -> None:
    """Move IDENTIFIER (a name or @handle of PERSON) and its sightings to a new person."""
    from chatops.storage.people import save_registry

    with _registry_session(ctx) as (session, registry):
        found = _one(registry, person)
        try:
            new = registry.split(found.id, identifier)
        except KeyError:
            written = ", ".join([*(f"@{h}" for h in found.handles), *(str(v[0]) for v in found.names.values())])
            raise UsageError(f"{found.canonical()} is never written {identifier!r}; choose one of: {written}") from None
        save_registry(session=session, registry=registry)
    click.echo(f"Split {identifier!r} from {found.canonical()} (person {found.id}, {len(found.seen)} sightings left) "
               f"into person {new.id}, {new.canonical()} ({len(new.seen)} sightings).")


@people.command("forget")
@click.argument("person")
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.pass_context
def forget_cmd(ctx: click.Context, person: str, yes: bool) -> None:
    """Remove PERSON on their request: sightings, shout-outs given and received, and the person.

    The names and handles are remembered only as hashes, so that reading the notes again does not
    bring the person back.
    """
    from chatops.storage.people import forget_person

    with _registry_session(ctx) as (session, registry):
        found = _one(registry, person)
        name = found.canonical()
        if not yes and not click.confirm(f"Forget {name} (person {found.id}) and their shout-outs?", default=False):
            raise UsageError("nothing removed")
        removed = forget_person(session=session, registry=registry, person_id=found.id)
    parts = ", ".join(f"{count} {what}" for what, count in removed.items())
    click.echo(f"Forgot {name} (person {found.id}): removed {parts}.")
