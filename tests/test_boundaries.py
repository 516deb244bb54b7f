"""Architecture guard: ``digests`` stays pure (no network, database, scheduler or chat client imports)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DIGESTS = Path(__file__).resolve().parent.parent / "digests"
FORBIDDEN = ("zulip", "pydiscourse", "sqlmodel", "sqlalchemy", "httpx", "requests", "apscheduler", "alembic", "chatops")


def test_importing_digests_pulls_in_no_runtime_dependency() -> None:
    code = (
        "import sys, pkgutil, importlib, digests\n"
        "for m in pkgutil.walk_packages(digests.__path__, 'digests.'):\n    importlib.import_module(m.name)\n"
        f"print([m for m in {FORBIDDEN!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_digests_never_reads_the_clock() -> None:
    offenders = []
    for path in DIGESTS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today", "time", "monotonic"):
                base = ast.unparse(node.value)
                if base in ("datetime", "dt.datetime", "datetime.datetime", "date", "dt.date", "time"):
                    offenders.append(f"{path.name}:{node.lineno} {base}.{node.attr}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                offenders += [
                    f"{path.name}:{node.lineno} import {n}"
                    for n in names
                    if n.split(".")[0] in (*FORBIDDEN, "socket") or n in ("urllib.request", "http.client")
                ]
    assert offenders == []
