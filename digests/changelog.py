"""Markdown changelogs -> ``Release`` values, one per version heading.

Pure: text in, releases out. Styles understood (any heading level, ATX or setext):

- date after a dash:          ``## 5.3.0 - 2025-04-15``  (also ``–``, ``—``, ``/``, ``:``)
- Keep a Changelog:           ``## [1.2.0] - 2024-01-05`` with ``[1.2.0]: https://...`` link definitions,
                              ``### Added`` / ``Changed`` / ``Fixed`` / ``Removed``, ``[YANKED]`` and ``[Unreleased]``
- bracketed date:             ``## [1.2.0] (2024-01-05)``, ``## 1.2.0 (January 5, 2024)``
- release-please / conventional-changelog: ``## [1.2.0](https://.../compare/v1.1.0...v1.2.0) (2024-01-05)``
- github-activity:            ``### 5.2.1 - 2024-10-30`` under a ``## 5.2`` group heading, a
                              ``([full changelog](...))`` line, and "New features added", "Enhancements
                              made", "Bugs fixed", "Contributors to this release" sections.

Example usage::

    releases = parse_changelog(Path("CHANGELOG.md").read_text(), project="jupyterhub", document="CHANGELOG.md")

A heading is a version heading when its version token parses (PEP 440, or semver with a
pre-release) and whatever follows is a date, a status word (``[YANKED]``, ``(prerelease)``) or a
title after a separator. A version heading that contains other version headings is a group
(``## 5.2`` above ``### 5.2.1``) and yields no release of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from digests.errors import ReleaseDataError
from digests.model import Release
from digests.releases import (
    _SEMVER,
    extract_contributors,
    extract_highlights,
    is_prerelease_version,
    normalize_project,
)

__all__ = ["VersionHeading", "parse_changelog", "parse_version_heading"]

_ATX = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?P<bar>=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LINK_DEF = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:[ \t]*<?(?P<url>[^\s>]+)>?")
_FULL_CHANGELOG = re.compile(r"\[full changelog\]\((?P<url>[^)\s]+)\)", re.IGNORECASE)
_LIST_MARK = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)")

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_MDY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.IGNORECASE
)
_DMY = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b", re.IGNORECASE
)

# The version token: digits with at least one dot, then an optional pre/post/dev/local or semver tail.
_VERSION_TOKEN = re.compile(r"^[vV]?(?P<version>\d+(?:\.\d+)+(?:[-+._]?[0-9A-Za-z][0-9A-Za-z.+_-]*)?)$")
_PREFIX_WORDS = frozenset({"version", "release", "released", "ver", "v", "tag"})
_STATUS_WORDS = frozenset(
    {
        "yanked",
        "prerelease",
        "pre-release",
        "unreleased",
        "latest",
        "beta",
        "alpha",
        "rc",
        "release",
        "candidate",
        "stable",
        "lts",
        "draft",
        "upcoming",
        "wip",
    }
)


@dataclass(frozen=True, slots=True)
class VersionHeading:
    """What a version heading says: ``## [1.2.0](url) - 2024-01-05 [YANKED]``."""

    version: str
    date: dt.date | None = None
    url: str | None = None
    yanked: bool = False
    prerelease: bool = False
    unreleased: bool = False


@dataclass(frozen=True, slots=True)
class _Heading:
    line: int  # 0-based index of the heading text line
    level: int
    text: str
    body_start: int  # index of the first body line


def _date_in(text: str, where: str) -> dt.date | None:
    """The first date written in ``text``; ``ReleaseDataError`` for an impossible one (2024-13-45)."""
    for pattern in (_ISO_DATE, _MDY, _DMY):
        match = pattern.search(text)
        if not match:
            continue
        year, day = int(match.group("y")), int(match.group("d"))
        month = int(match.group("m")) if "m" in match.groupdict() else _MONTHS[match.group("month").lower()]
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ReleaseDataError(
                where, f"{match.group(0)!r} is not a valid date; write it as YYYY-MM-DD, e.g. 2024-01-05"
            ) from None
    return None


def _strip_link(token: str) -> tuple[str, str | None]:
    """``[1.2.0](url)`` -> ("1.2.0", url); ``[1.2.0]`` -> ("1.2.0", None)."""
    match = re.fullmatch(r"\[(?P<text>[^\]]*)\](?:\((?P<url>[^)\s]*)\))?", token)
    if match:
        return match.group("text").strip(), match.group("url")
    return token, None


def _is_version(text: str) -> str | None:
    match = _VERSION_TOKEN.match(text)
    if not match:
        return None
    version = match.group("version")
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        if not _SEMVER.match(version):
            return None
    return version


def parse_version_heading(
    text: str, *, project: str | None = None, where: str = "heading"
) -> VersionHeading | None:
    """The version (and date, link, status) a heading announces, or ``None`` if it is not a version heading.

    ``where`` names the place for error messages (an impossible date raises ``ReleaseDataError``).
    """
    text = text.strip()
    if not text or not any(c.isdigit() for c in text):
        return None
    # Split into: prefix words, the version token (maybe bracketed or linked), the rest.
    match = re.match(
        r"^(?P<prefix>(?:[^\s\[\d][^\s\[]*\s+){0,3}?)"
        r"(?P<token>\[[^\]]*\](?:\([^)\s]*\))?|[vV]?\d[^\s\[\](),]*)"
        r"(?P<rest>.*)$",
        text,
    )
    if not match:
        return None
    token, url = _strip_link(match.group("token"))
    token = token.strip()
    words = token.split()
    if len(words) > 1:  # "[Version 1.2.0]" / "[mypkg 1.2.0]"
        prefix_inside, token = " ".join(words[:-1]), words[-1]
    else:
        prefix_inside = ""
    version = _is_version(token.rstrip(":"))
    if version is None:
        return None
    prefix = " ".join((match.group("prefix") + " " + prefix_inside).split())
    if prefix:
        lowered = prefix.lower().rstrip(":")
        named = project is not None and normalize_project(lowered.replace(" ", "-")) == normalize_project(
            project
        )
        if not (named or set(lowered.split()) <= _PREFIX_WORDS or len(lowered.split()) == 1):
            return None
    rest = match.group("rest").strip()
    rest_words = set(re.sub(r"[^a-z-]+", " ", rest.lower()).split())
    date = _date_in(rest, where)
    link_in_rest = re.match(r"^\((?P<url>https?://[^)\s]+)\)", rest)
    if link_in_rest and url is None:
        url = link_in_rest.group("url")
    if date is None and rest:
        cleaned = re.sub(r"\(https?://[^)\s]+\)", "", rest).strip()
        separated = re.match(r"^[-–—:/|]\s*\S", cleaned)
        if cleaned and not separated and not (rest_words and rest_words <= _STATUS_WORDS):
            return None  # "5.0 upgrade notes" is prose, not a release
    return VersionHeading(
        version=version,
        date=date,
        url=url,
        yanked="yanked" in rest_words,
        prerelease=bool(rest_words & {"prerelease", "pre-release", "beta", "alpha", "rc"}) and date is None,
        unreleased="unreleased" in rest_words or "upcoming" in rest_words,
    )


def _slug(text: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _headings(lines: list[str]) -> list[_Heading]:
    found: list[_Heading] = []
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        atx = _ATX.match(line)
        if atx:
            found.append(
                _Heading(index, len(atx.group("hashes")), (atx.group("text") or "").strip(), index + 1)
            )
            continue
        setext = _SETEXT.match(line)
        if setext and index > 0:
            above = lines[index - 1]
            above_starts_block = (
                index == 1
                or not lines[index - 2].strip()
                or bool(found and found[-1].body_start == index - 1)
            )
            if (
                above.strip()
                and above_starts_block
                and not _LIST_MARK.match(above)
                and not _ATX.match(above)
                and not _SETEXT.match(above)
                and not (found and found[-1].line == index - 1)
            ):
                level = 1 if setext.group("bar").startswith("=") else 2
                found.append(_Heading(index - 1, level, above.strip(), index + 1))
    return found


def parse_changelog(
    text: str, *, project: str, document: str = "CHANGELOG.md", url: str | None = None
) -> list[Release]:
    """Every released version in a Markdown changelog, in document order.

    ``document`` names the file in error messages; ``url``, when given, is where a reader can
    open the changelog: releases without a link of their own point to ``url#<heading anchor>``.
    ``[Unreleased]`` sections are skipped. Raises ``ReleaseDataError`` when there is no version
    heading at all, or a heading carries an impossible date.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    link_defs: dict[str, str] = {}
    for line in lines:
        match = _LINK_DEF.match(line)
        if match:
            link_defs.setdefault(match.group("label").strip().lower(), match.group("url"))
    headings = _headings(lines)
    versions: list[tuple[int, VersionHeading]] = []
    saw_unreleased = False
    for position, heading in enumerate(headings):
        parsed = parse_version_heading(heading.text, project=project, where=f"{document}:{heading.line + 1}")
        if parsed is None:
            if re.sub(r"[^a-z]", "", heading.text.lower()) in {"unreleased", "upcoming", "unreleasedchanges"}:
                saw_unreleased = True
            continue
        versions.append((position, parsed))
    if not versions:
        if saw_unreleased:
            return []
        raise ReleaseDataError(
            document,
            "no version headings found; expected headings such as '## 1.2.0 - 2024-01-05', "
            "'## [1.2.0] (2024-01-05)' or '### 1.2.0' with 'Bugs fixed' sections",
        )
    version_positions = {position for position, _ in versions}
    releases: list[Release] = []
    seen: set[str] = set()
    for position, parsed in versions:
        heading = headings[position]
        end_heading = next((h for h in headings[position + 1 :] if h.level <= heading.level), None)
        inner = [
            p
            for p in range(position + 1, len(headings))
            if p in version_positions and (end_heading is None or headings[p].line < end_heading.line)
        ]
        if inner:
            continue  # a group heading such as "## 5.2" above "### 5.2.1"
        if parsed.unreleased:
            saw_unreleased = True
            continue
        key = parsed.version.lower()
        if key in seen:
            continue
        seen.add(key)
        end = end_heading.line if end_heading else len(lines)
        body_lines = [line for line in lines[heading.body_start : end] if not _is_version_link_def(line)]
        body = "\n".join(body_lines).strip()
        date = parsed.date
        if date is None:
            date = _leading_date(body_lines, f"{document}:{heading.line + 1}")
        link = (
            parsed.url or link_defs.get(parsed.version.lower()) or link_defs.get(f"v{parsed.version}".lower())
        )
        if link is None:
            full = _FULL_CHANGELOG.search(body)
            link = full.group("url") if full else None
        if link is None and url:
            link = f"{url}#{_slug(heading.text)}"
        releases.append(
            Release(
                project=project,
                version=parsed.version,
                date=dt.datetime.combine(date, dt.time(0), tzinfo=dt.UTC) if date else None,
                url=link,
                prerelease=parsed.prerelease or is_prerelease_version(parsed.version),
                yanked=parsed.yanked,
                notes=body,
                highlights=extract_highlights(body),
                contributors=extract_contributors(body),
                sources=("changelog",),
            )
        )
    return releases


def _is_version_link_def(line: str) -> bool:
    match = _LINK_DEF.match(line)
    if not match:
        return False
    label = match.group("label").strip()
    return label.lower() == "unreleased" or _is_version(label) is not None


def _leading_date(body_lines: list[str], where: str) -> dt.date | None:
    """A date written alone on the first line under the heading: ``*Released 2024-01-05*``, ``Date: ...``."""
    for line in body_lines:
        stripped = line.strip()
        if not stripped:
            continue
        words = re.sub(r"[\W\d_]+", " ", stripped.lower()).split()
        month_words = {w for w in words if w in _MONTHS}
        if set(words) - month_words <= {"released", "release", "on", "date", "st", "nd", "rd", "th"}:
            return _date_in(stripped, where)
        return None
    return None
