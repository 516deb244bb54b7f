"""The community digest's picture: attendance over the last 12 months, drawn with matplotlib (pure).

For each of the 12 calendar months ending with the digest's period: the meetings held (cancelled ones do
not count), the unique people who came, and among them the first-timers (the people the notes welcome as
new). People are bars (first-timers in their own colour at the bottom), meetings a line of dots on a second
axis. The PNG is deterministic: the same months give the same bytes (no timestamp in the file), so a
retried publication uploads the same picture.

``attendance_months`` counts (cheap, no plotting library); ``attendance_chart`` draws the PNG with the
Agg backend (imported only then: drawing costs tens of milliseconds, importing matplotlib more; see
``bench/digest.py``). The rendered Markdown holds ``![alt](compass-chart:attendance.png)`` where the
picture goes; each publisher uploads the PNG and puts its own address there, or drops the line.

Example usage::

    chart = attendance_chart(meetings, window, "Europe/London")
    chart.png[:8]   # b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digests.calendar import MONTHS, period_label
from digests.digest import Chart
from digests.model import Meeting, Window
from digests.people import PeopleSnapshot, meeting_key, name_key

__all__ = ["CHART_REF", "MonthCount", "attendance_chart", "attendance_months", "chart_window"]

CHART_REF = "compass-chart:attendance.png"  # where the picture goes in rendered Markdown


@dataclass(frozen=True, slots=True)
class MonthCount:
    first: dt.date  # the month's first day
    meetings: int
    people: int
    first_timers: int


def chart_window(window: Window, timezone: str, months: int = 12) -> Window:
    """The ``months`` calendar months ending with the month holding the end of ``window``'s last day."""
    zone = ZoneInfo(timezone)
    last = (window.until - dt.timedelta(microseconds=1)).astimezone(zone).date().replace(day=1)
    index = last.year * 12 + last.month - 1 - (months - 1)
    first = dt.date(index // 12, index % 12 + 1, 1)
    after_index = last.year * 12 + last.month
    after = dt.date(after_index // 12, after_index % 12 + 1, 1)
    return Window(since=dt.datetime.combine(first, dt.time(0), tzinfo=zone),
                  until=dt.datetime.combine(after, dt.time(0), tzinfo=zone))


def _person_key(name: str | None, handle: str | None) -> str:
    return f"@{handle.lower()}" if handle else name_key(name or "")


def attendance_months(meetings: Iterable[Meeting], window: Window, timezone: str, months: int = 12,
                      people: PeopleSnapshot | None = None) -> list[MonthCount]:
    """Meetings, unique people and first-timers per month over the ``months`` months ending with ``window``.

    A first-timer is someone on a meeting's roll call whom the notes welcome as new there; in ``window``
    itself, with the people registry's snapshot (``people``), the people the digest welcomes, so the chart
    and the welcome agree."""
    welcomed = {p.id for p in people.welcomed()} if people is not None else set()
    counted: set[int] = set()
    span = chart_window(window, timezone, months)
    firsts = []
    day = span.since.date()
    for _ in range(months):
        firsts.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    held: dict[dt.date, list[Meeting]] = {first: [] for first in firsts}
    for meeting in meetings:
        if meeting.date is None or meeting.cancelled or not span.contains(meeting.date):
            continue
        held[meeting.date.replace(day=1)].append(meeting)
    out = []
    for first in firsts:
        came: set[str] = set()
        new: set[str] = set()
        for meeting in held[first]:
            names = {name_key(n) for n in meeting.newcomers}
            for attendee in meeting.attendees:
                key = _person_key(attendee.name, attendee.handle)
                if not key:
                    continue
                came.add(key)
                if people is not None and meeting.date is not None and window.contains(meeting.date):
                    known = people.identify(attendee.name, place=meeting_key(meeting), handle=attendee.handle)
                    if known is not None and known.id in welcomed and known.id not in counted:
                        new.add(key)  # new in the month they first came, not in every month they came
                        counted.add(known.id)
                elif attendee.name and name_key(attendee.name) in names:
                    new.add(key)
        out.append(MonthCount(first, len(held[first]), len(came), len(new)))
    return out


def _alt(counts: Sequence[MonthCount], label: str) -> str:
    meetings = sum(c.meetings for c in counts)
    busiest = max(counts, key=lambda c: (c.people, c.first))
    new = sum(c.first_timers for c in counts)
    text = f"Attendance, {label}: {meetings} meeting{'s' if meetings != 1 else ''}"
    if busiest.people:
        text += f"; most people in {MONTHS[busiest.first.month - 1]} {busiest.first.year} ({busiest.people})"
    if new:
        text += f"; {new} first-timer{'s' if new != 1 else ''}"
    return text


def attendance_chart(meetings: Iterable[Meeting], window: Window, timezone: str, months: int = 12,
                     people: PeopleSnapshot | None = None) -> Chart | None:
    """The attendance chart of the ``months`` months ending with ``window``, or None when no meeting was held."""
    counts = attendance_months(meetings, window, timezone, months, people)
    if not any(c.meetings for c in counts):
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    label = period_label(chart_window(window, timezone, months), timezone)
    figure = Figure(figsize=(8, 3.4), dpi=100)
    axes = figure.add_subplot()
    x = list(range(len(counts)))
    returning = [c.people - c.first_timers for c in counts]
    new = [c.first_timers for c in counts]
    axes.bar(x, new, color="#f28e2b", label="first-timers")
    axes.bar(x, returning, bottom=new, color="#4e79a7", label="returning people")
    axes.set_ylabel("people")
    axes.set_xticks(x, [f"{MONTHS[c.first.month - 1][:3]}\n{c.first.year}" if c.first.month == 1 or i == 0
                        else MONTHS[c.first.month - 1][:3] for i, c in enumerate(counts)])
    axes.tick_params(axis="x", labelsize=8)
    axes.set_ylim(0, max(max(c.people for c in counts), 1) * 1.25)
    meetings_axis = axes.twinx()
    meetings_axis.plot(x, [c.meetings for c in counts], "o-", color="#59a14f", label="meetings")
    meetings_axis.set_ylabel("meetings")
    meetings_axis.set_ylim(0, max(max(c.meetings for c in counts), 1) * 1.5)
    from matplotlib.ticker import MaxNLocator

    meetings_axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles = axes.get_legend_handles_labels()
    more = meetings_axis.get_legend_handles_labels()
    axes.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8, frameon=False, ncols=3)
    axes.set_title(f"Attendance, {label}", fontsize=10)
    for side in ("top",):
        axes.spines[side].set_visible(False)
        meetings_axis.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return Chart(name="attendance.png", png=buffer.getvalue(), alt=_alt(counts, label))
