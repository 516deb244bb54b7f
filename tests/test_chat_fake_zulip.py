"""The fake Zulip checks what crosses the wire against the OpenAPI file and enforces the real limits."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fakes.openapi import OpenAPISpec
from fakes.zulip import FakeZulip

SPEC = Path(__file__).parent / "fakes" / "data" / "zulip-openapi.subset.json"


def _call(fake, user, method, path, form=None):
    data = None if form is None else "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in form.items()).encode()
    request = urllib.request.Request(fake.url + path, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{user.email}:{user.api_key}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


@pytest.fixture
def fake():
    with FakeZulip(heartbeat=0.2) as server:
        yield server


def test_a_request_off_the_spec_is_refused_and_reported(fake):
    ann = fake.add_user("Ann Lee")
    status, _body, _ = _call(fake, ann, "POST", "/api/v1/messages", {"type": "channelz", "to": "general", "content": "x"})
    assert status == 500
    assert fake.problems == [("POST /messages: form parameter 'type': 'channelz' is not one of "
                             "['direct', 'channel', 'stream', 'private'] (got 'channelz')")]
    assert fake.messages == {}


def test_unknown_parameters_are_ignored_and_named_as_zulip_does(fake):
    ann = fake.add_user("Ann Lee")
    status, body, _ = _call(fake, ann, "POST", "/api/v1/messages",
                            {"type": "stream", "to": "general", "topic": "t", "content": "hi", "colour": "red"})
    assert status == 200 and body["ignored_parameters_unsupported"] == ["colour"]
    assert fake.ignored == ["POST /api/v1/messages: colour"] and fake.problems == []


def test_limits_truncate_content_and_topics_and_refuse_empty_messages(fake):
    ann = fake.add_user("Ann Lee")
    status, body, _ = _call(fake, ann, "POST", "/api/v1/messages",
                            {"type": "stream", "to": "general", "topic": "t" * 70, "content": "x" * 10050})
    message = fake.messages[body["id"]]
    assert len(message["content"]) == 10000 and message["content"].endswith("\n[message truncated]")
    assert message["subject"] == "t" * 57 + "..."
    status, body, _ = _call(fake, ann, "POST", "/api/v1/messages", {"type": "stream", "to": "general", "topic": "t", "content": "  "})
    assert (status, body["msg"]) == (400, "Message must not be empty")
    status, body, _ = _call(fake, ann, "POST", "/api/v1/messages", {"type": "stream", "to": "c" * 61, "topic": "t", "content": "x"})
    assert (status, body["msg"]) == (400, "Channel name too long (limit: 60 characters).")
    assert fake.problems == []


def test_rate_limit_answers_429_with_retry_after(fake):
    fake.rate_limit = 3
    ann = fake.add_user("Ann Lee")
    answers = [_call(fake, ann, "GET", "/api/v1/users/me") for _ in range(4)]
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    assert answers[2][2]["X-RateLimit-Remaining"] == "0"
    _status, body, headers = answers[3]
    assert body["code"] == "RATE_LIMIT_HIT" and body["retry-after"] > 0 and float(headers["Retry-After"]) > 0
    assert fake.problems == []


def test_expired_queues_answer_bad_event_queue_id(fake):
    bot = fake.add_user("compass", bot=True)
    status, body, _ = _call(fake, bot, "POST", "/api/v1/register", {"event_types": '["message"]', "apply_markdown": "false"})
    queue_id = body["queue_id"]
    fake.expire_queues()
    status, body, _ = _call(fake, bot, "GET", f"/api/v1/events?queue_id={queue_id}&last_event_id=-1")
    assert (status, body["code"], body["queue_id"]) == (400, "BAD_EVENT_QUEUE_ID", queue_id)
    assert fake.problems == []


def test_the_spec_helper_reports_response_shapes():
    spec = OpenAPISpec.load(SPEC, prefix="/api/v1")
    assert spec.response_problems("POST", "/api/v1/messages", 200, {"result": "success", "msg": "", "id": 1}) == []
    assert spec.response_problems("POST", "/api/v1/messages", 200, {"result": "success", "msg": ""}) == [
        "POST /messages 200: response (top): 'id' is a required property"
    ]
    assert spec.operation("GET", "/api/v1/users/me").template == "/users/me"
    assert spec.request_problems("GET", "/api/v1/nope", query={}) == [
        "GET /api/v1/nope: no such operation in zulip-openapi.subset.json; the fake serves only documented endpoints"
    ]
