"""Waiting on a compass process the tests started (``compass run``, ``compass serve``)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path


def wait_for_output(path: Path, pattern: str, proc: subprocess.Popen, timeout: float = 30) -> re.Match:
    """The first match of ``pattern`` in the process's output file ``path``; fails with the output when the
    process exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, path.read_text())
        if match:
            return match
        if proc.poll() is not None:
            raise AssertionError(f"{' '.join(map(str, proc.args))} exited ({proc.returncode}):\n{path.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} in the output:\n{path.read_text()}")
