"""compass's pure core: notes, releases and shout-outs in; digests out.

No clock, network or database is imported here (a test guards this boundary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from digests.errors import CompassError, NotesParseError, ReleaseDataError, RenderError

if TYPE_CHECKING:
    from digests.model import (
        AgendaItem,
        Attendee,
        Celebration,
        Meeting,
        Recipient,
        Release,
        Shoutout,
        SourceRef,
        Statement,
        Update,
        Window,
    )

_MODEL_NAMES = {
    "AgendaItem", "Attendee", "Celebration", "Meeting", "Recipient", "Release",
    "Shoutout", "SourceRef", "Statement", "Update", "Window",
}


def __getattr__(name: str) -> Any:
    # The value types need pydantic; load them on first use so that importing the error classes
    # (as the CLI does for `compass --help`) stays cheap.
    if name in _MODEL_NAMES:
        from digests import model

        return getattr(model, name)
    raise AttributeError(f"module 'digests' has no attribute {name!r}")

__all__ = [
    "AgendaItem",
    "Attendee",
    "Celebration",
    "CompassError",
    "Meeting",
    "NotesParseError",
    "Recipient",
    "Release",
    "ReleaseDataError",
    "RenderError",
    "Shoutout",
    "SourceRef",
    "Statement",
    "Update",
    "Window",
]
