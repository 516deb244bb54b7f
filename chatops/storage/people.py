"""The people registry's repository: load and save ``digests.people.Registry``, answer a digest window.

The rules live in ``digests.people`` (pure); this module only moves people, sightings and the
fingerprints of the sources read between the database and a ``Registry``. Functions take keyword-only
arguments and work inside the caller's session (``Database.session()`` commits on success).

Example usage::

    with database.session() as session:
        registry = load_registry(session=session, rules=rules)
        registry.observe_all(sightings)
        save_registry(session=session, registry=registry)
        snapshot = load_snapshot(session=session, window=window, rules=rules)
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from chatops.storage.tables import (
    ForgottenPersonRecord,
    PeopleSourceRecord,
    PersonRecord,
    PersonSightingRecord,
    ShoutoutRecipientRecord,
    ShoutoutRecord,
)
from digests.model import Window
from digests.people import (
    CONTINUITY,
    CONTINUITY_MEETINGS,
    OUTSIDE_MEETINGS,
    PRESENT_ROLES,
    KnownPerson,
    PeopleRules,
    PeopleSnapshot,
    Recorded,
    RegisteredPerson,
    Registry,
    Resolution,
    Sighting,
    build_snapshot,
    forget_key,
    handle_key,
    person_key,
)

__all__ = [
    "forget_person",
    "load_registry",
    "load_snapshot",
    "opted_out_user_ids",
    "person_activity",
    "record_sighting",
    "save_registry",
    "set_opt_out",
]

_CHUNK = 500
_PEOPLE: sa.Table = PersonRecord.__table__  # type: ignore[attr-defined]
_SIGHTINGS: sa.Table = PersonSightingRecord.__table__  # type: ignore[attr-defined]
_SOURCES: sa.Table = PeopleSourceRecord.__table__  # type: ignore[attr-defined]
_FORGOTTEN: sa.Table = ForgottenPersonRecord.__table__  # type: ignore[attr-defined]
_SHOUTOUTS: sa.Table = ShoutoutRecord.__table__  # type: ignore[attr-defined]
_RECIPIENTS: sa.Table = ShoutoutRecipientRecord.__table__  # type: ignore[attr-defined]


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def _when(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _person(row: Any) -> RegisteredPerson:
    return RegisteredPerson(
        id=row.id,
        name=row.name,
        names={str(n[0]): [n[1], _when(n[2]), int(n[3])] for n in row.names or []},
        handles=list(row.handles or []),
        user_id=row.user_id,
        email=row.email,
        zulip_name=row.zulip_name,
        pronouns=row.pronouns,
        affiliations={str(a[0]): [a[1], _when(a[2]), _when(a[3])] for a in row.affiliations or []},
        configured=bool(row.configured),
        fixed_name=row.fixed_name,
        opted_out=bool(row.opted_out),
        first_seen=row.first_seen,
        first_role=row.first_role,
        first_label=row.first_label,
        first_present=row.first_present,
    )


def _row(person: RegisteredPerson) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.canonical()[:200],
        "fixed_name": person.fixed_name,
        "names": [[k, v[0], _iso(v[1]), v[2]] for k, v in person.names.items()],
        "handles": list(person.handles),
        "affiliations": [[k, v[0], _iso(v[1]), _iso(v[2])] for k, v in person.affiliations.items()],
        "user_id": person.user_id,
        "email": person.email,
        "zulip_name": person.zulip_name,
        "pronouns": person.pronouns,
        "configured": person.configured,
        "opted_out": person.opted_out,
        "first_seen": person.first_seen,
        "first_role": person.first_role,
        "first_label": (person.first_label or "")[:300] or None,
        "first_present": person.first_present,
        "last_seen": person.seen[-1] if person.seen else None,
    }


def _sighting(row: Any) -> Sighting:
    return Sighting(source=row.source, place=row.place, role=row.role, when=row.seen_at, label=row.label,
                    name=row.name, handle=row.handle, user_id=row.user_id, email=row.email,
                    affiliation=row.affiliation, pronouns=row.pronouns, weak_handle=row.weak_handle)


def _sighting_row(recorded: Recorded) -> dict[str, Any]:
    s, r = recorded.sighting, recorded.resolution
    return {
        "person_id": r.person, "source": s.source[:500], "place": s.place[:500], "role": s.role, "seen_at": s.when,
        "label": s.label[:300], "name": (s.name or None) and s.name[:200], "handle": s.handle,
        "weak_handle": s.weak_handle, "user_id": s.user_id, "email": s.email,
        "affiliation": (s.affiliation or None) and s.affiliation[:200], "pronouns": s.pronouns,
        "rule": r.rule, "reason": r.reason[:300],
    }


def forgotten_keys(*, session: Session) -> frozenset[str]:
    return frozenset(session.connection().execute(sa.select(_FORGOTTEN.c.key)).scalars())


def load_registry(*, session: Session, rules: PeopleRules | None = None, sightings: bool = True) -> Registry:
    """The registry as stored, with ``rules`` applied; without ``sightings`` only people (a quick lookup)."""
    connection = session.connection()
    rules = rules or PeopleRules()
    rules = dataclasses.replace(rules, forgotten=rules.forgotten | forgotten_keys(session=session))
    registry = Registry(dataclasses.replace(rules, people=()))
    for row in connection.execute(sa.select(_PEOPLE).order_by(_PEOPLE.c.id)):
        registry.add(_person(row))
    if sightings:
        for row in connection.execute(sa.select(_SIGHTINGS).order_by(_SIGHTINGS.c.seen_at, _SIGHTINGS.c.id)):
            s = _sighting(row)
            recorded = Recorded(s, Resolution(row.person_id, row.rule, row.reason))
            registry.sightings.setdefault(s.source, []).append(recorded)
            person = registry.people.get(row.person_id) if row.person_id is not None else None
            if person is not None:
                if s.user_id is not None:
                    registry._user.setdefault(s.user_id, person.id)
                person.seen.append(s.when)
                if s.role in PRESENT_ROLES:
                    person.present.append(s.when)
                registry._places.setdefault(s.place, set()).add(person.id)
            if registry.history_start is None or s.when < registry.history_start:
                registry.history_start = s.when
        for row in connection.execute(sa.select(_SOURCES)):
            registry.digests[row.source] = row.digest
    else:
        registry.history_start = connection.execute(sa.select(sa.func.min(_SIGHTINGS.c.seen_at))).scalar()
    registry.rules = rules
    for spec in rules.people:  # configured people not yet in the database
        registry._configure(spec) if not _configured_known(registry, spec) else None
    registry.apply_rules()
    registry.changed.clear()
    return registry


def _configured_known(registry: Registry, spec: Any) -> bool:
    if any(handle_key(h) in registry._handle for h in spec.github):
        return True
    return bool(registry._name.get(person_key(spec.name)))


def save_registry(*, session: Session, registry: Registry, now: dt.datetime | None = None) -> None:
    """Write what changed since loading: people added, changed or removed, and re-read sources' sightings."""
    connection = session.connection()
    now = now or dt.datetime.now(dt.UTC)
    removed = sorted(registry.removed)
    for start in range(0, len(removed), _CHUNK):
        chunk = removed[start:start + _CHUNK]
        connection.execute(sa.update(_SIGHTINGS).where(_SIGHTINGS.c.person_id.in_(chunk)).values(person_id=None))
        connection.execute(sa.delete(_PEOPLE).where(_PEOPLE.c.id.in_(chunk)))
    dirty = sorted(pid for pid in registry.dirty if pid in registry.people)
    existing: set[int] = set()
    for start in range(0, len(dirty), _CHUNK):
        chunk = dirty[start:start + _CHUNK]
        existing.update(connection.execute(sa.select(_PEOPLE.c.id).where(_PEOPLE.c.id.in_(chunk))).scalars())
    inserts = [_row(registry.people[pid]) for pid in dirty if pid not in existing]
    updates = [_row(registry.people[pid]) for pid in dirty if pid in existing]
    if inserts:
        connection.execute(sa.insert(_PEOPLE), inserts)
    if updates:
        stmt = sa.update(_PEOPLE).where(_PEOPLE.c.id == sa.bindparam("b_id")).values(
            {c.name: sa.bindparam(c.name) for c in _PEOPLE.columns if c.name != "id"})
        connection.execute(stmt, [{**row, "b_id": row["id"]} for row in updates])
    changed = sorted(registry.changed)
    for start in range(0, len(changed), _CHUNK):
        sources = changed[start:start + _CHUNK]
        connection.execute(sa.delete(_SIGHTINGS).where(_SIGHTINGS.c.source.in_(sources)))
        connection.execute(sa.delete(_SOURCES).where(_SOURCES.c.source.in_(sources)))
    rows = [_sighting_row(r) for source in changed for r in registry.sightings.get(source, [])]
    for start in range(0, len(rows), 5000):
        connection.execute(sa.insert(_SIGHTINGS), rows[start:start + 5000])
    digests = [{"source": s[:500], "digest": registry.digests[s], "built_at": now} for s in changed if s in registry.digests]
    if digests:
        connection.execute(sa.insert(_SOURCES), digests)
    registry.dirty.clear()
    registry.removed.clear()
    registry.changed.clear()


_SNAPSHOT_PEOPLE = sa.select(*(_PEOPLE.c[name] for name in (
    "id", "name", "fixed_name", "names", "handles", "user_id", "opted_out", "first_seen", "first_present",
    "first_label", "first_role")))


def _known(row: Any) -> KnownPerson:
    handles = row.handles or []
    return KnownPerson(id=row.id, name=row.fixed_name or row.name, handle=handles[0] if handles else None,
                       user_id=row.user_id,
                       opted_out=bool(row.opted_out), first_seen=row.first_seen,
                       first_present=row.first_present, first_label=row.first_label, first_role=row.first_role)


def load_snapshot(*, session: Session, window: Window, rules: PeopleRules | None = None) -> PeopleSnapshot:
    """Who a digest of ``window`` names, who is new and who is back, reading only the window's sightings
    (indexed by time) and the people in them: the cost follows one window, not the whole history."""
    rules = rules or PeopleRules()
    connection = session.connection()
    rows = connection.execute(
        sa.select(_SIGHTINGS.c.person_id, _SIGHTINGS.c.place, _SIGHTINGS.c.role, _SIGHTINGS.c.name,
                  _SIGHTINGS.c.handle, _SIGHTINGS.c.weak_handle, _SIGHTINGS.c.user_id)
        .where(_SIGHTINGS.c.seen_at >= window.since, _SIGHTINGS.c.seen_at < window.until)
    ).all()
    ids = sorted({r.person_id for r in rows if r.person_id is not None})
    people: dict[int, KnownPerson] = {}
    lookup: dict[str, int] = {}
    name_ids: dict[str, set[int]] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in connection.execute(_SNAPSHOT_PEOPLE.where(_PEOPLE.c.id.in_(ids[start:start + _CHUNK]))):
            people[row.id] = _known(row)
            for handle in row.handles or []:
                lookup.setdefault(f"h:{handle}", row.id)
            if row.user_id is not None:
                lookup[f"z:{row.user_id}"] = row.id
            for entry in row.names or []:
                name_ids.setdefault(f"n:{entry[0]}", set()).add(row.id)
    for key, found in name_ids.items():
        if len(found) == 1:
            lookup.setdefault(key, next(iter(found)))
    previous: dict[int, dt.datetime | None] = {}
    for start in range(0, len(ids), _CHUNK):
        # One index seek per person (a correlated MAX), not a scan of everyone's whole history.
        last = (sa.select(sa.func.max(_SIGHTINGS.c.seen_at))
                .where(_SIGHTINGS.c.person_id == _PEOPLE.c.id, _SIGHTINGS.c.seen_at < window.since)
                .scalar_subquery())
        query = sa.select(_PEOPLE.c.id, last).where(_PEOPLE.c.id.in_(ids[start:start + _CHUNK]))
        for pid, when in connection.execute(query):
            if when is not None:
                previous[pid] = _aware(when)
    resolved: dict[tuple[str, str], int | None] = {}
    places: dict[str, frozenset[int]] = {}
    present: set[int] = set()
    for r in rows:
        written = r.name or r.handle or r.weak_handle or ""
        if written:
            resolved[(r.place, person_key(written))] = r.person_id
        if r.handle:
            resolved[(r.place, person_key(r.handle))] = r.person_id
        if r.person_id is not None:
            places[r.place] = places.get(r.place, frozenset()) | {r.person_id}
            if r.role in PRESENT_ROLES:
                present.add(r.person_id)
    introduced = {r.person_id for r in rows if r.role == "introduction" and r.person_id is not None}
    # Meetings on record (their check-ins share the meeting's time) from CONTINUITY before the window to its
    # end, and the two last ones before it: enough to tell, for everyone in the window, whether the notes
    # hold the meetings before their first sighting and the ones they missed, in a few indexed reads.
    checkins = sa.select(_SIGHTINGS.c.seen_at).where(_SIGHTINGS.c.role == "checkin")
    days = (_aware(t) for t in connection.execute(
        checkins.where(_SIGHTINGS.c.seen_at >= window.since - CONTINUITY, _SIGHTINGS.c.seen_at < window.until)
        .distinct()).scalars())
    meeting_days: list[dt.datetime] = sorted({day for day in days if day is not None})
    last_two: list[dt.datetime] = []
    bound = window.since
    for _ in range(CONTINUITY_MEETINGS):
        latest = _aware(connection.execute(
            sa.select(sa.func.max(_SIGHTINGS.c.seen_at)).where(_SIGHTINGS.c.role == "checkin",
                                                              _SIGHTINGS.c.seen_at < bound)).scalar())
        if latest is None:
            break
        last_two.append(latest)
        bound = latest - dt.timedelta(hours=12)
    covered: dict[int, int] = {}
    start_at = None
    for pid, known in people.items():
        first = known.first_seen
        if first is None or not window.contains(first):
            continue
        if known.first_role in OUTSIDE_MEETINGS:
            if start_at is None:
                start_at = _aware(connection.execute(sa.select(sa.func.min(_SIGHTINGS.c.seen_at))).scalar())
            covered[pid] = CONTINUITY_MEETINGS * bool(start_at is not None and start_at <= first - CONTINUITY)
        else:
            covered[pid] = (bisect.bisect_left(meeting_days, first - dt.timedelta(hours=12))
                            - bisect.bisect_left(meeting_days, first - CONTINUITY))
    missed: dict[int, int] = {}
    for pid, before in previous.items():
        if before is not None and pid in present:
            missed[pid] = sum(1 for day in last_two if day > before + dt.timedelta(hours=12))
    return build_snapshot(window, people, previous, present, introduced, covered, missed, rules.absence, lookup,
                          resolved, places)


def record_sighting(*, session: Session, kind: str, login: str, when: dt.datetime, label: str | None = None,
                    rules: PeopleRules | None = None) -> Resolution:
    """Record that GitHub user ``login`` was seen at ``when`` (``kind``: ``release`` or ``github``, e.g. a
    first contribution); returns how it was resolved. For callers that find people outside the notes."""
    role = "release_author" if kind == "release" else "github"
    registry = load_registry(session=session, rules=rules, sightings=False)
    handle = handle_key(login)
    source = f"{kind}:{handle}:{when.isoformat()}"
    sighting = Sighting(source=source, place=source, role=role, when=when, label=label or f"{kind} activity",
                        handle=handle)
    resolution = registry.observe(sighting)
    save_registry(session=session, registry=registry)
    return resolution


def person_activity(*, session: Session, person_id: int) -> tuple[int, dt.datetime | None]:
    """How many sightings a person has, and the latest one's time."""
    count, last = session.connection().execute(
        sa.select(sa.func.count(), sa.func.max(_SIGHTINGS.c.seen_at)).where(_SIGHTINGS.c.person_id == person_id)).one()
    if last is not None and not isinstance(last, dt.datetime):
        last = dt.datetime.fromisoformat(str(last))
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return int(count), last


def opted_out_user_ids(*, session: Session) -> frozenset[int]:
    """The Zulip user ids of people who opted out: replies show them as "someone"."""
    rows = session.connection().execute(
        sa.select(_PEOPLE.c.user_id).where(_PEOPLE.c.opted_out.is_(True), _PEOPLE.c.user_id.is_not(None)))
    return frozenset(int(r[0]) for r in rows)


def set_opt_out(*, session: Session, person_id: int, opted_out: bool) -> None:
    session.connection().execute(sa.update(_PEOPLE).where(_PEOPLE.c.id == person_id).values(opted_out=opted_out))


def forget_person(*, session: Session, registry: Registry, person_id: int,
                  now: dt.datetime | None = None) -> dict[str, int]:
    """Remove a person, their sightings and the shout-outs they gave or were the only recipient of (a
    shout-out also thanking others loses only their name); their identifiers are kept as hashes so that
    the notes do not bring them back. Returns what was removed, by kind."""
    connection = session.connection()
    now = now or dt.datetime.now(dt.UTC)
    person = registry.people[person_id]
    identifiers = {*person.handles, *(str(v[0]) for v in person.names.values())}
    if person.user_id is not None:
        identifiers.add(str(person.user_id))
    if person.email:
        identifiers.add(person.email)
    if person.zulip_name:
        identifiers.add(person.zulip_name)
    sightings = connection.execute(
        sa.delete(_SIGHTINGS).where(_SIGHTINGS.c.person_id == person_id)).rowcount or 0
    given = 0
    received = 0
    if person.user_id is not None:
        given = connection.execute(sa.delete(_SHOUTOUTS).where(_SHOUTOUTS.c.giver_id == person.user_id)).rowcount or 0
        recipient_rows = connection.execute(
            sa.select(_RECIPIENTS.c.id, _RECIPIENTS.c.shoutout_id).where(_RECIPIENTS.c.user_id == person.user_id)).all()
        received = _drop_recipients(connection, recipient_rows)
    names = [str(v[0]) for v in person.names.values()]
    if names:
        recipient_rows = connection.execute(
            sa.select(_RECIPIENTS.c.id, _RECIPIENTS.c.shoutout_id).where(
                _RECIPIENTS.c.name.in_(names), _RECIPIENTS.c.user_id.is_(None), _RECIPIENTS.c.kind == "user")).all()
        received += _drop_recipients(connection, recipient_rows)
    keys = sorted({forget_key(i) for i in identifiers if person_key(i)})
    known = set(connection.execute(sa.select(_FORGOTTEN.c.key).where(_FORGOTTEN.c.key.in_(keys))).scalars())
    if keys:
        fresh = [{"key": k, "forgotten_at": now} for k in keys if k not in known]
        if fresh:
            connection.execute(sa.insert(_FORGOTTEN), fresh)
    connection.execute(sa.delete(_PEOPLE).where(_PEOPLE.c.id == person_id))
    registry.remove(person_id)
    registry.removed.discard(person_id)
    return {"sightings": sightings, "shout-outs given": given, "shout-outs received": received,
            "identifiers remembered as hashes": len(keys)}


def _drop_recipients(connection: sa.Connection, rows: Sequence[Any]) -> int:
    removed = 0
    for row in rows:
        connection.execute(sa.delete(_RECIPIENTS).where(_RECIPIENTS.c.id == row.id))
        left = connection.execute(sa.select(sa.func.count()).select_from(_RECIPIENTS).where(
            _RECIPIENTS.c.shoutout_id == row.shoutout_id)).scalar_one()
        if not left:
            connection.execute(sa.delete(_SHOUTOUTS).where(_SHOUTOUTS.c.id == row.shoutout_id))
        removed += 1
    return removed


def sources_read(*, session: Session) -> dict[str, str]:
    return {row.source: row.digest for row in session.connection().execute(sa.select(_SOURCES))}


