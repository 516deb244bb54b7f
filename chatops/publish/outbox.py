"""``OutboxPublisher``: digests as Markdown files in a directory, the embedded default target.

Each post becomes ``<directory>/<digest>/<period start, local date>.md`` with a small front matter. The
file is written to a temporary name and renamed into place, so a crash leaves either no file or the
whole file, and an existing file means the post is already published (it is never overwritten).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from chatops.errors import PublishError
from chatops.publish.base import Post, Publication

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
        text = _document(post, self.zone)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
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
