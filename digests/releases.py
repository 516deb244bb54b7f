"""Release payloads in, ``Release`` values out: GitHub, PyPI, merging, ordering, highlights.

Pure: the payloads arrive as already-decoded JSON (``dict``/``list``); fetching lives in
``chatops.sources.releases`` and changelog files are parsed by ``digests.changelog``.

Example usage::

    releases = releases_from_github(payload, project="jupyterhub", source="GitHub jupyterhub/jupyterhub")
    releases += releases_from_pypi(pypi_payload, source="PyPI jupyterhub")
    for release in sort_newest_first(merge_releases(releases)):
        print(release.project, release.version, release.highlights)

Versions compare by PEP 440 (``packaging``), with a semantic-version fallback for forms PEP 440
refuses, such as ``1.0.0-0.dev.git.3002.h5f189ce``; anything else sorts below every real version.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from packaging.version import InvalidVersion, Version

from digests.errors import ReleaseDataError
from digests.model import Release, ReleaseOrigin, Window

__all__ = [
    "canonical_version",
    "extract_contributors",
    "extract_highlights",
    "filter_window",
    "is_prerelease_version",
    "merge_releases",
    "normalize_project",
    "release_identity",
    "releases_from_github",
    "releases_from_pypi",
    "sort_by_version",
    "sort_newest_first",
    "version_from_tag",
    "version_key",
]

# --- versions ---------------------------------------------------------------------------------

# A tag such as "v1.2.0", "jupyterhub-5.5.1", "release/1.2" or "pkg@2.0.0": the version starts at
# the first digit that follows an optional word prefix and separator.
_TAG = re.compile(r"^(?:[A-Za-z][\w.-]*?[-_@/ ])?[vV]?(?P<version>\d.*)$")
_SEMVER = re.compile(
    r"^(?P<release>\d+(?:\.\d+)*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_PIECES = re.compile(r"\d+|[A-Za-z]+")


def version_from_tag(tag: str) -> str:
    """The version inside a release tag: ``"v1.2.0"`` -> ``"1.2.0"``, ``"jupyterhub-5.5.1"`` -> ``"5.5.1"``.

    A tag with no digit is returned stripped, unchanged otherwise.
    """
    text = tag.strip()
    match = _TAG.match(text)
    return match.group("version") if match else text


def _trim(release: Sequence[int]) -> tuple[int, ...]:
    parts = list(release)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _identifiers(text: str, sep: str) -> tuple[tuple[int, int | str], ...]:
    out: list[tuple[int, int | str]] = []
    for part in text.split(sep):
        out.append((0, int(part)) if part.isdigit() else (1, part))
    return tuple(out)


def version_key(version: str) -> tuple[Any, ...]:
    """A sort key: PEP 440 order, semver order for pre-releases PEP 440 refuses, unknown forms lowest.

    ``1.0.0-0.dev.git.3002.h5f189ce`` sorts after ``0.9`` and before ``1.0.0rc1`` and ``1.0.0``.
    Keys of different kinds never compare their payloads with each other (each payload is tagged).
    """
    text = version_from_tag(version)
    try:
        parsed = Version(text)
    except InvalidVersion:
        pass
    else:
        group = 2 if parsed.pre is None and parsed.dev is None else 1
        return (1, parsed.epoch, _trim(parsed.release), group, (0, parsed))
    match = _SEMVER.match(text)
    if match:
        release = _trim([int(p) for p in match.group("release").split(".")])
        pre = match.group("pre")
        if pre is None:
            return (1, 0, release, 2, (1, ()))
        # Semver: a pre-release is below its release; identifiers compare numerically when numeric,
        # numbers below words, and a longer list wins when all earlier identifiers are equal.
        return (1, 0, release, 0, (1, _identifiers(pre, ".")))
    natural = tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in _PIECES.findall(text))
    return (0, 0, (), 0, (2, natural, text))


def canonical_version(version: str) -> str:
    """The identity of a version for merging: ``"v1.0"``, ``"1.0.0"`` and ``"1.0"`` are one release."""
    text = version_from_tag(version)
    try:
        parsed = Version(text)
    except InvalidVersion:
        return text.lower()
    parts = [f"{parsed.epoch}!" if parsed.epoch else "", ".".join(str(p) for p in _trim(parsed.release))]
    if parsed.pre is not None:
        parts.append(f"{parsed.pre[0]}{parsed.pre[1]}")
    if parsed.post is not None:
        parts.append(f".post{parsed.post}")
    if parsed.dev is not None:
        parts.append(f".dev{parsed.dev}")
    if parsed.local is not None:
        parts.append(f"+{parsed.local}")
    return "".join(parts)


def is_prerelease_version(version: str) -> bool:
    """True for PEP 440 pre/dev releases (``6.0.0b2``, ``1.0.dev3``) and semver ``-pre`` forms."""
    text = version_from_tag(version)
    try:
        return Version(text).is_prerelease
    except InvalidVersion:
        match = _SEMVER.match(text)
        return bool(match and match.group("pre"))


def normalize_project(name: str) -> str:
    """PEP 503 normalisation, so ``Jupyter_Server`` and ``jupyter-server`` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def release_identity(release: Release) -> tuple[str, str]:
    """The key under which releases from different sources are merged."""
    return normalize_project(release.project), canonical_version(release.version)


# --- shape checks -----------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _get(
    obj: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    source: str,
    where: str,
    *,
    required: bool = True,
) -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise ReleaseDataError(source, f"{where}: missing {key!r}")
        return None
    value = obj[key]
    if isinstance(value, bool) and kind in (int, (int, float)):
        raise ReleaseDataError(source, f"{where}.{key}: expected a number, got a boolean")
    if not isinstance(value, kind):
        expected = {str: "a string", bool: "a boolean", dict: "an object", list: "a list"}.get(
            kind if isinstance(kind, type) else object, "a value of another type"
        )
        raise ReleaseDataError(source, f"{where}.{key}: expected {expected}, got {_type_name(value)}")
    return value


def _timestamp(text: str, source: str, where: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReleaseDataError(source, f"{where}: {text!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:  # PyPI's "upload_time" is UTC without an offset
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# --- GitHub -----------------------------------------------------------------------------------


def releases_from_github(
    payload: Any, *, project: str, source: str = "GitHub", include_drafts: bool = False
) -> list[Release]:
    """One page of ``GET /repos/{owner}/{repo}/releases`` -> releases (drafts skipped).

    ``project`` names the project these releases belong to (usually the repository name, or the
    PyPI name when they differ). A payload of another shape raises ``ReleaseDataError`` naming
    the index and key that were wrong.
    """
    if isinstance(payload, dict) and "message" in payload:
        raise ReleaseDataError(
            source, f"expected a list of releases, got an error object: {str(payload['message'])[:200]!r}"
        )
    if not isinstance(payload, list):
        raise ReleaseDataError(source, f"expected a list of releases, got {_type_name(payload)}")
    out: list[Release] = []
    for index, item in enumerate(payload):
        where = f"[{index}]"
        if not isinstance(item, dict):
            raise ReleaseDataError(source, f"{where}: expected a release object, got {_type_name(item)}")
        tag = _get(item, "tag_name", str, source, where)
        if _get(item, "draft", bool, source, where, required=False) and not include_drafts:
            continue
        flagged = bool(_get(item, "prerelease", bool, source, where, required=False))
        stamp = _get(item, "published_at", str, source, where, required=False) or _get(
            item, "created_at", str, source, where, required=False
        )
        body = _get(item, "body", str, source, where, required=False) or ""
        url = _get(item, "html_url", str, source, where, required=False)
        version = version_from_tag(tag)
        out.append(
            Release(
                project=project,
                version=version,
                date=_timestamp(stamp, source, f"{where}.published_at") if stamp else None,
                url=url,
                prerelease=flagged or is_prerelease_version(version),
                notes=body.replace("\r\n", "\n").strip(),
                highlights=extract_highlights(body),
                contributors=extract_contributors(body),
                sources=("github",),
            )
        )
    return out


# --- PyPI -------------------------------------------------------------------------------------


def releases_from_pypi(payload: Any, *, source: str = "PyPI", project: str | None = None) -> list[Release]:
    """``GET /pypi/{project}/json`` -> one release per version, dated by its first upload.

    A version is yanked when every one of its files is yanked (PyPI's own rule). A version with no
    files has no date. When the deprecated ``releases`` key is absent, only ``info.version`` is known.
    """
    if not isinstance(payload, dict):
        raise ReleaseDataError(source, f"expected a project object, got {_type_name(payload)}")
    info = _get(payload, "info", dict, source, "$")
    name = project or _get(info, "name", str, source, "info")
    base = _get(info, "package_url", str, source, "info", required=False) or _get(
        info, "project_url", str, source, "info", required=False
    )
    releases = _get(payload, "releases", dict, source, "$", required=False)
    if releases is None:
        version = _get(info, "version", str, source, "info")
        files = _get(payload, "urls", list, source, "$", required=False) or []
        releases = {version: files}
    out: list[Release] = []
    for version, files in releases.items():
        where = f"releases[{version!r}]"
        if not isinstance(files, list):
            raise ReleaseDataError(source, f"{where}: expected a list of files, got {_type_name(files)}")
        uploads: list[dt.datetime] = []
        yanked_files = 0
        for index, file in enumerate(files):
            fwhere = f"{where}[{index}]"
            if not isinstance(file, dict):
                raise ReleaseDataError(source, f"{fwhere}: expected a file object, got {_type_name(file)}")
            stamp = _get(file, "upload_time_iso_8601", str, source, fwhere, required=False) or _get(
                file, "upload_time", str, source, fwhere, required=False
            )
            if stamp:
                uploads.append(_timestamp(stamp, source, f"{fwhere}.upload_time_iso_8601"))
            if _get(file, "yanked", bool, source, fwhere, required=False):
                yanked_files += 1
        out.append(
            Release(
                project=name,
                version=version,
                date=min(uploads) if uploads else None,
                url=f"{base.rstrip('/')}/{version}/" if base else None,
                prerelease=is_prerelease_version(version),
                yanked=bool(files) and yanked_files == len(files),
                sources=("pypi",),
            )
        )
    return out


# --- merging and ordering ---------------------------------------------------------------------

_ORIGINS: tuple[ReleaseOrigin, ...] = ("github", "pypi", "changelog")


def _pick(group: Sequence[Release], order: Sequence[ReleaseOrigin], attr: str) -> Any:
    for origin in order:
        for release in group:
            if origin in release.sources and getattr(release, attr):
                return getattr(release, attr)
    for release in group:
        if getattr(release, attr):
            return getattr(release, attr)
    return getattr(group[0], attr)


def merge_releases(releases: Iterable[Release]) -> list[Release]:
    """Merge the releases that are the same project + version, whatever source reported them.

    The merged release takes its version text and date from PyPI (the upload is when users got
    it), then GitHub, then the changelog; its URL, notes and highlights from GitHub, then the
    changelog. It is a pre-release or yanked if any source says so, from cache if any part was,
    and credits every contributor once. Order of first appearance is kept.
    """
    groups: dict[tuple[str, str], list[Release]] = {}
    for release in releases:
        groups.setdefault(release_identity(release), []).append(release)
    merged: list[Release] = []
    for group in groups.values():
        contributors: dict[str, str] = {}
        for release in group:
            for name in release.contributors:
                contributors.setdefault(name.lower(), name)
        if len(group) == 1:
            single = group[0]
            if len(contributors) != len(single.contributors):
                single = single.model_copy(update={"contributors": tuple(contributors.values())})
            merged.append(single)
            continue
        sources = {origin for release in group for origin in release.sources}
        notes_release = next(
            (r for origin in ("github", "changelog") for r in group if origin in r.sources and r.notes), None
        )
        merged.append(
            Release(
                project=_pick(group, ("pypi", "github", "changelog"), "project"),
                version=_pick(group, ("pypi", "changelog", "github"), "version"),
                date=_pick(group, ("pypi", "github", "changelog"), "date"),
                url=_pick(group, ("github", "pypi", "changelog"), "url"),
                prerelease=any(r.prerelease for r in group),
                yanked=any(r.yanked for r in group),
                notes=notes_release.notes if notes_release else "",
                highlights=notes_release.highlights if notes_release else (),
                contributors=tuple(contributors.values()),
                sources=tuple(o for o in _ORIGINS if o in sources),
                from_cache=any(r.from_cache for r in group),
            )
        )
    return merged


def sort_by_version(releases: Iterable[Release], *, newest_first: bool = True) -> list[Release]:
    """Order by project, then by version (PEP 440 / semver), newest first by default."""
    ordered = sorted(releases, key=lambda r: version_key(r.version), reverse=newest_first)
    return sorted(ordered, key=lambda r: normalize_project(r.project))


def sort_newest_first(releases: Iterable[Release]) -> list[Release]:
    """Newest first by date; same date (or no date) by version; undated releases last."""
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    by_project = sorted(releases, key=lambda r: normalize_project(r.project))
    by_version = sorted(by_project, key=lambda r: version_key(r.version), reverse=True)
    return sorted(by_version, key=lambda r: (r.date is not None, r.date or epoch), reverse=True)


def filter_window(releases: Iterable[Release], window: Window) -> list[Release]:
    """The releases dated inside ``window`` (half-open); undated releases cannot be placed and are left out."""
    return [r for r in releases if r.date is not None and window.contains(r.date)]


# --- highlights and contributors --------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_BOLD_HEADING = re.compile(r"^ {0,3}(?:\*\*|__)(?P<text>[^*_]+?)(?:\*\*|__)\s*:?\s*$")
_ITEM = re.compile(r"^(?P<indent> {0,3})(?:[-*+]|\d{1,9}[.)])\s+(?P<text>.*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")

# Section headings, matched on lowercased words with punctuation and emoji removed.
_SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "breaking": (
        "breaking",
        "backwards incompatible",
        "backward incompatible",
        "incompatible changes",
        "removed",
        "removals",
    ),
    "features": (
        "new features added",
        "new features",
        "new feature",
        "features",
        "feature",
        "added",
        "new",
        "highlights",
        "major changes",
    ),
    "enhancements": (
        "enhancements made",
        "enhancements",
        "enhancement",
        "improvements",
        "improved",
        "changed",
        "changes",
        "minor changes",
    ),
    "bugs": ("bugs fixed", "bug fixes", "bugfixes", "bug fix", "bugs", "fixed", "fixes"),
    "new_contributors": ("new contributors", "first time contributors", "first-time contributors"),
    "contributors": (
        "contributors to this release",
        "contributors",
        "thanks",
        "acknowledgements",
        "acknowledgments",
    ),
}
_HIGHLIGHT_ORDER = ("breaking", "features", "enhancements", "bugs")
# Uncategorised lists (GitHub's generated "What's Changed") give highlights only when nothing else does.
_GENERAL_HEADINGS = frozenset(
    {
        "what s changed",
        "whats changed",
        "what changed",
        "changelog",
        "release notes",
        "summary",
        "notable changes",
        "change log",
        "changes in this release",
    }
)
_BOT_WORDS = ("dependabot", "pre-commit-ci", "[bot]", "renovate")

_CONTRIBUTOR_PARENS = re.compile(r"\s*\((?:\s*\[@[^\]]+\]\([^)]*\)\s*,?)+\s*\)")
_BY_IN = re.compile(
    r"\s+by\s+((?:@[\w-]+(?:,\s*|\s+and\s+)?)+)\s+in\s+(?P<url>https?://\S+?/(?:pull|issues)/(?P<n>\d+))\s*$"
)
_COMMIT_REFS = re.compile(r"(?:\s*\(\[[0-9a-f]{7,40}\]\([^)\s]*\)\))+\s*$")
_BACKPORT = re.compile(
    r"^Backport PR #\d+ on branch \S+ \((?P<inner>.*?)\)(?P<rest>(?:\s*\[#\d+\]\([^)\s]*\))?)\s*$"
)
_MENTION_LINK = re.compile(r"\[@([\w-]+)\]")
_HANDLE = re.compile(r"(?<![\w.@/`])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![\w@])")
_ANY_HANDLE = re.compile(r"\[@([\w-]+)\]|" + _HANDLE.pattern)
_NOT_PEOPLE = frozenset(
    {
        "all",
        "everyone",
        "here",
        "channel",
        "stream",
        "topic",
        "room",
        "dependabot",
        "pre-commit-ci",
        "github-actions",
        "renovate",
        "renovate-bot",
        "allcontributors",
        "codecov",
        "meeseeksdev",
        "meeseeksmachine",
        "lumberbot-app",
        "jupyterlab-probot",
    }
)


def section_kind(heading: str) -> str | None:
    """``"New features added"`` -> ``"features"``; ``"API and Breaking Changes"`` -> ``"breaking"``."""
    words = re.sub(r"[^a-z0-9 ]+", " ", heading.lower())
    words = " ".join(words.split())
    if not words:
        return None
    if "breaking" in words.split() or "backwards incompatible" in words:
        return "breaking"
    for kind, names in _SECTION_WORDS.items():
        if words in names:
            return kind
    for kind, names in _SECTION_WORDS.items():
        if any(words.startswith(name + " ") for name in names if " " in name or len(name) > 5):
            return kind
    return None


def _sections(markdown: str) -> list[tuple[str | None, list[str]]]:
    """Split Markdown at headings (ATX or bold-only lines): (heading text or None, body lines)."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    fenced = False
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced:
            match = _HEADING.match(line) or _BOLD_HEADING.match(line)
            if match:
                sections.append((match.group("text").strip(), []))
                continue
        sections[-1][1].append(line)
    return sections


def _items(lines: list[str]) -> list[str]:
    """The top-level list items in ``lines``, continuation lines joined with a space, sub-items left out."""
    items: list[list[str]] = []
    current: list[str] | None = None
    blank = False
    fenced = False
    base: int | None = None
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = _ITEM.match(line)
        if match and (base is None or current is None or len(match.group("indent")) <= base):
            base = len(match.group("indent")) if base is None else base
            current = [match.group("text").strip()]
            items.append(current)
            blank = False
            continue
        if match:
            continue  # a nested sub-item is not the headline
        stripped = line.strip()
        if current is None:
            continue
        if not stripped:
            blank = True
        elif line.startswith((" ", "\t")):
            if not re.match(r"(?:[-*+]|\d{1,9}[.)])\s", stripped):  # a nested sub-item is not the headline
                current.append(stripped)
        elif not blank:
            current.append(stripped)  # a lazy continuation line
        else:
            current = None  # a paragraph after the list
    return [text for text in (" ".join(parts).strip() for parts in items) if text]


def defuse_mentions(text: str) -> str:
    """Remove what would notify people or groups in chat: ``[@x](url)`` -> ``[x](url)``, ``@x`` -> ``x``.

    Covers Zulip's ``@**name**``/``@*group*``/``@_**name**`` and Discourse/GitHub ``@name``/``@all``.
    """
    text = re.sub(r"@_?\*\*([^*]+)\*\*", r"\1", text)
    text = re.sub(r"@\*([^*]+)\*", r"\1", text)
    text = _MENTION_LINK.sub(r"[\1]", text)
    return _HANDLE.sub(r"\1", text)


def _clean_item(text: str) -> str:
    text = _COMMIT_REFS.sub("", text)
    text = _CONTRIBUTOR_PARENS.sub("", text)
    by_in = _BY_IN.search(text)
    if by_in:
        text = text[: by_in.start()] + f" [#{by_in.group('n')}]({by_in.group('url')})"
    backport = _BACKPORT.match(text)
    if backport:
        text = backport.group("inner") + backport.group("rest")
    return defuse_mentions(text.strip())


def _is_breaking_item(text: str) -> bool:
    return bool(re.match(r"^(?:\*\*|__)?\[?breaking\b", text, re.IGNORECASE))


def extract_highlights(markdown: str, *, per_section: int = 2, limit: int = 5) -> tuple[str, ...]:
    """The first items of the breaking-changes, new-features, enhancements and bug-fixes sections.

    Items are Markdown with contributor credits and backport wrappers removed and mentions
    defused, so a highlight can be echoed to chat without pinging anyone. Items that start with
    ``BREAKING`` count as breaking changes whatever section they are in.
    """
    found: dict[str, list[str]] = {kind: [] for kind in _HIGHLIGHT_ORDER}
    general: list[str] = []
    for heading, lines in _sections(markdown):
        kind = section_kind(heading) if heading else None
        words = " ".join(re.sub(r"[^a-z0-9 ]+", " ", (heading or "").lower()).split())
        for item in _items(lines):
            if _is_breaking_item(item):
                found["breaking"].append(_clean_item(item))
            elif kind in found:
                found[kind].append(_clean_item(item))
            elif (heading is None or words in _GENERAL_HEADINGS) and not any(
                bot in item.lower() for bot in _BOT_WORDS
            ):
                general.append(_clean_item(item))
    out: list[str] = []
    for kind in _HIGHLIGHT_ORDER:
        for item in found[kind][:per_section]:
            if item and item not in out and len(out) < limit:
                out.append(item)
    if not out:
        out = [item for item in dict.fromkeys(general) if item][:limit]
    return tuple(out)


def _handles(text: str) -> list[str]:
    """Handles in order of appearance: ``[@name](url)`` link texts and bare ``@name``."""
    return [m.group(1) or m.group(2) for m in _ANY_HANDLE.finditer(text)]


def extract_contributors(markdown: str) -> tuple[str, ...]:
    """GitHub handles credited in release notes (without ``@``), each once, first spelling kept.

    A "Contributors to this release" section is authoritative when present; otherwise the handles
    credited in list items (``([@a](...), [@b](...))``, ``by @a in ...``), then those of a
    "New contributors" section. Bots and group words (``@all``) are never credited.
    """
    sections = _sections(markdown)
    credited: list[str] = []
    contributor_sections = [
        lines for heading, lines in sections if heading and section_kind(heading) == "contributors"
    ]
    if contributor_sections:
        for lines in contributor_sections:
            credited += _handles("\n".join(lines))
    else:
        newcomers = []
        for heading, lines in sections:
            if heading and section_kind(heading) == "new_contributors":
                newcomers += _handles("\n".join(lines))
                continue
            for item in _items(lines):
                credited += _handles(item)
        credited += newcomers
    seen: dict[str, str] = {}
    for name in credited:
        key = name.lower()
        if key in _NOT_PEOPLE or key.endswith(("[bot]", "-bot")):
            continue
        seen.setdefault(key, name)
    return tuple(seen.values())
