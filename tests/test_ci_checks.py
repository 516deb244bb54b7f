"""CI fails when a C compiler is present but the notes parser did not compile (.ci/run, .ci/check-compiled.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_check_fails_when_the_parser_runs_as_pure_python():
    env = {**os.environ, "COMPASS_PURE_PYTHON": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "check-compiled.py")], env=env, capture_output=True, check=False,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "a C compiler is present but the notes parser is not compiled" in done.stderr
    assert "meetings" in done.stderr and "Traceback" not in done.stderr


def test_ci_requires_the_compiled_parser_when_a_compiler_is_present():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export COMPASS_REQUIRE_COMPILED=1" in run and ".ci/check-compiled.py" in run
    setup = (ROOT / "setup.py").read_text(encoding="utf-8")
    assert 'raise SystemExit(f"compass: cannot compile the notes parser ({exc})")' in setup
    assert "extension.optional = not required" in setup


def test_ci_runs_the_readmes_test_command():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"&& (\.venv/bin/pytest\b[^\n`]*)", readme))
    run = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
           if line.strip().startswith(".venv/bin/pytest")]
    assert len(documented) == 1 and run == sorted(documented), (documented, run)
