"""Rendering for targets: Zulip splitting at 10,000 characters, topics, Discourse titles, templates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digests.compile import compile_digest
from digests.digest import CommunityInfo
from digests.errors import RenderError
from digests.model import Decision, Meeting, Recipient, Release, Shoutout, Window
from digests.render import (
    ZULIP_MAX_MESSAGE,
    discourse_title,
    render,
    render_markdown,
    split_message,
    zulip_topic,
)

UTC = dt.UTC
JUNE = Window(since=dt.datetime(2025, 6, 1, tzinfo=UTC), until=dt.datetime(2025, 7, 1, tzinfo=UTC))
LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)")
MD = MarkdownIt("commonmark")


def shoutouts(count: int, *, recipients: int = 40, text_len: int = 300) -> list[Shoutout]:
    out = []
    for i in range(count):
        words = " ".join(f"word{i}x{j}" for j in range(text_len // 8))
        out.append(Shoutout(
            giver=f"Giver {i % 7}", giver_id=1000 + i % 7,
            recipients=(Recipient(name=f"Person {i % recipients}", user_id=i % recipients),),
            text=f"for task {i}: {words} https://github.com/org/repo/pull/{i}",
            created_at=dt.datetime(2025, 6, 1, tzinfo=UTC) + dt.timedelta(minutes=17 * i),
            permalink=f"https://chat.example.org/#narrow/channel/1-general/topic/t/near/{i}",
        ))
    return out


def big_digest() -> object:
    return compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=shoutouts(120),
                          community=CommunityInfo(name="Example", timezone="Europe/London"))


def list_items(markdown: str) -> list[str]:
    """Each top-level list item with its indented continuation lines."""
    items: list[str] = []
    for line in markdown.split("\n"):
        if re.match(r"^[-*+] ", line):
            items.append(line)
        elif line.startswith("  ") and items:
            items[-1] += "\n" + line
    return items


def test_long_digest_is_split_under_the_limit_in_order_never_inside_an_item_or_link() -> None:
    digest = big_digest()
    rendered = render(digest, target="zulip", stream="general")
    assert len(rendered.markdown) > 3 * ZULIP_MAX_MESSAGE
    assert len(rendered.messages) >= 4
    assert all(0 < len(m) <= ZULIP_MAX_MESSAGE for m in rendered.messages)
    # Every list item of the whole digest appears whole in exactly one message, in the original order.
    whole = list_items(rendered.markdown)
    pieces = [item for message in rendered.messages for item in list_items(message)]
    assert pieces == whole
    # Every link of the whole digest is intact in some message, in order.
    assert [link for m in rendered.messages for link in LINK.findall(m)] == LINK.findall(rendered.markdown)
    # A message that continues a section says so.
    for message in rendered.messages[1:]:
        assert message.startswith(("### :heart: Thank you (continued)", "For "))


def test_a_message_never_ends_on_a_heading_or_an_intro_line() -> None:
    for message in render(big_digest(), target="zulip").messages:
        last = message.rstrip().split("\n")[-1]
        assert not last.startswith("#") and not last.endswith(":"), last


@pytest.mark.parametrize("limit", [500, 1000, 2500])
def test_split_respects_any_limit_and_keeps_all_text(limit: int) -> None:
    text = render_markdown(big_digest(), target="zulip")
    messages = split_message(text, limit)
    assert all(len(m) <= limit for m in messages)
    original = text.split()
    kept = [w for m in messages for line in m.split("\n") if not line.endswith("(continued)") for w in line.split()]
    assert kept == original


def test_an_overlong_single_line_is_cut_outside_links() -> None:
    line = "- " + " ".join(f"[link {i}](https://example.org/{i})" for i in range(600))
    messages = split_message(line, 2000)
    assert all(len(m) <= 2000 for m in messages)
    assert [link for m in messages for link in LINK.findall(m)] == LINK.findall(line)


def test_short_digest_is_one_message() -> None:
    assert split_message("hello\n\n- a\n- b\n") == ["hello\n\n- a\n- b"]
    assert split_message("") == []


def test_zulip_topic_is_at_most_60_characters() -> None:
    assert zulip_topic("Community digest, June 2025") == "Community digest, June 2025"
    long = zulip_topic("A very long digest title for the whole community " * 3)
    assert len(long) <= 60 and long.endswith("\u2026")
    rendered = render(big_digest(), target="zulip", topic="{community} {kind} digest for the period {period} " * 3)
    assert rendered.topic is not None and len(rendered.topic) <= 60


def test_discourse_title_has_the_period_and_is_long_enough() -> None:
    digest = big_digest()
    assert discourse_title(digest) == "Celebratory digest, June 2025"
    assert discourse_title(digest, "Thanks") == "Thanks, June 2025"
    assert discourse_title(digest, "Hi") == "Example: Hi, June 2025"
    july = Window(since=JUNE.until, until=dt.datetime(2025, 8, 1, tzinfo=UTC))
    other = compile_digest("celebratory", july, meetings=[], releases=[], shoutouts=[],
                           community=CommunityInfo(name="Example", timezone="Europe/London"))
    assert discourse_title(other) != discourse_title(digest)
    assert len(discourse_title(digest, "x")) >= 15


def test_discourse_body_is_cut_at_the_forum_limit() -> None:
    rendered = render(big_digest(), target="discourse", category="News", max_post_length=5000)
    assert rendered.raw is not None and len(rendered.raw) <= 5000
    assert rendered.raw.endswith("*This digest was shortened to fit the forum's post length.*")
    assert rendered.payload() == {"title": "Celebratory digest, June 2025", "category": "News", "raw": rendered.raw}


def test_mentions_are_silent_in_zulip_and_plain_elsewhere() -> None:
    digest = compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=shoutouts(1),
                            community=CommunityInfo(name="Example"))
    zulip = render(digest, target="zulip").messages[0]
    assert "@_**Person 0|0**" in zulip and "@_**Giver 0|1000**" in zulip
    assert not re.search(r"(?<!_)@\*\*", zulip)
    for target in ("discourse", "plain"):
        text = render_markdown(digest, target=target)  # type: ignore[arg-type]
        assert "@" not in text.replace("@\u200b", "")
        assert "Person 0" in text


def test_zulip_summary_mode_links_to_the_forum() -> None:
    rendered = render(big_digest(), target="zulip", mode="summary", summary_link="https://forum.example.org/t/12")
    assert len(rendered.messages) == 1
    assert rendered.messages[0].endswith("[Celebratory digest, June 2025](https://forum.example.org/t/12)")


def test_plain_output_has_no_raw_html_and_parses(tmp_path: Path) -> None:
    meeting = Meeting(date=dt.date(2025, 6, 3), title="<b>Team</b> meeting", document="https://notes.example.org/m",
                      decisions=(Decision(text="Adopt <script>x</script> and @**all**"),))
    release = Release(project="proj", version="1.0", date=dt.datetime(2025, 6, 2, tzinfo=UTC),
                      highlights=("Add <b>bold</b> [#1](https://github.com/o/proj/pull/1)",), url="https://e.org/r")
    digest = compile_digest("technical", JUNE, meetings=[meeting], releases=[release], shoutouts=[])
    text = render(digest, target="plain").text or ""
    html = MD.render(text)
    assert "<b>" not in html and "<script>" not in html
    assert '<a href="https://github.com/o/proj/pull/1">#1</a>' in html
    assert "@**all**" not in text


def test_template_override_can_extend_the_default(tmp_path: Path) -> None:
    custom = tmp_path / "mine.md.j2"
    custom.write_text('{% extends "default/celebratory.md.j2" %}', encoding="utf-8")
    digest = big_digest()
    assert render_markdown(digest, target="plain", template=custom) == render_markdown(digest, target="plain")
    custom.write_text("Thanks in {{ digest.period }}: {{ digest.summary }} {{ digest.community }}\n", encoding="utf-8")
    loud = digest.model_copy(update={"community": "<b>@**all**</b>"})
    out = render_markdown(loud, target="zulip", template=custom)
    assert out.startswith("Thanks in June 2025: In June 2025")
    assert out.endswith(" all\n")  # values are made safe in user templates too (no tag, no mention)


def test_broken_template_raises_render_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md.j2"
    broken.write_text("{% for x in %}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"broken\.md\.j2.*line 1"):
        render_markdown(big_digest(), template=broken)
    with pytest.raises(RenderError, match="no such template file"):
        render_markdown(big_digest(), template=tmp_path / "missing.j2")
    undefined = tmp_path / "undefined.md.j2"
    undefined.write_text("{{ digest.nope }}\n", encoding="utf-8")
    with pytest.raises(RenderError, match="undefined.md.j2"):
        render_markdown(big_digest(), template=undefined)


_LINE = st.one_of(
    st.text(alphabet="abc xyz:*_[]()", min_size=1, max_size=120).map(lambda t: "- " + t.strip() if t.strip() else "- x"),
    st.builds(lambda label, n: f"- [{label}](https://example.org/{n}) and more words", st.text("abcdef ", min_size=1,
              max_size=40), st.integers(0, 10_000)),
    st.sampled_from(["### Section", "For @_**Jane Doe**:", "A paragraph line.", "", "  - a sub-item"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=400), st.integers(300, 3000))
def test_split_property_keeps_every_word_in_order_under_the_limit(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    messages = split_message(text, limit)
    assert all(len(m) <= limit for m in messages)
    kept = [w for m in messages for line in m.split("\n") if not line.endswith("(continued)") for w in line.split()]
    assert kept == text.split()
    whole = LINK.findall(text)
    assert [link for m in messages for link in LINK.findall(m)] == whole
