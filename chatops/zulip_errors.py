"""What a Zulip error answer means for compass: the one mapping the chat adapter and the publisher share.

The ``zulip`` client returns the JSON body of every answer (``{"result": "error", "code": ..., "msg": ...}``,
or ``{"result": "http-error", "status_code": ...}`` when the body was not JSON) and hides the HTTP status,
which both callers watch through a response hook. ``error_for`` turns an error answer into:

- ``RateLimited`` for ``RATE_LIMIT_HIT`` (wait ``retry-after``, then retry);
- ``AuthError`` for a refused key or account (``AUTH_CODES``, "Invalid API key", HTTP 401/403): never retried;
- a retryable ``PublishError`` for HTTP 5xx;
- ``ZulipRefusedError`` (a ``PostRejectedError``: not retried) for anything else Zulip refused, its code kept.

Example usage::

    raise error_for(result, where="zulip:announce", what="message 1 of 2", status=503)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatops.errors import AuthError, PostRejectedError, PublishError, RateLimited

__all__ = ["AUTH_CODES", "ZulipRefusedError", "error_for"]

# The codes with which Zulip refuses the bot's credentials or account.
AUTH_CODES = frozenset({"UNAUTHORIZED", "INVALID_API_KEY", "USER_DEACTIVATED", "REALM_DEACTIVATED",
                        "UNAUTHORIZED_PRINCIPAL"})


class ZulipRefusedError(PostRejectedError):
    """Zulip refused a request as such; ``code`` is Zulip's error code, when it gave one."""

    def __init__(self, where: str, reason: str, code: str) -> None:
        self.code = code
        super().__init__(where, reason)


def error_for(result: Mapping[str, Any], *, where: str, what: str, status: int | None = None) -> PublishError:
    """The compass error for Zulip's error answer ``result`` to ``what`` (``where`` names the target or endpoint;
    ``status`` is the HTTP status when the caller saw it)."""
    code = str(result.get("code") or "")
    msg = str(result.get("msg") or "error")
    raw_status = result.get("status_code") or status
    http = int(raw_status) if isinstance(raw_status, int | str) and str(raw_status).isdigit() else None
    if code == "RATE_LIMIT_HIT":
        try:
            wait = float(result.get("retry-after") or 1.0)
        except (TypeError, ValueError):
            wait = 1.0
        return RateLimited(where, retry_after=max(wait, 0.05), reason="Zulip rate limit")
    if code in AUTH_CODES or msg.lower().startswith("invalid api key") or (not code and http in (401, 403)):
        shown = code or (f"HTTP {http}" if http in (401, 403) else msg)
        return AuthError(where, f"Zulip refused the bot's credentials for {what} ({shown}); "
                                "check ZULIP_API_KEY and zulip.email")
    if http is not None and http >= 500:
        return PublishError(where, f"Zulip answered HTTP {http} to {what}")
    return ZulipRefusedError(where, f"Zulip refused {what}: {msg}" + (f" ({code})" if code else ""), code)
