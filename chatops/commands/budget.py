"""The per-person command budget: fair chat under load.

Each person may send ``zulip.command_budget`` commands a minute (a burst of that many, refilled evenly);
shout-outs also keep their own hourly limit. Past the budget, compass answers one polite refusal, then
stays silent for that person until the budget has refilled by one command. The messages are still
claimed, so a flood is neither answered later nor caught up after a restart, and the workers get through
it at the cost of a claim each: other people's commands are not stuck behind it.

Example usage::

    budget = Budget(per_minute=30)
    budget.take(sender_id)   # "ok", then "refuse" once when spent, then "silent" until it refills
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Literal

__all__ = ["Budget", "refusal"]

Verdict = Literal["ok", "refuse", "silent"]


def refusal(per_minute: int) -> str:
    return (f"You're sending me commands faster than I can answer everyone (more than {per_minute} a minute), "
            "so I'll skip your next ones for a little while. Try again in a minute.")


class Budget:
    """A token bucket per person; thread-safe; ``clock`` is monotonic seconds."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._state: dict[Hashable, tuple[float, float, bool]] = {}  # who -> (tokens, at, refused)
        self._lock = threading.Lock()

    def take(self, who: Hashable) -> Verdict:
        now = self.clock()
        capacity = float(self.per_minute)
        with self._lock:
            tokens, at, refused = self._state.get(who, (capacity, now, False))
            tokens = min(capacity, tokens + (now - at) * capacity / 60.0)
            if tokens >= 1.0:
                self._state[who] = (tokens - 1.0, now, False)
                if len(self._state) > 10000:  # forget the full buckets of people long gone
                    self._state = {k: v for k, v in self._state.items() if v[0] < capacity - 1}
                return "ok"
            self._state[who] = (tokens, now, True)
            return "silent" if refused else "refuse"
