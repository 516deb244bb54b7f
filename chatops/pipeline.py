"""Gather a digest's inputs, compile it and render it for a target: the glue the CLI, the scheduler and chat call.

- meetings come from the configured note sources (or a list of paths / URLs that replaces them), for the
  window and the window before it (the attendance comparison);
- releases come from the configured release sources (GitHub, PyPI, changelogs); a failing source is
  logged and skipped, the others still count;
- shout-outs come from the database, reading only the window (``list_shoutouts`` uses the
  ``created_at`` index), so a digest costs the same after ten years as after one month;
- GitHub and Discourse activity come from ``sources.activity`` (community and technical digests only); a
  source that fails is named in the digest's "activity_status" section, the others still count.

Example usage::

    config = load_config("config/compass.yaml")
    digest_cfg = config.digest("community-monthly")
    window = chatops.periods.explicit(config, digest_cfg, now=now)
    digest = build_digest(config, digest_cfg, window, database=database)
    for target in digest_cfg.targets:
        rendered = render_for_target(config, digest_cfg, digest, target)
        rendered.payload()
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from chatops.config import Config, DigestConfig, Target
from chatops.errors import SourceError, StorageError, UsageError
from chatops.sources.cache import default_cache
from digests.activity import Activity, Limits
from digests.chart import attendance_chart, chart_window
from digests.compile import compile_digest, previous_window
from digests.digest import CommunityInfo, Digest, Link, UpcomingMeeting
from digests.model import Meeting, Release, Shoutout, Window
from digests.render import Rendered, render

if TYPE_CHECKING:
    from chatops.storage.db import Database

__all__ = [
    "build_digest",
    "community_info",
    "load_activity",
    "load_meetings",
    "load_releases",
    "load_shoutouts",
    "render_for_target",
    "resolve_digest",
    "template_path",
    "upcoming_meetings",
]

log = logging.getLogger(__name__)

TargetName = Literal["zulip", "discourse", "plain", "outbox"]

_LINK_LABELS = {
    "chat": "Chat with us",
    "forum": "Ask on the forum",
    "calendar": "Meeting calendar",
    "contributing": "How to contribute",
    "notes": "Meeting notes",
    "website": "Website",
}
KINDS = ("community", "technical", "celebratory")


# --- configuration lookups --------------------------------------------------------------------


def resolve_digest(config: Config | None, name_or_kind: str) -> tuple[Config, DigestConfig]:
    """The digest called ``name_or_kind``, else the first of that kind, else a default one of that kind.

    ``UsageError`` names the configured digests and the kinds when nothing matches.
    """
    config = config if config is not None else Config(path=None)
    for digest in config.digests:
        if digest.name == name_or_kind:
            return config, digest
    if name_or_kind in KINDS:
        for digest in config.digests:
            if digest.kind == name_or_kind:
                return config, digest
        return config, DigestConfig(name=name_or_kind, kind=name_or_kind, schedule="monthly 1 00:00")  # type: ignore[arg-type]
    names = ", ".join(d.name for d in config.digests) or "none configured"
    raise UsageError(
        f"no digest named {name_or_kind!r}; use a configured name ({names}) or a kind (community, technical, celebratory)"
    )


def community_info(config: Config, digest_cfg: DigestConfig | None = None) -> CommunityInfo:
    """The community as ``digests`` sees it: name, the digest's zone and the standing links."""
    community = config.community
    links = tuple(
        Link(label=_LINK_LABELS[key], url=getattr(community.links, key))
        for key in _LINK_LABELS
        if getattr(community.links, key)
    )
    zone = (digest_cfg.timezone if digest_cfg is not None else None) or community.timezone
    return CommunityInfo(name=community.name, timezone=zone, links=links, notes_url=community.links.notes)


def upcoming_meetings(config: Config, after: dt.datetime, *, per_series: int = 1) -> list[UpcomingMeeting]:
    """The next ``per_series`` meetings of each configured series after ``after``, soonest first."""
    from chatops.schedules import next_fires

    out: list[UpcomingMeeting] = []
    for series in config.community.meetings:
        zone = ZoneInfo(series.timezone or config.community.timezone)
        for when in next_fires(series.schedule, zone, after, per_series):
            out.append(UpcomingMeeting(name=series.name, when=when, url=series.url))
    return sorted(out, key=lambda u: u.when)


def template_path(config: Config, digest_cfg: DigestConfig) -> Path | None:
    """The digest's own template file: ``template:`` in ``config/templates/`` (or relative to the config)."""
    if not digest_cfg.template:
        return None
    candidates = [config.resolve(Path("templates") / digest_cfg.template), config.resolve(digest_cfg.template)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"digest {digest_cfg.name!r}: template {digest_cfg.template!r} not found; "
        f"looked in {', '.join(str(c) for c in candidates)}"
    )


# --- inputs -----------------------------------------------------------------------------------


_JSON_DATE = re.compile(rb'"date"\s*:\s*"(\d{4}-\d{2}-\d{2})')


def _meetings_between(document: Any, first: dt.date | None, last: dt.date | None) -> list[Meeting]:
    """The meetings of one parsed document dated in [first, last]; a document from the parse cache has only
    those meetings built, so a digest does not pay for validating ten years of notes it will not show."""
    if first is None or last is None or not getattr(document, "from_cache", False):
        meetings = list(document.meetings())
    else:
        import json

        # Look at the dates in the raw JSON first: most documents hold no meeting of the window at all, and
        # skipping them spares decoding years of notes (only Meeting objects carry a "date" key).
        raw = document.meetings_json
        raw = raw.encode() if isinstance(raw, str) else raw
        low, high = first.isoformat().encode(), last.isoformat().encode()
        if not any(low <= day <= high for day in _JSON_DATE.findall(raw)):
            return []
        meetings = []
        for data in json.loads(raw):
            day = data.get("date") if isinstance(data, dict) else None
            if isinstance(day, str) and first.isoformat() <= day[:10] <= last.isoformat():
                meetings.append(Meeting.model_validate(data))
    if first is None or last is None:
        return meetings
    return [m for m in meetings if m.date is not None and first <= m.date <= last]


# How far around a window the meetings are read to learn a notes source's template from (digests.notes.corpus).
TEMPLATE_CONTEXT = dt.timedelta(days=183)


def load_meetings(
    config: Config | None,
    *,
    notes: Sequence[str] | None = None,
    cache: Any = "default",
    between: tuple[dt.date, dt.date] | None = None,
    strict: bool = False,
) -> list[Meeting]:
    """Every meeting in the configured note sources, or in ``notes`` (paths, globs or URLs) when given.

    Reading and parsing go through ``chatops.sources.notes.collect_notes`` (conditional requests, git,
    a parse cache keyed by content). With ``notes`` a source that fails is an error, since the user named
    it (``UsageError``); configured sources that fail are logged and skipped (a preview), unless ``strict``
    (publishing: a source that cannot be read is a failed run, never an empty period): then a source
    that fails as a whole (missing, unreachable) raises ``SourceError``; one broken document is still
    only a warning. Paths in ``notes`` are relative to the working directory, configured
    ones to the configuration file. ``between`` (first and last day, inclusive) keeps only the meetings
    dated then: documents the notes date index places wholly outside are neither read nor loaded, and
    of the others only those meetings are built.
    """
    from chatops.sources.notes import collect_notes, specs_for

    specs = specs_for(config, notes)
    if not specs:
        return []
    if cache == "default":
        cache = default_cache()
    headings = (config.sources.headings or None) if config is not None else None
    # With ``between`` the cache's date index leaves out the documents whose meetings are all outside it,
    # unread and unloaded, so a monthly digest does not pay for the whole history of notes. The meetings
    # around the window are read too, to learn the source's template from (a month holds one or two
    # meetings: too few to tell a template line from content), and are left out after.
    learn = (between[0] - TEMPLATE_CONTEXT, between[1] + TEMPLATE_CONTEXT) if between is not None else None
    report = collect_notes(specs, cache=cache, headings=headings, between=learn)
    if report.problems:
        lines = [str(p) for p in report.problems]
        if notes is not None:
            raise UsageError("cannot read notes: " + "; ".join(lines))
        whole = [str(p) for p in report.problems if p.source in {spec.name for spec in specs}]
        if strict and whole:
            raise SourceError("notes", "; ".join(whole))
        for line in lines:
            log.warning("Notes source skipped: %s", line)
    first, last = learn if learn is not None else (None, None)
    from digests.notes import read_source

    # Each source's documents are read together: a meeting kept in two documents counts once, and text
    # that repeats across the source's meetings is its template, not content. A source that names where
    # it is published gives each meeting its page there.
    published = {spec.name: spec for spec in specs if spec.published}
    out: list[Meeting] = []
    for source, documents in report.by_source().items():
        found = read_source([(d.document, _meetings_between(d, first, last)) for d in documents]).meetings
        if between is not None:
            found = [m for m in found if m.date is not None and between[0] <= m.date <= between[1]]
        spec = published.get(source)
        if spec is not None:
            found = [_with_page(m, spec, m.document) for m in found]
        out.extend(found)
    return out


def _with_page(meeting: Meeting, spec: Any, document: str) -> Meeting:
    """``meeting`` linking to its published page, from its source's ``published`` URL template."""
    from chatops.sources.notes import published_url
    from digests.model import SourceRef

    url = published_url(spec.published, path=spec.relative(document), date=meeting.date, anchor=meeting.anchor)
    source = meeting.source or SourceRef(document=document)
    return meeting.model_copy(update={"source": source.model_copy(update={"url": url})})


def load_releases(config: Config, window: Window, *, strict: bool = False) -> list[Release]:
    """Releases in ``window`` from the configured sources; failing sources are logged and skipped, or,
    when ``strict`` (publishing), raise ``SourceError``."""
    releases_cfg = config.sources.releases
    if not (releases_cfg.github or releases_cfg.pypi or releases_cfg.changelogs):
        return []
    from chatops.sources.releases import ReleaseFetcher, ReleaseSources, RetryPolicy, collect_releases

    sources = ReleaseSources.from_config(releases_cfg, resolve=config.resolve)
    token = releases_cfg.github_token.get_secret_value() if releases_cfg.github_token else None
    policy = RetryPolicy(max_wait=releases_cfg.max_wait.total_seconds())
    cache = default_cache()
    with ReleaseFetcher(cache=cache, github_url=sources.github_url, pypi_url=sources.pypi_url, token=token,
                        policy=policy) as fetcher:
        report = collect_releases(sources, fetcher, since=window.since, until=window.until)
    if strict and report.failures:
        raise SourceError("releases", "; ".join(f"{f.source}: {f.error}" for f in report.failures))
    for failure in report.failures:
        log.warning('Release source "%s" failed and was skipped: %s', failure.source, failure.error)
    return list(report.releases)


_ACTIVITY_SECTIONS = {"newcomers", "calls_for_help", "deployments", "merged_work", "conversations", "activity_status"}


def load_activity(config: Config, digest_cfg: DigestConfig, window: Window) -> Activity | None:
    """The window's GitHub and Discourse activity, when ``sources.activity`` is configured and the digest shows
    some of it; a failing source is named in the result (and logged), never raised."""
    if not config.sources.activity.configured or digest_cfg.kind == "celebratory":
        return None
    if not _ACTIVITY_SECTIONS & set(selected_sections(digest_cfg)):
        return None
    from chatops.sources.activity import collect_activity

    activity = collect_activity(config, window, cache=default_cache())
    for status in activity.statuses:
        if status.state != "ok":
            log.warning("%s: %s", status.source, status.reason)
    return activity


def record_first_contributions(database: Database, activity: Activity) -> None:
    """Each first-time contributor becomes a sighting in the people registry (a "github" sighting at their first
    merged pull request), so the registry knows them from then on and welcomes them once. A registry that
    cannot be written is logged, never fatal: the digest still shows them."""
    if not activity.first_timers:
        return
    from chatops.storage.people import record_sighting

    try:
        with database.session() as session:
            for contributor in activity.first_timers:
                first = contributor.first
                record_sighting(session=session, kind="github", login=contributor.login, when=first.merged_at,
                                label=f"first merged pull request, {first.repo}#{first.number}")
    except Exception as exc:  # noqa: BLE001 - the people registry is an aid; the digest goes on without it
        log.warning("First-time contributors could not be recorded in the people registry (%s: %s)",
                    type(exc).__name__, exc)


def activity_limits(config: Config) -> Limits:
    return Limits(**config.sources.activity.limits.model_dump())


def load_shoutouts(database: Database | None, window: Window) -> list[Shoutout]:
    """The shout-outs given in ``window``, read through the ``created_at`` index; none without a database."""
    if database is None:
        return []
    import sqlalchemy as sa

    from chatops.redact import mask_password
    from chatops.storage.db import is_connection_error, unreachable
    from chatops.storage.shoutouts import list_shoutouts

    try:
        with database.session() as session:
            return list_shoutouts(session=session, since=window.since, until=window.until)
    except sa.exc.SQLAlchemyError as exc:
        if is_connection_error(exc):
            raise unreachable(exc, database.engine.url.render_as_string(hide_password=False)) from None
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise StorageError(
            f"cannot read shout-outs from {mask_password(str(database.engine.url))} ({cause}); "
            "is the schema current? run 'compass db upgrade'"
        ) from None


# --- compile and render -----------------------------------------------------------------------


def selected_sections(digest_cfg: DigestConfig) -> list[str]:
    from digests.sections import SECTIONS

    names = digest_cfg.sections.include if digest_cfg.sections.include is not None else list(SECTIONS[digest_cfg.kind])
    return [n for n in names if n not in digest_cfg.sections.exclude]


def build_digest(
    config: Config,
    digest_cfg: DigestConfig,
    window: Window,
    *,
    database: Database | None = None,
    notes: Sequence[str] | None = None,
    meetings: Iterable[Meeting] | None = None,
    releases: Iterable[Release] | None = None,
    shoutouts: Iterable[Shoutout] | None = None,
    activity: Activity | None = None,
    strict: bool = False,
    chart: bool = True,
) -> Digest:
    """Gather the inputs of ``digest_cfg`` for ``window`` and compile the digest.

    ``notes`` replaces the configured note sources; ``meetings``, ``releases``, ``shoutouts`` and ``activity``
    replace the corresponding sources altogether (tests, benchmarks, callers that already hold them).

    ``strict`` (what publishing asks): a configured notes or release source that fails raises ``SourceError``
    instead of being skipped, so a period is never published, or skipped as empty, without its sources.

    A community digest showing its attendance also gets the attendance chart of the 12 months ending with the
    window (``digests.chart``; ``chart=False`` or ``budget.chart: false`` leaves it out): the notes are then
    read for those months too (the date index keeps that to a year of documents, whatever the history).
    """
    community = community_info(config, digest_cfg)
    before = previous_window(window, community.timezone)
    with_chart = (chart and digest_cfg.budget.chart and digest_cfg.kind == "community"
                  and "attendance" in selected_sections(digest_cfg))
    # Meetings of the previous window (attendance comparison) and this one, with a day's margin for zones;
    # with the chart, of the 12 months it shows.
    first = before.since
    if with_chart:
        first = min(first, chart_window(window, community.timezone).since)
    between = ((first - dt.timedelta(days=1)).date(), (window.until + dt.timedelta(days=1)).date())
    if meetings is not None:
        all_meetings = list(meetings)
    else:
        all_meetings = load_meetings(config, notes=notes, between=between, strict=strict)
    held = [m for m in all_meetings if m.date is not None and window.contains(m.date)]
    previous = [m for m in all_meetings if m.date is not None and before.contains(m.date)]
    found_releases = list(releases) if releases is not None else load_releases(config, window, strict=strict)
    given = list(shoutouts) if shoutouts is not None else load_shoutouts(database, window)
    upcoming = upcoming_meetings(config, window.until) if digest_cfg.kind == "community" else []
    found_activity = activity if activity is not None else load_activity(config, digest_cfg, window)
    if found_activity is not None and database is not None and activity is None and notes is None and meetings is None:
        record_first_contributions(database, found_activity)
    from chatops.people import window_people

    people = window_people(config, window, database=database, notes=notes, meetings=all_meetings if meetings is not None else None,
                           releases=found_releases, shoutouts=given, kind=digest_cfg.kind,
                           read_meetings=lambda: load_meetings(config, notes=notes))
    digest = compile_digest(
        digest_cfg.kind,
        window,
        meetings=held,
        releases=found_releases,
        shoutouts=given,
        previous_meetings=previous,
        community=community,
        upcoming=upcoming,
        sections=selected_sections(digest_cfg),
        title=digest_cfg.title,
        activity=found_activity,
        activity_limits=activity_limits(config),
        people=people,
        budget=digest_cfg.budget,
    )
    if with_chart and not digest.empty and digest.section("attendance") is not None:
        picture = attendance_chart(all_meetings, window, community.timezone, people=people)
        if picture is not None:
            digest = digest.model_copy(update={"chart": picture})
    log.info('Compiled digest "%s" for %s: %d sections%s', digest_cfg.name, digest.period, len(digest.sections),
             " (empty)" if digest.empty else "")
    return digest


def _target_for(digest_cfg: DigestConfig, kind: str) -> Target | None:
    for target in digest_cfg.targets:
        if target.kind == kind:
            return target
    return None


def render_for_target(
    config: Config,
    digest_cfg: DigestConfig,
    digest: Digest,
    target_kind: TargetName | Target,
    *,
    summary_link: str | None = None,
) -> Rendered:
    """Render ``digest`` for a target: a configured ``Target`` or a kind (``zulip``, ``discourse``, ``plain``,
    ``outbox`` = plain). A kind takes stream / topic / category from the digest's first target of that
    kind, if any. ``summary_link`` is the Discourse topic a Zulip target in ``mode: summary`` links to.
    """
    if isinstance(target_kind, Target):
        target: Target | None = target_kind
        kind: str = target_kind.kind
    else:
        kind = target_kind
        target = _target_for(digest_cfg, "outbox" if kind == "plain" else kind)
    template = template_path(config, digest_cfg)
    if kind == "zulip":
        zulip = target.zulip if target is not None else None
        return render(
            digest, target="zulip", template=template, name=digest_cfg.name,
            stream=zulip.stream if zulip else None,
            topic=zulip.topic if zulip else None,
            mode=zulip.mode if zulip else "full",
            summary_link=summary_link,
        )
    if kind == "discourse":
        discourse = target.discourse if target is not None else None
        category = (discourse.category if discourse else None) or (config.discourse.category if config.discourse else None)
        max_post = config.discourse.max_post_length if config.discourse else 32_000
        return render(digest, target="discourse", template=template, category=category, name=digest_cfg.name,
                      max_post_length=max_post)
    if kind in ("plain", "outbox"):
        return render(digest, target="plain", template=template, name=digest_cfg.name)
    raise UsageError(f"{kind!r} is not a target; choose zulip, discourse or plain")
