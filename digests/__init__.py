"""compass's pure core: notes, releases and shout-outs in; digests out.

No clock, network or database is imported here (a test guards this boundary).
"""

from __future__ import annotations

from digests.errors import CompassError, NotesParseError, ReleaseDataError, RenderError
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
