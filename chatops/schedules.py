"""Digest cadences: presets and cron expressions, turned into APScheduler cron fields, and the periods they cover.

An admin writes one of:

- a preset: ``hourly``, ``daily 09:00``, ``weekly monday 09:00``, ``fortnightly tuesday 17:00``,
  ``monthly first tuesday 17:00`` (first/second/third/fourth/last), ``monthly 1 09:00`` (day of month),
  ``quarterly`` or ``quarterly 09:00`` (1 Jan, Apr, Jul, Oct); the time defaults to 09:00;
- a five-field cron expression, ``minute hour day-of-month month day-of-week``, with the usual crontab
  meaning (day-of-week 0 or 7 is Sunday; names such as ``mon-fri`` work too).

Both become a ``Schedule`` whose ``fields`` are APScheduler ``CronTrigger`` keyword arguments. Fire times are
computed in the digest's time zone, so "09:00 Europe/London" stays 09:00 across daylight-saving changes.

A digest covers the period between two consecutive fires: the fire at ``until`` publishes
``[previous fire, until)``. Time is always an argument here; nothing reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, model_serializer

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {d: d for d in DAYS} | {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun", "tues": "tue", "thur": "thu", "thurs": "thu",
}
_ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "last": "last",
             "1st": "1st", "2nd": "2nd", "3rd": "3rd", "4th": "4th"}
_CRONTAB_DOW = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat", "7": "sun"}

PRESET_HELP = (
    "e.g. 'monthly first tuesday 17:00', 'weekly monday 09:00', 'fortnightly tuesday 17:00', "
    "'quarterly' or a cron expression such as '0 9 * * mon'"
)


class Schedule(BaseModel):
    """A validated cadence: what the admin wrote, and the APScheduler cron fields it means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expression: str
    fields: dict[str, str]

    def __str__(self) -> str:
        return self.expression

    @model_serializer
    def _as_text(self) -> str:
        # Shown and saved as the admin wrote it; parse_schedule() reads it back.
        return self.expression


def _time(token: str | None, expression: str) -> tuple[str, str]:
    if token is None:
        return "9", "0"
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.h]([0-5]\d)", token)
    if not match:
        raise ValueError(f"{expression!r}: {token!r} is not a time of day; use 24-hour HH:MM, e.g. '17:00'")
    return str(int(match.group(1))), str(int(match.group(2)))


def _day(token: str, expression: str) -> str:
    day = _DAY_ALIASES.get(token)
    if day is None:
        raise ValueError(f"{expression!r}: {token!r} is not a day of the week; e.g. 'monday' or 'tue'")
    return day


def _preset(expression: str) -> dict[str, str] | None:
    words = expression.lower().replace(",", " ").split()
    if not words:
        return None
    kind, rest = words[0], words[1:]
    time_token = rest[-1] if rest and re.search(r"\d[:.h]\d", rest[-1]) else None
    if time_token is not None:
        rest = rest[:-1]
    if kind not in ("hourly", "daily", "weekly", "fortnightly", "biweekly", "monthly", "quarterly"):
        return None
    hour, minute = _time(time_token, expression)
    if kind == "hourly" and not rest and time_token is None:
        return {"minute": "0"}
    if kind == "daily" and not rest:
        return {"hour": hour, "minute": minute}
    if kind in ("weekly", "fortnightly", "biweekly") and len(rest) == 1:
        fields = {"day_of_week": _day(rest[0], expression), "hour": hour, "minute": minute}
        if kind != "weekly":
            fields["week"] = "*/2"  # ISO weeks 1, 3, 5, ...
        return fields
    if kind == "monthly":
        if not rest:
            return {"day": "1", "hour": hour, "minute": minute}
        if len(rest) == 1 and rest[0].isdigit() and 1 <= int(rest[0]) <= 31:
            return {"day": rest[0], "hour": hour, "minute": minute}
        if len(rest) == 2 and rest[0] in _ORDINALS:
            return {"day": f"{_ORDINALS[rest[0]]} {_day(rest[1], expression)}", "hour": hour, "minute": minute}
        raise ValueError(
            f"{expression!r}: a monthly schedule is 'monthly first tuesday 17:00' "
            "(first/second/third/fourth/last + weekday) or 'monthly 1 09:00' (day of the month)"
        )
    if kind == "quarterly" and not rest:
        return {"month": "1,4,7,10", "day": "1", "hour": hour, "minute": minute}
    raise ValueError(f"{expression!r} is not a schedule preset; {PRESET_HELP}")


def _crontab_dow(token: str) -> str:
    def one(part: str) -> str:
        return _CRONTAB_DOW.get(part, part)

    out = []
    for item in token.split(","):
        step = ""
        if "/" in item:
            item, step = item.split("/", 1)
            step = "/" + step
        if "-" in item:
            a, b = item.split("-", 1)
            out.append(f"{one(a)}-{one(b)}{step}")
        else:
            out.append(one(item) + step)
    return ",".join(out)


def parse_schedule(value: Any) -> Schedule:
    """Turn a preset or a cron expression into a ``Schedule``; ``ValueError`` says what is wrong."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, dict) and "expression" in value:
        value = value["expression"]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a schedule; {PRESET_HELP}")
    expression = " ".join(value.split())
    fields = _preset(expression)
    if fields is None:
        parts = expression.split()
        if len(parts) != 5:
            raise ValueError(f"{expression!r} is neither a cron expression nor a preset; {PRESET_HELP}")
        minute, hour, day, month, dow = parts
        fields = {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": _crontab_dow(dow.lower())}
        fields = {k: v for k, v in fields.items() if v != "*" or k in ("minute", "hour")}
    try:
        _build(fields, ZoneInfo("UTC"))
    except ValueError as exc:
        raise ValueError(f"{expression!r} is not a valid schedule ({exc}); {PRESET_HELP}") from None
    return Schedule(expression=expression, fields=fields)


def _after(moment: dt.datetime) -> dt.datetime:
    """One microsecond after ``moment``, computed in UTC (wall-clock arithmetic breaks at DST folds)."""
    return moment.astimezone(dt.UTC) + dt.timedelta(microseconds=1)


def _normal(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """``moment`` with the offset that is really in force then (a skipped wall time becomes the real one)."""
    return moment.astimezone(dt.UTC).astimezone(zone)


def _build(fields: dict[str, str], zone: dt.tzinfo) -> CronTrigger:
    from apscheduler.triggers.cron import CronTrigger

    class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]
        """A cron trigger that fires once per wall-clock time.

        When clocks go back, 01:30 happens twice; APScheduler 3 fires at both, which would publish a
        one-hour "period". This trigger skips the repeat.
        """

        def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
            fire = super().get_next_fire_time(previous_fire_time, now)
            while (
                fire is not None
                and previous_fire_time is not None
                and fire.astimezone(self.timezone).replace(tzinfo=None)
                == previous_fire_time.astimezone(self.timezone).replace(tzinfo=None)
            ):
                fire = super().get_next_fire_time(fire, _after(fire))
            return cast("dt.datetime | None", fire)

    return WallClockCronTrigger(timezone=zone, **fields)


def trigger(schedule: Schedule, zone: dt.tzinfo) -> CronTrigger:
    """The APScheduler trigger for ``schedule`` in ``zone``."""
    return _build(schedule.fields, zone)


def next_fires(schedule: Schedule, zone: dt.tzinfo, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The next ``count`` fire times strictly after ``after``, in ``zone``."""
    trig = trigger(schedule, zone)
    fires: list[dt.datetime] = []
    previous = None
    now = _after(after)
    while len(fires) < count:
        fire = trig.get_next_fire_time(previous, now)
        if fire is None:
            break
        fires.append(_normal(fire, zone))
        previous = fire
        now = _after(fire)
    return fires


def previous_fire(schedule: Schedule, zone: dt.tzinfo, at: dt.datetime) -> dt.datetime | None:
    """The last fire time at or before ``at`` (looking back up to about two years)."""
    for lookback in (dt.timedelta(days=2), dt.timedelta(days=16), dt.timedelta(days=64), dt.timedelta(days=800)):
        fires = fires_between(schedule, zone, at - lookback, at + dt.timedelta(microseconds=1))
        if fires:
            return fires[-1]
    return None


def fires_between(schedule: Schedule, zone: dt.tzinfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every fire time in [start, end)."""
    trig = trigger(schedule, zone)
    fires: list[dt.datetime] = []
    previous = None
    now = start
    while True:
        fire = trig.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            return fires
        fires.append(_normal(fire, zone))
        previous = fire
        now = _after(fire)


def period_ending(
    schedule: Schedule, zone: dt.tzinfo, until: dt.datetime, window: dt.timedelta | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The period a fire at ``until`` covers: [previous fire, until), or [until - window, until)."""
    if window is not None:
        return until - window, until
    since = previous_fire(schedule, zone, until - dt.timedelta(microseconds=1))
    if since is None:
        since = until - dt.timedelta(days=31)
    return since, until


def latest_period(
    schedule: Schedule, zone: dt.tzinfo, now: dt.datetime, window: dt.timedelta | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The latest complete period at ``now``: the one ending at the last fire at or before ``now``."""
    until = previous_fire(schedule, zone, now)
    if until is None:
        raise ValueError(f"schedule {schedule.expression!r} has not fired in the two years before {now.isoformat()}")
    return period_ending(schedule, zone, until, window)
