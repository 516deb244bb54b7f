"""Retry with capped exponential backoff: the one policy every retry loop in compass uses.

``Backoff`` hands out the delays; ``pause`` waits one of them, interruptibly (a stop event ends the wait
at once, so ``compass run`` stops promptly even while a call is backing off).

Example usage::

    backoff = Backoff(base=0.5, cap=30.0)
    for attempt in range(5):
        if call_succeeds():
            break
        if pause(backoff.next(), stop):
            break          # told to stop
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

__all__ = ["Backoff", "pause"]


class Backoff:
    """Capped exponential backoff with jitter: ``next()`` gives a delay in [d/2, d], d doubling to ``cap``."""

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.attempts = 0
        self._rng = rng  # made on first use: every API call starts a Backoff, few ever wait

    def next(self) -> float:
        ceiling = min(self.cap, self.base * (2**self.attempts))
        self.attempts += 1
        if self._rng is None:
            self._rng = random.Random()
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempts = 0

    def fresh(self) -> Backoff:
        """A new ``Backoff`` with the same settings, at its first delay."""
        return Backoff(self.base, self.cap)


def pause(seconds: float, stop: threading.Event | None = None, *, sleep: Callable[[float], None] | None = None) -> bool:
    """Wait ``seconds``; ``True`` when ``stop`` was set (before or during the wait), which ends it at once."""
    if stop is not None:
        return stop.wait(seconds)
    (sleep or _sleep)(seconds)
    return False


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)
