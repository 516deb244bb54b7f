"""compass's configuration: pydantic models loaded from YAML, with secrets from the environment.

``load_config(path)`` returns a ``Config``; nothing is read at import time. Every model forbids unknown
keys, so a typo is an error, and every error names the file, the key path, the bad value and the
expected form, e.g.::

    config/compass.yaml: digests[1].schedule: 'every tuesday' is neither a cron expression nor a preset;
    e.g. 'monthly first tuesday 17:00', 'weekly monday 09:00' or '0 9 * * mon'

Relative paths in the file (notes globs, the outbox directory, a SQLite database, templates) are resolved
against the directory that holds the configuration file.

Secrets (the Zulip and Discourse API keys, a GitHub token) are ``SecretStr`` and are looked up in this
order: the environment variable (``ZULIP_API_KEY``, ``DISCOURSE_API_KEY``, ``GITHUB_TOKEN``, or the name
set in ``*_env``), then the ``secrets_file`` (``KEY=value`` lines), then, for Zulip, the ``zuliprc`` file.
A secret written in the YAML file itself is refused by ``load_config`` (the file is shared and often
committed); ``parse_config`` (data built in code, as tests do) still takes one inline.
"""

from __future__ import annotations

import configparser
import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from chatops.errors import ConfigError
from chatops.identity import Identity
from chatops.limits import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    MAX_CONFIG_NODES,
    MAX_SECRETS_BYTES,
    InputLimitError,
    check_size,
    check_tree,
)
from chatops.redact import is_secret_key, mask_password
from chatops.schedules import Schedule, parse_schedule
from digests.digest import Budget
from digests.sections import SECTIONS

DEFAULT_DB_URL = "sqlite:///var/compass.db"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone; e.g. 'Europe/London', 'America/New_York' or 'UTC'") from None
    return value


TimeZone = Annotated[str, Field(description="An IANA time zone name such as 'Europe/London'.")]


def _check_url(value: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    if not re.match(rf"^({'|'.join(schemes)})://[^\s/]+", value):
        raise ValueError(f"{value!r} is not a URL; expected e.g. 'https://example.org'")
    return value.rstrip("/")


def _parse_duration(value: Any) -> dt.timedelta:
    """'90s', '15m', '2h', '3d', '1w', a number of seconds, or a timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; e.g. '30m', '2h' or '1d'")
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hours?|d|days?|w|weeks?)\s*", str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; e.g. '30m', '2h' or '1d'")
    amount, unit = float(match.group(1)), match.group(2)[0]
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return dt.timedelta(seconds=amount * seconds)


def format_duration(value: dt.timedelta) -> str:
    """The shortest '<n><unit>' spelling of a duration, as admins write it ('6h', '90s')."""
    seconds = value.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[dt.timedelta, PlainSerializer(format_duration, return_type=str)]


def _check_repos(value: list[str]) -> list[str]:
    for repo in value:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise ValueError(f"{repo!r} is not a GitHub repository; expected 'owner/name', e.g. 'jupyterhub/jupyterhub'")
    return value


# --- community --------------------------------------------------------------------------------


class Links(Model):
    chat: str | None = None
    forum: str | None = None
    calendar: str | None = None
    contributing: str | None = None
    notes: str | None = None
    website: str | None = None

    @field_validator("*")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)


class MeetingSeries(Model):
    """A recurring meeting the community digest can announce ("next meetings")."""

    name: str
    schedule: Schedule
    timezone: TimeZone | None = None
    url: str | None = None

    _schedule = field_validator("schedule", mode="before")(lambda v: parse_schedule(v))


class Community(Model):
    name: str = "the community"  # read inside sentences: "In May 2025, the community met twice"
    timezone: TimeZone = "UTC"
    links: Links = Links()
    meetings: list[MeetingSeries] = []

    _tz = field_validator("timezone")(lambda v: _check_zone(v))


# --- secrets ----------------------------------------------------------------------------------


class ShoutoutPolicy(Model):
    """Which shout-outs are recorded (``chatops.commands.shoutout_policy``)."""

    self_thanks: bool = False  # may someone thank themselves?
    bots: bool = False  # may a bot (compass included) be thanked?
    crowds: bool = False  # may "all", "everyone" or a wildcard be the recipient?
    repeat_window: Duration = dt.timedelta(days=1)  # the same text to the same people within it: "already recorded"; 0 to allow

    _window = field_validator("repeat_window", mode="before")(lambda v: _parse_duration(v))


class Zulip(Model):
    site: str
    email: str
    api_key: SecretStr | None = None
    api_key_env: str = "ZULIP_API_KEY"
    zuliprc: Path | None = None
    admins: list[Identity] = []  # Zulip emails or user ids (chatops.identity), never display names
    streams: list[str] = []
    shoutout_rate_limit: int = Field(10, ge=1, description="shout-outs one user may give per hour")
    shoutout_max_length: int = Field(1000, ge=10, le=9000)
    command_budget: int = Field(30, ge=1, description="commands one person may send per minute (shout-outs too)")
    catch_up_horizon: Duration = dt.timedelta(days=7)  # how far back a catch-up after a restart looks at most
    shoutout_policy: ShoutoutPolicy = ShoutoutPolicy()
    bot_name: str = "compass"

    _site = field_validator("site")(lambda v: _check_url(v))
    _horizon = field_validator("catch_up_horizon", mode="before")(lambda v: _parse_duration(v))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value!r} is not an email address; use the bot's email from Zulip's bot settings")
        return value


class Discourse(Model):
    url: str
    api_username: str = "system"
    api_key: SecretStr | None = None
    api_key_env: str = "DISCOURSE_API_KEY"
    category: str | None = None
    max_post_length: int = Field(32000, ge=100)

    _url = field_validator("url")(lambda v: _check_url(v))


# --- sources ----------------------------------------------------------------------------------


def _check_published(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^https?://", value):
        raise ValueError(f"{value!r} is not a URL template; e.g. 'https://example.org/meetings/{{html}}#{{anchor}}'")
    unknown = set(re.findall(r"\{(\w*)\}", value)) - set(PUBLISHED_FIELDS)
    if unknown:
        raise ValueError(f"{value!r}: unknown field(s) {', '.join(sorted(unknown))}; use {', '.join(PUBLISHED_FIELDS)}")
    return value


# The fields a notes source's 'published' URL template may use (chatops.sources.notes.published_url fills them).
PUBLISHED_FIELDS = ("path", "html", "dir", "stem", "date", "anchor")


class LocalNotes(Model):
    path: str  # a file, a directory or a glob, relative to the config file
    published: str | None = None  # URL template of each document's published page

    _published = field_validator("published")(lambda v: _check_published(v))


class GitNotes(Model):
    git: str  # repository URL or local path
    branch: str = "main"
    paths: str = "**/*.md"
    published: str | None = None  # default: the forge's web view of the file (GitHub, GitLab)

    _published = field_validator("published")(lambda v: _check_published(v))


class HttpNotes(Model):
    url: str  # e.g. a HackMD '/download' URL
    published: str | None = None  # default: the page itself

    _url = field_validator("url")(lambda v: _check_url(v))
    _published = field_validator("published")(lambda v: _check_published(v))


NotesSource = LocalNotes | GitNotes | HttpNotes


class Releases(Model):
    github: list[str] = []
    pypi: list[str] = []
    changelogs: list[str] = []
    github_url: str = "https://api.github.com"
    pypi_url: str = "https://pypi.org"
    github_token: SecretStr | None = None
    github_token_env: str = "GITHUB_TOKEN"
    max_wait: Duration = dt.timedelta(seconds=60)

    _urls = field_validator("github_url", "pypi_url")(lambda v: _check_url(v))
    _wait = field_validator("max_wait", mode="before")(lambda v: _parse_duration(v))

    _repos = field_validator("github")(lambda v: _check_repos(v))


class ActivityLimits(Model):
    """How many items each activity section shows."""

    conversations: Annotated[int, Field(ge=0, le=50)] = 5
    merged_per_repo: Annotated[int, Field(ge=0, le=100)] = 5
    help_wanted: Annotated[int, Field(ge=0, le=50)] = 5
    unanswered: Annotated[int, Field(ge=0, le=50)] = 5
    deployments: Annotated[int, Field(ge=0, le=50)] = 5


class GitHubActivitySource(Model):
    repos: list[str] = []
    orgs: list[str] = []
    api_url: str = "https://api.github.com"
    token: SecretStr | None = None
    token_env: str = "GITHUB_TOKEN"
    labels: list[str] = ["good first issue", "help wanted"]
    max_wait: Duration = dt.timedelta(seconds=60)

    _url = field_validator("api_url")(lambda v: _check_url(v))
    _wait = field_validator("max_wait", mode="before")(lambda v: _parse_duration(v))

    _repos = field_validator("repos")(lambda v: _check_repos(v))

    @field_validator("orgs")
    @classmethod
    def _orgs(cls, value: list[str]) -> list[str]:
        for org in value:
            if not re.fullmatch(r"[\w.-]+", org):
                raise ValueError(f"{org!r} is not a GitHub organisation name; expected e.g. 'jupyterhub' (no slash)")
        return value

    @model_validator(mode="after")
    def _something(self) -> GitHubActivitySource:
        if not (self.repos or self.orgs):
            raise ValueError("github: name at least one repository in 'repos' (owner/name) or organisation in 'orgs'")
        return self


class DiscourseActivitySource(Model):
    url: str | None = None  # default: discourse.url
    api_username: str | None = None  # default: discourse.api_username
    categories: list[str] = []
    show_and_tell: list[str] = []
    unanswered_after: Duration = dt.timedelta(days=7)

    _url = field_validator("url")(lambda v: None if v is None else _check_url(v))
    _age = field_validator("unanswered_after", mode="before")(lambda v: _parse_duration(v))

    @model_validator(mode="after")
    def _something(self) -> DiscourseActivitySource:
        if not (self.categories or self.show_and_tell):
            raise ValueError("discourse: name at least one category in 'categories' or 'show_and_tell'")
        return self


class ActivitySources(Model):
    """GitHub and Discourse activity for the digests; each source is optional."""

    github: GitHubActivitySource | None = None
    discourse: DiscourseActivitySource | None = None
    limits: ActivityLimits = ActivityLimits()
    bots: list[str] = []  # accounts treated as bots besides GitHub's '*[bot]' ones

    @property
    def configured(self) -> bool:
        return self.github is not None or self.discourse is not None


# The section kinds of digests.notes.sections.SECTION_KINDS, spelled out here so that validating a
# configuration does not import the notes parser (a test keeps the two equal).
NOTE_SECTION_KINDS = ("attendees", "newcomers", "updates", "celebrations", "agenda", "decisions", "action_items")


class Sources(Model):
    notes: list[NotesSource] = []
    releases: Releases = Releases()
    activity: ActivitySources = ActivitySources()
    # Extra heading phrases per section kind, e.g. {"celebrations": ["kudos corner"]}.
    headings: dict[str, list[str]] = {}

    @field_validator("headings")
    @classmethod
    def _kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind in value:
            if kind not in NOTE_SECTION_KINDS:
                raise ValueError(f"{kind!r} is not a kind of notes section; choose from {', '.join(NOTE_SECTION_KINDS)}")
        return value

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                item = {"url": item} if re.match(r"^https?://", item) else {"path": item}
            if isinstance(item, dict) and not ({"path", "git", "url"} & set(item)):
                raise ValueError(
                    f"item {i} needs one of 'path' (file, directory or glob), 'git' (repository) or 'url' (HTTP)"
                )
            out.append(item)
        return out


# --- digests ----------------------------------------------------------------------------------

SECTION_NAMES: dict[str, tuple[str, ...]] = SECTIONS  # the one list, in digests.sections


class ZulipTarget(Model):
    stream: str
    topic: str = "{digest_title}"
    mode: Literal["full", "summary"] = "full"  # 'summary': a short message linking to the Discourse topic

    @field_validator("stream")
    @classmethod
    def _stream(cls, value: str) -> str:
        if not value.strip() or len(value) > 60:
            raise ValueError(f"{value!r} is not a Zulip channel name (1 to 60 characters)")
        return value


class DiscourseTarget(Model):
    category: str | None = None
    tags: list[str] = []
    pin: bool = False


class OutboxTarget(Model):
    directory: Path = Path("outbox")


class Target(Model):
    """Exactly one of ``zulip``, ``discourse`` or ``outbox``."""

    zulip: ZulipTarget | None = None
    discourse: DiscourseTarget | None = None
    outbox: OutboxTarget | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        chosen = [k for k in ("zulip", "discourse", "outbox") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("a target has exactly one of 'zulip', 'discourse' or 'outbox'")
        return self

    @property
    def kind(self) -> Literal["zulip", "discourse", "outbox"]:
        if self.zulip is not None:
            return "zulip"
        if self.discourse is not None:
            return "discourse"
        return "outbox"

    @property
    def key(self) -> str:
        """A stable name for this target, used in publication records."""
        if self.zulip is not None:
            return f"zulip:{self.zulip.stream}"
        if self.discourse is not None:
            return f"discourse:{self.discourse.category or ''}"
        assert self.outbox is not None
        return f"outbox:{self.outbox.directory}"


class Sections(Model):
    include: list[str] | None = None
    exclude: list[str] = []


Reviewer = Annotated[str | int, Field(union_mode="left_to_right")]


def _check_reviewers(value: list[str | int]) -> list[str | int]:
    if not value:
        raise ValueError("list at least one reviewer: a Zulip email (e.g. 'ann@example.org') or a Zulip user id (e.g. 12)")
    for who in value:
        if isinstance(who, bool) or (isinstance(who, int) and who <= 0):
            raise ValueError(f"{who!r} is not a Zulip user id; use a positive integer or an email")
        if isinstance(who, str) and not re.fullmatch(r"[^@\s]+@[^@\s]+", who.strip()):
            raise ValueError(
                f"{who!r} is not a Zulip email or user id; reviewers are named by email (e.g. 'ann@example.org') "
                "or integer user id, never by display name"
            )
    return value


class ReviewNotify(Model):
    """Where reviewers are told about a new draft instead of a direct message: a private stream and topic."""

    stream: str
    topic: str = "compass drafts"


class ApproveReview(Model):
    """``mode: approve``: nothing is published until a reviewer approves."""

    mode: Literal["approve"]
    reviewers: list[Reviewer]
    remind_after: Duration = dt.timedelta(hours=24)
    expire_after: Duration = dt.timedelta(hours=72)
    notify: ReviewNotify | None = None

    _reviewers = field_validator("reviewers")(lambda v: _check_reviewers(v))
    _durations = field_validator("remind_after", "expire_after", mode="before")(lambda v: _parse_duration(v))

    @model_validator(mode="after")
    def _order(self) -> ApproveReview:
        if self.expire_after <= self.remind_after:
            raise ValueError(
                f"expire_after ({format_duration(self.expire_after)}) must be longer than remind_after "
                f"({format_duration(self.remind_after)})"
            )
        return self


class VetoReview(Model):
    """``mode: veto``: published when ``window`` ends unless a reviewer holds it."""

    mode: Literal["veto"]
    reviewers: list[Reviewer]
    window: Duration = dt.timedelta(hours=24)
    notify: ReviewNotify | None = None

    _reviewers = field_validator("reviewers")(lambda v: _check_reviewers(v))
    _durations = field_validator("window", mode="before")(lambda v: _parse_duration(v))


ReviewMode = Annotated[ApproveReview | VetoReview, Field(discriminator="mode")]


def _review(value: Any) -> Any:
    if value is None or value == "none" or value == {"mode": "none"}:
        return None
    if isinstance(value, str):
        raise ValueError(
            f"{value!r} is not a review mode; use 'none', {{mode: approve, reviewers: [...]}} or "
            "{mode: veto, reviewers: [...], window: 24h}"
        )
    if isinstance(value, dict) and value.get("mode") not in ("approve", "veto"):
        raise ValueError(f"mode {value.get('mode')!r} is not a review mode; choose 'approve', 'veto' (or review: none)")
    return value


class DigestConfig(Model):
    name: str
    kind: Literal["community", "technical", "celebratory"]
    schedule: Schedule
    timezone: TimeZone | None = None  # default: community.timezone
    # Which period a run reports on: 'auto' (the calendar period before the run, of the schedule's
    # cadence: month, quarter, week, fortnight or day), one of those units, or 'between-fires'.
    period: Literal["auto", "day", "week", "fortnight", "month", "quarter", "year", "between-fires"] = "auto"
    window: Duration | None = None  # a fixed length ending at the run (replaces 'period')
    sections: Sections = Sections()
    targets: list[Target] = [Target(outbox=OutboxTarget())]
    template: str | None = None  # a file under config/templates/
    skip_if_empty: bool = True
    grace: Duration = dt.timedelta(hours=6)  # APScheduler's misfire_grace_time
    title: str | None = None  # default: "<Kind> digest, <period>"
    review: ReviewMode | None = None  # none: published at the fire; approve / veto: drafted first
    budget: Budget = Budget()  # how much the digest may ask of its reader

    _review = field_validator("review", mode="before")(lambda v: _review(v))
    _schedule = field_validator("schedule", mode="before")(lambda v: parse_schedule(v))
    _durations = field_validator("window", "grace", mode="before")(
        lambda v: None if v is None else _parse_duration(v)
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", value):
            raise ValueError(
                f"{value!r} is not a digest name; use lowercase letters, digits, '-' and '_' (e.g. 'community-monthly')"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)

    @model_validator(mode="after")
    def _sections(self) -> DigestConfig:
        known = SECTION_NAMES[self.kind]
        for name in [*(self.sections.include or []), *self.sections.exclude]:
            if name not in known:
                raise ValueError(
                    f"sections: {name!r} is not a section of a {self.kind} digest; choose from {', '.join(known)}"
                )
        return self


class Storage(Model):
    url: str = DEFAULT_DB_URL

    @field_validator("url", mode="before")
    @classmethod
    def _driver(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", value)
        return value

    @field_validator("url")
    @classmethod
    def _known(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", value):
            raise ValueError(
                f"{value!r} is not a supported database URL; use 'sqlite:///path/to/compass.db' "
                "or 'postgresql://user@host:5432/dbname'"
            )
        return value


class Server(Model):
    """The /healthz and /metrics endpoint of ``compass run``, and the review page (``/review``)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)
    # The address reviewers reach the page at (behind a TLS proxy: https://...); default http://host:port.
    public_url: str | None = None
    secret: SecretStr | None = None  # signs sign-in links and session cookies
    secret_env: str = "COMPASS_WEB_SECRET"

    _public = field_validator("public_url")(lambda v: None if v is None else _check_url(v))

    def base_url(self, port: int | None = None) -> str:
        """Where the review page is reached: ``public_url``, or this server's own address."""
        if self.public_url:
            return self.public_url
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return f"http://{host}:{self.port if port is None else port}"


class PeopleSettings(Model):
    """Where the people registry's admin file is, and its time spans (``docs/people.md``)."""

    file: str = "people.yaml"
    welcome_back_after: Duration = dt.timedelta(days=183)
    first_name_window: Duration = dt.timedelta(days=180)

    _durations = field_validator("welcome_back_after", "first_name_window", mode="before")(
        lambda v: _parse_duration(v))

    @field_validator("welcome_back_after", "first_name_window")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError(f"{format_duration(value)!r} must be longer than zero; e.g. '26w' or '180d'")
        return value


class Config(Model):
    community: Community = Community()
    zulip: Zulip | None = None
    discourse: Discourse | None = None
    sources: Sources = Sources()
    digests: list[DigestConfig] = []
    storage: Storage = Storage()
    server: Server = Server(port=9464)
    people: PeopleSettings = PeopleSettings()
    secrets_file: Path | None = None
    # Filled in by load_config, not by the file:
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Config:
        seen: set[str] = set()
        for i, digest in enumerate(self.digests):
            if digest.name in seen:
                raise ValueError(f"digests[{i}].name: {digest.name!r} is used twice; digest names must be unique")
            seen.add(digest.name)
            for target in digest.targets:
                if target.zulip is not None and self.zulip is None:
                    raise ValueError(f"digests[{i}] posts to Zulip but there is no 'zulip' section")
                if target.discourse is not None and self.discourse is None:
                    raise ValueError(f"digests[{i}] posts to Discourse but there is no 'discourse' section")
            if digest.review is not None and digest.review.notify is not None and self.zulip is None:
                raise ValueError(f"digests[{i}].review.notify names a Zulip stream but there is no 'zulip' section")
        forum = self.sources.activity.discourse
        if forum is not None and forum.url is None and self.discourse is None:
            raise ValueError("sources.activity.discourse: set 'url' or add a 'discourse' section with the forum's url")
        return self

    # -- lookups --

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, path: str | Path) -> Path:
        """A path from the file, relative to the configuration's directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(os.path.normpath(self.base_dir / p))

    def digest(self, name: str) -> DigestConfig:
        for digest in self.digests:
            if digest.name == name:
                return digest
        from chatops.errors import UsageError

        names = ", ".join(d.name for d in self.digests) or "none configured"
        raise UsageError(f"no digest named {name!r} (configured: {names})")

    def digest_zone(self, digest: DigestConfig) -> ZoneInfo:
        return ZoneInfo(digest.timezone or self.community.timezone)

    @property
    def database_url(self) -> str:
        """``storage.url`` with a relative SQLite path resolved against the configuration's directory."""
        url = self.storage.url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
            return "sqlite:///" + os.path.normpath(self.resolve(url[len("sqlite:///"):]))
        return url

    def masked(self) -> dict[str, Any]:
        """The effective configuration as plain data, secrets shown as '**********'."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["storage"]["url"] = mask_password(self.database_url)
        return data


# --- loading ----------------------------------------------------------------------------------


_SECRET_LINE = re.compile(r"(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)")


def _read_secrets_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments and blank lines allowed); ``ConfigError`` naming the line otherwise.

    A line that is not ``KEY=value`` is refused rather than skipped (a key silently missing is worse), and
    its text is never shown: it may hold a secret.
    """
    label = f"secrets_file {str(path)!r}"
    try:
        check_size(path.stat().st_size, what=label, limit=MAX_SECRETS_BYTES)
        text = path.read_bytes().decode("utf-8")
    except InputLimitError as exc:
        raise ConfigError(label, str(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(label, "is not UTF-8 text; write it as KEY=value lines") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SECRET_LINE.fullmatch(line)
        if match is None:
            raise ConfigError(label, f"line {number} is not KEY=value (for example ZULIP_API_KEY=abc123); "
                                     "the line is not shown because it may hold a secret")
        values[match.group("key")] = match.group("value").strip().strip("'\"")
    return values


def _secret(inline: SecretStr | None, env_name: str, file_values: dict[str, str]) -> SecretStr | None:
    if os.environ.get(env_name):
        return SecretStr(os.environ[env_name])
    if env_name in file_values:
        return SecretStr(file_values[env_name])
    return inline


def _zuliprc_key(path: Path) -> SecretStr | None:
    parser = configparser.ConfigParser()
    parser.read(path)
    key = parser.get("api", "key", fallback=None)
    return SecretStr(key) if key else None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("LocalNotes", "GitNotes", "HttpNotes") or "[" in str(part) or str(part).startswith("function-"):
            continue  # union branch names add nothing for an admin
        else:
            out += f".{part}" if out else str(part)
    return out


# Keys whose values must never be echoed in an error message.


def _problems(error: ValidationError) -> list[str]:
    problems = []
    seen = set()
    for item in error.errors():
        where = _loc(item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = f"unknown key {str(item['loc'][-1])!r}; check its spelling (unknown keys are not allowed)"
            where = _loc(item["loc"][:-1]) or "(top level)"
        elif item["type"] == "missing":
            msg = "is required"
        elif is_secret_key(str(item["loc"][-1]) if item["loc"] else ""):
            msg = f"{msg} (value not shown: it is a secret)"
        elif "input" in item and item["type"] not in ("value_error",) and not isinstance(item["input"], dict | list):
            msg = f"{item['input']!r}: {msg}"
        line = mask_password(f"{where}: {msg}" if where else msg)
        if line not in seen:
            seen.add(line)
            problems.append(line)
    return problems


def parse_config(data: Any, *, path: Path | None = None, db_url: str | None = None) -> Config:
    """Validate already-loaded YAML data; ``ConfigError`` names each problem."""
    label = str(path) if path is not None else "<config>"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(label, "the file must hold a mapping of keys (community, digests, ...), not a list or text")
    data = dict(data)
    if db_url:
        data["storage"] = {**(data.get("storage") or {}), "url": db_url}
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(label, _problems(exc)) from None

    # Resolve secrets: environment, then secrets file, then zuliprc; inline values last.
    updates: dict[str, Any] = {}
    file_values: dict[str, str] = {}
    if config.secrets_file is not None:
        secrets_path = config.resolve(config.secrets_file)
        try:
            file_values = _read_secrets_file(secrets_path)
        except OSError as exc:
            raise ConfigError(label, f"secrets_file: cannot read {str(secrets_path)!r}: {exc.strerror}") from None
    if config.zulip is not None:
        key = _secret(config.zulip.api_key, config.zulip.api_key_env, file_values)
        if key is None and config.zulip.zuliprc is not None:
            rc = config.resolve(config.zulip.zuliprc)
            if not rc.is_file():
                raise ConfigError(label, f"zulip.zuliprc: {str(rc)!r} does not exist; download it from Zulip's bot settings")
            key = _zuliprc_key(rc)
        updates["zulip"] = config.zulip.model_copy(update={"api_key": key})
    if config.discourse is not None:
        key = _secret(config.discourse.api_key, config.discourse.api_key_env, file_values)
        updates["discourse"] = config.discourse.model_copy(update={"api_key": key})
    web_secret = _secret(config.server.secret, config.server.secret_env, file_values)
    if web_secret is not config.server.secret:
        updates["server"] = config.server.model_copy(update={"secret": web_secret})
    releases = config.sources.releases
    token = _secret(releases.github_token, releases.github_token_env, file_values)
    sources_update: dict[str, Any] = {}
    if token is not releases.github_token:
        sources_update["releases"] = releases.model_copy(update={"github_token": token})
    github = config.sources.activity.github
    if github is not None:
        activity_token = _secret(github.token, github.token_env, file_values)
        if activity_token is not github.token:
            activity = config.sources.activity
            sources_update["activity"] = activity.model_copy(
                update={"github": github.model_copy(update={"token": activity_token})})
    if sources_update:
        updates["sources"] = config.sources.model_copy(update=sources_update)
    return config.model_copy(update=updates) if updates else config


def load_config(path: Path | str, *, db_url: str | None = None) -> Config:
    """Load and validate a YAML configuration file.

    Example usage::

        config = load_config("config/compass.yaml")
        config.digest("community-monthly").schedule.expression
    """
    path = Path(path)
    try:
        check_size(path.stat().st_size, what="the file", limit=MAX_CONFIG_BYTES)
        text = path.read_text(encoding="utf-8")
    except InputLimitError as exc:
        raise ConfigError(str(path), f"{exc}; a configuration is a few kilobytes") from None
    except FileNotFoundError:
        raise ConfigError(
            str(path), "no such file; create one with 'compass config init' or pass --config FILE"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), f"{where}not valid YAML ({problem})") from None
    except RecursionError:
        raise ConfigError(str(path), f"nested too deeply to read; a configuration is at most {MAX_CONFIG_DEPTH} levels deep") from None
    try:
        check_tree(data, what="the file", max_depth=MAX_CONFIG_DEPTH, max_nodes=MAX_CONFIG_NODES)
    except InputLimitError as exc:
        raise ConfigError(str(path), str(exc)) from None
    inline = _inline_secrets(data)
    try:
        config = parse_config(data, path=path.absolute(), db_url=db_url)
    except ConfigError as exc:
        raise ConfigError(str(path), [*inline, *(p for p in exc.problems if not is_secret_key(p.split(":")[0].split(".")[-1].strip()))]
                          if inline else exc.problems) from None
    if inline:
        raise ConfigError(str(path), inline)
    return config


# Secrets that must not be written in the YAML file, and where they go instead.
_INLINE_SECRETS = {
    ("zulip", "api_key"): "ZULIP_API_KEY (or zulip.api_key_env), the secrets_file or zulip.zuliprc",
    ("discourse", "api_key"): "DISCOURSE_API_KEY (or discourse.api_key_env) or the secrets_file",
    ("sources", "releases", "github_token"): "GITHUB_TOKEN (or sources.releases.github_token_env) or the secrets_file",
    ("sources", "activity", "github", "token"): "GITHUB_TOKEN (or sources.activity.github.token_env) or the secrets_file",
    ("server", "secret"): "COMPASS_WEB_SECRET (or server.secret_env) or the secrets_file",
}


def _inline_secrets(data: Any) -> list[str]:
    """A key or token written in the YAML file (shared, often committed): one problem each, value not shown."""
    problems = []
    for keys, instead in _INLINE_SECRETS.items():
        node = data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            problems.append(f"{'.'.join(keys)}: a secret does not belong in the configuration file (value not shown); "
                            f"remove it and put it in {instead}")
    return problems


# --- config/people.yaml -------------------------------------------------------------------------


def _handle(value: str) -> str:
    handle = value.strip().lstrip("@").lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}", handle):
        raise ValueError(f"{value!r} is not a GitHub handle; e.g. 'yuvipanda' or '@yuvipanda'")
    return handle


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class PersonEntry(Model):
    """One person described by the admins: the name digests show, and every other way they are written."""

    name: str = Field(min_length=1, max_length=200)
    github: list[str] = []
    aliases: list[str] = []
    zulip_user_id: int | None = Field(None, ge=1)
    email: str | None = None
    opt_out: bool = False

    _many = field_validator("github", "aliases", mode="before")(lambda v: _one_or_many(v))
    _handles = field_validator("github")(lambda v: [_handle(h) for h in v])

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"{value!r} is not an email address; e.g. 'jane@example.org'")
        return value


class PeopleFile(Model):
    """``config/people.yaml``: people, merges, names that are not people, organisations and opt-outs."""

    people: list[PersonEntry] = []
    merges: list[list[str]] = []
    not_people: list[str] = []
    organisations: list[str] = []
    opt_out: list[str] = []

    @field_validator("merges")
    @classmethod
    def _pairs(cls, value: list[list[str]]) -> list[list[str]]:
        for i, group in enumerate(value):
            if len(group) < 2:
                raise ValueError(f"merges[{i}]: list at least two names or @handles that are one person")
            for item in group:
                if item.startswith("@"):
                    _handle(item)
        return value

    _orgs = field_validator("organisations")(lambda v: [_handle(h) for h in v])


def load_people_file(config: Config) -> PeopleFile:
    """The admins' ``people.yaml`` (``people.file``, next to the configuration); empty when there is none."""
    path = config.resolve(config.people.file)
    if not path.exists():
        return PeopleFile()
    try:
        check_size(path.stat().st_size, what="the file", limit=MAX_CONFIG_BYTES)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        check_tree(data, what="the file", max_depth=MAX_CONFIG_DEPTH, max_nodes=MAX_CONFIG_NODES)
    except InputLimitError as exc:
        raise ConfigError(str(path), str(exc)) from None
    except RecursionError:
        raise ConfigError(str(path), f"nested too deeply to read; at most {MAX_CONFIG_DEPTH} levels") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(str(path), f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        return PeopleFile()
    if not isinstance(data, dict):
        raise ConfigError(str(path), "the file must hold a mapping (people, merges, not_people, organisations, opt_out)")
    try:
        return PeopleFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(str(path), _problems(exc)) from None
