"""The exactly-once core: publication rows, locks, retries and crash recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chatops.config import parse_config
from chatops.errors import AuthError, PublishError, RateLimited
from chatops.publish.base import Post, Publication, external_id_for
from chatops.publish.outbox import OutboxPublisher
from chatops.publishing import RetryPolicy, publish_digest
from chatops.storage.publications import list_publications, publication_lock

START = dt.datetime(2026, 10, 6, 16, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 3, 17, 0, tzinfo=dt.UTC)
NOW = END + dt.timedelta(minutes=1)


def _config(tmp_path: Path):
    return parse_config(
        {
            "digests": [
                {
                    "name": "community-monthly",
                    "kind": "community",
                    "schedule": "monthly first tuesday 17:00",
                    "targets": [{"outbox": {"directory": str(tmp_path / "out-a")}}, {"outbox": {"directory": str(tmp_path / "out-b")}}],
                }
            ]
        },
        path=tmp_path / "compass.yaml",
    )


def _post(target, body="## Hello\n\nA digest.") -> Post:
    return Post(
        digest="community-monthly",
        period_start=START,
        period_end=END,
        external_id=external_id_for("community-monthly", START),
        title="Community digest, October 2026",
        body=body,
        messages=(body,),
    )


class Flaky:
    """A publisher that fails with the given errors first, then succeeds; it counts real posts."""

    def __init__(self, target: str, errors=(), *, post_before_error: bool = False) -> None:
        self.target = target
        self.errors = list(errors)
        self.post_before_error = post_before_error
        self.posted: list[Post] = []
        self.calls: list[bool] = []

    def find(self, post):
        return Publication(self.target, {"n": 1}, found=True) if self.posted else None

    def publish(self, post, *, recover=False):
        self.calls.append(recover)
        if recover and self.posted:
            return Publication(self.target, {"n": len(self.posted)}, found=True)
        if self.errors:
            error = self.errors.pop(0)
            if self.post_before_error:
                self.posted.append(post)
            raise error
        self.posted.append(post)
        return Publication(self.target, {"n": len(self.posted)})


def _publishers(config, **flaky):
    digest = config.digests[0]
    return digest, {t.key: flaky.get(t.key) or Flaky(t.key) for t in digest.targets}


def test_second_publish_is_a_no_op(database, tmp_path):
    config = _config(tmp_path)
    digest, pubs = _publishers(config)
    prepared = []

    def prepare(target):
        prepared.append(target.key)
        return _post(target)

    first = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs, prepare=prepare, clock=lambda: NOW)
    assert [t.status for t in first.targets] == ["published", "published"]
    second = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs, prepare=prepare, clock=lambda: NOW)
    assert [t.status for t in second.targets] == ["already", "already"]
    assert len(prepared) == 2  # the second run compiled nothing
    assert all(len(p.posted) == 1 for p in pubs.values())
    with database.session() as session:
        rows = list_publications(session=session, digest="community-monthly")
    assert [(r.status, r.attempts) for r in rows] == [("published", 1), ("published", 1)]


def test_5xx_then_success_gives_one_post_and_waits_with_backoff(database, tmp_path):
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    flaky = Flaky(key_a, [PublishError(key_a, "HTTP 502"), PublishError(key_a, "HTTP 503")])
    steady = Flaky(key_b)
    sleeps: list[float] = []
    outcome = publish_digest(
        database=database, digest=digest, period=(START, END), publishers={key_a: flaky, key_b: steady},
        prepare=_post, clock=lambda: NOW, sleep=sleeps.append, retry=RetryPolicy(base=2, jitter=0),
    )
    assert [t.status for t in outcome.targets] == ["published", "published"]
    assert len(flaky.posted) == 1 and len(steady.posted) == 1
    assert sleeps == [2.0, 4.0]
    assert flaky.calls == [False, True, True]  # after a failure, the next attempt looks up first


def test_rate_limit_waits_its_retry_after(database, tmp_path):
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    flaky = Flaky(key_a, [RateLimited(key_a, retry_after=12)])
    sleeps: list[float] = []
    publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: flaky, key_b: Flaky(key_b)},
                   prepare=_post, clock=lambda: NOW, sleep=sleeps.append)
    assert len(sleeps) == 1 and 12 <= sleeps[0] <= 13
    assert len(flaky.posted) == 1


def test_auth_error_fails_once_and_other_targets_still_publish(database, tmp_path):
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    denied = Flaky(key_a, [AuthError(key_a, "API key refused (HTTP 403); check DISCOURSE_API_KEY")] * 10)
    steady = Flaky(key_b)
    sleeps: list[float] = []
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: denied, key_b: steady},
                             prepare=_post, clock=lambda: NOW, sleep=sleeps.append)
    assert [t.status for t in outcome.targets] == ["failed", "published"]
    assert outcome.targets[0].error == f"{key_a}: API key refused (HTTP 403); check DISCOURSE_API_KEY"
    assert sleeps == [] and denied.calls == [False]
    with database.session() as session:
        failed = list_publications(session=session, status="failed")
    assert [r.last_error for r in failed] == [outcome.targets[0].error]


def test_persistent_5xx_gives_up_after_the_policy_attempts(database, tmp_path):
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    down = Flaky(key_a, [PublishError(key_a, "HTTP 500")] * 10)
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: down, key_b: Flaky(key_b)},
                             prepare=_post, clock=lambda: NOW, sleep=lambda s: None, retry=RetryPolicy(attempts=3))
    assert outcome.targets[0].status == "failed" and outcome.targets[0].attempts == 3
    # A later run (the next fire, `compass digest post`) tries again, looking the post up first.
    again = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: Flaky(key_a), key_b: Flaky(key_b)},
                           prepare=_post, clock=lambda: NOW)
    assert [t.status for t in again.targets] == ["published", "already"]


def test_crash_after_posting_before_recording_is_resolved_by_lookup(database, tmp_path):
    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, _key_b = (t.key for t in digest.targets)

    class Crash(BaseException):
        pass

    remote: list[Post] = []

    class CrashingAfterPost(Flaky):
        def publish(self, post, *, recover=False):
            remote.append(post)
            raise Crash()  # the process dies here: posted, not recorded

    with pytest.raises(Crash):
        publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: CrashingAfterPost(key_a)},
                       prepare=_post, clock=lambda: NOW)
    with database.session() as session:
        (row,) = list_publications(session=session)
    assert row.status == "posting"
    frozen = json.loads(row.remote_ref)["post"]

    class Remote(Flaky):
        def publish(self, post, *, recover=False):
            self.calls.append(recover)
            if recover and post.external_id in {p.external_id for p in remote}:
                return Publication(self.target, {"id": 1}, found=True)
            remote.append(post)
            return Publication(self.target, {"id": 2})

    after = Remote(key_a)
    rendered_again = []

    def prepare(target):
        rendered_again.append(target.key)
        return _post(target, body="different text after new notes arrived")

    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: after},
                             prepare=prepare, clock=lambda: NOW)
    assert outcome.targets[0].status == "published" and outcome.targets[0].publication.found
    assert len(remote) == 1 and after.calls == [True]
    assert rendered_again == []  # the frozen post was reused, not re-rendered
    assert frozen["body"] == "## Hello\n\nA digest."


def test_empty_digest_is_skipped_once(database, tmp_path):
    config = _config(tmp_path)
    digest, pubs = _publishers(config)
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs,
                             prepare=lambda t: None, clock=lambda: NOW)
    assert [t.status for t in outcome.targets] == ["skipped", "skipped"] and outcome.empty
    again = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs,
                           prepare=lambda t: pytest.fail("compiled again"), clock=lambda: NOW)
    assert [t.status for t in again.targets] == ["already", "already"]


def test_a_locked_publication_is_left_to_its_holder(database, tmp_path):
    config = _config(tmp_path)
    digest, pubs = _publishers(config)
    from chatops.storage.publications import ensure_publications

    with database.session() as session:
        rows = ensure_publications(session=session, digest=digest.name, period_start=START, period_end=END,
                                   targets=[t.key for t in digest.targets], now=NOW)
    with publication_lock(database, rows[0].id) as held:
        assert held
        outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs,
                                 prepare=_post, clock=lambda: NOW)
    assert [t.status for t in outcome.targets] == ["busy", "published"]
    assert pubs[rows[0].target].posted == []


def test_dry_run_records_nothing(database, tmp_path):
    config = _config(tmp_path)
    digest, pubs = _publishers(config)
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers=pubs,
                             prepare=_post, clock=lambda: NOW, dry_run=True)
    assert [t.status for t in outcome.targets] == ["dry-run", "dry-run"] and len(outcome.preview) == 2
    assert all(p.posted == [] for p in pubs.values())
    with database.session() as session:
        assert list_publications(session=session) == []


def test_outbox_writes_once_and_finds_its_file(tmp_path):
    publisher = OutboxPublisher(tmp_path / "outbox", zone=dt.timezone(dt.timedelta(hours=1)))
    post = _post(None)
    first = publisher.publish(post)
    path = Path(first.ref["path"])
    assert path == tmp_path / "outbox" / "community-monthly" / "2026-10-06.md"
    text = path.read_text()
    assert text.startswith('---\ntitle: "Community digest, October 2026"\n') and text.endswith("## Hello\n\nA digest.\n")
    second = publisher.publish(_post(None, body="changed"), recover=True)
    assert second.found and path.read_text() == text
    assert [p.name for p in path.parent.iterdir()] == ["2026-10-06.md"]  # no temporary files left


def test_outbox_write_failure_is_a_publish_error(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file, not a directory")
    with pytest.raises(PublishError, match=r"outbox:.*: cannot write '.*2026-10-06\.md': Not a directory"):
        OutboxPublisher(blocker).publish(_post(None))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("community-monthly", "compass-community-monthly-20261006t1600z"),
        ("a" * 64, None),
    ],
    ids=["short_name", "long_name_hashed"],
)
def test_external_id_is_stable_and_short(name, expected):
    ident = external_id_for(name, START)
    assert len(ident) <= 50 and ident == external_id_for(name, START)
    assert ident != external_id_for(name, START + dt.timedelta(days=1))
    if expected:
        assert ident == expected


def test_a_target_being_retried_does_not_hold_up_the_others(database, tmp_path):
    import threading

    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, key_b = (t.key for t in digest.targets)
    b_posted = threading.Event()

    class Signalling(Flaky):
        def publish(self, post, *, recover=False):
            result = super().publish(post, recover=recover)
            b_posted.set()
            return result

    waited_for_b = []

    def sleep(seconds):
        # Target A is backing off; target B (listed after it) must already be publishing meanwhile.
        waited_for_b.append(b_posted.wait(5))

    outcome = publish_digest(
        database=database, digest=digest, period=(START, END),
        publishers={key_a: Flaky(key_a, [PublishError(key_a, "HTTP 503")]), key_b: Signalling(key_b)},
        prepare=_post, clock=lambda: NOW, sleep=sleep,
    )
    assert [t.status for t in outcome.targets] == ["published", "published"]
    assert waited_for_b == [True]


def _race(url: str, outbox: str, n: int, barrier, results) -> None:
    from chatops.storage.db import Database

    config = parse_config({"digests": [{"name": "weekly", "kind": "community", "schedule": "weekly monday 09:00",
                                        "targets": [{"outbox": {"directory": outbox}}]}]})
    digest = config.digests[0]
    database = Database.open(url, migrate=False)
    publisher = OutboxPublisher(Path(outbox), target=digest.targets[0].key)
    statuses = []
    barrier.wait()
    for i in range(n):
        start = START + dt.timedelta(weeks=i)
        post = Post("weekly", start, start + dt.timedelta(weeks=1), external_id_for("weekly", start), f"Week {i}", "body text " * 5)
        outcome = publish_digest(database=database, digest=digest, period=(start, start + dt.timedelta(weeks=1)),
                                 publishers={publisher.target: publisher}, prepare=lambda t, p=post: p)
        statuses.extend(t.status for t in outcome.targets)
    database.close()
    results.put(statuses)


def test_processes_racing_on_one_database_publish_each_period_once(database, db_url, tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    n, workers = 15, 3
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    outbox = tmp_path / "outbox"
    procs = [ctx.Process(target=_race, args=(db_url, str(outbox), n, barrier, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    statuses = [s for _ in procs for s in results.get(timeout=60)]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert statuses.count("published") == n  # each period published by exactly one process
    assert set(statuses) <= {"published", "already", "busy"}
    with database.session() as session:
        rows = list_publications(session=session, digest="weekly")
    assert len(rows) == n and {r.status for r in rows} == {"published"} and {r.attempts for r in rows} == {1}
    assert len(list(outbox.rglob("*.md"))) == n


def test_a_refused_post_is_rendered_afresh_next_time(database, tmp_path):
    from chatops.errors import MessageTooLong

    config = _config(tmp_path)
    digest = config.digests[0]
    key_a, _key_b = (t.key for t in digest.targets)
    refusing = Flaky(key_a, [MessageTooLong(key_a, 100, 150)])
    bodies = iter(["x" * 150, "short enough now"])
    first = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: refusing},
                           prepare=lambda t: _post(t, body=next(bodies)), clock=lambda: NOW)
    assert first.targets[0].status == "failed" and first.targets[0].error == f"{key_a}: 150 characters is over the limit of 100"
    second = publish_digest(database=database, digest=digest, period=(START, END), publishers={key_a: refusing},
                            prepare=lambda t: _post(t, body=next(bodies)), clock=lambda: NOW)
    assert second.targets[0].status == "published"
    assert [p.body for p in refusing.posted] == ["short enough now"]


def test_the_newest_publications_are_read_newest_first_and_only_them(database):
    from chatops.storage.publications import ensure_publications

    starts = [START + dt.timedelta(days=28 * i) for i in (2, 0, 3, 1)]  # created out of order
    with database.session() as session:
        for start in starts:
            ensure_publications(session=session, digest="community-monthly", period_start=start,
                                period_end=start + dt.timedelta(days=28), targets=["outbox:a", "outbox:b"], now=NOW)
        newest = list_publications(session=session, newest=3)
        everything = list_publications(session=session)
    assert [(r.period_start, r.target) for r in newest] == [
        (START + dt.timedelta(days=84), "outbox:b"), (START + dt.timedelta(days=84), "outbox:a"),
        (START + dt.timedelta(days=56), "outbox:b")]
    assert len(everything) == 8 and everything[0].period_start == START  # oldest first without ``newest``
