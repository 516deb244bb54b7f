"""Messages to people rather than to readers: reviewers' notes and sign-in links, through Zulip.

``ZulipDirect`` sends a direct message to a list of people (Zulip emails or user ids) or, when a review
names one, to a private stream and topic. Every text goes through ``digests.mentions.for_zulip``
first, so a draft's preview can never notify a crowd.

Example usage::

    direct = ZulipDirect.from_config(config.zulip)
    direct.send(["ann@example.org", 12], None, "A draft is waiting")
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chatops.errors import ConfigError, PublishError
from digests.mentions import for_zulip

if TYPE_CHECKING:
    from chatops.config import ReviewNotify, Zulip

__all__ = ["ZulipDirect"]

log = logging.getLogger(__name__)
MAX_LENGTH = 10000


class ZulipDirect:
    """Direct messages (or a private stream's topic) from the compass bot."""

    def __init__(self, zulip: Zulip, *, timeout: float = 30.0) -> None:
        self.zulip = zulip
        self.timeout = timeout
        self._client: Any = None

    @classmethod
    def from_config(cls, zulip: Zulip) -> ZulipDirect:
        if zulip.api_key is None:
            raise ConfigError("zulip", f"no API key to message reviewers; set {zulip.api_key_env}")
        return cls(zulip)

    def _get_client(self) -> Any:
        if self._client is None:
            import zulip as zulip_client

            assert self.zulip.api_key is not None
            self._client = zulip_client.Client(
                email=self.zulip.email, api_key=self.zulip.api_key.get_secret_value(), site=self.zulip.site,
                retry_on_errors=False, client="compass",
            )
        return self._client

    def send(self, to: Sequence[str | int], where: ReviewNotify | None, text: str) -> int | None:
        """Send ``text`` to ``to`` (one group direct message) or to ``where``; the message id."""
        text = for_zulip(text)
        if len(text) > MAX_LENGTH:
            text = text[: MAX_LENGTH - 1] + "\u2026"
        request: dict[str, Any]
        if where is not None:
            request = {"type": "stream", "to": where.stream, "topic": where.topic, "content": text}
        else:
            ids = [r for r in to if isinstance(r, int)]
            emails = [str(r) for r in to if not isinstance(r, int)]
            # Zulip takes a list of user ids or a list of emails, not both: one message per kind.
            if ids and emails:
                self._send({"type": "private", "to": emails, "content": text})
                request = {"type": "private", "to": ids, "content": text}
            else:
                request = {"type": "private", "to": ids or emails, "content": text}
        return self._send(request)

    def _send(self, request: dict[str, Any]) -> int | None:
        try:
            result = self._get_client().send_message(request)
        except Exception as exc:  # noqa: BLE001 - any client failure: the caller logs it, the draft stands
            raise PublishError("zulip:direct", f"cannot reach Zulip ({type(exc).__name__})") from None
        if not isinstance(result, dict) or result.get("result") != "success":
            msg = result.get("msg") if isinstance(result, dict) else "unexpected answer"
            raise PublishError("zulip:direct", f"Zulip refused the message: {msg}")
        message_id = result.get("id")
        return int(message_id) if message_id is not None else None
