"""compass's pure core: notes, releases and shout-outs in; digests out.

No clock, network or database is imported here (a test guards this boundary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from digests.errors import CompassError, NotesParseError, ReleaseDataError, RenderError

if TYPE_CHECKING:
    from digests.compile import compile_digest
    from digests.digest import Digest, Section
    from digests.model import (
        ActionItem,
        AgendaItem,
        Attendee,
        Celebration,
        Decision,
        Meeting,
        Recipient,
        Release,
        Shoutout,
        SourceRef,
        Update,
        Window,
    )
    from digests.notes import parse_notes
    from digests.render import Rendered, render

# Public name -> module that defines it. Loaded on first use: the values need pydantic and the
# renderer Jinja2, and importing the error classes (as `compass --help` does) must stay cheap.
_LAZY = {
    **dict.fromkeys(
        ("ActionItem", "AgendaItem", "Attendee", "Celebration", "Decision", "Meeting", "Recipient", "Release",
         "Section",
    "Shoutout", "SourceRef", "Update", "Window"),
        "digests.model",
    ),
    "Digest": "digests.digest",
    "Section": "digests.digest",
    "compile_digest": "digests.compile",
    "render": "digests.render",
    "Rendered": "digests.render",
    "parse_notes": "digests.notes",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'digests' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)

__all__ = [
    "ActionItem",
    "AgendaItem",
    "Attendee",
    "Celebration",
    "CompassError",
    "Decision",
    "Digest",
    "Meeting",
    "NotesParseError",
    "Recipient",
    "Release",
    "ReleaseDataError",
    "RenderError",
    "Rendered",
    "Section",
    "Shoutout",
    "SourceRef",
    "Update",
    "Window",
    "compile_digest",
    "parse_notes",
    "render",
]
