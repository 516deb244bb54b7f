"""Fetch meeting notes (local files, git repositories, HTTP URLs) and parse them, each document once.

Example usage::

    report = collect_notes(["notes/*.md", "https://hackmd.io/abc123/download"],
                           cache=FileCache.default(), headings=config.sources.headings)
    for problem in report.problems: ...     # a failing source is reported, the others still count
    for meeting in report.meetings(): ...   # digests.Meeting values, in source order

Sources (``NotesSpec``; config's ``LocalNotes``/``GitNotes``/``HttpNotes`` and plain strings convert):

- **path**: a file, a directory (``**/*.md``) or a glob, read as UTF-8;
- **git**: a repository URL or path, cloned once into the cache directory, fetched on later runs,
  ``branch`` checked out, files matching ``paths`` read;
- **url**: an HTTP(S) document; a HackMD note page (``https://hackmd.io/<id>``) is fetched through
  its ``/download`` form. Requests are conditional (``If-None-Match``/``If-Modified-Since`` from the
  ``SourceCache``), so an unchanged note costs a 304; when the server is down the last good copy is
  used and the report says so.

Parsing is cached by content: each document's result is keyed by its SHA-256, name and URL, in
entries that also name the parser version and the heading table, so an unchanged document is never
parsed twice. The cached value holds both the contract JSON (printed as is by the CLI) and the full
meetings. Per source, a date index (document -> stat signature, content hash, first and last meeting
date) sits beside the parse results, which are grouped by the year of each document's first meeting:

- a local file whose mtime and size match the index is not read (its hash comes from the index);
- with ``between`` (a digest's windows), a document whose meetings all fall outside is not read or
  loaded either, and only the year groups of the remaining documents are read: a digest costs a
  listing, a stat call per file and a read of the index, then the same small work whatever the length
  of the history. Every file is still stat-ed on every run, so an edited, new or deleted file shows up
  in the next digest (an edit that keeps both mtime and size is the one change that goes unseen).

A source that fails (missing path, network error, 404, HTML instead of Markdown, bytes that are not
UTF-8) becomes a ``NotesProblem`` in the report (the caller tells the user) and is skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import glob
import hashlib
import json
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic_core import from_json, to_json

from chatops.errors import UsageError
from chatops.limits import MAX_NOTES_BYTES
from chatops.redact import drop_credentials as redact_url
from chatops.sources.cache import CacheEntry, SourceCache, conditional_headers, content_hash, validated_entry
from digests.contract import meeting_contract
from digests.errors import NotesParseError
from digests.notes import (
    PARSER_VERSION,
    MeetingRecord,
    SourceReading,
    parse_records,
    read_source,
    section_table,
)

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from digests.model import Meeting

log = logging.getLogger(__name__)

__all__ = [
    "NotesDocument",
    "NotesProblem",
    "NotesReport",
    "NotesSpec",
    "ParsedNotes",
    "collect_notes",
    "published_url",
    "redact_url",
    "spec_of",
]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".txt")
# Below this much uncached text, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 1_000_000
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class NotesSpec:
    """One configured notes source."""

    kind: Literal["path", "git", "url"]
    location: str  # path/glob, repository, or URL
    branch: str = "main"
    paths: str = "**/*.md"
    label: str | None = None  # how the user named it (a CLI argument), for reports
    published: str | None = None  # URL template of each document's published page (see ``published_url``)

    @property
    def name(self) -> str:
        return self.label or (redact_url(self.location) if self.kind != "path" else self.location)

    def relative(self, document: str) -> str:
        """``document``'s path relative to the source's root (a directory, a glob's fixed part, a repository)."""
        if self.kind == "git":
            prefix = redact_url(self.location) + ":"
            return document[len(prefix):] if document.startswith(prefix) else document.rsplit(":", 1)[-1]
        if self.kind == "url":
            return urlsplit(document).path.lstrip("/")
        location = os.path.expanduser(self.location)
        match = _GLOB_CHARS.search(location)
        if match:
            root = location[: match.start()].rsplit("/", 1)[0] if "/" in location[: match.start()] else "."
        elif os.path.isdir(location):
            root = location
        else:
            root = os.path.dirname(location) or "."
        return Path(os.path.relpath(document, root)).as_posix()


def published_url(template: str, *, path: str, date: dt.date | None, anchor: str | None) -> str:
    """A notes document's published page from its source's URL template.

    Fields: ``{path}`` (relative to the source's root, as is: ``meetings/2025.md``), ``{html}`` (the Markdown
    suffix as ``.html``: ``meetings/2025.html``), ``{dir}`` (a directory URL: ``meetings/2025/``), ``{stem}``
    (``2025``), ``{date}`` (the meeting's, ``2025-06-17``) and ``{anchor}`` (its heading's). Without
    ``{anchor}`` or a ``#`` in the template, the meeting's heading anchor is added.
    """
    stem_path = re.sub(r"\.(?:md|markdown|mdown|txt)$", "", path, flags=re.IGNORECASE)
    values = {
        "path": path,
        "html": stem_path + ".html",
        "dir": stem_path + "/",
        "stem": stem_path.rsplit("/", 1)[-1],
        "date": date.isoformat() if date else "",
        "anchor": anchor or "",
    }
    url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    if anchor and "#" not in template:
        url += f"#{anchor}"
    return url.rstrip("#")


def spec_of(item: Any, *, base: Path | None = None) -> NotesSpec:
    """A ``NotesSpec`` from a CLI string or a config model (``LocalNotes``/``GitNotes``/``HttpNotes``)."""
    if isinstance(item, NotesSpec):
        return item
    if isinstance(item, str):
        if re.match(r"^https?://", item, re.IGNORECASE):
            return NotesSpec("url", item, label=item)
        return NotesSpec("path", item, label=item)
    if getattr(item, "git", None):
        repo = str(item.git)
        if base is not None and not re.match(r"^[a-z][a-z0-9+.-]*://|^[^/]+@[^/]+:", repo) and not Path(repo).is_absolute():
            repo = str(base / repo)  # a local repository path, relative to the configuration file
        return NotesSpec("git", repo, branch=str(getattr(item, "branch", "main") or "main"),
                         paths=str(getattr(item, "paths", "**/*.md") or "**/*.md"),
                         published=getattr(item, "published", None))
    if getattr(item, "url", None):
        return NotesSpec("url", str(item.url), published=getattr(item, "published", None))
    path = getattr(item, "path", None)
    if path is None:
        raise TypeError(f"not a notes source: {item!r}")
    p = Path(str(path))
    if base is not None and not p.is_absolute():
        p = base / p
    return NotesSpec("path", str(p), label=str(path), published=getattr(item, "published", None))


@dataclass(slots=True)
class NotesDocument:
    """The raw bytes of one notes document and where they came from."""

    source: str  # the spec's name
    document: str  # path or URL, used in SourceRefs
    body: bytes
    url: str | None = None  # readable link (SourceRef.url base)
    stale: bool = False  # served from the cache because the origin failed
    # For local files: the (mtime_ns, size) seen, and the content hash when the date index vouches
    # for it, in which case ``body`` is left unread until a parse needs it.
    stat: tuple[int, int] | None = None
    known_hash: str | None = None

    def read(self) -> bytes:
        if self.known_hash is not None and not self.body:
            with open(self.document, "rb") as fh:
                self.body = fh.read()
        return self.body


@dataclass(frozen=True, slots=True)
class NotesProblem:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(slots=True)
class ParsedNotes:
    """The meetings of one document, as contract JSON and full model JSON (parsed lazily)."""

    source: str
    document: str
    content_hash: str
    contract_json: bytes  # JSON array per meeting.schema.json
    meetings_json: bytes  # JSON array of Meeting.model_dump(mode="json")
    from_cache: bool = False
    stale: bool = False
    _meetings: list[Meeting] | None = field(default=None, repr=False)

    def meetings(self) -> list[Meeting]:
        if self._meetings is None:
            self._meetings = _meetings_adapter().validate_json(self.meetings_json)
        return self._meetings

    def contract(self) -> list[dict[str, Any]]:
        # pydantic-core's JSON reader gives what json.loads gives, in about half the time.
        data: list[dict[str, Any]] = from_json(self.contract_json)
        return data


@dataclass(slots=True)
class NotesReport:
    documents: list[ParsedNotes] = field(default_factory=list)
    problems: list[NotesProblem] = field(default_factory=list)
    # Documents left out because the date index places all their meetings outside ``between``.
    skipped: list[str] = field(default_factory=list)

    def meetings(self) -> list[Meeting]:
        """Every meeting, each source's documents read together (``digests.notes.read_source``): a meeting
        kept in two documents once, the source's template text taken out."""
        return [m for reading in self.readings().values() for m in reading.meetings]

    def readings(self) -> dict[str, SourceReading]:
        """Per source, what its documents say together (merged meetings, template text)."""
        return {source: read_source([(d.document, d.meetings()) for d in docs])
                for source, docs in self.by_source().items()}

    def by_source(self) -> dict[str, list[ParsedNotes]]:
        out: dict[str, list[ParsedNotes]] = {}
        for doc in self.documents:
            out.setdefault(doc.source, []).append(doc)
        return out


def specs_for(config: Any, notes: Sequence[str] | None) -> list[NotesSpec]:
    """The notes sources to read: ``notes`` (relative to the working directory) when given, else those of
    ``config`` (a ``chatops.config.Config``; relative to the configuration file), else none."""
    if notes is not None:
        return [spec_of(item) for item in notes]
    if config is not None:
        return [spec_of(item, base=config.base_dir) for item in config.sources.notes]
    return []


class _SourceFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- collecting ----------------------------------------------------------------------------------


def collect_notes(
    sources: Iterable[Any],
    *,
    cache: SourceCache | None = None,
    headings: Mapping[str, Iterable[str]] | None = None,
    client: Any = None,
    git_dir: Path | None = None,
    clock: Callable[[], float] = time.time,
    timeout: float = 30.0,
    workers: int | Callable[[], int] = 1,
    between: tuple[dt.date, dt.date] | None = None,
) -> NotesReport:
    """Fetch and parse every source; failures become ``report.problems`` and are skipped.

    ``client`` is an ``httpx.Client`` (one is made, and closed, when a URL source needs it);
    ``git_dir`` is where repositories are cloned (default: the cache directory's ``git``).
    ``workers`` > 1 parses uncached documents in that many processes when there is enough to
    parse for it to pay off; it may be a function, called only then (the CLI passes one that
    counts the idle CPUs).

    ``between`` (first and last day, inclusive) asks only for documents that may hold a meeting dated
    then: a document the cache's date index places wholly outside (or that holds no dated meeting) is
    left out, neither read nor loaded, and named in ``report.skipped``. New and changed documents are
    always read and parsed, and a returned document may still hold other meetings: the caller filters.
    """
    try:
        section_table(headings)  # one clear error for a bad heading table, not one per document
    except ValueError as exc:
        raise UsageError(f"sources.headings: {exc}") from None
    if between is not None and between[0] > between[1]:
        raise UsageError(f"between: {between[0].isoformat()} is after {between[1].isoformat()}")
    heading_key = _headings_key(headings)
    window = (between[0].isoformat(), between[1].isoformat()) if between is not None else None
    stores: dict[str, _Store] = {}

    def store(source: str) -> _Store:
        if source not in stores:
            stores[source] = _Store(cache, source, heading_key, window)
        return stores[source]

    own_client = None
    # Each slot is a fetched document or a problem, in source order.
    slots: list[NotesDocument | NotesProblem] = []
    try:
        for item in sources:
            spec = spec_of(item)
            try:
                if spec.kind == "path":
                    # Local files whose (mtime, size) match the index are not read: a stat call vouches
                    # for their content hash, and the index for the dates of their meetings.
                    found = list(_read_paths(spec, store(spec.name)))
                elif spec.kind == "git":
                    found = list(_read_git(spec, git_dir or _default_git_dir()))
                else:
                    if client is None:
                        own_client = client = _make_client(timeout)
                    found = [_fetch_url(spec, client, cache, clock)]
            except _SourceFailed as exc:
                slots.append(NotesProblem(spec.name, exc.reason))
                continue
            store(spec.name).listed = True  # the listing is complete: documents missing from it are gone
            slots.extend(found)
    finally:
        if own_client is not None:
            own_client.close()

    results: list[ParsedNotes | NotesProblem | None] = []
    todo: list[tuple[int, NotesDocument, str, str]] = []
    source = _Store(None, "", "", None)
    for slot in slots:
        if isinstance(slot, NotesProblem):
            results.append(slot)
            continue
        if source.name != slot.source:
            source = store(slot.source)
        digest = slot.known_hash or content_hash(slot.body)
        seen = source.seen(slot, digest)
        if seen is not None and source.outside(seen):
            source.skip(slot.document, seen, slot.stat)  # every meeting it holds is outside the window: not loaded
            continue
        key = _content_key(digest, slot)
        hit = source.shard(_shard_of(seen[4])).get(key) if seen is not None else None
        if hit is None and slot.known_hash is not None:  # the index vouched, but the parse is gone
            try:
                digest = content_hash(slot.read())
            except OSError as exc:
                results.append(NotesProblem(slot.document, f"cannot read: {exc.strerror or exc}"))
                continue
            key = _content_key(digest, slot)
            seen = source.seen(slot, digest)
        if hit is not None and seen is not None:
            source.keep(slot, seen)
            results.append(ParsedNotes(slot.source, slot.document, digest, hit[0], hit[1], from_cache=True,
                                       stale=slot.stale))
        else:
            results.append(None)
            todo.append((len(results) - 1, slot, digest, key))

    jobs = [(doc.document, doc.url, doc.read(), headings) for _, doc, _, _ in todo]
    total = sum(len(doc.body) for _, doc, _, _ in todo)
    if callable(workers):  # decided only when there is enough to parse for it to matter
        workers = workers() if len(jobs) >= 8 and total >= PARALLEL_MIN_BYTES else 1
    if workers > 1 and len(jobs) >= 4 * workers and total >= PARALLEL_MIN_BYTES:
        done = _parse_parallel(jobs, workers)
    else:
        done = [_parse_job(job) for job in jobs]
    for (index, doc, digest, key), parse in zip(todo, done):
        if isinstance(parse, str):
            results[index] = NotesProblem(doc.document, parse)
            continue
        outcome, span = parse
        contract_json, meetings_json = outcome
        stores[doc.source].add(doc, digest, key, outcome, span)
        results[index] = ParsedNotes(doc.source, doc.document, digest, contract_json, meetings_json, stale=doc.stale)
    for each in stores.values():
        each.save()

    report = NotesReport(skipped=[document for each in stores.values() for document in each.skipped])
    for result in results:
        if isinstance(result, NotesProblem):
            _problem(report, result.source, result.reason)
        elif result is not None:
            report.documents.append(result)
    return report


def _problem(report: NotesReport, source: str, reason: str) -> None:
    # Not logged here: the caller says it once, in its own way (the CLI as the error, the pipeline as a warning).
    report.problems.append(NotesProblem(source, reason))


def _headings_key(headings: Mapping[str, Iterable[str]] | None) -> str:
    if not headings:
        return "default"
    canon = json.dumps({k: sorted([v] if isinstance(v, str) else list(v)) for k, v in sorted(headings.items())})
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


# The source cache holds, per notes source (``<v>`` the parser version, ``<h>`` the heading table's key):
#
# - ``notes-index:<v>:<h>:<source>``: one JSON object, document -> ``[mtime_ns, size, sha256, url, first,
#   last]``: the stat signature a local file had when it was hashed (null for git and HTTP documents),
#   its content hash and link, and the first and last dates of its dated meetings (null when none);
# - ``notes-parsed:<v>:<h>:<source>:<shard>``: the parse results (contract JSON, meetings JSON) of the
#   documents whose first meeting falls in year ``<shard>`` (``-`` for documents without a dated meeting),
#   keyed by content hash, document and link.
#
# A digest window reads the index, then only the shards of the documents whose [first, last] meets it.
# A year's shard stays the same size as the history grows, so reading it costs the same after a century.
_Seen = list[Any]  # [mtime_ns | None, size | None, sha256, url | None, first | None, last | None]


def _content_key(digest: str, doc: NotesDocument) -> str:
    return f"{digest}:{doc.document}:{doc.url or ''}"


def _shard_of(first: str | None) -> str:
    return first[:4] if first else "-"


def _span(values: list[MeetingRecord]) -> tuple[str | None, str | None]:
    """The first and last dates (ISO) of a document's dated meetings, or (None, None)."""
    days = [m.date.isoformat() for m in values if m.date is not None]
    return (min(days), max(days)) if days else (None, None)


class _Store:
    """The date index and parse shards of one source: read when first needed, written back once if changed."""

    def __init__(self, cache: SourceCache | None, source: str, heading_key: str,
                 window: tuple[str, str] | None) -> None:
        self.cache = cache
        self.name = source
        self.window = window  # ISO first and last day asked for, or None for everything
        self.prefix = f"{PARSER_VERSION}:{heading_key}:{redact_url(source)}"
        self.old = _read_index(cache, f"notes-index:{self.prefix}")
        self.new: dict[str, _Seen] = {}
        self.shards: dict[str, dict[str, tuple[bytes, bytes]]] = {}
        self.fresh: dict[str, dict[str, tuple[bytes, bytes]]] = {}  # shard -> parses added by this run
        self.skipped: list[str] = []
        self.listed = False

    def entry(self, document: str) -> _Seen | None:
        """The index entry of ``document``, if well formed (else it is read and parsed again)."""
        seen = self.old.get(document)
        if type(seen) is not list or len(seen) != 6 or type(seen[2]) is not str:
            return None
        first, last = seen[4], seen[5]
        if first is None and last is None or type(first) is str and type(last) is str:
            return seen
        return None

    def seen(self, doc: NotesDocument, digest: str) -> _Seen | None:
        """The index entry of ``doc`` if it describes this very content."""
        seen = self.entry(doc.document)
        return seen if seen is not None and seen[2] == digest and seen[3] == doc.url else None

    def outside(self, seen: _Seen) -> bool:
        """Whether the window leaves out a document with this entry (no dated meeting counts as outside)."""
        window = self.window
        return window is not None and (seen[4] is None or seen[5] < window[0] or seen[4] > window[1])

    def skip(self, document: str, seen: _Seen, stat: tuple[int, int] | None) -> None:
        now: tuple[int | None, int | None] = stat or (None, None)
        self.new[document] = seen if seen[0] == now[0] and seen[1] == now[1] else [*now, *seen[2:]]
        self.skipped.append(document)

    def shard(self, name: str) -> dict[str, tuple[bytes, bytes]]:
        if name not in self.shards:
            self.shards[name] = _read_batch(self.cache, f"notes-parsed:{self.prefix}:{name}")
        return self.shards[name]

    def keep(self, doc: NotesDocument, seen: _Seen) -> None:
        stat = doc.stat or (None, None)
        self.new[doc.document] = seen if seen[0] == stat[0] and seen[1] == stat[1] else [*stat, *seen[2:]]

    def add(self, doc: NotesDocument, digest: str, key: str, parse: tuple[bytes, bytes],
            span: tuple[str | None, str | None]) -> None:
        self.new[doc.document] = [*(doc.stat or (None, None)), digest, doc.url, *span]
        self.fresh.setdefault(_shard_of(span[0]), {})[key] = parse

    def save(self) -> None:
        if self.cache is None or not self.listed or (not self.fresh and self.new == self.old):
            return  # nothing changed, or a source that failed keeps what it had
        valid = {document: seen for document in self.old if (seen := self.entry(document)) is not None}
        before, after = self._keys(valid), self._keys(self.new)
        for name in sorted(before.keys() | after.keys()):
            wanted, fresh = after.get(name, set()), self.fresh.get(name, {})
            if wanted == before.get(name, set()) and not fresh:
                continue  # the shard holds the same documents: nothing to write
            have = self.shard(name) if wanted - fresh.keys() else {}
            entries = {k: fresh[k] if k in fresh else have[k] for k in sorted(wanted) if k in fresh or k in have}
            self.cache.put(f"notes-parsed:{self.prefix}:{name}", CacheEntry(body=_write_batch(entries)))
        if self.new != self.old:
            body = json.dumps({"documents": self.new}, ensure_ascii=False, separators=(",", ":")).encode()
            self.cache.put(f"notes-index:{self.prefix}", CacheEntry(body=body))

    @staticmethod
    def _keys(index: dict[str, _Seen]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for document, seen in index.items():
            out.setdefault(_shard_of(seen[4]), set()).add(f"{seen[2]}:{document}:{seen[3] or ''}")
        return out


def _read_index(cache: SourceCache | None, key: str) -> dict[str, Any]:
    """The index as stored; ``_Store.entry`` checks each entry as it is used."""
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        return {}
    try:
        data = json.loads(entry.body)
    except ValueError:
        return {}
    documents = data.get("documents") if isinstance(data, dict) else None
    return documents if isinstance(documents, dict) else {}


def _write_batch(entries: dict[str, tuple[bytes, bytes]]) -> bytes:
    """One line of JSON (key, contract length, meetings length per document), then the bytes."""
    index = [[key, len(c), len(m)] for key, (c, m) in entries.items()]
    parts = [json.dumps(index).encode(), b"\n"]
    for c, m in entries.values():
        parts += (c, m)
    return b"".join(parts)  # one copy of the (megabytes of) parses, not one per document and another for all


def _read_batch(cache: SourceCache | None, key: str) -> dict[str, tuple[bytes, bytes]]:
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        return {}
    header, sep, data = entry.body.partition(b"\n")
    try:
        index = json.loads(header) if sep else None
    except ValueError:
        index = None
    if not isinstance(index, list):
        return {}  # not written by this code: parse again
    out: dict[str, tuple[bytes, bytes]] = {}
    pos = 0
    for item in index:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and isinstance(item[1], int) and isinstance(item[2], int)):
            return {}
        key, clen, mlen = item
        if pos + clen + mlen > len(data):
            return {}
        out[key] = (data[pos:pos + clen], data[pos + clen:pos + clen + mlen])
        pos += clen + mlen
    return out


_Job = tuple[str, "str | None", bytes, "Mapping[str, Iterable[str]] | None"]
# ((contract JSON, meetings JSON), first and last meeting dates), or why the document cannot be parsed
_Parse = tuple[tuple[bytes, bytes], tuple[str | None, str | None]] | str


def _parse_job(job: _Job) -> _Parse:
    """Parse one document (in a worker, or in this process): ((contract JSON, meetings JSON), the span of its
    meeting dates), or the reason it cannot be parsed. The span comes with the JSON so that the main process
    need not decode the meetings again to index them."""
    document, url, body, headings = job
    try:
        text = _decode(body)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (invalid byte at offset {exc.start}); save the file as UTF-8"
    try:
        meetings = parse_records(text, document=document, url=url, headings=headings)
    except NotesParseError as exc:
        return f"line {exc.line}: {exc.reason}" if exc.line else exc.reason
    # Both forms are written by pydantic-core (compact UTF-8, 3x json.dumps) from the parser's records: the
    # parsing processes never build the Meeting values, nor import pydantic.
    contract_json = to_json([meeting_contract(m) for m in meetings])
    return (contract_json, to_json([m.as_values() for m in meetings])), _span(meetings)


@functools.cache
def _meetings_adapter() -> TypeAdapter[list[Meeting]]:
    """Reads meetings JSON into values; made when first needed (``compass notes parse`` never needs it)."""
    from pydantic import TypeAdapter

    from digests.model import Meeting

    return TypeAdapter(list[Meeting])


def _worker_start() -> None:
    import gc

    gc.disable()  # a short-lived worker that builds no reference cycles: collecting is wasted work


def _parse_parallel(jobs: list[_Job], workers: int) -> list[_Parse]:
    """Parse in ``workers`` forked processes (the parser is pure CPU work); serially if fork is unavailable."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [_parse_job(job) for job in jobs]
    global _FORKED_JOBS
    context = multiprocessing.get_context("fork")
    # Small chunks (about 16 per worker): a worker slowed by other load on the machine leaves at most a
    # small chunk for the end, while the others wait; sending a chunk costs far less than parsing it.
    chunk = max(1, len(jobs) // (workers * 16))
    # The workers are forked with the jobs in memory: only their numbers are sent (not megabytes of text
    # pickled in this process and unpickled in a worker).
    _FORKED_JOBS = jobs
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start) as pool:
            return list(pool.map(_parse_forked, range(len(jobs)), chunksize=chunk))
    finally:
        _FORKED_JOBS = []


_FORKED_JOBS: list[_Job] = []  # the jobs of the pool being run, as its forked workers see them


def _parse_forked(index: int) -> _Parse:
    return _parse_job(_FORKED_JOBS[index])


def _decode(body: bytes) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    return body.decode("utf-8")


# --- local paths ---------------------------------------------------------------------------------


def _read_paths(spec: NotesSpec, store: _Store | None = None) -> Iterable[NotesDocument | NotesProblem]:
    """Every file of a path source; a file whose (mtime, size) matches the ``store``'s index is yielded
    unread, or not at all when the index places all its meetings outside the store's window.

    Plain strings and os functions rather than pathlib: a warm run over a large notes directory is
    mostly this listing and these stat calls.
    """
    location = os.path.expanduser(spec.location)
    if _GLOB_CHARS.search(location):
        files = sorted(p for p in glob.glob(location, recursive=True) if os.path.isfile(p))
        if not files:
            raise _SourceFailed("no files match this pattern; check the path and quote the glob so the shell does not expand it")
    elif os.path.isdir(location):
        files = sorted(_markdown_files(location))
        if not files:
            raise _SourceFailed("directory holds no Markdown files (*.md, *.markdown)")
    elif os.path.exists(location):
        files = [location]
    else:
        raise _SourceFailed("no such file or directory")
    for file in files:
        try:
            info = os.stat(file)
            stat = (info.st_mtime_ns, info.st_size)
            seen = store.entry(file) if store is not None else None
            if seen is not None and seen[0] == stat[0] and seen[1] == stat[1] and seen[3] is None:
                if store is not None and store.outside(seen):
                    store.skip(file, seen, stat)
                else:
                    yield NotesDocument(spec.name, file, b"", stat=stat, known_hash=seen[2])
                continue
            if stat[1] > MAX_NOTES_BYTES:
                yield NotesProblem(file, f"is {stat[1]:,} bytes; the limit is {MAX_NOTES_BYTES:,} bytes (split the archive by year)")
                continue
            with open(file, "rb") as fh:
                body = fh.read()
        except OSError as exc:
            yield NotesProblem(file, f"cannot read: {exc.strerror or exc}")
            continue
        yield NotesDocument(spec.name, file, body, stat=stat)


def _markdown_files(top: str) -> list[str]:
    """The Markdown files under ``top``, as ``os.walk`` finds them (symlinked directories are not entered,
    unreadable ones are passed over), through ``os.scandir`` alone: on a large notes directory it lists
    in half the time."""
    out: list[str] = []
    pending = [top]
    while pending:
        try:
            listing = os.scandir(pending.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink():
                        pending.append(entry.path)
                elif entry.name.lower().endswith(MARKDOWN_SUFFIXES):
                    out.append(entry.path)
    return out


# --- git -----------------------------------------------------------------------------------------


def _default_git_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compass" / "git"


def _git(args: Sequence[str], *, cwd: Path | None = None, timeout: float = 300) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        raise _SourceFailed("git is not installed; install git or use a 'path' or 'url' source") from None
    except subprocess.TimeoutExpired:
        raise _SourceFailed(f"git {args[0]} took longer than {timeout:g} s") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise _SourceFailed(f"git {args[0]} failed: {_scrub(detail)}")
    return done.stdout


def _scrub(text: str) -> str:
    return re.sub(r"(https?://)[^/@\s]+@", r"\1", text)


def _read_git(spec: NotesSpec, git_dir: Path) -> Iterable[NotesDocument | NotesProblem]:
    repo = spec.location
    checkout = git_dir / hashlib.sha256(repo.encode()).hexdigest()[:20]
    if (checkout / ".git").is_dir():
        _git(["fetch", "--quiet", "--depth", "1", "origin", spec.branch], cwd=checkout)
        _git(["checkout", "--quiet", "--force", "FETCH_HEAD"], cwd=checkout)
        log.info('Fetched notes repository "%s" (%s)', spec.name, spec.branch)
    else:
        checkout.parent.mkdir(parents=True, exist_ok=True)
        tmp = checkout.with_name(checkout.name + ".tmp")
        if tmp.exists():
            _remove_tree(tmp)
        source = repo if re.match(r"^[a-z][a-z0-9+.-]*://", repo) or "@" in repo.split("/")[0] else str(Path(repo).resolve())
        _git(["clone", "--quiet", "--depth", "1", "--branch", spec.branch, "--single-branch", "--", source, str(tmp)])
        tmp.rename(checkout)
        log.info('Cloned notes repository "%s" (%s)', spec.name, spec.branch)
    files = sorted(p for p in checkout.glob(spec.paths) if p.is_file() and ".git" not in p.relative_to(checkout).parts)
    if not files:
        raise _SourceFailed(f"no files in branch {spec.branch!r} match {spec.paths!r}")
    web = _web_base(repo, spec.branch)
    for file in files:
        rel = file.relative_to(checkout).as_posix()
        try:
            if file.stat().st_size > MAX_NOTES_BYTES:
                yield NotesProblem(f"{spec.name}:{rel}", f"is over {MAX_NOTES_BYTES:,} bytes (split the archive by year)")
                continue
            body = file.read_bytes()
        except OSError as exc:
            yield NotesProblem(f"{spec.name}:{rel}", f"cannot read: {exc.strerror or exc}")
            continue
        yield NotesDocument(spec.name, f"{redact_url(repo)}:{rel}", body, url=f"{web}/{rel}" if web else None)


def _web_base(repo: str, branch: str) -> str | None:
    m = re.match(r"^(?:https://|git@)(github\.com|gitlab\.com)[/:]([^/]+)/([^/]+?)(?:\.git)?/?$", redact_url(repo))
    if not m:
        return None
    return f"https://{m.group(1)}/{m.group(2)}/{m.group(3)}/blob/{branch}"


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# --- HTTP ----------------------------------------------------------------------------------------


def _make_client(timeout: float) -> Any:
    import httpx

    return httpx.Client(timeout=timeout, follow_redirects=True,
                        headers={"User-Agent": "compass-chatops notes fetcher", "Accept": "text/markdown, text/plain;q=0.9, */*;q=0.5"})


def download_url(url: str) -> tuple[str, str]:
    """``(fetch URL, readable URL)``: a HackMD note page is fetched as ``<note>/download``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.rstrip("/")
    if host in ("hackmd.io", "hedgedoc.org", "demo.hedgedoc.org") or host.endswith(".hackmd.io"):
        if path.endswith("/download"):
            readable = urlunsplit((parts.scheme, parts.netloc, path[: -len("/download")], "", ""))
            return url, readable
        if path and "." not in path.rsplit("/", 1)[-1]:
            fetch = urlunsplit((parts.scheme, parts.netloc, path + "/download", parts.query, ""))
            return fetch, urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if path.endswith("/download"):
        return url, urlunsplit((parts.scheme, parts.netloc, path[: -len("/download")], "", ""))
    return url, urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _fetch_url(spec: NotesSpec, client: Any, cache: SourceCache | None, clock: Callable[[], float]) -> NotesDocument:
    import httpx

    fetch, readable = download_url(spec.location)
    shown = redact_url(spec.location)
    key = f"notes-http:{redact_url(fetch)}"
    cached = cache.get(key) if cache is not None else None
    try:
        response = client.get(fetch, headers=conditional_headers(cached))
    except httpx.HTTPError as exc:
        if cached is not None:
            log.warning('Notes URL "%s" unreachable (%s); using the copy cached earlier', shown, type(exc).__name__)
            return NotesDocument(spec.name, redact_url(readable), cached.body, url=redact_url(readable), stale=True)
        raise _SourceFailed(f"could not fetch: {_describe(exc)}") from None
    status = response.status_code
    if status == 304 and cached is not None:
        log.debug('Notes URL "%s" unchanged (304)', shown)
        return NotesDocument(spec.name, redact_url(readable), cached.body, url=redact_url(readable))
    if status >= 500 and cached is not None:
        log.warning('Notes URL "%s" answered %d; using the copy cached earlier', shown, status)
        return NotesDocument(spec.name, redact_url(readable), cached.body, url=redact_url(readable), stale=True)
    if status == 404:
        raise _SourceFailed("not found (HTTP 404); check the URL, and that the note is published or shared")
    if status in (401, 403):
        raise _SourceFailed(f"access denied (HTTP {status}); make the note readable without signing in")
    if status != 200:
        raise _SourceFailed(f"HTTP {status} {response.reason_phrase}".rstrip())
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "text/html" or response.content[:200].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise _SourceFailed("the server sent an HTML page, not Markdown; for HackMD use the note's '/download' URL")
    body = response.content
    if len(body) > MAX_NOTES_BYTES:
        raise _SourceFailed(f"sent {len(body):,} bytes; the limit for one notes document is {MAX_NOTES_BYTES:,} bytes")
    charset = response.charset_encoding
    if charset and charset.lower().replace("-", "") not in ("utf8", "usascii", "ascii"):
        try:
            body = body.decode(charset).encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            raise _SourceFailed(f"body is not valid {charset} text as its Content-Type says") from None
    if cache is not None:
        cache.put(key, validated_entry(body, response.headers, clock()))
    return NotesDocument(spec.name, redact_url(readable), body, url=redact_url(readable))


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    text = _scrub(str(exc)) if str(exc) else ""
    return f"{name}: {text}" if text else name
