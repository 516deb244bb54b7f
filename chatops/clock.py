"""Time as an argument: the ``Clock`` type every time-dependent part takes, and the real clock.

Nothing in compass reads the time except through a ``Clock`` it was given (tests give a fixed or a
moving one); ``utc_now`` is the default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Now, aware, in UTC."""
    return dt.datetime.now(dt.UTC)
