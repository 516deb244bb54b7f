"""Exceptions raised by the pure ``digests`` package.

    CompassError                      (also the root that ``chatops`` builds on)
     ├── NotesParseError(path, line)  a notes document could not be understood
     ├── ReleaseDataError(source)     a release payload had an unexpected shape
     └── RenderError(template)        a template failed to render

Each exception keeps its context as attributes and builds its own message.
"""

from __future__ import annotations


class CompassError(Exception):
    """Root of every error compass raises on purpose."""


class NotesParseError(CompassError):
    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


class ReleaseDataError(CompassError):
    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class RenderError(CompassError):
    def __init__(self, template: str, reason: str) -> None:
        self.template = template
        self.reason = reason
        super().__init__(f"template {template!r}: {reason}")
