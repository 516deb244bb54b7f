"""What the review commands (``approve``, ``hold``, ``skip``, ``draft``, ``review``) share: the reviewer who
asks, the digest named, and the service that acts (``ReviewService``, i.e. ``chatops.service.CompassChat``).

Every action runs after the message's claim is committed (``Reply.later``): approving publishes, which talks
to the platforms, and the service writes with its own sessions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chatops.commands.base import CommandContext, CommandError, Reply, ReviewService
from chatops.errors import CompassError
from digests.markdown import code_span

__all__ = ["digest_name", "later", "service", "split_name"]

log = logging.getLogger(__name__)


def service(ctx: CommandContext) -> ReviewService:
    if not isinstance(ctx.digests, ReviewService):
        raise CommandError("Drafts cannot be reviewed from chat in this setup; use `compass drafts`.")
    return ctx.digests


def _reviewed(ctx: CommandContext) -> list[str]:
    return [d.name for d in ctx.config.digests if d.review is not None] if ctx.config is not None else []


def digest_name(ctx: CommandContext, word: str | None, usage: str) -> str:
    names = _reviewed(ctx)
    listing = (f" Digests under review: {', '.join(f'`{n}`' for n in names)}." if names
               else " No digest is under review (`review:` in the configuration).")
    if not word:
        raise CommandError(f"Which digest? Usage: `{usage}`.{listing}")
    if word not in names:
        raise CommandError(f"{code_span(word, limit=64)} is not a digest under review.{listing}")
    return word


def split_name(args: str) -> tuple[str | None, str]:
    """``("community-monthly", "the rest")`` from ``"community-monthly the rest"``."""
    head, _, rest = args.strip().partition(" ")
    return (head or None), rest.strip()


def later(ctx: CommandContext, what: str, act: Callable[[], str]) -> Reply:
    def run() -> str:
        try:
            return act()
        except CompassError as exc:  # a usage problem (no draft, bad period): the reason is for the user
            return str(exc)
        except Exception:
            log.exception("Review action %s failed", what)
            return f"The {what} failed on my side; the bot's log has the details. Nothing else was changed."

    return Reply(f"Working on the {what}\u2026", later=run)
