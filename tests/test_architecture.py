"""The architecture contracts in pyproject.toml (``lint-imports``): the tree keeps them, and an upward import breaks them.

The contracts are checked on a copy of the packages, so that a deliberately wrong import can be added
without touching the sources: a storage module importing the service (a lower layer reaching up), and a
command importing the Zulip adapter (commands must never import an adapter).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (pip install -e '.[dev]')")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "data", "templates", "migrations")
    for package in ("chatops", "digests"):
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "names"),
    [
        ("chatops/storage/state.py", "from chatops.service import Compass", "Layers",
         "chatops.storage is not allowed to import chatops.service"),
        ("chatops/commands/help.py", "import chatops.chat.zulip", "Commands never import a chat adapter",
         "chatops.commands.help -> chatops.chat.zulip"),
        ("digests/people.py", "import chatops.periods", "digests is pure", "digests.people -> chatops.periods"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path: Path, module: str, line: str, contract: str, names: str) -> None:
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # an upward import, added by the test\n",
                    encoding="utf-8")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and names in broken, result.stdout
