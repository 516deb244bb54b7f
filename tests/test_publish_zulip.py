"""ZulipPublisher against the fake Zulip: split digests in order, silent crowd mentions, recovery by narrow search."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fakes.zulip import FakeZulip

from chatops.config import parse_config
from chatops.errors import AuthError, MessageTooLong, RateLimited
from chatops.publish.base import Post, external_id_for
from chatops.publish.zulip import ZulipPublisher
from chatops.publishing import RetryPolicy, make_publisher, publish_digest
from chatops.storage.publications import list_publications
from digests.mentions import for_zulip

START = dt.datetime(2026, 10, 6, 16, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 3, 17, 0, tzinfo=dt.UTC)
TOPIC = "Community digest, October 2026"


@pytest.fixture
def fake():
    with FakeZulip() as server:
        yield server
        # Zulip documents 429 once, under /rest-error-handling, not on each operation.
        problems = [p for p in server.problems if "status 429 is not documented" not in p]
        assert problems == [], "the fake saw requests or answers that break the Zulip OpenAPI description"


@pytest.fixture
def bot(fake):
    return fake.add_user("compass", bot=True)


def _config(fake, bot, tmp_path, mode="full"):
    config = parse_config(
        {
            "zulip": {"site": fake.url, "email": bot.email, "api_key": bot.api_key},
            "digests": [{"name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 17:00",
                         "targets": [{"zulip": {"stream": "announce", "topic": "{digest_title}", "mode": mode}}]}],
        },
        path=tmp_path / "compass.yaml",
    )
    return config, config.digests[0]


def _post(*messages: str) -> Post:
    return Post("community-monthly", START, END, external_id_for("community-monthly", START), TOPIC,
                "\n\n".join(messages), messages=messages, topic=TOPIC)


def _publisher(config, digest):
    return make_publisher(config, digest, digest.targets[0], timeout=5)


def _posted(fake, bot):
    return [(m["subject"], m["content"]) for m in fake.messages_by(bot)]


def test_split_digest_is_posted_in_order(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    publication = _publisher(config, digest).publish(_post("part one", "part two", "part three"))
    assert _posted(fake, bot) == [(TOPIC, "part one"), (TOPIC, "part two"), (TOPIC, "part three")]
    assert publication.ref["message_ids"] == [m["id"] for m in fake.messages_by(bot)]
    assert publication.url.startswith(f"{fake.url}/#narrow/channel/announce/topic/Community.20digest")


def test_crowd_mentions_are_sent_silent(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    _publisher(config, digest).publish(_post("Thanks @**all** and @*maintainers*, and @**Jane Doe**!"))
    # Wildcards and groups read as plain words; people are silent (they name, never notify).
    assert _posted(fake, bot) == [(TOPIC, "Thanks all and maintainers, and @_**Jane Doe**!")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@**everyone** @**channel** @**stream** @**topic**", "everyone channel stream topic"),
        ("@**ALL** @_**Everyone|3**", "ALL Everyone"),
        ("**bold** and *italic* stay", "**bold** and *italic* stay"),
        ("already silent @_**Jane** @_*team*", "already silent @_**Jane** team"),
    ],
    ids=["wildcards", "wildcards_any_case", "emphasis_untouched", "already_silent"],
)
def test_silence_crowd_mentions(text, expected):
    assert for_zulip(text) == expected


def test_recover_posts_only_the_missing_messages(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    fake.send(bot, "part one", stream="announce", topic=TOPIC)  # a crashed attempt got this far
    fake.send(bot, "part one", stream="announce", topic="another topic")
    publication = _publisher(config, digest).publish(_post("part one", "part two"), recover=True)
    assert [c for t, c in _posted(fake, bot) if t == TOPIC] == ["part one", "part two"]
    assert not publication.found and len(publication.ref["message_ids"]) == 2
    again = _publisher(config, digest).publish(_post("part one", "part two"), recover=True)
    assert again.found and again.ref["message_ids"] == publication.ref["message_ids"]
    assert len(fake.messages_by(bot)) == 3


def test_crash_between_posting_and_recording_gives_no_second_post(fake, bot, tmp_path, database):
    config, digest = _config(fake, bot, tmp_path)

    class Crash(BaseException):
        pass

    class CrashAfterPosting:
        def __init__(self, inner):
            self.inner = inner
            self.target = inner.target

        def publish(self, post, *, recover=False):
            self.inner.publish(post, recover=recover)
            raise Crash()

    inner = _publisher(config, digest)
    with pytest.raises(Crash):
        publish_digest(database=database, digest=digest, period=(START, END),
                       publishers={inner.target: CrashAfterPosting(inner)}, prepare=lambda t: _post("one", "two"))
    assert len(fake.messages_by(bot)) == 2
    outcome = publish_digest(database=database, digest=digest, period=(START, END),
                             publishers={inner.target: _publisher(config, digest)},
                             prepare=lambda t: pytest.fail("the frozen post must be reused"))
    assert outcome.targets[0].status == "published" and outcome.targets[0].publication.found
    assert len(fake.messages_by(bot)) == 2
    with database.session() as session:
        (row,) = list_publications(session=session)
    assert (row.status, row.attempts) == ("published", 2)


def test_5xx_then_success_gives_one_post(fake, bot, tmp_path, database):
    config, digest = _config(fake, bot, tmp_path)
    fake.fail_next(2, status=502, path="/api/v1/messages")
    sleeps = []
    publisher = _publisher(config, digest)
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers={publisher.target: publisher},
                             prepare=lambda t: _post("the digest"), sleep=sleeps.append, retry=RetryPolicy(base=1, jitter=0))
    assert outcome.targets[0].status == "published"
    assert _posted(fake, bot) == [(TOPIC, "the digest")]
    assert sleeps == [1.0, 2.0]


def test_rate_limit_is_rate_limited_with_retry_after(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    fake.fail_next(1, status=429, path="/api/v1/messages", retry_after=2.5)
    with pytest.raises(RateLimited) as info:
        _publisher(config, digest).publish(_post("the digest"))
    assert info.value.retry_after == 2.5 and fake.messages_by(bot) == []


def test_bad_api_key_is_an_auth_error(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    config = config.model_copy(update={"zulip": config.zulip.model_copy(update={"api_key": type(config.zulip.api_key)("nope")})})
    with pytest.raises(AuthError) as info:
        _publisher(config, digest).publish(_post("the digest"))
    assert str(info.value) == (
        "zulip:announce: Zulip refused the bot's credentials for message 1 of 1 (INVALID_API_KEY); "
        "check ZULIP_API_KEY and zulip.email"
    )
    assert not info.value.retryable


def test_overlong_message_is_refused_before_sending(fake, bot, tmp_path):
    config, digest = _config(fake, bot, tmp_path)
    with pytest.raises(MessageTooLong, match="10001 characters is over the limit of 10000"):
        _publisher(config, digest).publish(_post("x" * 10001))
    assert fake.messages_by(bot) == []


def test_publisher_builds_no_client_until_used(tmp_path):
    publisher = ZulipPublisher(lambda: pytest.fail("client built"), stream="s", bot_email="b@example.org")
    assert publisher.target == "zulip:s"


def test_summary_mode_links_to_the_discourse_topic(fake, bot, tmp_path, database):
    from fakes.discourse import FakeDiscourse

    from chatops.runner import Runner

    with FakeDiscourse(api_key="dk") as forum:
        config = parse_config(
            {
                "zulip": {"site": fake.url, "email": bot.email, "api_key": bot.api_key},
                "discourse": {"url": forum.url, "api_username": "compass", "api_key": "dk", "category": "News"},
                "digests": [{"name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 17:00",
                             "skip_if_empty": False,
                             "targets": [{"zulip": {"stream": "announce", "mode": "summary"}}, {"discourse": {}}]}],
            },
            path=tmp_path / "compass.yaml",
        )
        outcome = Runner(config, database=database).publish("community-monthly", (START, END))
        assert [t.status for t in outcome.targets] == ["published", "published"]
        (topic,) = forum.topics.values()
        (message,) = fake.messages_by(bot)
        assert f"{forum.url}/t/{topic.slug}/{topic.id}" in message["content"]
        assert forum.problems == []


def test_identical_text_of_an_earlier_period_is_not_taken_for_this_one(fake, bot, tmp_path, database):
    config, digest = _config(fake, bot, tmp_path)
    publisher = _publisher(config, digest)
    same = "Nothing happened this week."
    earlier = publish_digest(database=database, digest=digest, period=(START - dt.timedelta(weeks=4), START),
                             publishers={publisher.target: publisher}, prepare=lambda t: _post(same))
    assert earlier.targets[0].status == "published" and len(fake.messages_by(bot)) == 1
    fake.fail_next(2, status=502, path="/api/v1/messages")  # the next attempt starts with failures
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers={publisher.target: publisher},
                             prepare=lambda t: _post(same), sleep=lambda s: None)
    assert outcome.targets[0].status == "published" and not outcome.targets[0].publication.found
    assert [m["content"] for m in fake.messages_by(bot)] == [same, same]
    with database.session() as session:
        rows = list_publications(session=session)
    ids = [json.loads(r.remote_ref)["ref"]["message_ids"] for r in rows]
    assert ids[0] != ids[1]
