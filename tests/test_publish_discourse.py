"""DiscoursePublisher against the fake Discourse: topics, external ids, lookups, limits, errors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from fakes.discourse import FakeDiscourse, example_of, spec
from pydantic import SecretStr

from chatops.config import parse_config
from chatops.errors import AuthError, MessageTooLong, PublishError, RateLimited
from chatops.publish.base import Post, PostRejectedError, external_id_for
from chatops.publish.discourse import DiscoursePublisher
from chatops.publishing import RetryPolicy, make_publisher, publish_digest

START = dt.datetime(2026, 10, 6, 16, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 3, 17, 0, tzinfo=dt.UTC)
KEY = "discourse-test-key"


@pytest.fixture
def fake():
    with FakeDiscourse(api_key=KEY) as server:
        yield server
        assert server.problems == [], "the fake saw requests or answers that break discourse-openapi.json"


def _post(title="Community digest, October 2026", body="## News\n\nA good month for the community.\n", start=START):
    return Post("community-monthly", start, END, external_id_for("community-monthly", start), title, body)


def _publisher(fake, **kw):
    kw.setdefault("category", "News")
    return DiscoursePublisher(fake.url, "compass", KEY, target="discourse:News", timeout=5, **kw)


def test_creates_a_topic_with_external_id_category_and_tags(fake):
    publication = _publisher(fake, tags=["digest", "community"]).publish(_post())
    (topic,) = fake.topics.values()
    assert (topic.title, topic.category_id, topic.external_id, topic.tags) == (
        "Community digest, October 2026", 5, "compass-community-monthly-20261006t1600z", ["digest", "community"],
    )
    assert publication.ref == {"topic_id": topic.id, "external_id": topic.external_id}
    assert publication.url == f"{fake.url}/t/community-digest-october-2026/{topic.id}"
    (sent,) = fake.posts_to("/posts")
    assert sent.headers["api-key"] == KEY and sent.headers["api-username"] == "compass"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"  # what pydiscourse sends


def test_pins_until_about_one_period_later(fake):
    _publisher(fake, pin=True).publish(_post())
    (topic,) = fake.topics.values()
    assert topic.pinned and topic.pinned_until == "2026-12-01"  # 3 Nov + 28 days


def test_find_follows_the_external_id_redirect(fake):
    publisher = _publisher(fake)
    assert publisher.find(_post()) is None
    created = publisher.publish(_post())
    found = publisher.find(_post())
    assert found is not None and found.found and found.ref == created.ref and found.url == created.url
    lookups = fake.posts_to(f"/t/external_id/{_post().external_id}.json")
    assert [r.status for r in lookups] == [404, 301]


def test_recover_finds_the_earlier_topic_instead_of_posting(fake):
    publisher = _publisher(fake)
    publisher.publish(_post())
    again = publisher.publish(_post(), recover=True)
    assert again.found and len(fake.topics) == 1 and len(fake.posts_to("/posts")) == 1


def test_5xx_after_the_topic_was_created_gives_one_topic(fake, database, tmp_path):
    config = parse_config(
        {
            "discourse": {"url": fake.url, "api_username": "compass", "category": "News"},
            "digests": [{"name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 17:00",
                         "targets": [{"discourse": {}}]}],
        },
        path=tmp_path / "compass.yaml",
    )
    config = config.model_copy(update={"discourse": config.discourse.model_copy(update={"api_key": SecretStr(KEY)})})
    digest = config.digests[0]
    publishers = {t.key: make_publisher(config, digest, t, timeout=5) for t in digest.targets}
    fake.fail_next(502, after_create=True)  # the topic is created, the answer is lost
    fake.fail_next(503)
    sleeps = []
    outcome = publish_digest(database=database, digest=digest, period=(START, END), publishers=publishers,
                             prepare=lambda t: _post(), sleep=sleeps.append, retry=RetryPolicy(base=1, jitter=0))
    assert [t.status for t in outcome.targets] == ["published"]
    assert outcome.targets[0].publication.found
    assert len(fake.topics) == 1 and len(sleeps) == 1


def test_rate_limit_becomes_rate_limited_with_wait_seconds(fake):
    fake.rate_limit_next(12)
    with pytest.raises(RateLimited) as info:
        _publisher(fake).publish(_post())
    assert info.value.retry_after == 12
    assert str(info.value) == "discourse:News: Discourse rate limit (retry after 12 s)"
    assert fake.topics == {}


def test_topic_creation_rate_is_enforced(fake):
    fake.rate_limit_create_topic = 15
    publisher = _publisher(fake)
    publisher.publish(_post())
    with pytest.raises(RateLimited) as info:
        publisher.publish(_post(title="Community digest, November 2026", start=END))
    assert 1 <= info.value.retry_after <= 15


def test_bad_api_key_is_an_auth_error_without_the_key(fake):
    publisher = DiscoursePublisher(fake.url, "compass", "wrong-key-123", category="News", target="discourse:News")
    with pytest.raises(AuthError) as info:
        publisher.publish(_post())
    assert not info.value.retryable
    assert str(info.value) == (
        "discourse:News: Discourse refused the API key for user 'compass' (HTTP 403); "
        "check DISCOURSE_API_KEY (or discourse.api_key_env) and discourse.api_username"
    )
    assert "wrong-key-123" not in str(info.value)


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("Too short", "A body that is long enough to post.", "Title must be between 15 and 255 characters (it has 9)"),
        ("Community digest, October 2026", "short", "Body is too short (minimum is 20 characters)"),
    ],
    ids=["title_too_short", "body_too_short"],
)
def test_discourse_limits_are_rejections(fake, title, body, message):
    with pytest.raises(PostRejectedError, match=re.escape(message)) as info:
        _publisher(fake).publish(_post(title=title, body=body))
    assert not info.value.retryable


def test_a_title_already_used_gets_the_period_added(fake):
    _publisher(fake).publish(_post())
    second = _publisher(fake).publish(_post(start=END - dt.timedelta(hours=1)))
    titles = sorted(t.title for t in fake.topics.values())
    assert titles == ["Community digest, October 2026", "Community digest, October 2026 (2026-11-03 16:00–17:00)"]
    assert second.url.endswith("/t/community-digest-october-2026-2026-11-03-16-00-17-00/1002")


def test_max_post_length_is_checked_before_posting(fake):
    with pytest.raises(MessageTooLong, match="40000 characters is over the limit of 32000"):
        _publisher(fake).publish(_post(body="x" * 40000))
    assert fake.posts_to("/posts") == []


def test_fake_enforces_its_own_max_post_length(fake):
    fake.max_post_length = 100
    with pytest.raises(PostRejectedError, match="Body is limited to 100 characters; you entered 150"):
        _publisher(fake).publish(_post(body="y" * 150))


def test_unknown_category_names_the_existing_ones(fake):
    with pytest.raises(PostRejectedError, match=r"no Discourse category 'Nope' \(the site has: News, Digests\)"):
        _publisher(fake, category="Nope").publish(_post())


def test_unreachable_server_is_retryable(fake):
    url = fake.url
    fake.stop()
    with pytest.raises(PublishError, match=r"cannot reach http://127\.0\.0\.1:\d+ \(ConnectionError\)") as info:
        DiscoursePublisher(url, "compass", KEY, target="discourse:News", timeout=2).publish(_post())
    assert info.value.retryable


def test_fake_answers_with_the_exact_content_type_and_a_301(fake):
    publisher = _publisher(fake)
    publisher.publish(_post())
    response = requests.get(f"{fake.url}/t/external_id/{_post().external_id}.json",
                            headers={"Api-Key": KEY, "Api-Username": "compass"}, allow_redirects=False, timeout=5)
    assert response.status_code == 301 and response.headers["Location"].endswith(".json")
    topic = requests.get(fake.url + response.headers["Location"], headers={"Api-Key": KEY, "Api-Username": "compass"}, timeout=5)
    assert topic.headers["Content-Type"] == "application/json; charset=utf-8"


def test_fake_rejects_a_request_outside_the_schema(fake):
    response = requests.post(f"{fake.url}/posts.json", json={"raw": "x" * 30, "title": "A title long enough", "colour": "red"},
                             headers={"Api-Key": KEY, "Api-Username": "compass"}, timeout=5)
    assert response.status_code == 500
    assert "Additional properties are not allowed ('colour' was unexpected)" in response.json()["errors"][0]
    fake.problems.clear()


def test_example_of_builds_valid_instances():
    import jsonschema

    schema = spec()["paths"]["/t/{id}.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(schema).validate(example_of(schema))


def test_timeout_after_the_topic_was_created_gives_one_topic(fake, database, tmp_path):
    digest_cfg = parse_config(
        {"digests": [{"name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 17:00",
                      "targets": [{"outbox": {}}]}]},
        path=tmp_path / "compass.yaml",
    ).digests[0]
    publisher = DiscoursePublisher(fake.url, "compass", KEY, category="News", target=digest_cfg.targets[0].key, timeout=0.5)
    fake.delay_next(1.5)  # created at once, answered after the client gave up
    sleeps = []
    outcome = publish_digest(database=database, digest=digest_cfg, period=(START, END), publishers={publisher.target: publisher},
                             prepare=lambda t: _post(), sleep=sleeps.append, retry=RetryPolicy(base=1, jitter=0))
    assert outcome.targets[0].status == "published" and outcome.targets[0].publication.found
    assert len(fake.topics) == 1 and sleeps == [1.0]
