"""Calendar periods and how people name them (pure): the one place for a digest period's rules.

A digest covers, by default, the calendar period before its run: the month, quarter, ISO week, fortnight
(two ISO weeks) or day before the one the run falls in, in the community's zone. ``chatops.periods``
decides *which* period a run or a preview covers; this module knows what the periods are and their names:

- ``period_containing(unit, moment, zone)`` / ``period_before(unit, moment, zone)``: the half-open
  ``Window`` of a calendar unit holding ``moment``, or the one just before it;
- ``period_label(window, zone)``: "June 2025", "Q4 2026 (October–December)", "Week of 2 June 2025",
  "2025", "9–22 June 2025" (any other window is named by its first and last days);
- ``previous_window(window, zone)``: the period before, of the same kind (attendance comparisons).

Example usage::

    june = period_before("month", datetime(2025, 7, 1, 17, tzinfo=LONDON), LONDON)
    period_label(june, "Europe/London")   # 'June 2025'
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from digests.model import Window

__all__ = ["MONTHS", "UNITS", "Unit", "period_before", "period_containing", "period_label", "previous_window"]

Unit = Literal["day", "week", "fortnight", "month", "quarter", "year"]
UNITS: tuple[str, ...] = ("day", "week", "fortnight", "month", "quarter", "year")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _bounds(unit: Unit, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of the ``unit`` holding ``day`` and the first day after it."""
    if unit == "day":
        return day, day + dt.timedelta(days=1)
    if unit in ("week", "fortnight"):
        monday = day - dt.timedelta(days=day.weekday())
        if unit == "week":
            return monday, monday + dt.timedelta(days=7)
        # Fortnights are pairs of ISO weeks, odd week first (weeks 1-2, 3-4, ...), as 'fortnightly' fires.
        if monday.isocalendar().week % 2 == 0:
            monday -= dt.timedelta(days=7)
        return monday, monday + dt.timedelta(days=14)
    if unit == "month":
        first = day.replace(day=1)
        return first, _add_months(first, 1)
    if unit == "quarter":
        first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return first, _add_months(first, 3)
    if unit == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    raise ValueError(f"{unit!r} is not a calendar period; choose from {', '.join(UNITS)}")


def period_containing(unit: Unit, moment: dt.datetime, zone: dt.tzinfo) -> Window:
    """The calendar ``unit`` (in ``zone``) that holds ``moment``."""
    first, after = _bounds(unit, moment.astimezone(zone).date())
    return Window(since=_midnight(first, zone), until=_midnight(after, zone))


def period_before(unit: Unit, moment: dt.datetime, zone: dt.tzinfo) -> Window:
    """The calendar ``unit`` just before the one holding ``moment``: what a run at ``moment`` reports on."""
    first, _ = _bounds(unit, moment.astimezone(zone).date())
    start, _ = _bounds(unit, first - dt.timedelta(days=1))
    return Window(since=_midnight(start, zone), until=_midnight(first, zone))


# --- names ------------------------------------------------------------------------------------


def _local(window: Window, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The window's bounds in ``timezone``; in UTC when they are midnights there but not in the zone."""
    zone = ZoneInfo(timezone)
    since, until = window.since.astimezone(zone), window.until.astimezone(zone)
    if since.time() != dt.time(0) or until.time() != dt.time(0):
        utc_since, utc_until = window.since.astimezone(dt.UTC), window.until.astimezone(dt.UTC)
        if utc_since.time() == dt.time(0) and utc_until.time() == dt.time(0):
            return utc_since, utc_until
    return since, until


def _month_start(value: dt.datetime) -> bool:
    return value.day == 1 and value.time() == dt.time(0)


def _months_between(since: dt.datetime, until: dt.datetime) -> int:
    return (until.year - since.year) * 12 + until.month - since.month


def _day(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def period_label(window: Window, timezone: str) -> str:
    """How people name the window in ``timezone``.

    Whole calendar units get their names: "June 2025", "Q4 2026 (October–December)", "2025",
    "January–June 2025", "Week of 2 June 2025" (a Monday-to-Monday ISO week). Any other window is named
    by its first and last days ("9–22 June 2025"; the last day is the one before ``until`` when
    ``until`` is a midnight). A window given in UTC midnights is named by those dates.
    """
    since, until = _local(window, timezone)
    if _month_start(since) and _month_start(until) and until > since:
        months = _months_between(since, until)
        last = until - dt.timedelta(days=1)
        if months == 1:
            return f"{MONTHS[since.month - 1]} {since.year}"
        if months == 3 and since.month % 3 == 1:
            quarter = (since.month - 1) // 3 + 1
            return f"Q{quarter} {since.year} ({MONTHS[since.month - 1]}\u2013{MONTHS[last.month - 1]})"
        if months == 12 and since.month == 1:
            return str(since.year)
        if since.year == last.year:
            return f"{MONTHS[since.month - 1]}\u2013{MONTHS[last.month - 1]} {since.year}"
        return f"{MONTHS[since.month - 1]} {since.year} \u2013 {MONTHS[last.month - 1]} {last.year}"
    first = since.date()
    midnights = since.time() == dt.time(0) and until.time() == dt.time(0)
    if midnights and first.weekday() == 0 and until.date() - first == dt.timedelta(days=7):
        return f"Week of {_day(first)}"
    last_day = (until - dt.timedelta(microseconds=1)).date() if until.time() == dt.time(0) else until.date()
    last_day = max(last_day, first)
    if first == last_day:
        return _day(first)
    if (first.year, first.month) == (last_day.year, last_day.month):
        return f"{first.day}\u2013{last_day.day} {MONTHS[first.month - 1]} {first.year}"
    if first.year == last_day.year:
        return f"{first.day} {MONTHS[first.month - 1]} \u2013 {last_day.day} {MONTHS[last_day.month - 1]} {first.year}"
    return f"{_day(first)} \u2013 {_day(last_day)}"


def previous_window(window: Window, timezone: str) -> Window:
    """The window just before ``window``, of the same length (whole calendar months stay whole months)."""
    zone = ZoneInfo(timezone)
    since = window.since.astimezone(zone)
    until = window.until.astimezone(zone)
    if _month_start(since) and _month_start(until) and until > since:
        months = _months_between(since, until)
        start = _midnight(_add_months(since.date(), -months), zone)
        return Window(since=start, until=window.since)
    return Window(since=window.since - (window.until - window.since), until=window.since)
