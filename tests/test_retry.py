"""Retry waits end the moment the stop is set: ``chatops.retry`` and the publishing loop that uses it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from test_publish_core import END, NOW, START, Flaky, _config, _post

from chatops.errors import PublishError
from chatops.publishing import publish_digest
from chatops.retry import Backoff, RetryPolicy, Stopped, pause, retry_call
from chatops.storage.publications import list_publications, publication_lock


def _stop_in(seconds: float) -> threading.Event:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    return stop


def test_pause_ends_when_the_stop_is_set():
    stop = _stop_in(0.1)
    began = time.monotonic()
    assert pause(60, stop) is True
    assert time.monotonic() - began < 2


def test_pause_waits_the_whole_delay_without_a_stop():
    began = time.monotonic()
    assert pause(0.05, threading.Event()) is False
    assert time.monotonic() - began >= 0.05


def test_pause_with_a_simulated_sleep_still_sees_the_stop():
    stop = threading.Event()
    slept: list[float] = []
    assert pause(5, stop, sleep=slept.append) is False
    stop.set()
    assert pause(5, stop, sleep=slept.append) is True
    assert slept == [5]  # a stop already set is not waited for


def test_retry_call_gives_up_after_its_attempts_and_raises_the_failure():
    calls: list[int] = []

    def fail(attempt: int) -> None:
        calls.append(attempt)
        raise OSError("down")

    waits: list[float] = []
    with pytest.raises(OSError):
        retry_call(fail, policy=RetryPolicy(attempts=3, base=1, jitter=0), sleep=waits.append)
    assert calls == [1, 2, 3] and waits == [1.0, 2.0]


def test_retry_call_is_stopped_during_its_wait():
    stop = _stop_in(0.1)
    began = time.monotonic()
    with pytest.raises(Stopped) as caught:
        retry_call(lambda attempt: 1 / 0, policy=RetryPolicy(attempts=5, base=60), stop=stop)
    assert isinstance(caught.value.last, ZeroDivisionError)
    assert time.monotonic() - began < 2


def test_backoff_doubles_to_its_cap_and_resets():
    backoff = Backoff(1, 4)
    delays = [backoff.next() for _ in range(4)]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 2 <= delays[2] <= 4 and 2 <= delays[3] <= 4
    backoff.reset()
    assert backoff.next() <= 1


def test_a_stop_during_publishing_backoff_leaves_the_row_resumable(database, tmp_path: Path):
    """SIGTERM during a target's backoff: the call returns at once, the lock is released, the row stays
    'posting' with its frozen post, and the next run finishes it with a single post."""
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    down = Flaky(key_a, [PublishError(key_a, "HTTP 503")] * 3)
    stop = _stop_in(0.2)
    began = time.monotonic()
    outcome = publish_digest(database=database, digest=digest, period=(START, END),
                             publishers={key_a: down, key_b: Flaky(key_b)}, prepare=_post, clock=lambda: NOW,
                             retry=RetryPolicy(attempts=5, base=60, jitter=0), stop=stop)
    assert time.monotonic() - began < 5
    assert [t.status for t in outcome.targets] == ["stopped", "published"]
    with database.session() as session:
        rows = {r.target: r for r in list_publications(session=session, digest=digest.name)}
    assert rows[key_a].status == "posting" and rows[key_a].remote_ref
    assert rows[key_a].id is not None
    with publication_lock(database, rows[key_a].id) as held:
        assert held  # released by the stopped worker
    down.errors.clear()
    again = publish_digest(database=database, digest=digest, period=(START, END),
                           publishers={key_a: down, key_b: Flaky(key_b)}, prepare=_post, clock=lambda: NOW)
    assert [t.status for t in again.targets] == ["published", "already"]
    assert len(down.posted) == 1
