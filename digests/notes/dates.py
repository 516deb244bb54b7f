"""Find the day a meeting took place in a heading, a "Date:" line, front matter or a file name."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

# Patterns compiled once (the compiled parser would otherwise look them up in re's cache on every call).
_URL = re.compile(r"https?://\S+")

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_ISO = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)[-/._](?P<mon>[01]?\d)[-/._](?P<day>[0-3]?\d)(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<mon>[01]\d)(?P<day>[0-3]\d)(?!\d)")
_DMY = re.compile(rf"(?<![\w]){_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}(?!\d)", re.IGNORECASE)
_MDY = re.compile(rf"(?<![\w]){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)", re.IGNORECASE)


def _make(year: str, mon: str, day: str) -> dt.date | None:
    try:
        month = int(mon) if mon.isdigit() else _MONTHS[mon.lower().rstrip(".")[:3]]
        return dt.date(int(year), month, int(day))
    except (ValueError, KeyError):
        return None


@lru_cache(maxsize=4096)  # headings and "Date:" lines are asked about by several stages
def find_date(text: str, *, compact: bool = False) -> tuple[dt.date, int, int] | None:
    """The first full date in ``text`` with its span, or None.

    Understands ``2025-06-17`` (also ``/``, ``.`` and ``_``), ``17th January 2023``,
    ``Tuesday 17 Jan 2023``, ``January 17, 2023``; ``20250617`` only with ``compact=True``
    (file names).
    """
    if "19" not in text and "20" not in text:
        return None  # every pattern holds a year, (19|20)dd: the common case, no date at all, costs no regex
    best: tuple[dt.date, int, int] | None = None
    patterns = (_ISO, _DMY, _MDY, _COMPACT) if compact else (_ISO, _DMY, _MDY)
    for pattern in patterns:
        for m in pattern.finditer(text):
            date = _make(m.group("year"), m.group("mon"), m.group("day"))
            if date is not None:
                if best is None or m.start() < best[1]:
                    best = (date, m.start(), m.end())
                break
    return best


_SHORT_DMY = re.compile(r"(?<![\d.])(?P<day>[0-3]\d)\.(?P<mon>[01]\d)\.(?P<yy>\d\d)(?![\d.])")


def short_date(text: str) -> tuple[dt.date, int, int] | None:
    """"04.09.31" (day, month, two-digit year: 4 September 2031), the form some notes put in headings."""
    if "." not in text:
        return None
    m = _SHORT_DMY.search(text)
    if m is None:
        return None
    date = _make(f"20{m.group('yy')}", m.group("mon"), m.group("day"))
    return (date, m.start(), m.end()) if date is not None else None


def heading_date(text: str) -> dt.date | None:
    """The date a heading is about, when the heading is mostly that date ("2025-06-17",
    "Meeting 17 June 2025", "2025-06-17 — Collab cafe", "04.09.31 Meeting Minutes")."""
    if "://" in text:  # a date inside a link is not the heading's date
        text = _URL.sub(" ", text)
    found = find_date(text) or short_date(text)
    if found is None:
        return _month_heading(text) if len(text) <= 40 and text[:3].lower() in _MONTHS else None
    date, start, end = found
    if start > 3 and text[:1].isdigit():
        m = _NUMBERED_PART.match(text)
        if m and start > m.end():
            return None  # "1. Approval of the minutes of 2024-03-05": a numbered part of the minutes, about that day
    rest = (text[:start] + " " + text[end:]).split()
    return date if len(rest) <= 6 else None


_NUMBERED_PART = re.compile(r"^\d{1,2}(?:\.\d{1,2})*[.)]?\s+(?=[A-Za-z])")


# "February 2021", "March 2021 (skipped)": an archive's monthly meeting whose day was not written down.
_MONTH_YEAR = re.compile(rf"{_MONTH}\s+{_YEAR}\b(?P<rest>\W*(?:\(?(?:meeting\s+)?(?:skipped|cancell?ed|no\s+meeting)\)?\W*)?)$",
                         re.IGNORECASE)


def _month_heading(text: str) -> dt.date | None:
    """The first of the month a heading that only names a month and year is about ("## February 2021")."""
    m = _MONTH_YEAR.match(text)
    return _make(m.group("year"), m.group("mon"), "1") if m else None


def month_heading_rest(text: str) -> str:
    """What a month heading says besides its month ("March 2021 (skipped)" -> "(skipped)")."""
    m = _MONTH_YEAR.match(text)
    return m.group("rest").strip() if m else text
