"""The starter configuration that ``compass config init`` writes (and that the repository's config/ holds)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from chatops.errors import UsageError

DATA = resources.files("chatops") / "data"


def starter_text(data_dir: str = "var") -> str:
    """The commented starter YAML, with its data directory (database, outbox) at ``data_dir``."""
    template = (DATA / "compass.yaml.template").read_text(encoding="utf-8")
    return template.replace("{{data_dir}}", data_dir)


def example_notes() -> list[tuple[str, bytes]]:
    folder = DATA / "example-notes"
    return sorted((item.name, item.read_bytes()) for item in folder.iterdir() if item.name.endswith(".md"))


def write_starter(directory: Path, *, force: bool = False, data_dir: str = "var") -> list[Path]:
    """Write ``compass.yaml`` and the example notes into ``directory``; refuse to overwrite unless ``force``."""
    target = directory / "compass.yaml"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; pass --force to overwrite it (a backup is kept as compass.yaml.bak)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        if target.exists():
            shutil.copy2(target, target.with_name("compass.yaml.bak"))
        target.write_text(starter_text(data_dir), encoding="utf-8")
        written.append(target)
        notes = directory / "notes"
        notes.mkdir(exist_ok=True)
        for name, body in example_notes():
            path = notes / name
            if not path.exists():
                path.write_bytes(body)
                written.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write the starter configuration in {directory}: {exc.strerror}") from None
    return written
