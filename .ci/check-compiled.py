"""Exit 1, saying so, unless every notes parser module in use is the compiled one (.ci/run, with a C compiler).

setup.py falls back to the pure-Python parser when compiling fails, which keeps installs working but would
let a broken compile pass CI unnoticed; CI runs this after installing.
"""

from __future__ import annotations

import importlib
import sys

from digests.notes._native import MODULES, is_compiled


def main() -> int:
    pure = [name for name in MODULES if not is_compiled(importlib.import_module(f"digests.notes.{name}"))]
    if pure:
        print(f"CI: a C compiler is present but the notes parser is not compiled ({', '.join(pure)} run as pure "
              "Python); see the install output for the compile error", file=sys.stderr)
        return 1
    print(f"CI: the notes parser is compiled ({len(MODULES)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
