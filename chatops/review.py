"""Review before posting: a digest with ``review:`` is drafted at its fire and published only once released.

``Compass`` (``chatops.service``) delegates its review methods here; every entry point (chat commands, the
CLI's ``compass drafts``, the web page) goes through those methods. The draft lives in the publication
ledger: each target's row moves ``pending -> draft`` with its ``Post`` frozen in it, and one
``ReviewRecord`` per (digest, period) holds the state, the compiled and the edited Markdown, and the
history (``ReviewEventRecord``).

- ``make_draft``: compile, freeze, tell the reviewers (a Zulip direct message, or the configured stream).
- ``approve``: one conditional update wins (two reviewers at once publish once); the edited text replaces
  the body of every target that carries the whole digest; rows go ``draft -> pending`` and are
  published by ``chatops.publishing`` (exactly once, like any publication). A replica that dies between the
  approval and the publication leaves an ``approved`` review whose rows the next ``sweep`` finishes.
- ``hold`` / ``skip`` / ``edit`` / ``refresh`` / ``take_fresh``.
- ``store_html`` / ``html_of``: the draft's Markdown as HTML for the review page, rendered when the draft is
  made or its text changes (off the page's request path) and stored with it; the page only reads it.
- ``sweep``: reminders and expiry (``mode: approve``), publication at the end of a veto window, and the
  unfinished work of a replica that died.

Nothing here prints. Each action answers with a ``ReviewAnswer`` whose ``message`` says what happens next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatops.errors import CompassError, UsageError
from chatops.publish.base import Post, read_remote_ref
from chatops.publishing import DigestOutcome, PipelinePrepare, TargetOutcome
from chatops.storage.publications import (
    DONE,
    Status,
    ensure_publications,
    find_period_publications,
    find_publications,
    publication_lock,
    save_publication,
)
from chatops.storage.reviews import (
    OPEN,
    ReviewState,
    add_event,
    create_review,
    decide,
    find_review,
    get_review,
    list_events,
    list_reviews,
    load_html,
    mark_once,
    save_html,
    save_text,
)
from digests.html import fingerprint, to_html
from digests.model import Window

if TYPE_CHECKING:
    from chatops.config import ApproveReview, Config, DigestConfig, ReviewNotify, Target, VetoReview
    from chatops.service import Compass
    from chatops.storage.tables import PublicationRecord, ReviewEventRecord, ReviewRecord

__all__ = [
    "Draft",
    "Notifier",
    "ReviewAnswer",
    "Reviewer",
    "approve",
    "diff_lines",
    "edit",
    "get_draft",
    "hold",
    "html_of",
    "is_reviewer",
    "list_drafts",
    "make_draft",
    "refresh",
    "shown_parts",
    "skip",
    "store_html",
    "sweep",
    "take_fresh",
]

log = logging.getLogger(__name__)

PREVIEW_CHARS = 600  # of the draft shown in the reviewers' message
VETO_WINDOW = "veto window ended"  # who "decides" when nobody held a veto draft in time

# Sends a message to reviewers: (recipients (emails or user ids), or a stream and topic, text).
Notifier = Callable[[Sequence[str | int], "ReviewNotify | None", str], None]


@dataclass(frozen=True, slots=True)
class Reviewer:
    """Who acts: a Zulip email and/or user id (never a display name), or a local login on the CLI."""

    email: str | None = None
    user_id: int | None = None
    local: str | None = None  # ``compass drafts ... `` without --as: the operator at the terminal

    @property
    def label(self) -> str:
        if self.email:
            return self.email
        if self.user_id is not None:
            return f"user {self.user_id}"
        return f"cli:{self.local or 'operator'}"


def is_reviewer(review: ApproveReview | VetoReview | None, who: Reviewer) -> bool:
    """Whether ``who`` may act on drafts of a digest with this review configuration."""
    if review is None:
        return False
    if who.local is not None and who.email is None and who.user_id is None:
        return True  # the terminal: whoever runs compass on the host already holds its database
    emails = {str(r).strip().casefold() for r in review.reviewers if isinstance(r, str)}
    ids = {r for r in review.reviewers if isinstance(r, int)}
    return bool((who.email and who.email.strip().casefold() in emails) or (who.user_id is not None and who.user_id in ids))


@dataclass(frozen=True, slots=True)
class Draft:
    """A review with what the page and the commands show of it."""

    id: int
    digest: str
    window: Window
    mode: str
    state: str
    created_at: dt.datetime
    due_at: dt.datetime | None
    remind_at: dt.datetime | None
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None
    original: str
    edited: str | None
    fresh: str | None
    version: int
    posts: tuple[tuple[str, str, Post | None], ...]  # (target key, publication status, frozen post)

    @property
    def text(self) -> str:
        """What would be published: the edit if there is one, else the compiled draft."""
        return self.edited if self.edited is not None else self.original

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def title(self) -> str:
        for _, _, post in self.posts:
            if post is not None:
                return post.title
        return self.digest


@dataclass(frozen=True, slots=True)
class ReviewAnswer:
    """What an action did (``changed``: False for a repeat or a refusal) and what happens next."""

    changed: bool
    message: str
    draft: Draft | None = None
    outcome: DigestOutcome | None = None


# --- reading ----------------------------------------------------------------------------------


def _target_keys(compass: Compass, digest: str) -> list[str]:
    try:
        return [t.key for t in compass.config.digest(digest).targets]
    except UsageError:  # a digest no longer configured: its drafts are still listed
        return []


def _draft(compass: Compass, row: ReviewRecord, publications: Sequence[PublicationRecord] | None = None) -> Draft:
    """The draft of a review row; ``publications``: its period's rows when the caller read them already."""
    keys = _target_keys(compass, row.digest)
    if publications is None:
        with compass.open().session() as session:
            publications = find_publications(session=session, digest=row.digest, period_start=row.period_start,
                                             targets=keys)
    rows = {r.target: r for r in publications if r.target in keys}
    posts = []
    for key in keys:
        pub = rows.get(key)
        ref = read_remote_ref(key, pub.remote_ref) if pub is not None else None
        posts.append((key, pub.status if pub is not None else "none", ref if isinstance(ref, Post) else None))
    assert row.id is not None
    return Draft(
        id=row.id, digest=row.digest, window=Window(since=row.period_start, until=row.period_end), mode=row.mode,
        state=row.state, created_at=row.created_at, due_at=row.due_at, remind_at=row.remind_at,
        decided_by=row.decided_by, decided_at=row.decided_at, reason=row.reason, original=row.original,
        edited=row.edited, fresh=row.fresh, version=row.version, posts=tuple(posts),
    )


def get_draft(compass: Compass, review_id: int) -> Draft | None:
    with compass.open().session() as session:
        row = get_review(session=session, review_id=review_id)
    return None if row is None else _draft(compass, row)


def list_drafts(compass: Compass, *, digest: str | None = None, open_only: bool = False,
                limit: int = 50) -> list[Draft]:
    with compass.open().session() as session:  # two queries, however many drafts
        rows = list_reviews(session=session, digest=digest, states=OPEN if open_only else None, limit=limit)
        found = find_period_publications(session=session, periods=[(row.digest, row.period_start) for row in rows])
    return [_draft(compass, row, found[(row.digest, row.period_start)]) for row in rows]


def history(compass: Compass, review_id: int) -> list[ReviewEventRecord]:
    with compass.open().session() as session:
        return list_events(session=session, review_id=review_id)


def find(compass: Compass, name: str, period: str | None = None) -> Draft:
    """The draft ``approve NAME [PERIOD]`` means: the period's, or the newest open one (else the newest)."""
    config = compass.config
    digest = config.digest(name)  # UsageError names the configured digests
    if digest.review is None:
        raise UsageError(f"`{name}` is published without review (review: none); it has no drafts")
    with compass.open().session() as session:
        if period is not None:
            window = compass.window(name, period=period)
            assert window is not None
            row = find_review(session=session, digest=name, period_start=window.since)
            if row is None:
                raise UsageError(f"`{name}` has no draft for {_period(config, digest, window)}")
        else:
            rows = list_reviews(session=session, digest=name, states=OPEN, limit=1) or list_reviews(
                session=session, digest=name, limit=1)
            if not rows:
                raise UsageError(f"`{name}` has no draft yet; the next one is made at its next scheduled run")
            row = rows[0]
    return _draft(compass, row)


# --- drafting ---------------------------------------------------------------------------------


def _primary(digest: DigestConfig, posts: dict[str, Post]) -> str:
    for target in digest.targets:
        if _carries_whole(target) and target.key in posts:
            return posts[target.key].body
    return next(iter(posts.values())).body


def _carries_whole(target: Target) -> bool:
    """Whether a target publishes the whole digest (a Zulip ``mode: summary`` target only links to it)."""
    return not (target.zulip is not None and target.zulip.mode == "summary")


def _with_text(post: Post, target: Target, original: str, text: str) -> Post:
    """``post`` with the reviewer's edit of ``original`` applied to its body (and, for Zulip, its messages
    split afresh). A target whose body is ``original`` gets ``text`` as it is; one whose renderer shaped the
    digest differently (e.g. cut to Discourse's post limit) gets the same changes, hunk by hunk."""
    if not _carries_whole(target):
        return post
    body = text if post.body.strip("\n") == original.strip("\n") else apply_edit(original, text, post.body)
    if body == post.body:
        return post
    if target.zulip is not None:
        from digests.render import split_message

        return dataclasses.replace(post, body=body, messages=tuple(split_message(body)))
    return dataclasses.replace(post, body=body)


def apply_edit(original: str, edited: str, body: str) -> str:
    """The changes from ``original`` to ``edited`` made to ``body``, a differently shaped rendering of the same
    digest: each changed block of lines is found in ``body`` and replaced; an insertion goes after the line it
    followed. A change whose lines ``body`` does not have (it left them out) is not applied there."""
    old_lines, new_lines, out = original.splitlines(), edited.splitlines(), body.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        replacement = new_lines[j1:j2]
        if i2 > i1:  # replace or delete: find the old lines in the body
            old = old_lines[i1:i2]
            at = next((k for k in range(len(out) - len(old) + 1) if out[k:k + len(old)] == old), None)
            if at is not None:
                out[at:at + len(old)] = replacement
        elif i1 == 0:
            out[0:0] = replacement
        else:  # an insertion: after the line it follows in the original
            anchor = old_lines[i1 - 1]
            at = next((k for k in range(len(out)) if out[k] == anchor), None)
            if at is not None:
                out[at + 1:at + 1] = replacement
    return "\n".join(out) + ("\n" if body.endswith("\n") else "")


def as_published(compass: Compass, draft: Draft) -> list[tuple[str, str, Post | None]]:
    """Each target's post as approval would publish it now: the reviewer's text in place of the body."""
    try:
        targets = {t.key: t for t in compass.config.digest(draft.digest).targets}
    except UsageError:
        return list(draft.posts)
    out = []
    for key, status, post in draft.posts:
        if post is not None and draft.edited is not None and key in targets and status == Status.DRAFT:
            post = _with_text(post, targets[key], draft.original, draft.edited)
        out.append((key, status, post))
    return out


def make_draft(compass: Compass, name: str, window: Window) -> DigestOutcome:
    """At the fire of a digest under review: compile, freeze each target's post as a draft, tell the
    reviewers. Idempotent: a period already drafted (or done) is left as it is."""
    config = compass.config
    digest = config.digest(name)
    review = digest.review
    assert review is not None
    database = compass.open()
    now = compass.clock()
    keys = [t.key for t in digest.targets]
    with database.session() as session:
        existing = find_review(session=session, digest=name, period_start=window.since)
    if existing is not None:  # drafted already: an approved one whose publication is unfinished goes on
        if existing.state == ReviewState.APPROVED:
            return _publish_approved(compass, _draft(compass, existing))
        return _ledger_outcome(compass, name, window)
    with database.session() as session:
        rows = ensure_publications(session=session, digest=name, period_start=window.since,
                                   period_end=window.until, targets=keys, now=now)
    if any(r.status not in (Status.PENDING, Status.FAILED) for r in rows):
        return _ledger_outcome(compass, name, window)  # published by hand, or done, already
    lead = min(r.id for r in rows if r.id is not None)
    with publication_lock(database, lead) as held:
        if not held:
            return DigestOutcome(name, window.since, window.until, tuple(TargetOutcome(k, "busy") for k in keys))
        with database.session() as session:
            rows = find_publications(session=session, digest=name, period_start=window.since, targets=keys)
            drafted = find_review(session=session, digest=name, period_start=window.since) is not None
            if drafted or any(r.status not in (Status.PENDING, Status.FAILED) for r in rows):
                return _ledger_outcome(compass, name, window)
            prepare = PipelinePrepare(config, digest, window, database=database, build=compass.build,
                                      render=compass.render)
            posts: dict[str, Post] = {}
            for target in digest.targets:
                post = prepare(target)
                if post is None:  # empty: skipped like any empty digest, without bothering reviewers
                    return compass.publish(name, window)
                posts[target.key] = post
            original = _primary(digest, posts)
            due, remind = _deadlines(review, now)
            record, _ = create_review(session=session, digest=name, period_start=window.since,
                                      period_end=window.until, mode=review.mode, now=now, due_at=due,
                                      remind_at=remind, original=original)
            for row in rows:
                save_publication(session=session, row=row, status=Status.DRAFT,
                                 remote_ref={"post": posts[row.target].to_json()})
            assert record.id is not None
            add_event(session=session, review_id=record.id, who="compass", action="drafted", at=now, body=original)
    log.info('Digest "%s" for the period ending %s is drafted for review (%s)', name, window.until.isoformat(),
             review.mode)
    notify_new(compass, record.id)
    _store_quietly(compass, get_draft(compass, record.id))
    return _ledger_outcome(compass, name, window)


def _deadlines(review: ApproveReview | VetoReview, now: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    if review.mode == "veto":
        return now + review.window, None
    return now + review.expire_after, now + review.remind_after


def _ledger_outcome(compass: Compass, name: str, window: Window) -> DigestOutcome:
    keys = [t.key for t in compass.config.digest(name).targets]
    with compass.open().session() as session:
        rows = {r.target: r for r in find_publications(session=session, digest=name, period_start=window.since,
                                                       targets=keys)}
    outcomes = []
    for key in keys:
        row = rows.get(key)
        status = row.status if row is not None else "pending"
        if status == Status.DRAFT:
            outcomes.append(TargetOutcome(key, "draft", error="waiting for review"))
        elif status in DONE:
            outcomes.append(TargetOutcome(key, "already", error=None if status == Status.PUBLISHED else row.last_error if row else None))
        else:
            outcomes.append(TargetOutcome(key, "busy"))
    return DigestOutcome(name, window.since, window.until, tuple(outcomes))


# --- the page's HTML ---------------------------------------------------------------------------


def shown_parts(key: str, post: Post) -> tuple[str, ...]:
    """The Markdown texts the review page shows for a target's post: a Zulip digest's messages, else its body."""
    return tuple(post.messages) if key.startswith("zulip:") and post.messages else (post.body,)


def _shown_texts(compass: Compass, draft: Draft) -> list[str]:
    texts = [part for key, _, post in as_published(compass, draft) if post is not None
             for part in shown_parts(key, post)]
    return [*texts, draft.text]  # the editor's text: its live preview starts from it


def store_html(compass: Compass, draft: Draft) -> None:
    """Render the draft's texts as the page shows them and store the HTML with it, dropping renderings of
    texts it no longer shows. Called when a draft is made and whenever its text changes."""
    html = {fingerprint(text): to_html(text) for text in _shown_texts(compass, draft)}
    with compass.open().session() as session:
        save_html(session=session, review_id=draft.id, html=html, keep_only=True)


def _store_quietly(compass: Compass, draft: Draft | None) -> None:
    """``store_html`` after a change that is already recorded: should it fail, the page renders on demand."""
    if draft is None:
        return
    try:
        store_html(compass, draft)
    except Exception:
        log.warning("Could not store the HTML of draft %s; the review page renders it when shown", draft.id,
                    exc_info=True)


def html_of(compass: Compass, review_id: int, texts: Sequence[str], *, store: bool = True) -> list[str]:
    """The HTML of each of a draft's ``texts``, read from what was stored with it; a text not stored (a draft
    made before HTML was stored, or shown differently since) is rendered now, and stored if ``store``."""
    keys = [fingerprint(text) for text in texts]
    with compass.open().session() as session:
        found = load_html(session=session, review_id=review_id, fingerprints=keys)
    missing = {key: to_html(text) for key, text in zip(keys, texts, strict=True) if key not in found}
    if missing and store:
        with compass.open().session() as session:
            save_html(session=session, review_id=review_id, html=missing)
    found.update(missing)
    return [found[key] for key in keys]


# --- telling reviewers ------------------------------------------------------------------------


def _period(config: Config, digest: DigestConfig, window: Window) -> str:
    zone = config.digest_zone(digest)
    last = (window.until - dt.timedelta(seconds=1)).astimezone(zone)
    return f"{window.since.astimezone(zone):%Y-%m-%d} to {last:%Y-%m-%d}"


def _when(config: Config, digest: DigestConfig, moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    return f"{moment.astimezone(config.digest_zone(digest)):%a %Y-%m-%d %H:%M %Z}"


def _preview(text: str) -> str:
    if len(text) <= PREVIEW_CHARS:
        return text
    return text[:PREVIEW_CHARS].rsplit("\n", 1)[0] + "\n\u2026"


def _notify(compass: Compass, digest: DigestConfig, text: str) -> bool:
    review = digest.review
    notifier = compass.notifier
    if review is None or notifier is None:
        log.info("Review note for %s (no chat to send it to): %s", digest.name, text.splitlines()[0])
        return False
    try:
        notifier(review.reviewers, review.notify, text)
    except Exception:  # the draft stands; the page and `compass drafts` still show it
        log.warning('Could not tell the reviewers of "%s"', digest.name, exc_info=True)
        return False
    return True


def notify_new(compass: Compass, review_id: int) -> None:
    """Tell the reviewers about a new draft, once (``notified_at``), even across replicas."""
    draft = get_draft(compass, review_id)
    if draft is None or not draft.open:
        return
    config = compass.config
    digest = config.digest(draft.digest)
    with compass.open().session() as session:
        if not mark_once(session=session, review_id=review_id, column="notified_at", at=compass.clock()):
            return
    targets = ", ".join(key for key, _, _ in draft.posts)
    if draft.mode == "veto":
        next_step = (f"It will be published on {_when(config, digest, draft.due_at)} unless a reviewer says "
                     f"`hold {draft.digest}`.")
    else:
        next_step = (f"Nothing is published until a reviewer says `approve {draft.digest}`; it expires "
                     f"{_when(config, digest, draft.due_at)}.")
    text = (
        f"**Draft for review: {draft.title}** (`{draft.digest}`, {_period(config, digest, draft.window)})\n"
        f"Targets: {targets}\n{next_step}\n"
        f"Review it: {compass.page_url}/review/drafts/{draft.id} (sign in with `review`), or answer "
        f"`approve {draft.digest}`, `hold {draft.digest}`, `skip {draft.digest}`, `draft {draft.digest}`.\n\n"
        f"```quote\n{_preview(draft.text)}\n```"
    )
    _notify(compass, digest, text)


def describe(compass: Compass, draft: Draft) -> str:
    """A draft for chat: what, which period, its state, what happens next and when, and a preview."""
    config = compass.config
    digest = config.digest(draft.digest)
    period = _period(config, digest, draft.window)
    if draft.state == ReviewState.WAITING and draft.mode == "veto":
        state = f"waiting; published {_when(config, digest, draft.due_at)} unless held"
    elif draft.state == ReviewState.WAITING:
        state = f"waiting for approval; expires {_when(config, digest, draft.due_at)}"
    elif draft.state == ReviewState.HELD:
        state = f"held by {draft.decided_by}; " + _after_hold(config, digest, draft)
    else:
        state = _settled(config, digest, draft)
    edited = " (edited by a reviewer)" if draft.edited is not None else ""
    targets = ", ".join(f"{key} ({status})" for key, status, _ in draft.posts)
    return (f"**{draft.title}** (`{draft.digest}`, {period}){edited}: {state}\nTargets: {targets}\n"
            f"Page: {compass.page_url}/review/drafts/{draft.id}\n\n```quote\n{_preview(draft.text)}\n```")


# --- acting -----------------------------------------------------------------------------------


def _refuse(compass: Compass, digest: DigestConfig, who: Reviewer) -> ReviewAnswer | None:
    if is_reviewer(digest.review, who):
        return None
    return ReviewAnswer(False, f"Sorry, only the reviewers of `{digest.name}` can do that. Nothing was changed.")


@dataclass(frozen=True, slots=True)
class _Decided:
    draft: Draft  # read again after the move
    digest: DigestConfig
    won: bool  # whether this call moved the review


def _decide(compass: Compass, name: str, who: Reviewer, *, period: str | None, review_id: int | None,
            from_states: Sequence[str], to_state: ReviewState, action: str,
            reason: str | None = None) -> ReviewAnswer | _Decided:
    """What approve, hold and skip share: find the draft, refuse a non-reviewer (the refusal is returned), move
    the review from one of ``from_states`` to ``to_state`` (one conditional update: of two at once, one wins),
    and record ``action`` (with ``reason``) in its history if this call moved it."""
    draft = _target(compass, name, period, review_id)
    digest = compass.config.digest(draft.digest)
    refusal = _refuse(compass, digest, who)
    if refusal is not None:
        return refusal
    now = compass.clock()
    with compass.open().session() as session:
        won = decide(session=session, review_id=draft.id, from_states=from_states, to_state=to_state, by=who.label,
                     at=now, reason=reason)
        if won:
            add_event(session=session, review_id=draft.id, who=who.label, action=action, at=now, note=reason)
    return _Decided(get_draft(compass, draft.id) or draft, digest, won)


def approve(compass: Compass, name: str, who: Reviewer, *, period: str | None = None,
            review_id: int | None = None) -> ReviewAnswer:
    decided = _decide(compass, name, who, period=period, review_id=review_id, from_states=OPEN,
                      to_state=ReviewState.APPROVED, action="approved")
    if isinstance(decided, ReviewAnswer):
        return decided
    config, digest, draft, won = compass.config, decided.digest, decided.draft, decided.won
    if draft.state != ReviewState.APPROVED:
        return ReviewAnswer(False, _settled(config, digest, draft), draft)
    outcome = _publish_approved(compass, draft)
    draft = get_draft(compass, draft.id) or draft
    head = (f"Approved `{draft.digest}` for {_period(config, digest, draft.window)}"
            + (" (with the edit)" if draft.edited is not None else "") if won else
            f"`{draft.digest}` for {_period(config, digest, draft.window)} was already approved by "
            f"{draft.decided_by} at {_when(config, digest, draft.decided_at)}")
    return ReviewAnswer(won, f"{head}. {_published_words(outcome)}", draft, outcome)


def _published_words(outcome: DigestOutcome | None) -> str:
    if outcome is None:
        return ""
    parts = []
    for t in outcome.targets:
        if t.status in ("published", "already"):
            parts.append(f"{t.target}: published" + (f" ({t.publication.url})" if t.publication and t.publication.url else ""))
        elif t.status == "busy":
            parts.append(f"{t.target}: being published by another process")
        else:
            parts.append(f"{t.target}: {t.status}" + (f" ({t.error}); compass retries at its next sweep" if t.error else ""))
    return "; ".join(parts) + "."


def _release(compass: Compass, draft: Draft) -> None:
    """An approved draft's rows: ``draft -> pending``, the edited text in place of the compiled body.
    Idempotent (only rows still in ``draft`` move), so a replica finishing another's approval may redo it."""
    digest = compass.config.digest(draft.digest)
    targets = {t.key: t for t in digest.targets}
    with compass.open().session() as session:
        rows = find_publications(session=session, digest=draft.digest, period_start=draft.window.since,
                                 targets=list(targets))
        for row in rows:
            if row.status != Status.DRAFT:
                continue
            ref = read_remote_ref(row.target, row.remote_ref)
            changes: dict[str, object] = {"status": Status.PENDING}
            if isinstance(ref, Post) and draft.edited is not None:
                changes["remote_ref"] = {"post": _with_text(ref, targets[row.target], draft.original,
                                                            draft.edited).to_json()}
            save_publication(session=session, row=row, **changes)


def _publish_approved(compass: Compass, draft: Draft) -> DigestOutcome:
    _release(compass, draft)
    return compass.publish(draft.digest, draft.window)


def _settled(config: Config, digest: DigestConfig, draft: Draft) -> str:
    period = _period(config, digest, draft.window)
    by = f" by {draft.decided_by} at {_when(config, digest, draft.decided_at)}" if draft.decided_by else ""
    if draft.state == ReviewState.SKIPPED:
        return f"`{draft.digest}` for {period} was skipped{by}; nothing will be published for it."
    if draft.state == ReviewState.EXPIRED:
        return f"`{draft.digest}` for {period} expired unapproved{by}; nothing was published for it."
    if draft.state == ReviewState.APPROVED:
        return f"`{draft.digest}` for {period} was approved{by}."
    return f"`{draft.digest}` for {period} is {draft.state}."


def _target(compass: Compass, name: str, period: str | None, review_id: int | None) -> Draft:
    if review_id is not None:
        draft = get_draft(compass, review_id)
        if draft is None:
            raise UsageError(f"there is no draft {review_id}")
        return draft
    return find(compass, name, period)


def hold(compass: Compass, name: str, who: Reviewer, *, period: str | None = None, review_id: int | None = None,
         reason: str | None = None) -> ReviewAnswer:
    decided = _decide(compass, name, who, period=period, review_id=review_id, from_states=[ReviewState.WAITING],
                      to_state=ReviewState.HELD, action="held", reason=reason)
    if isinstance(decided, ReviewAnswer):
        return decided
    config, digest, draft = compass.config, decided.digest, decided.draft
    period_words = _period(config, digest, draft.window)
    if not decided.won and draft.state == ReviewState.HELD:
        return ReviewAnswer(False, f"`{draft.digest}` for {period_words} is already held (by {draft.decided_by}). "
                                   f"{_after_hold(config, digest, draft)}", draft)
    if not decided.won:
        return ReviewAnswer(False, _settled(config, digest, draft), draft)
    return ReviewAnswer(True, f"Held `{draft.digest}` for {period_words}. {_after_hold(config, digest, draft)}", draft)


def _after_hold(config: Config, digest: DigestConfig, draft: Draft) -> str:
    if draft.mode == "veto":
        return (f"It will not be published when its window ends; `approve {draft.digest}` publishes it, "
                f"`skip {draft.digest}` drops this period.")
    return (f"No more reminders; `approve {draft.digest}` publishes it, `skip {draft.digest}` drops it; "
            f"unapproved it expires {_when(config, digest, draft.due_at)}.")


def skip(compass: Compass, name: str, who: Reviewer, *, period: str | None = None, review_id: int | None = None,
         reason: str | None = None) -> ReviewAnswer:
    why = (reason or "").strip() or "no reason given"
    decided = _decide(compass, name, who, period=period, review_id=review_id, from_states=OPEN,
                      to_state=ReviewState.SKIPPED, action="skipped", reason=why)
    if isinstance(decided, ReviewAnswer):
        return decided
    config, digest, draft = compass.config, decided.digest, decided.draft
    if draft.state == ReviewState.SKIPPED:
        _close_rows(compass, draft, f"skipped by {draft.decided_by}: {draft.reason}")
    if not decided.won:
        return ReviewAnswer(False, _settled(config, digest, draft), draft)
    return ReviewAnswer(True, f"Skipped `{draft.digest}` for {_period(config, digest, draft.window)} ({why}): "
                              "nothing will be published for it; the next period is drafted at the next run.", draft)


def _close_rows(compass: Compass, draft: Draft, why: str) -> None:
    keys = [key for key, _, _ in draft.posts]
    with compass.open().session() as session:
        for row in find_publications(session=session, digest=draft.digest, period_start=draft.window.since,
                                     targets=keys):
            if row.status == Status.DRAFT:
                save_publication(session=session, row=row, status=Status.SKIPPED, last_error=why,
                                 published_at=compass.clock())


def edit(compass: Compass, review_id: int, text: str, who: Reviewer, *, version: int) -> ReviewAnswer:
    """Save a reviewer's version of the draft (what gets published); refused if the draft changed since
    ``version`` was read."""
    draft = _target(compass, "", None, review_id)
    digest = compass.config.digest(draft.digest)
    refusal = _refuse(compass, digest, who)
    if refusal is not None:
        return refusal
    text = text.replace("\r\n", "\n").strip("\n") + "\n"
    if not draft.open:
        return ReviewAnswer(False, _settled(compass.config, digest, draft), draft)
    if text.strip() == draft.text.strip():
        return ReviewAnswer(False, "No change to save.", draft)
    if not text.strip():
        return ReviewAnswer(False, "An empty draft cannot be published; use Skip to drop this period.", draft)
    now = compass.clock()
    with compass.open().session() as session:
        saved = save_text(session=session, review_id=draft.id, version=version, edited=text)
        if saved:
            add_event(session=session, review_id=draft.id, who=who.label, action="edited", at=now, body=text)
    draft = get_draft(compass, draft.id) or draft
    if not saved:
        return ReviewAnswer(False, "The draft changed since you opened it (someone else edited it, or newer notes "
                                   "came in); reload the page and apply your change again.", draft)
    _store_quietly(compass, draft)
    return ReviewAnswer(True, "Saved. Your version is what will be published; the original stays in the history.",
                        draft)


def _compile_posts(compass: Compass, draft: Draft) -> dict[str, Post] | None:
    config = compass.config
    digest = config.digest(draft.digest)
    prepare = PipelinePrepare(config, digest, draft.window, database=compass.open(), build=compass.build,
                              render=compass.render)
    posts = {}
    for target in digest.targets:
        post = prepare(target)
        if post is None:
            return None
        posts[target.key] = post
    return posts


def refresh(compass: Compass, review_id: int, who: Reviewer) -> ReviewAnswer:
    """Compile the period again (newer notes may have come in). Without an edit the draft simply follows;
    with one, the new compile waits in ``fresh`` for the reviewer to take it or keep the edit."""
    draft = _target(compass, "", None, review_id)
    digest = compass.config.digest(draft.digest)
    refusal = _refuse(compass, digest, who)
    if refusal is not None:
        return refusal
    if not draft.open:
        return ReviewAnswer(False, _settled(compass.config, digest, draft), draft)
    posts = _compile_posts(compass, draft)
    if posts is None:
        return ReviewAnswer(False, "The period now compiles to an empty digest; the draft is kept as it is.", draft)
    new = _primary(digest, posts)
    if new == draft.original or new == draft.fresh:
        return ReviewAnswer(False, "No newer notes change this draft.", draft)
    now = compass.clock()
    with compass.open().session() as session:
        if draft.edited is None:
            saved = save_text(session=session, review_id=draft.id, version=draft.version, original=new)
            if saved:
                _freeze(session, draft, posts)
                add_event(session=session, review_id=draft.id, who=who.label, action="refreshed", at=now, body=new)
            message = "Newer notes changed the digest; the draft now shows them."
        else:
            saved = save_text(session=session, review_id=draft.id, version=draft.version, fresh=new)
            if saved:
                add_event(session=session, review_id=draft.id, who=who.label, action="newer notes", at=now, body=new)
            message = "Newer notes change the digest after your edit: compare, then take the new version or keep yours."
    draft = get_draft(compass, draft.id) or draft
    if saved:
        _store_quietly(compass, draft)
    return ReviewAnswer(saved, message if saved else "The draft changed meanwhile; reload and try again.", draft)


def _freeze(session: object, draft: Draft, posts: dict[str, Post]) -> None:
    from sqlmodel import Session

    assert isinstance(session, Session)
    for row in find_publications(session=session, digest=draft.digest, period_start=draft.window.since,
                                 targets=list(posts)):
        if row.status == Status.DRAFT:
            save_publication(session=session, row=row, status=Status.DRAFT,
                             remote_ref={"post": posts[row.target].to_json()})


def take_fresh(compass: Compass, review_id: int, who: Reviewer, *, take: bool, version: int) -> ReviewAnswer:
    """After ``refresh`` found newer notes under an edit: take the new compile (the edit is dropped, kept in
    the history) or keep the edit (the new compile becomes the base the edit is compared with)."""
    draft = _target(compass, "", None, review_id)
    digest = compass.config.digest(draft.digest)
    refusal = _refuse(compass, digest, who)
    if refusal is not None:
        return refusal
    if draft.fresh is None or not draft.open:
        return ReviewAnswer(False, "There is no newer version waiting.", draft)
    posts = _compile_posts(compass, draft)
    now = compass.clock()
    with compass.open().session() as session:
        values: dict[str, object] = {"original": draft.fresh, "fresh": None}
        if take:
            values["edited"] = None
        saved = save_text(session=session, review_id=draft.id, version=version, **values)
        if saved:
            if posts is not None:
                _freeze(session, draft, posts)
            add_event(session=session, review_id=draft.id, who=who.label, at=now,
                      action="took newer" if take else "kept edit", body=draft.fresh if take else draft.edited)
    draft = get_draft(compass, draft.id) or draft
    if not saved:
        return ReviewAnswer(False, "The draft changed meanwhile; reload and try again.", draft)
    _store_quietly(compass, draft)
    return ReviewAnswer(True, "The draft now follows the newer notes." if take else
                        "Your edit is kept; it will be published as it is.", draft)


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """``(kind, line)`` with kind ``-``, ``+`` or `` ``: what the page shows between two versions."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("? "):
            continue
        out.append((line[0], line[2:]))
    return out


# --- the sweep --------------------------------------------------------------------------------


def sweep(compass: Compass) -> list[DigestOutcome]:
    """Reminders, expiry and veto windows, and whatever a dead replica left: called by ``Compass.sweep``."""
    now = compass.clock()
    config = compass.config
    outcomes: list[DigestOutcome] = []
    with compass.open().session() as session:
        rows = list_reviews(session=session, states=[*OPEN, ReviewState.APPROVED], limit=500)
    for row in rows:
        assert row.id is not None
        try:
            digest = config.digest(row.digest)
        except UsageError:
            continue
        try:
            outcome = _sweep_one(compass, config, digest, row, now)
        except CompassError as exc:
            log.error('Review of "%s" for the period ending %s: %s', row.digest, row.period_end, exc)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _sweep_one(compass: Compass, config: Config, digest: DigestConfig, row: ReviewRecord,
               now: dt.datetime) -> DigestOutcome | None:
    assert row.id is not None
    if row.state == ReviewState.APPROVED:
        draft = _draft(compass, row)
        # Rows a dead replica left in draft/pending/posting; failed ones are retried by ``Compass.sweep``
        # with its backoff while the period is within grace (then by `compass drafts approve` again).
        if all(status in DONE or status == Status.FAILED for _, status, _ in draft.posts):
            return None
        log.info('Finishing the approved digest "%s" for the period ending %s', row.digest, row.period_end.isoformat())
        return _publish_approved(compass, draft)
    if row.notified_at is None:
        notify_new(compass, row.id)
    if row.mode == "veto":
        if row.state == ReviewState.WAITING and row.due_at is not None and now >= row.due_at:
            with compass.open().session() as session:
                won = decide(session=session, review_id=row.id, from_states=[ReviewState.WAITING],
                             to_state=ReviewState.APPROVED, by=VETO_WINDOW, at=now)
                if won:
                    add_event(session=session, review_id=row.id, who="compass", action="approved", at=now,
                              note="nobody held it before its veto window ended")
            released = get_draft(compass, row.id)
            if released is not None and released.state == ReviewState.APPROVED:
                return _publish_approved(compass, released)
        return None
    if row.due_at is not None and now >= row.due_at:
        with compass.open().session() as session:
            won = decide(session=session, review_id=row.id, from_states=OPEN, to_state=ReviewState.EXPIRED,
                         by="compass", at=now, reason="not approved in time")
            if won:
                add_event(session=session, review_id=row.id, who="compass", action="expired", at=now)
        expired = get_draft(compass, row.id)
        if expired is not None and expired.state == ReviewState.EXPIRED:
            _close_rows(compass, expired, "expired: not approved in time")
            if won:
                _notify(compass, digest, f"The draft of `{row.digest}` for {_period(config, digest, expired.window)} "
                                         "expired without approval; nothing was published for that period.")
        return None
    if row.state == ReviewState.WAITING and row.remind_at is not None and now >= row.remind_at:
        with compass.open().session() as session:
            first = mark_once(session=session, review_id=row.id, column="reminded_at", at=now)
            if first:
                add_event(session=session, review_id=row.id, who="compass", action="reminded", at=now)
        if first:
            draft = _draft(compass, row)
            _notify(compass, digest, (
                f"Reminder: the draft of `{row.digest}` for {_period(config, digest, draft.window)} is waiting for "
                f"approval; it expires {_when(config, digest, row.due_at)}. Review it: "
                f"{compass.page_url}/review/drafts/{row.id}, or answer `approve {row.digest}`, "
                f"`hold {row.digest}` or `skip {row.digest}`."))
    return None
