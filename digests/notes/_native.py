"""Pick the compiled or the pure-Python notes parser, all or nothing.

``pip install`` compiles the modules named in ``MODULES`` with mypyc where it can (setup.py) and leaves
the compiled copies beside the sources, where Python's import system prefers them. A compiled copy
is used only when it was built from exactly the sources beside it (setup.py records their SHA-256 in
``_compiled.py``): after an edit in an editable install, or a checkout of other sources, the sources
are imported instead, until the next install rebuilds. ``COMPASS_PURE_PYTHON=1`` always imports the
sources. The compiled modules call into each other directly, so they are never mixed with sources.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path

MODULES = ("records", "blocks", "dates", "people", "sections", "statements", "context", "outcomes", "items", "agenda", "rollcall",
           "assign", "meetings")
PACKAGE = "digests.notes"
HERE = Path(__file__).resolve().parent


def sources_hash(directory: Path = HERE) -> str:
    """The SHA-256 of the parser's sources, as setup.py computes it."""
    digest = hashlib.sha256()
    for name in MODULES:
        digest.update((directory / f"{name}.py").read_bytes())
    return digest.hexdigest()


def compiled_is_current(recorded: str | None, directory: Path = HERE) -> bool:
    """Whether compiled modules built from sources hashing to ``recorded`` match the sources now."""
    if recorded is None:
        return False
    try:
        return recorded == sources_hash(directory)
    except OSError:  # sources not installed: only the compiled modules exist, and they are the build's own
        return True


class _Sources(MetaPathFinder):
    """Finds the parser's modules as their .py sources, ahead of any compiled copy."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, self.directory / f"{name}.py")


def choose() -> None:
    """Called by ``digests.notes`` before it imports the modules: route them to the sources if needed."""
    if any(isinstance(finder, _Sources) for finder in sys.meta_path):
        return
    if not os.environ.get("COMPASS_PURE_PYTHON"):
        recorded: str | None
        try:
            from digests.notes._compiled import SOURCES as recorded  # type: ignore[import-not-found,no-redef]
        except ImportError:
            recorded = None
        if compiled_is_current(recorded) or not _compiled_present():
            return
    sys.meta_path.insert(0, _Sources(HERE))


def _compiled_present() -> bool:
    from importlib.machinery import EXTENSION_SUFFIXES

    return any((HERE / f"{name}{suffix}").exists() for name in MODULES for suffix in EXTENSION_SUFFIXES)


def is_compiled(module: object) -> bool:
    from importlib.machinery import EXTENSION_SUFFIXES

    return str(getattr(module, "__file__", "")).endswith(tuple(EXTENSION_SUFFIXES))
