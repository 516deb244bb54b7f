"""Retry with backoff, interruptible by a stop: the one place compass waits before trying again.

Every loop that retries something (publishing a digest to a target, a Zulip API call, handling a chat
message, the bot retrying failed publications) waits through ``pause(seconds, stop)``, so a SIGTERM
(``compass run`` sets its stop ``threading.Event``) ends the wait at once instead of after the backoff.
What a loop does when it is stopped is its own business (leave its row resumable, give up the call);
``retry_call`` raises ``Stopped`` for the simple case of one call retried.

- ``RetryPolicy``: attempts, first delay doubling to a cap, jitter, and the longest server-asked wait
  (a 429's ``retry-after``) worth honouring;
- ``Backoff``: the same policy as a counter (``next()`` / ``reset()``) for loops without an attempt limit;
- ``pause``: sleep, or return ``True`` at once when ``stop`` is (or becomes) set. Tests inject ``sleep``
  to simulate time; a stop set before or during the call is still seen.

Example usage::

    stop = threading.Event()
    policy = RetryPolicy(attempts=5, base=2.0, cap=120.0)
    result = retry_call(lambda attempt: fetch(), policy=policy, stop=stop,
                        retryable=lambda exc: isinstance(exc, httpx.TransportError))
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Backoff", "RetryPolicy", "Sleep", "Stopped", "exponential", "pause", "retry_call"]

T = TypeVar("T")
Sleep = Callable[[float], None]


def exponential(attempt: int, *, base: float, cap: float) -> float:
    """The ``attempt``-th backoff (from 0): ``base`` doubled ``attempt`` times, at most ``cap``; every backoff
    in compass (``RetryPolicy``, ``Backoff``, the release and activity sources) is built on it."""
    return float(min(cap, base * 2 ** max(0, attempt)))


class Stopped(Exception):
    """A retry wait was cut short by the stop; ``last`` is the failure that was going to be retried."""

    def __init__(self, last: BaseException | None = None) -> None:
        self.last = last
        super().__init__("stopped while waiting to retry" + (f" ({last})" if last is not None else ""))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently something failing is tried again."""

    attempts: int = 5
    base: float = 2.0  # seconds before the second attempt; doubles each time
    cap: float = 120.0  # longest backoff between attempts
    max_wait: float = 900.0  # longest server-asked wait (429 retry-after) honoured; a longer one gives up
    jitter: float = 0.25  # up to this fraction is added at random

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (1-based)."""
        return exponential(attempt - 1, base=self.base, cap=self.cap) * (1 + random.uniform(0, self.jitter))


class Backoff:
    """Capped exponential backoff with jitter: ``next()`` gives a delay in [d/2, d], d doubling to ``cap``."""

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.attempts = 0
        self._rng = rng  # made on first use: most callers never wait

    def next(self) -> float:
        ceiling = exponential(self.attempts, base=self.base, cap=self.cap)
        self.attempts += 1
        if self._rng is None:
            self._rng = random.Random()
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempts = 0

    def fresh(self) -> Backoff:
        """A new ``Backoff`` with the same settings, at its first delay."""
        return Backoff(self.base, self.cap)


def pause(seconds: float, stop: threading.Event | None = None, *, sleep: Sleep | None = None) -> bool:
    """Wait ``seconds``; ``True`` when ``stop`` was set before or during the wait (the caller should stop).

    With ``sleep`` (a test's simulated clock) the wait is that call; otherwise ``stop.wait`` ends it the
    moment the stop is set.
    """
    if stop is not None and stop.is_set():
        return True
    if sleep is not None and sleep is not time.sleep:
        sleep(max(seconds, 0.0))
        return stop is not None and stop.is_set()
    if stop is None:
        time.sleep(max(seconds, 0.0))
        return False
    return stop.wait(max(seconds, 0.0))


def retry_call(
    call: Callable[[int], T],
    *,
    policy: RetryPolicy,
    stop: threading.Event | None = None,
    sleep: Sleep | None = None,
    retryable: Callable[[BaseException], bool] = lambda exc: True,
    wait_for: Callable[[BaseException, int], float | None] | None = None,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
) -> T:
    """``call(attempt)`` until it succeeds, at most ``policy.attempts`` times, waiting between tries.

    A failure that is not ``retryable``, or the last attempt's, is raised as is. ``wait_for(exc, attempt)``
    may choose the wait (a 429's retry-after; ``None`` gives up). ``Stopped`` when ``stop`` cuts a wait.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(attempt)
        except Exception as exc:
            if not retryable(exc) or attempt >= policy.attempts:
                raise
            wait = wait_for(exc, attempt) if wait_for is not None else policy.backoff(attempt)
            if wait is None:
                raise
            if on_retry is not None:
                on_retry(exc, attempt, wait)
            if pause(wait, stop, sleep=sleep):
                raise Stopped(exc) from exc
