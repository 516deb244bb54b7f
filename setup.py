"""Build hook: compile the notes parser with mypyc where a C compiler is available.

The parser's modules (``digests/notes``) are plain, type-checked Python; mypyc turns them into C
extension modules that parse notes about 1.7x faster (bench/notes.py). Everything else is
configured in pyproject.toml. The pure-Python sources stay installed beside the compiled modules,
and ``digests.notes`` falls back to them when the compiled ones are missing or were built from other
sources (see digests/notes/_native.py), so a failed or skipped compile costs speed, never a feature.

Set ``COMPASS_PURE_PYTHON=1`` to skip compiling (and, at run time, to ignore compiled modules).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
NOTES = Path("digests") / "notes"


def _native():  # digests/notes/_native.py alone (standard library only): the module list and the hash
    spec = importlib.util.spec_from_file_location("_compass_native", HERE / NOTES / "_native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = _native()
MODULES = NATIVE.MODULES


def ext_modules() -> list:
    if os.environ.get("COMPASS_PURE_PYTHON"):
        return []
    # CI (.ci/run, where a C compiler is present) sets COMPASS_REQUIRE_COMPILED: a failed compile fails the install.
    required = bool(os.environ.get("COMPASS_REQUIRE_COMPILED"))
    try:
        from mypyc.build import mypycify
    except ImportError:
        if required:
            raise SystemExit("compass: COMPASS_REQUIRE_COMPILED is set but mypyc is not available") from None
        print("compass: mypyc is not available; the notes parser stays pure Python", file=sys.stderr)
        return []
    cwd = os.getcwd()
    os.chdir(HERE)  # mypyc wants paths relative to the project, whatever directory pip builds from
    try:
        extensions = mypycify(
            ["--ignore-missing-imports", "--config-file", "", *(str(NOTES / f"{m}.py") for m in MODULES)],
            opt_level="3",
            group_name="digests.notes._parser",
        )
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (a type error or a mypyc limit: build without them)
        if required:
            raise SystemExit(f"compass: cannot compile the notes parser ({exc})") from None
        print(f"compass: cannot compile the notes parser ({exc}); it stays pure Python", file=sys.stderr)
        return []
    finally:
        os.chdir(cwd)
    for extension in extensions:
        extension.optional = not required  # no C compiler: the build goes on with the pure-Python parser
    # What the compiled modules were built from, so that an edited source is never shadowed by them.
    (HERE / NOTES / "_compiled.py").write_text(
        '"""Written by setup.py: the SHA-256 of the sources the compiled notes modules were built from."""\n\n'
        f'SOURCES = "{NATIVE.sources_hash(HERE / NOTES)}"\n'
    )
    return extensions


setup(ext_modules=ext_modules())
