"""The community digest's attendance chart: the counts, the picture, and how each target carries it.

The counts are checked on meetings written here; the PNG by its header (size) and by being the same bytes
twice. Publishing goes through the real publishers: the outbox writes the PNG beside the Markdown, Zulip's
official client uploads it to the fake Zulip (``POST /user_uploads``) and Discourse's (pydiscourse) to the
fake Discourse (``POST /uploads.json``), both fakes checking the requests and their answers against the
OpenAPI descriptions. A failed upload leaves the picture out and the digest in.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakes.discourse import FakeDiscourse
from fakes.zulip import FakeZulip

from chatops.publish.base import Image, Post, external_id_for, place_images, without_images
from chatops.publish.discourse import DiscoursePublisher
from chatops.publish.outbox import OutboxPublisher
from chatops.publish.zulip import ZulipPublisher
from digests.chart import CHART_REF, attendance_chart, attendance_months, chart_window
from digests.model import Attendee, Meeting, Window

LONDON = ZoneInfo("Europe/London")
JUNE = Window(since=dt.datetime(2025, 6, 1, tzinfo=LONDON), until=dt.datetime(2025, 7, 1, tzinfo=LONDON))
START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
END = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


def _meeting(day: str, *people: str, newcomers: tuple[str, ...] = (), cancelled: bool = False) -> Meeting:
    return Meeting(date=dt.date.fromisoformat(day), title="Team meeting", cancelled=cancelled, newcomers=newcomers,
                   attendees=tuple(Attendee(name=p) for p in people))


MEETINGS = [
    _meeting("2024-06-18", "Old"),  # before the 12 months: not counted
    _meeting("2024-07-16", "Ann", "Bo", newcomers=("Bo",)),
    _meeting("2025-01-21", "Ann", "Cy", "Dee", newcomers=("Cy", "Dee")),
    _meeting("2025-01-28", "Ann", "Cy"),
    _meeting("2025-05-20", cancelled=True),
    _meeting("2025-06-17", "Ann", "Bo", "Eve", newcomers=("Eve",)),
]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_months_count_meetings_people_and_first_timers() -> None:
    assert chart_window(JUNE, "Europe/London") == Window(since=dt.datetime(2024, 7, 1, tzinfo=LONDON), until=JUNE.until)
    counts = {c.first: (c.meetings, c.people, c.first_timers) for c in attendance_months(MEETINGS, JUNE, "Europe/London")}
    assert len(counts) == 12 and min(counts) == dt.date(2024, 7, 1) and max(counts) == dt.date(2025, 6, 1)
    assert counts[dt.date(2024, 7, 1)] == (1, 2, 1)
    assert counts[dt.date(2025, 1, 1)] == (2, 3, 2)  # Ann and Cy came twice: counted once
    assert counts[dt.date(2025, 5, 1)] == (0, 0, 0)  # a cancelled meeting is not a meeting
    assert counts[dt.date(2025, 6, 1)] == (1, 3, 1)
    assert sum(c[0] for c in counts.values()) == 4


def test_the_chart_is_a_png_named_in_words_and_the_same_twice() -> None:
    chart = attendance_chart(MEETINGS, JUNE, "Europe/London")
    assert chart is not None and chart.name == "attendance.png"
    assert _png_size(chart.png) == (800, 340)
    assert chart.alt == ("Attendance, July 2024 \u2013 June 2025: 4 meetings; most people in June 2025 (3); "
                         "4 first-timers")
    again = attendance_chart(MEETINGS, JUNE, "Europe/London")
    assert again is not None and again.png == chart.png  # no timestamp in the file: a retry uploads the same
    assert attendance_chart([_meeting("2025-05-20", cancelled=True)], JUNE, "Europe/London") is None


def _post(body: str) -> Post:
    chart = attendance_chart(MEETINGS, JUNE, "Europe/London")
    assert chart is not None
    return Post("community-monthly", START, END, external_id_for("community-monthly", START),
                "Community digest, June 2025", body, messages=(body,), topic="Community digest, June 2025",
                images=(Image(chart.name, chart.png, chart.alt),))


BODY = f"### Attendance\n\n3 people came.\n\n![Attendance, July 2024 \u2013 June 2025]({CHART_REF})\n\n### Next\n\nSoon.\n"


def test_placing_a_picture_and_dropping_it() -> None:
    assert place_images(BODY, {"attendance.png": "upload://abc.png"}) == BODY.replace(CHART_REF, "upload://abc.png")
    dropped = place_images(BODY, {"attendance.png": None})
    assert dropped == "### Attendance\n\n3 people came.\n\n### Next\n\nSoon.\n"
    zulip = place_images(BODY, {"attendance.png": "/user_uploads/2/ab/x/attendance.png"}, image=False)
    assert "\n[Attendance, July 2024 \u2013 June 2025](/user_uploads/2/ab/x/attendance.png)\n" in zulip
    assert without_images(zulip) == without_images(BODY) == without_images(dropped)


def test_a_post_keeps_its_pictures_through_the_publication_row() -> None:
    post = _post(BODY)
    assert Post.from_json(post.to_json()) == post


def test_the_outbox_writes_the_png_beside_the_markdown(tmp_path: Path) -> None:
    publication = OutboxPublisher(tmp_path, zone=dt.UTC).publish(_post(BODY))
    markdown = Path(publication.ref["path"])
    picture = markdown.with_name("2025-06-01-attendance.png")
    assert _png_size(picture.read_bytes()) == (800, 340)
    text = markdown.read_text(encoding="utf-8")
    assert "![Attendance, July 2024 \u2013 June 2025](2025-06-01-attendance.png)" in text
    assert CHART_REF not in text


@pytest.fixture
def zulip():
    with FakeZulip() as server:
        yield server
        problems = [p for p in server.problems if "status 429 is not documented" not in p]
        assert problems == [], "the fake saw requests or answers that break the Zulip OpenAPI description"


def _zulip_publisher(fake: FakeZulip) -> tuple[ZulipPublisher, object]:
    import zulip as zulip_client

    bot = fake.add_user("compass", bot=True)
    client = zulip_client.Client(email=bot.email, api_key=bot.api_key, site=fake.url, retry_on_errors=False)
    return ZulipPublisher(client, stream="general", bot_email=bot.email, timeout=5), bot


def test_zulip_uploads_the_chart_with_the_official_client_and_links_it(zulip: FakeZulip) -> None:
    publisher, bot = _zulip_publisher(zulip)
    post = _post(BODY)
    publication = publisher.publish(post)
    assert [(name, data[:8]) for name, data, _, _ in zulip.uploads] == [("attendance.png", b"\x89PNG\r\n\x1a\n")]
    (message,) = zulip.messages_by(bot)  # type: ignore[arg-type]
    assert "[Attendance, July 2024 \u2013 June 2025](/user_uploads/2/01/" in message["content"]
    assert CHART_REF not in message["content"]
    # A retry finds the message, whatever address the picture got: nothing is posted or uploaded twice.
    again = publisher.publish(post, recover=True)
    assert again.found and again.ref["message_ids"] == publication.ref["message_ids"]
    assert len(zulip.uploads) == 1


def test_a_failed_zulip_upload_drops_the_picture_not_the_digest(zulip: FakeZulip) -> None:
    publisher, bot = _zulip_publisher(zulip)
    zulip.fail_next(1, status=500, path="/api/v1/user_uploads")
    publisher.publish(_post(BODY))
    (message,) = zulip.messages_by(bot)  # type: ignore[arg-type]
    assert message["content"] == "### Attendance\n\n3 people came.\n\n### Next\n\nSoon."
    assert zulip.uploads == []


KEY = "discourse-test-key"


@pytest.fixture
def discourse():
    with FakeDiscourse(api_key=KEY) as server:
        yield server
        assert server.problems == [], "the fake saw requests or answers that break discourse-openapi.json"


def test_discourse_uploads_the_chart_and_embeds_it(discourse: FakeDiscourse) -> None:
    publisher = DiscoursePublisher(discourse.url, "compass", KEY, category="News", target="discourse:News", timeout=5)
    publisher.publish(_post(BODY))
    assert [(name, kind) for name, _, kind in discourse.uploads] == [("attendance.png", "composer")]
    (topic,) = discourse.topics.values()
    raw = topic.raw
    assert "![Attendance, July 2024 \u2013 June 2025](upload://" in raw and CHART_REF not in raw


def test_a_failed_discourse_upload_drops_the_picture_not_the_digest(discourse: FakeDiscourse) -> None:
    discourse.max_upload_bytes = 10  # the forum refuses the file (HTTP 422)
    publisher = DiscoursePublisher(discourse.url, "compass", KEY, category="News", target="discourse:News", timeout=5)
    publisher.publish(_post(BODY))
    assert discourse.uploads == []
    (topic,) = discourse.topics.values()
    raw = topic.raw
    assert raw.startswith("### Attendance\n\n3 people came.\n\n### Next") and "![" not in raw


def test_the_charts_first_timers_are_the_people_the_digest_welcomes(notes_dir: Path) -> None:
    """In the digest's window the chart counts who the welcome names, each once, in the month they first
    came: not only the roll-call names that match an "Introductions" line word for word."""
    from chatops.config import parse_config
    from chatops.periods import explicit
    from chatops.pipeline import build_digest, resolve_digest

    config, digest_cfg = resolve_digest(parse_config({}), "community")
    window = explicit(config, digest_cfg, since=dt.date(2025, 1, 1), until=dt.date(2025, 7, 1),
                      now=dt.datetime(2025, 7, 2, tzinfo=dt.UTC))
    digest = build_digest(config, digest_cfg, window, notes=[str(notes_dir)])
    welcome = digest.section("newcomers")
    assert welcome is not None and digest.chart is not None
    by_month: dict[tuple[int, int], int] = {}
    for entry in welcome.entries:
        assert entry.date is not None
        month = (entry.date.year, entry.date.month)
        by_month[month] = by_month.get(month, 0) + len(entry.people)
    # Read from the notes: five new faces on 21 January, one on 15 April, five on 20 May.
    assert by_month == {(2025, 1): 5, (2025, 4): 1, (2025, 5): 5}
    assert digest.chart.alt.endswith("; 11 first-timers")
