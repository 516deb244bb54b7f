"""``OutboxPublisher``: digests as Markdown files in a directory, the embedded default target.

Each post becomes ``<directory>/<digest>/<period start, local date>.md`` with a small front matter; its
pictures (the attendance chart) are written beside it first (``<date>-attendance.png``) and embedded by name. The
file is written to a temporary name and renamed into place, so a crash leaves either no file or the
whole file, and an existing file means the post is already published (it is never overwritten).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from chatops.errors import PublishError
from chatops.publish.base import Post, Publication, place_images

log = logging.getLogger(__name__)


class OutboxPublisher:
    """Writes Markdown files.

    Example usage::

        publisher = OutboxPublisher(Path("var/outbox"), target="outbox:var/outbox")
        publisher.publish(post).ref["path"]   # 'var/outbox/community-monthly/2026-10-06.md'
    """

    def __init__(self, directory: Path, *, target: str | None = None, zone: dt.tzinfo = dt.UTC) -> None:
        self.directory = Path(directory)
        self.target = target or f"outbox:{directory}"
        self.zone = zone

    def path_for(self, post: Post) -> Path:
        start = post.period_start.astimezone(self.zone)
        stem = start.strftime("%Y-%m-%d")
        if (start.hour, start.minute) != (0, 0) and post.period_end - post.period_start < dt.timedelta(days=1):
            stem += start.strftime("T%H%M")  # sub-daily digests need the time to stay unique
        return self.directory / post.digest / f"{stem}.md"

    def _with_images(self, post: Post, path: Path) -> Post:
        """Write each picture beside the Markdown file (``2025-06-01-attendance.png``) and point the post at it;
        a picture that cannot be written is left out, not the digest."""
        if not post.images:
            return post
        urls: dict[str, str | None] = {}
        for image in post.images:
            picture = picture_path(path, image.name)
            try:
                _write_file(picture, image.png)
                urls[image.name] = picture.name
            except OSError as exc:
                log.warning("Could not write the picture %s of %s: %s; the digest goes without it",
                            picture, post.external_id, exc.strerror)
                urls[image.name] = None
        return dataclasses.replace(post, body=place_images(post.body, urls))

    def find(self, post: Post) -> Publication | None:
        path = self.path_for(post)
        if path.is_file():
            return Publication(self.target, {"path": str(path)}, url=str(path), found=True)
        return None

    def publish(self, post: Post, *, recover: bool = False) -> Publication:
        # The file name is the key: an existing file is an earlier success, whatever ``recover`` says.
        found = self.find(post)
        if found is not None:
            log.info('Outbox file for "%s" already exists: %s', post.external_id, found.url)
            return found
        path = self.path_for(post)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            post = self._with_images(post, path)
            text = _document(post, self.zone)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".md", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                # link() fails if the file appeared meanwhile, so two writers never overwrite each other.
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    log.info('Outbox file for "%s" appeared meanwhile: %s', post.external_id, path)
                    return Publication(self.target, {"path": str(path)}, url=str(path), found=True)
            finally:
                os.unlink(tmp)
        except OSError as exc:
            raise PublishError(self.target, f"cannot write {str(path)!r}: {exc.strerror}") from None
        log.info('Wrote digest "%s" to %s', post.digest, path)
        return Publication(self.target, {"path": str(path)}, url=str(path))


def picture_path(markdown: Path, name: str) -> Path:
    """Where a picture of the Markdown file ``markdown`` is written: beside it, ``2025-06-01-attendance.png``."""
    return markdown.with_name(f"{markdown.stem}-{name}")


def _write_file(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a temporary file and a rename: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _document(post: Post, zone: dt.tzinfo) -> str:
    start = post.period_start.astimezone(zone).isoformat()
    end = post.period_end.astimezone(zone).isoformat()
    title = post.title.replace('"', "'")
    front = (
        "---\n"
        f'title: "{title}"\n'
        f"digest: {post.digest}\n"
        f"period_start: {start}\n"
        f"period_end: {end}\n"
        f"external_id: {post.external_id}\n"
        "---\n\n"
    )
    body = post.body if post.body.endswith("\n") else post.body + "\n"
    return front + body
