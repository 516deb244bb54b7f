"""Keep the people registry up to date from every source, and hand digests a ``PeopleSnapshot``.

``build_people`` reads every configured notes document (a document whose content is unchanged since the
last build is skipped without being decoded), every shout-out and the releases it is given, turns them
into sightings (``digests.people``) and saves the registry; it is incremental, so a scheduled digest
pays only for what changed. ``people_snapshot`` then answers one window from the database, reading only
that window's sightings. Without a database the same answer comes from a registry built in memory.

Example usage::

    report = build_people(config, database)          # BuildReport(documents read, skipped, people, ...)
    snapshot = people_snapshot(config, database, window)
    snapshot.welcomed()                              # [KnownPerson(name="Matt Fisher", ...)]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from digests.model import Meeting, Release, Shoutout, Window
from digests.people import (
    PeopleRules,
    PeopleSnapshot,
    PersonSpec,
    Registry,
    Sighting,
    handle_key,
    meeting_sightings,
    person_key,
    release_sightings,
    shoutout_sightings,
)

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.storage.db import Database

__all__ = [
    "BuildReport",
    "build_people",
    "memory_registry",
    "people_snapshot",
    "record_choice",
    "rules_from_config",
    "window_people",
]

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
_BUILD_LOCK = 7_402_115  # advisory lock id for building the people registry (PostgreSQL)


def rules_from_config(config: Config | None) -> PeopleRules:
    """The resolution settings: ``people:`` in compass.yaml and the admins' people.yaml."""
    if config is None:
        return PeopleRules()
    from chatops.config import load_people_file

    file = load_people_file(config)
    specs = [PersonSpec(name=p.name, github=tuple(p.github), aliases=tuple(p.aliases),
                        zulip_user_id=p.zulip_user_id, email=p.email, opt_out=p.opt_out) for p in file.people]
    for group in file.merges:
        handles = tuple(handle_key(i) for i in group if i.startswith("@"))
        names = [i for i in group if not i.startswith("@") and not i.startswith("zulip:")]
        user_ids = [int(i[6:]) for i in group if i.startswith("zulip:") and i[6:].isdigit()]
        specs.append(PersonSpec(name=names[0] if names else handles[0], github=handles, aliases=tuple(names[1:]),
                                zulip_user_id=user_ids[0] if user_ids else None))
    owners = {repo.split("/", 1)[0].lower() for repo in config.sources.releases.github if "/" in repo}
    return PeopleRules(
        people=tuple(specs),
        not_people=frozenset(person_key(n) for n in file.not_people),
        organisations=frozenset({*(person_key(o) for o in file.organisations), *(person_key(o) for o in owners)}),
        opt_out=frozenset(o if o.startswith("zulip:") else person_key(o) for o in file.opt_out),
        recent=config.people.first_name_window,
        absence=config.people.welcome_back_after,
    )


@dataclass
class BuildReport:
    documents_read: int = 0
    documents_unchanged: int = 0
    shoutouts_read: int = 0
    releases_read: int = 0
    sightings: int = 0
    people: int = 0
    new_people: int = 0
    problems: list[str] = field(default_factory=list)


def _zone(config: Config | None) -> ZoneInfo:
    return ZoneInfo(config.community.timezone if config is not None else "UTC")


def _newest_shoutout(session: Any) -> int:
    import sqlalchemy as sa

    from chatops.storage.tables import ShoutoutRecord

    table = ShoutoutRecord.__table__  # type: ignore[attr-defined]
    return int(session.connection().execute(sa.select(sa.func.max(table.c.id))).scalar() or 0)


def build_people(
    config: Config | None,
    database: Database,
    *,
    notes: Sequence[str] | None = None,
    meetings: Iterable[Meeting] | None = None,
    releases: Iterable[Release] = (),
    progress: Progress | None = None,
    cache: Any = "default",
    now: dt.datetime | None = None,
) -> BuildReport:
    """Bring the registry up to date with the notes (configured, or ``notes`` / ``meetings`` given),
    the shout-outs in the database and ``releases``; unchanged sources are not read again."""
    from chatops.storage.people import load_registry, save_registry, sources_read

    report = BuildReport()
    zone = _zone(config)
    rules = rules_from_config(config)
    pending: dict[str, tuple[str, list[Sighting]]] = {}  # source -> (fingerprint, sightings)
    # Fetch and parse the notes first, outside the database's write lock (a git fetch can take a while).
    documents = _documents(config, notes=notes, meetings=meetings, cache=cache, report=report)
    with database.session() as session:
        # Builds run one at a time (replicas, the bot and the CLI); the second then finds nothing to do.
        import sqlalchemy as sa

        if database.dialect == "postgresql":
            session.connection().execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BUILD_LOCK})
        else:  # a write, even one that changes nothing, takes SQLite's write lock before anything is read
            session.connection().execute(sa.text("DELETE FROM people_sources WHERE 1 = 0"))
        known = sources_read(session=session)
        total = len(documents)
        for i, (source, digest, load) in enumerate(documents, 1):
            if known.get(source) == digest:
                report.documents_unchanged += 1
            else:
                sightings = [s for m in load() for s in meeting_sightings(m, zone=zone, source=source)]
                pending[source] = (digest, sightings)
                report.documents_read += 1
            if progress is not None:
                progress(i, total, source)
        # Shout-outs are read once, in the order they were recorded: the mark is the newest id read.
        read_up_to = int(known.get("shoutouts:*", "0") or 0)
        newest = _newest_shoutout(session)
        chat_changed = newest > read_up_to
        release_items = [(f"release:{r.project}@{r.version}", r) for r in releases]
        release_changed = [(s, r) for s, r in release_items if s not in known]
        configured = _rules_fingerprint(rules)
        rules_changed = known.get("config:people") != configured
        if not (pending or chat_changed or release_changed or rules_changed):
            return report
        registry = load_registry(session=session, rules=rules)
        before = set(registry.people)
        touched: set[int] = set()
        for source in pending:
            touched |= registry.forget_source(source)
        fresh: list[Sighting] = [s for _, sightings in pending.values() for s in sightings]
        if chat_changed:
            from chatops.storage.shoutouts import list_shoutouts_after

            current = list_shoutouts_after(session=session, after_id=read_up_to)
            report.shoutouts_read = len(current)
            for shoutout in current:
                fresh += list(shoutout_sightings(shoutout))
        for source, release in release_changed:
            registry.digests[source] = "read"
            fresh += list(release_sightings(release))
            report.releases_read += 1
        report.sightings = len(fresh)
        registry.observe_all(fresh)
        for source, (digest, _) in pending.items():
            registry.digests[source] = digest
            registry.changed.add(source)
        for source in ("shoutouts:*", "config:people"):
            registry.changed.add(source)
            registry.sightings.setdefault(source, [])
        registry.digests["shoutouts:*"] = str(max(newest, read_up_to))
        registry.digests["config:people"] = configured
        registry.prune(touched)
        report.people = len(registry.people)
        report.new_people = len(set(registry.people) - before)
        save_registry(session=session, registry=registry, now=now)
    return report


def _rules_fingerprint(rules: PeopleRules) -> str:
    return hashlib.sha256(repr((rules.people, sorted(rules.not_people), sorted(rules.organisations),
                                sorted(rules.opt_out), rules.recent, rules.absence)).encode()).hexdigest()


def _documents(config: Config | None, *, notes: Sequence[str] | None, meetings: Iterable[Meeting] | None,
               cache: Any, report: BuildReport) -> list[tuple[str, str, Callable[[], list[Meeting]]]]:
    """(source, fingerprint, meetings loader) per notes document; the loader runs only for changed ones."""
    if meetings is not None:
        by_document: dict[str, list[Meeting]] = {}
        for meeting in meetings:
            by_document.setdefault(meeting.document, []).append(meeting)
        out: list[tuple[str, str, Callable[[], list[Meeting]]]] = []
        for document, items in sorted(by_document.items()):
            digest = hashlib.sha256("\n".join(m.model_dump_json() for m in items).encode()).hexdigest()
            out.append((f"notes:{document}", digest, lambda items=items: items))  # type: ignore[misc]
        return out
    from chatops.sources.cache import default_cache
    from chatops.sources.notes import collect_notes, specs_for

    specs = specs_for(config, notes)
    if not specs:
        return []
    headings = (config.sources.headings or None) if config is not None else None
    collected = collect_notes(specs, cache=default_cache() if cache == "default" else cache, headings=headings)
    report.problems += [str(p) for p in collected.problems]
    return [(f"notes:{doc.document}", doc.content_hash, doc.meetings) for doc in collected.documents]


def memory_registry(config: Config | None, meetings: Iterable[Meeting], shoutouts: Iterable[Shoutout] = (),
                    releases: Iterable[Release] = ()) -> Registry:
    """A registry built in memory (no database): for previews over notes named on the command line.

    Chat people are read once each (their first sighting in ``shoutouts``): enough to know who they are,
    which is all one window of chat can tell."""
    zone = _zone(config)
    registry = Registry(rules_from_config(config))
    sightings: list[Sighting] = [s for m in meetings for s in meeting_sightings(m, zone=zone)]
    chat: dict[tuple[int | None, str | None], Sighting] = {}
    for shoutout in shoutouts:
        for s in shoutout_sightings(shoutout):
            chat.setdefault((s.user_id, s.name), s)
    sightings += chat.values()
    sightings += [s for release in releases for s in release_sightings(release)]
    registry.observe_all(sightings)
    return registry


def people_snapshot(config: Config | None, database: Database, window: Window) -> PeopleSnapshot:
    """The registry's answer for ``window`` (who is named how, who is new, who is back), from the database."""
    from chatops.storage.people import load_snapshot

    with database.session() as session:
        return load_snapshot(session=session, window=window, rules=rules_from_config(config))


def window_people(
    config: Config | None,
    window: Window,
    *,
    database: Database | None = None,
    notes: Sequence[str] | None = None,
    meetings: Iterable[Meeting] | None = None,
    releases: Iterable[Release] = (),
    shoutouts: Iterable[Shoutout] = (),
    read_meetings: Callable[[], Iterable[Meeting]] | None = None,
    kind: str | None = None,
) -> PeopleSnapshot | None:
    """The people snapshot a digest of ``window`` uses (``read_meetings`` reads every meeting of the notes,
    when ``meetings`` are not handed in: the pipeline's ``load_meetings``).

    With a database and the configured sources, the stored registry is brought up to date and read for
    the window. Notes named on the command line or meetings handed in are read into a registry in memory
    instead (a preview does not change the stored registry), from all of their history; there the chat
    history is only the window's, so shout-outs are read for the celebratory digest alone (to know who is
    thanked), never to decide who is new. None, with a warning, when neither works: the digest then
    matches people within its own notes.
    """
    from chatops.errors import CompassError

    releases = list(releases)
    if database is not None and notes is None and meetings is None:
        try:
            build_people(config, database, releases=releases)
            return people_snapshot(config, database, window)
        except CompassError:
            raise
        except Exception as exc:  # noqa: BLE001 - an old schema or a locked database must not stop a digest
            log.warning("The people registry could not be read (%s: %s); reading people from the notes alone",
                        type(exc).__name__, exc)
    try:
        if meetings is None:
            if read_meetings is None:
                raise ValueError("no meetings to read people from (give meetings or read_meetings)")
            meetings = read_meetings()
        chat = shoutouts if kind in (None, "celebratory") else ()
        return memory_registry(config, meetings, chat, releases if kind != "technical" else ()).snapshot(window)
    except CompassError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.warning("People could not be resolved (%s: %s); the digest matches people within its notes only",
                    type(exc).__name__, exc)
        return None


def record_choice(session: Any, config: Config | None, *, message: Any, name: str, now: dt.datetime,
                  opted_out: bool) -> bool:
    """Record a chat user's opt-out (or opt-in) on their person, made from their Zulip id if compass has
    not seen them yet; False when people.yaml opts them out, which only an admin can change."""
    from chatops.storage.people import load_registry, save_registry

    registry = load_registry(session=session, rules=rules_from_config(config), sightings=False)
    found = registry.find(f"zulip:{message.sender_id}") if message.sender_id is not None else []
    if found:
        person = found[0]
    else:
        source = f"chat:{message.sender_id or message.sender_email}"
        sighting = Sighting(source=source, place=source, role="chat", when=now, label="asked compass in chat",
                            name=name, user_id=message.sender_id, email=message.sender_email or None)
        resolution = registry.observe(sighting)
        assert resolution.person is not None
        person = registry.people[resolution.person]
    if not opted_out and registry.opted_out_by_config(person):
        return False
    person.opted_out = opted_out
    registry.dirty.add(person.id)
    save_registry(session=session, registry=registry, now=now)
    return True
