"""``ZulipPublisher``: a digest as one or more messages in a stream topic, in order.

A split digest (``Post.messages``) is sent message by message. Recovery after a crash or a lost
answer is a narrow search of the bot's own recent messages in that stream and topic (raw Markdown,
``apply_markdown=false``): messages whose text is already there are not sent again, the rest are sent
in order. Only messages sent at or after the period's end (less a minute) count, so an identical text
from an earlier period is not mistaken for this one.

Digests never notify anyone: every message passes ``digests.mentions.for_zulip`` (wildcards become plain
words, person and group mentions silent ones).

A digest's picture (the attendance chart) is uploaded with the client's ``upload_file`` just before the first
message that shows it, and shown by its ``/user_uploads/`` link; a failed upload drops the picture, not the
digest.

The ``zulip`` client is built with ``retry_on_errors=False``: compass retries (with backoff and an
injectable sleep) in ``chatops.publishing``, and the client's own retry loop prints and sleeps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatops.errors import MessageTooLong, PublishError
from chatops.publish.base import (
    Image,
    Post,
    PostRejectedError,
    Publication,
    has_images,
    place_images,
    without_images,
)
from chatops.zulip_errors import error_for
from digests.mentions import for_zulip

if TYPE_CHECKING:
    from chatops.config import Zulip, ZulipTarget

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 10000  # Zulip's default; the server reports its own in /register
LOOKUP_DEPTH = 200  # how many of the topic's newest messages the recovery search reads


class ZulipPublisher:
    """Sends digests to one Zulip stream.

    Example usage::

        publisher = ZulipPublisher(client, stream="general", bot_email="compass-bot@example.zulipchat.com")
        publisher.publish(post).ref["message_ids"]   # [101, 102]
    """

    def __init__(
        self,
        client: Any | Callable[[], Any],
        *,
        stream: str,
        bot_email: str,
        target: str | None = None,
        max_message_length: int = MAX_MESSAGE_LENGTH,
        timeout: float = 30.0,
    ) -> None:
        # The zulip client asks the server for its settings when built, so it is built on first use.
        self._client = None if callable(client) and not hasattr(client, "call_endpoint") else client
        self._make_client = client if self._client is None else None
        self.stream = stream
        self.bot_email = bot_email
        self.target = target or f"zulip:{stream}"
        self.max_message_length = max_message_length
        self.timeout = timeout
        self._status: int | None = None
        if self._client is not None:
            self._watch_status(self._client)

    @classmethod
    def from_config(cls, zulip: Zulip, target_cfg: ZulipTarget, *, target: str, timeout: float = 30.0) -> ZulipPublisher:
        from chatops.errors import ConfigError

        if zulip.api_key is None:
            raise ConfigError("zulip", f"no API key for {target}; set {zulip.api_key_env}, the secrets file or zulip.zuliprc")
        api_key = zulip.api_key

        def make_client() -> Any:
            import zulip as zulip_client

            return zulip_client.Client(
                email=zulip.email, api_key=api_key.get_secret_value(), site=zulip.site, retry_on_errors=False, client="compass"
            )

        return cls(make_client, stream=target_cfg.stream, bot_email=zulip.email, target=target, timeout=timeout)

    # -- API calls --

    def _call(self, url: str, method: str, request: dict[str, Any], what: str) -> dict[str, Any]:
        import requests
        from zulip import UnrecoverableNetworkError

        try:
            if self._client is None:
                assert self._make_client is not None
                self._client = self._make_client()
                self._watch_status(self._client)
            self._status = None
            result = self._client.call_endpoint(url=url, method=method, request=request, timeout=self.timeout)
        except requests.Timeout:
            raise PublishError(self.target, f"{what} timed out after {self.timeout:g} s") from None
        except (UnrecoverableNetworkError, requests.RequestException) as exc:
            raise PublishError(self.target, f"cannot reach Zulip for {what} ({type(exc).__name__})") from None
        if not isinstance(result, dict):
            raise PublishError(self.target, f"unexpected answer to {what}")
        if result.get("result") == "success":
            return result
        raise error_for(result, where=self.target, what=what, status=self._status)

    def _watch_status(self, client: Any) -> None:
        # The zulip client returns only the JSON body; the HTTP status tells a 5xx (retry) from a 4xx.
        session = getattr(client, "session", None)
        if session is None:
            return

        def remember(response: Any, *args: Any, **kwargs: Any) -> None:
            self._status = int(response.status_code)

        session.hooks.setdefault("response", []).append(remember)

    def prepare(self, post: Post) -> Post:
        """Note the topic's newest message id before the first attempt (saved with the frozen post)."""
        if not post.topic:
            return post
        narrow = [{"operator": "stream", "operand": self.stream}, {"operator": "topic", "operand": post.topic}]
        result = self._call(
            "messages",
            "GET",
            {"anchor": "newest", "num_before": 1, "num_after": 0, "narrow": narrow, "apply_markdown": False},
            "the look at the topic before posting",
        )
        ids = [int(m["id"]) for m in result.get("messages", [])]
        return dataclasses.replace(post, anchor=max(ids, default=0))

    def _existing(self, post: Post) -> list[dict[str, Any]]:
        assert post.topic is not None
        narrow = [
            {"operator": "stream", "operand": self.stream},
            {"operator": "topic", "operand": post.topic},
            {"operator": "sender", "operand": self.bot_email},
        ]
        result = self._call(
            "messages",
            "GET",
            {"anchor": "newest", "num_before": LOOKUP_DEPTH, "num_after": 0, "narrow": narrow, "apply_markdown": False},
            "the search for earlier messages",
        )
        messages = result.get("messages", [])
        if post.anchor is not None:
            # Only messages newer than the topic's newest one before our first attempt can be ours.
            messages = [m for m in messages if int(m["id"]) > post.anchor]
        else:
            since = (post.period_end - dt.timedelta(minutes=1)).timestamp()
            messages = [m for m in messages if float(m.get("timestamp", 0)) >= since]
        return sorted(messages, key=lambda m: int(m["id"]))

    def _texts(self, post: Post) -> list[str]:
        texts = [for_zulip(m) for m in (post.messages or (post.body,))]
        for text in texts:
            if len(text) > self.max_message_length:
                raise MessageTooLong(self.target, self.max_message_length, len(text))
            if not text.strip():
                raise PostRejectedError(self.target, "a digest message is empty")
        return texts

    # -- Publisher --

    def find(self, post: Post) -> Publication | None:
        texts = self._texts(post)
        ids = self._match(texts, self._existing(post))
        if ids and all(i is not None for i in ids):
            return self._publication([i for i in ids if i is not None], post, found=True)
        return None

    def publish(self, post: Post, *, recover: bool = False) -> Publication:
        if not post.topic:
            raise PostRejectedError(self.target, "a Zulip post needs a topic")
        texts = self._texts(post)
        ids: list[int | None] = [None] * len(texts)
        if recover:
            ids = self._match(texts, self._existing(post))
            if all(i is not None for i in ids):
                log.info('All %d messages of "%s" are already in #%s > %s', len(ids), post.external_id, self.stream, post.topic)
                return self._publication([i for i in ids if i is not None], post, found=True)
        if post.images and any(ids[i] is None and has_images(t) for i, t in enumerate(texts)):
            urls = {image.name: self._upload(image, post) for image in post.images}
            texts = [place_images(t, urls, image=False) for t in texts]
        for index, text in enumerate(texts):
            if ids[index] is not None:
                continue
            request = {"type": "stream", "to": self.stream, "topic": post.topic, "content": text}
            result = self._call("messages", "POST", request, f"message {index + 1} of {len(texts)}")
            ids[index] = int(result["id"])
        return self._publication([i for i in ids if i is not None], post, found=False)

    def _upload(self, image: Image, post: Post) -> str | None:
        """Upload a picture with the client's ``upload_file``; its address, or None when the upload fails
        (the digest then goes without the picture)."""
        try:
            if self._client is None:
                assert self._make_client is not None
                self._client = self._make_client()
                self._watch_status(self._client)
            handle = io.BytesIO(image.png)
            handle.name = image.name  # the client sends the file under its name
            result = self._client.upload_file(handle)
        except Exception as exc:  # noqa: BLE001 - a picture is never worth the digest
            log.warning('Could not upload the picture of "%s" to Zulip (%s); the digest goes without it',
                        post.external_id, type(exc).__name__)
            return None
        url = result.get("url") or result.get("uri") if isinstance(result, dict) else None
        if not isinstance(result, dict) or result.get("result") != "success" or not url:
            log.warning('Zulip refused the picture of "%s" (%s); the digest goes without it', post.external_id,
                        (result or {}).get("msg", "no address") if isinstance(result, dict) else "no answer")
            return None
        return str(url)

    @staticmethod
    def _match(texts: list[str], existing: list[dict[str, Any]]) -> list[int | None]:
        # A picture's address differs from one upload to the next: compared without the picture lines.
        pool = [(int(m["id"]), without_images(str(m.get("content", "")))) for m in existing]
        ids: list[int | None] = []
        for text in texts:
            hit = next((i for i, (_, content) in enumerate(pool) if content == without_images(text)), None)
            ids.append(pool.pop(hit)[0] if hit is not None else None)
        return ids

    def _publication(self, ids: list[int], post: Post, *, found: bool) -> Publication:
        site = str(getattr(self._client, "base_url", "")).removesuffix("/api/v1/").removesuffix("/api/")
        url = None
        if site and ids:
            url = f"{site.rstrip('/')}/#narrow/channel/{_encode(self.stream)}/topic/{_encode(post.topic or '')}/near/{ids[0]}"
        return Publication(self.target, {"message_ids": ids, "stream": self.stream, "topic": post.topic}, url=url, found=found)


def _encode(text: str) -> str:
    # Zulip's narrow URLs use a dot-encoding of percent-encoding.
    from urllib.parse import quote

    return quote(text, safe="").replace(".", "%2E").replace("%", ".")
