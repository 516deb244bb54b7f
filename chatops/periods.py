"""Which period a digest covers: the one place that turns a schedule, a moment or an admin's words into a ``Window``.

A run reports on the calendar period before it by default: a monthly digest fired on 1 July covers June, a
quarterly one fired in October covers July-September, a weekly one the ISO week before, a fortnightly one the
two ISO weeks before (``digests.calendar`` holds the calendar rules and the names). The unit is the digest's
``period:`` or, with ``auto``, its schedule's cadence. ``period: between-fires`` covers the time between two
consecutive fires of the schedule instead (``chatops.schedules`` computes the fires), and a ``window:``
length ends at the fire. Whatever the entry point, the same period gives the same window, hence the same
title. Every entry point asks here:

- ``latest(config, digest, now)``: the latest complete period at ``now`` (``run --once``, chat, ``digest post``);
- ``ending(config, digest, until)``: the period a fire at ``until`` publishes (the scheduler, catch-up);
- ``parse(config, digest, spec, now)``: ``--period latest | DATE | START..END``;
- ``explicit(config, digest, since=..., until=..., now=...)``: ``digest preview --since/--until``;
- ``span(since, until, days=...)``: the ``--since``/``--until`` of a look at the sources (``compass releases``,
  ``compass sources check``), not tied to a digest.

The value is always a ``digests.model.Window`` (half-open, aware). Time is an argument; nothing reads the clock.

Example usage::

    window = latest(config, config.digest("community-monthly"), now)
    window.since, window.until
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from chatops.errors import UsageError
from chatops.schedules import next_fires, period_ending, previous_fire
from digests.calendar import Unit, period_before, period_containing
from digests.model import Window

if TYPE_CHECKING:
    from chatops.config import Config, DigestConfig

__all__ = [
    "PERIOD_HELP",
    "Window",
    "as_window",
    "calendar_unit",
    "ending",
    "explicit",
    "fire_of",
    "last_fire",
    "latest",
    "parse",
    "parse_bound",
    "parse_moment",
    "span",
]

PERIOD_HELP = (
    "Which period: 'latest' (default: the latest complete one), a date or date-time inside it "
    "(e.g. 2025-06-10: the period containing it), or an explicit 'START..END' (dates or date-times)."
)


def as_window(period: Window | tuple[dt.datetime, dt.datetime]) -> Window:
    """``period`` as a ``Window`` (callers holding a ``(start, end)`` pair may pass it as is)."""
    if isinstance(period, Window):
        return period
    start, end = period
    return Window(since=start, until=end)


def parse_moment(text: str, zone: dt.tzinfo) -> dt.datetime:
    """``2025-06-03`` (midnight), ``2025-06-03T17:30`` (in ``zone``) or an aware ISO time, as an aware datetime."""
    value = dt.datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def last_fire(config: Config, digest: DigestConfig, now: dt.datetime) -> dt.datetime | None:
    """The digest's last fire at or before ``now`` (None when it has not fired in two years)."""
    return previous_fire(digest.schedule, config.digest_zone(digest), now)


def calendar_unit(digest: DigestConfig) -> Unit | None:
    """The calendar unit a digest reports on, or None when its period runs between fires (or has a fixed
    ``window``). ``auto`` reads the schedule: monthly, quarterly, weekly, fortnightly or daily."""
    if digest.window is not None or digest.period == "between-fires":
        return None
    if digest.period != "auto":
        return digest.period
    fields = digest.schedule.fields
    if fields.get("week") == "*/2":
        return "fortnight"
    if fields.get("month") == "1,4,7,10" and "day_of_week" not in fields:
        return "quarter"
    if "month" in fields:
        return None
    if "day" in fields and "day_of_week" not in fields:
        return "month" if fields["day"].isdigit() or " " in fields["day"] else None
    if "day" in fields:  # 'monthly first tuesday': day holds '1st tue'
        return None
    if "day_of_week" in fields:
        return "week" if "," not in fields["day_of_week"] and "-" not in fields["day_of_week"] else None
    if "hour" in fields and fields["hour"].isdigit():
        return "day"
    return None


def fire_of(config: Config, digest: DigestConfig, window: Window) -> dt.datetime:
    """The fire that publishes ``window``: its end between fires, the first fire at or after the end of a
    calendar period (a monthly digest run on the first Tuesday at 17:00 publishes the month before)."""
    if calendar_unit(digest) is None:
        return window.until
    fires = next_fires(digest.schedule, config.digest_zone(digest), window.until - dt.timedelta(microseconds=1), 1)
    return fires[0] if fires else window.until


def ending(config: Config, digest: DigestConfig, until: dt.datetime) -> Window:
    """The period a fire at ``until`` publishes: the calendar period before it (see ``calendar_unit``), or
    [previous fire, until) between fires, or [until - window, until)."""
    unit = calendar_unit(digest)
    if unit is not None:
        return period_before(unit, until, config.digest_zone(digest))
    start, end = period_ending(digest.schedule, config.digest_zone(digest), until, digest.window)
    return Window(since=start, until=end)


def latest(config: Config, digest: DigestConfig, now: dt.datetime) -> Window | None:
    """The latest complete period at ``now``: the one ending at the last fire at or before ``now``."""
    until = last_fire(config, digest, now)
    return None if until is None else ending(config, digest, until)


def parse(config: Config, digest: DigestConfig, spec: str, now: dt.datetime) -> Window:
    """Turn ``--period`` (``latest``, a moment inside the period, or ``START..END``) into the window a
    publication is keyed by; ``UsageError`` says what is wrong."""
    zone = config.digest_zone(digest)
    spec = spec.strip()
    try:
        if spec == "latest":
            window = latest(config, digest, now)
            if window is None:
                raise UsageError(f"digest {digest.name!r} has not run in the two years before {now.isoformat()}")
            return window
        if ".." in spec:
            first, _, last = spec.partition("..")
            start, end = parse_moment(first, zone), parse_moment(last, zone)
            if end <= start:
                raise UsageError(f"--period {spec!r}: the end must be after the start")
            return Window(since=start, until=end)
        inside = parse_moment(spec, zone)
    except ValueError:
        raise UsageError(f"--period {spec!r} is not understood. {PERIOD_HELP}") from None
    unit = calendar_unit(digest)
    if unit is not None:
        window = period_containing(unit, inside, zone)
    else:
        (until,) = next_fires(digest.schedule, zone, inside, 1)
        window = ending(config, digest, until)
    if window.until > now:
        raise UsageError(
            f"--period {spec!r}: that period ends {window.until.astimezone(zone):%Y-%m-%d %H:%M %Z}, which is not "
            "over yet (or give --at to act as if it were)"
        )
    return window


def explicit(
    config: Config,
    digest: DigestConfig,
    *,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Window:
    """The window a digest covers: explicit bounds (dates are midnights in the digest's zone), or the
    latest complete period of its schedule at ``now``.

    Only ``since``: the window runs to ``now``. Only ``until``: it covers the schedule's period ending then.
    """
    zone = config.digest_zone(digest)

    def aware(value: dt.date | dt.datetime) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return dt.datetime.combine(value, dt.time(0), tzinfo=zone)

    if since is not None:
        start = aware(since)
        if until is not None:
            end = aware(until)
        elif now is not None:
            end = now
        else:
            raise UsageError("give --until as well as --since (or neither)")
    elif until is not None:
        window = ending(config, digest, aware(until))
        start, end = window.since, window.until
    else:
        if now is None:
            raise UsageError("a window needs --since/--until or the current time")
        found = latest(config, digest, now)
        if found is None:
            raise UsageError(f"digest {digest.name!r} has not run in the two years before {now.isoformat()}")
        start, end = found.since, found.until
    if end <= start:
        raise UsageError(f"the window is empty: --since {start.date().isoformat()} is not before --until {end.date().isoformat()}")
    return Window(since=start, until=end)


def parse_bound(text: str | None, option: str, *, end: bool = False) -> dt.datetime | None:
    """``2026-08-01`` or an ISO 8601 timestamp -> an aware UTC datetime.

    A bare date given to ``--until`` means the end of that day, so ``--until 2026-08-31`` includes
    releases made on the 31st.
    """
    if text is None:
        return None
    value = text.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        return start + dt.timedelta(days=1) if end else start
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not a date; expected YYYY-MM-DD or an ISO 8601 timestamp, "
            "e.g. 2026-08-01 or 2026-08-01T12:00:00+02:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def span(
    since: str | None,
    until: str | None,
    *,
    days: int | None = None,
    zone: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The ``--since``/``--until`` of a look at the sources, as aware datetimes (``parse_bound``).

    With ``days``, a missing ``--until`` is the end of today in ``zone`` (at ``now``) and a missing ``--since``
    that many days before it. ``UsageError`` when the start is not before the end.
    """
    start = parse_bound(since, "--since")
    end = parse_bound(until, "--until", end=True)
    if days is not None:
        if end is None:
            if now is None:
                raise ValueError("span(days=...) needs now: nothing here reads the clock")
            today = now.astimezone(zone).date()
            end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        if start is None:
            start = end - dt.timedelta(days=days)
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--since {since} is not before --until {until}; swap them or widen the period")
    return start, end
