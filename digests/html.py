"""Markdown to HTML, as a draft will look on its targets (the review page): the ecosystem's renderer
(markdown-it-py), made safe for untrusted notes.

Raw HTML in the Markdown is never passed through (``html: False``: a ``<script>`` in the notes is shown as
text), and links go through markdown-it's ``validateLink``, which refuses ``javascript:``, ``vbscript:``,
``file:`` and non-image ``data:`` URLs (such a link stays plain text). Every text node is escaped.

Rendering a large digest costs a quarter of a second of CPU, so a draft's HTML is rendered when the draft
is made or changed and stored with it (``chatops.review``), keyed by ``fingerprint``; the page only reads it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import markdown_it
from markdown_it import MarkdownIt

__all__ = ["fingerprint", "to_html"]


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


@lru_cache(maxsize=64)
def to_html(markdown: str) -> str:
    """Safe HTML for ``markdown`` (Zulip and Discourse flavours read as CommonMark with tables). The last 64
    texts are kept (the editor's live preview asks for the same text again)."""
    html: str = _renderer().render(markdown)
    return html


def fingerprint(markdown: str) -> str:
    """The key a rendering of ``markdown`` is stored under: a SHA-256 (hex) of the text, the renderer's version
    and its options, so that an upgrade or a change of them never serves HTML rendered under the old ones."""
    return hashlib.sha256(f"{_OPTIONS}\0{markdown}".encode()).hexdigest()


_OPTIONS = f"markdown-it-py {markdown_it.__version__} commonmark+table+strikethrough html=False"
