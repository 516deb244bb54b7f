"""``DiscoursePublisher``: each digest period becomes one new topic, created through ``pydiscourse``.

The topic carries an ``external_id`` derived from the digest's name and period, so a retry after a
crash, a timeout or a 5xx first asks ``GET /t/external_id/{id}.json`` (a 301 to the topic when it
exists) and posts only when nothing is there.

``pydiscourse`` retries a 429 itself with ``time.sleep`` and never follows redirects; compass wants
one attempt per call (its retries and their waits live in ``chatops.publishing``, where tests control
the clock) and needs the redirect's ``Location``. ``_OneShotClient`` therefore replaces the client's
``_request`` and keeps its API methods (``create_post``, ``update_topic_status``, ``categories``).
Failures become compass errors: 401/403 -> ``AuthError``, 429 -> ``RateLimited`` (``wait_seconds``),
400/422 -> ``PostRejectedError``, 5xx, timeouts and unreachable hosts -> retryable ``PublishError``.
The API key travels only in the ``Api-Key`` header, never in a URL, a log line or an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from pydiscourse import DiscourseClient

from chatops.errors import AuthError, MessageTooLong, PublishError, RateLimited
from chatops.limits import load_json
from chatops.publish.base import Image, Post, PostRejectedError, Publication, has_images, place_images
from digests.mentions import for_discourse

if TYPE_CHECKING:
    from chatops.config import Discourse, DiscourseTarget

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
MAX_TITLE = 255


class _NotFoundError(Exception):
    pass


class _OneShotClient(DiscourseClient):  # type: ignore[misc]
    """``DiscourseClient`` with one HTTP attempt per call and compass's error mapping."""

    def __init__(self, host: str, api_username: str, api_key: str, *, target: str, timeout: float) -> None:
        super().__init__(host, api_username, api_key, timeout=timeout)
        self.target = target
        self.session = requests.Session()

    def _request(
        self,
        verb: str,
        path: str,
        params: Any = None,
        files: Any = None,
        data: Any = None,
        json: Any = None,
        override_request_kwargs: Any = None,
    ) -> Any:
        headers = {"Accept": JSON_TYPE, "Api-Key": self.api_key, "Api-Username": self.api_username}
        try:
            response = self.session.request(
                verb, self.host + path, params=params, files=files, data=data, json=json, headers=headers,
                timeout=self.timeout, allow_redirects=False,
            )
        except requests.Timeout:
            raise PublishError(self.target, f"{verb} {path} timed out after {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise PublishError(self.target, f"cannot reach {self.host} ({type(exc).__name__})") from None
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            if status == 302 and not path.startswith("/t/external_id/"):
                raise AuthError(self.target, f"Discourse redirected {verb} {path} (HTTP 302); check discourse.url and the API key")
            return {"_location": response.headers.get("Location", "")}
        if status in (401, 403):
            raise AuthError(
                self.target,
                f"Discourse refused the API key for user {self.api_username!r} (HTTP {status}); "
                "check DISCOURSE_API_KEY (or discourse.api_key_env) and discourse.api_username",
            )
        if status == 404:
            raise _NotFoundError(path)
        body = _json(response)
        if status == 429:
            wait = _wait_seconds(body, response.headers.get("Retry-After"))
            raise RateLimited(self.target, retry_after=wait, reason="Discourse rate limit")
        if status >= 500:
            raise PublishError(self.target, f"Discourse answered HTTP {status} to {verb} {path}")
        if status >= 400:
            errors = "; ".join(body.get("errors", [])) if isinstance(body, dict) else ""
            raise PostRejectedError(self.target, f"Discourse rejected {verb} {path} (HTTP {status}): {errors or response.reason}")
        if response.headers.get("Content-Type") != JSON_TYPE:
            if not response.content.strip():
                return None
            raise PublishError(self.target, f"Discourse answered {verb} {path} with {response.headers.get('Content-Type')!r}, not JSON")
        return body


def _json(response: requests.Response) -> Any:
    try:
        return load_json(response.content, what="Discourse's answer")
    except ValueError:  # not JSON, or over the limits
        return None


def _wait_seconds(body: Any, header: str | None) -> float:
    try:
        return float(body["extras"]["wait_seconds"])
    except (TypeError, KeyError, ValueError):
        pass
    try:
        return float(header) if header else 10.0
    except ValueError:
        return 10.0


class DiscoursePublisher:
    """Creates one topic per post in a category, optionally tagged and pinned.

    Example usage::

        publisher = DiscoursePublisher("https://forum.example.org", "system", api_key, category="News")
        publisher.publish(post).url   # 'https://forum.example.org/t/community-digest-october-2026/1234'
    """

    def __init__(
        self,
        url: str,
        api_username: str,
        api_key: str,
        *,
        category: str | None = None,
        tags: list[str] | None = None,
        pin: bool = False,
        max_post_length: int = 32000,
        target: str | None = None,
        timeout: float = 30.0,
        zone: dt.tzinfo = dt.UTC,
    ) -> None:
        self.url = url.rstrip("/")
        self.zone = zone
        self.target = target or f"discourse:{category or ''}"
        self.category = category
        self.tags = list(tags or [])
        self.pin = pin
        self.max_post_length = max_post_length
        self.client = _OneShotClient(self.url, api_username, api_key, target=self.target, timeout=timeout)
        self._category_id: int | None = None

    @classmethod
    def from_config(
        cls, discourse: Discourse, target_cfg: DiscourseTarget, *, target: str, timeout: float = 30.0, zone: dt.tzinfo = dt.UTC
    ) -> DiscoursePublisher:
        from chatops.errors import ConfigError

        if discourse.api_key is None:
            raise ConfigError(
                "discourse", f"no API key for {target}; set {discourse.api_key_env} in the environment or the secrets file"
            )
        return cls(
            discourse.url,
            discourse.api_username,
            discourse.api_key.get_secret_value(),
            category=target_cfg.category or discourse.category,
            tags=target_cfg.tags,
            pin=target_cfg.pin,
            max_post_length=discourse.max_post_length,
            target=target,
            timeout=timeout,
            zone=zone,
        )

    # -- lookups --

    def category_id(self) -> int | None:
        if self.category is None:
            return None
        if self._category_id is None:
            wanted = self.category.strip().lower()
            categories = self.client.categories()
            for cat in categories:
                if wanted in (str(cat.get("id")), str(cat.get("slug", "")).lower(), str(cat.get("name", "")).lower()):
                    self._category_id = int(cat["id"])
                    break
            else:
                names = ", ".join(str(c.get("name")) for c in categories) or "none"
                raise PostRejectedError(self.target, f"no Discourse category {self.category!r} (the site has: {names})")
        return self._category_id

    def find(self, post: Post) -> Publication | None:
        try:
            answer = self.client._get(f"/t/external_id/{quote(post.external_id, safe='')}.json")
        except _NotFoundError:
            return None
        location = (answer or {}).get("_location", "") if isinstance(answer, dict) else ""
        match = re.search(r"/t/(?:[^/]+/)?(\d+)(?:\.json)?(?:[/?#]|$)", location)
        if match is None:
            raise PublishError(self.target, f"unexpected answer to the external id lookup of {post.external_id!r}")
        topic_id = int(match.group(1))
        slug = "topic"
        try:
            topic = self.client._get(f"/t/{topic_id}.json")
            slug = str((topic or {}).get("slug") or slug)
        except _NotFoundError:
            return None
        return Publication(self.target, {"topic_id": topic_id, "external_id": post.external_id},
                           url=f"{self.url}/t/{slug}/{topic_id}", found=True)

    # -- posting --

    def publish(self, post: Post, *, recover: bool = False) -> Publication:
        if recover:
            found = self.find(post)
            if found is not None:
                log.info('Topic for "%s" already exists: %s', post.external_id, found.url)
                return found
        if post.images and has_images(post.body):
            urls = {image.name: self._upload(image, post) for image in post.images}
            post = dataclasses.replace(post, body=place_images(post.body, urls))
        if len(post.body) > self.max_post_length:
            raise MessageTooLong(self.target, self.max_post_length, len(post.body))
        try:
            try:
                answer = self._create(post, post.title)
            except PostRejectedError as exc:
                # Discourse titles are unique; a digest posted more often than its title changes
                # (hourly, or daily with a monthly title) says which period it is.
                if "title has already been used" not in str(exc).lower():
                    raise
                answer = self._create(post, f"{post.title} ({_period_label(post, self.zone)})")
        except _NotFoundError:
            raise PublishError(self.target, f"{self.url} has no /posts endpoint; check discourse.url") from None
        if not isinstance(answer, dict) or "topic_id" not in answer:
            raise PublishError(self.target, "Discourse's answer to POST /posts had no topic_id")
        topic_id = int(answer["topic_id"])
        post_url = str(answer.get("post_url") or f"/t/{answer.get('topic_slug', 'topic')}/{topic_id}")
        if self.pin:
            self._pin(topic_id, post)
        return Publication(self.target, {"topic_id": topic_id, "external_id": post.external_id},
                           url=self.url + re.sub(r"/1$", "", post_url))

    def _upload(self, image: Image, post: Post) -> str | None:
        """Upload a picture (``POST /uploads.json``, ``upload_type: composer``, through the pydiscourse client);
        its ``upload://`` address, or None when the upload fails (the digest then goes without the picture)."""
        try:
            answer = self.client._post("/uploads.json", files={"file": (image.name, image.png, "image/png")},
                                       upload_type="composer", synchronous="true")
        except (PublishError, _NotFoundError) as exc:
            log.warning('Could not upload the picture of "%s" to Discourse (%s); the digest goes without it',
                        post.external_id, exc)
            return None
        url = (answer.get("short_url") or answer.get("url")) if isinstance(answer, dict) else None
        if not url:
            log.warning('Discourse gave no address for the picture of "%s"; the digest goes without it',
                        post.external_id)
            return None
        return str(url)

    def _create(self, post: Post, title: str) -> Any:
        title = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
        return self.client.create_post(
            for_discourse(post.body), category_id=self.category_id(), title=title, tags=self.tags, external_id=post.external_id
        )

    def _pin(self, topic_id: int, post: Post) -> None:
        # Pinned until the next digest of this cadence is due, roughly one period later.
        until = (post.period_end + (post.period_end - post.period_start)).astimezone(dt.UTC).date().isoformat()
        try:
            self.client.update_topic_status(topic_id, "pinned", True, until=until)
        except (PublishError, _NotFoundError) as exc:
            # The topic exists; failing to pin must not make a retry post it again.
            log.warning("Could not pin topic %d on %s: %s", topic_id, self.target, exc)


def _period_label(post: Post, zone: dt.tzinfo) -> str:
    start, end = post.period_start.astimezone(zone), post.period_end.astimezone(zone)
    if end - start <= dt.timedelta(days=1):
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d}–{end:%Y-%m-%d}"
