"""Sign-in links for the review page: signed, single use, valid for 15 minutes.

A link carries an ``itsdangerous`` timed signature over who it is for and a random nonce. Redeeming it
checks the signature and its age, then claims ``signin:<nonce>`` in ``handled_messages`` (the table that
makes every chat event handled once): a second use, on any replica, finds the claim and is refused.
No password and no secret is ever stored; the signing key is ``server.secret`` (``COMPASS_WEB_SECRET``).

Example usage::

    token = issue(secret, {"email": "ann@example.org"})
    who = redeem(secret, token, database, now=now)   # {"email": "ann@example.org"}, or SignInRefused
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chatops.errors import CompassError

if TYPE_CHECKING:
    from chatops.storage.db import Database

__all__ = ["LINK_LIFETIME", "SignInRefused", "issue", "redeem"]

LINK_LIFETIME = dt.timedelta(minutes=15)
_SALT = "compass-review-signin"


class SignInRefused(CompassError):
    """A link that is forged, expired or already used; the message says which and what to do."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def issue(secret: str, who: dict[str, Any]) -> str:
    """A token for ``who`` (``{"email": ..., "id": ...}``), to put in a link."""
    return _serializer(secret).dumps({**who, "n": secrets.token_urlsafe(16)})


def redeem(secret: str, token: str, database: Database, *, now: dt.datetime,
           lifetime: dt.timedelta = LINK_LIFETIME) -> dict[str, Any]:
    """Who the link is for, once; ``SignInRefused`` if it is forged, older than ``lifetime`` or used."""
    from chatops.storage.shoutouts import claim_event

    again = "ask compass for a new one: say `review` to it in Zulip"
    try:
        data = _serializer(secret).loads(token, max_age=int(lifetime.total_seconds()),
                                         return_timestamp=False)
    except SignatureExpired:
        raise SignInRefused(f"This sign-in link has expired (links last {int(lifetime.total_seconds() // 60)} "
                            f"minutes); {again}.") from None
    except BadSignature:
        raise SignInRefused(f"This sign-in link is not valid; {again}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise SignInRefused(f"This sign-in link is not valid; {again}.")
    with database.session() as session:
        first = claim_event(session=session, event_key=f"signin:{data['n']}"[:100], at=now)
        session.commit()
    if not first:
        raise SignInRefused(f"This sign-in link was already used (each link works once); {again}.")
    return {k: v for k, v in data.items() if k != "n"}
