"""Markdown to HTML for the review page: the ecosystem's renderer (markdown-it-py), made safe for untrusted notes.

Raw HTML in the Markdown is never passed through (``html: False``: a ``<script>`` in the notes is shown as
text), and links go through markdown-it's ``validateLink``, which refuses ``javascript:``, ``vbscript:``,
``file:`` and non-image ``data:`` URLs (such a link stays plain text). Every text node is escaped.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = ["to_html"]


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


@lru_cache(maxsize=64)
def to_html(markdown: str) -> str:
    """Safe HTML for ``markdown`` (Zulip and Discourse flavours read as CommonMark with tables). The last 64
    texts are kept: a draft is rendered once, not at every view (a large digest costs ~0.25 s of CPU)."""
    return _renderer().render(markdown)
