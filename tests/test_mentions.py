"""Mention safety, proved against the targets' own rules: nothing compass posts notifies anyone.

The oracles in ``tests/mention_oracles.py`` re-implement Zulip's and Discourse's mention syntax from their
documentation and source (each rule cites where it comes from); they share no code with ``digests.mentions``.
The property tests run under the ``mentions`` hypothesis profile (tests/conftest.py: 10,000 examples each)
over hostile text: every wildcard, group and ``@here`` spelling, escapes, character references, URLs,
code spans and Markdown punctuation mixed with ordinary words.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mention_oracles import discourse_live_mentions, zulip_live_mentions
from test_chat_commands import ADA, Chat

from digests.digest import Digest, DigestCounts, Entry, Link, Person, Section
from digests.markdown import escape_inline, link, safe_markdown, silent_mention
from digests.mentions import for_discourse, for_plain, for_zulip
from digests.model import Window
from digests.render import render

MENTIONS = settings.get_profile("mentions")
# 10,000 examples take 10-30 s each on a quiet machine; a busy shared one may need several times that.
pytestmark = pytest.mark.timeout(900)

_PIECES = [
    "@", "@@", "@**", "**", "*", "@*", "@_", "@_**", "@_*", "_", "|", "|8", "all", "ALL", "All", "everyone",
    "channel", "stream", "topic", "here", "HERE", "staff", "docs-team", "admins", "jane", "Jane Doe", "é", "ß",
    "\\", "\\@", "\\_", "\\*", "&", "&#64;", "&#x40;", "&commat;", "&#42;", "&ast;", "&#95;", "&lowbar;", "&amp;",
    "&#6", "4;", ";", ".", ",", ":", "!", "?", "(", ")", "[", "]", "](", "](https://x.org/", "<", ">", "`",
    "``", " ", "  ", "\n", "\t", "#", "-", "1.", "~~", "$$", ":tada:", "http://", "https://host/@", "/", "'",
    '"', "{", "}", "=", "+", "\u200b", "\u00a0", "\u3000", "٣", "\u0301", "ｈ", "@ ", "\u2764",
]
hostile_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.characters(exclude_categories=("Cs",))),
                        max_size=16).map("".join)


# --- the oracles find what the targets would ping ----------------------------------------------------


@pytest.mark.parametrize("text", [
    "announce it.@here", "ask the\\_@docs-team", "@_name", "hi @all", "\\@here", "&#64;here", "x (@staff)",
    "**@here**", "[@here](https://example.org)", "a@@here", "@ß",
])
def test_discourse_oracle_sees_mentions(text):
    assert discourse_live_mentions(text), text


@pytest.mark.parametrize("text", [
    "jane@example.org", "`@here`", "```\n@here\n```", "@ here", "[x](https://example.org/@here)", "@.x",
])
def test_discourse_oracle_ignores_what_discourse_ignores(text):
    assert not discourse_live_mentions(text), text


@pytest.mark.parametrize("text", [
    "@**all**", "@**ALL**", "@**everyone**", "@**channel**", "@**stream**", "@**topic**", "@**Jane Doe|8**",
    "@**Jane**", "@*team*", "\\@**all**", "&#64;**all**", "@&#42;&#42;all&#42;&#42;", "x@**all**",
])
def test_zulip_oracle_sees_mentions(text):
    assert zulip_live_mentions(text), text


@pytest.mark.parametrize("text", ["@_**Jane**", "@_**Jane|8**", "@_*team*", "@all", "@here", "**all**", "@ **all**"])
def test_zulip_oracle_ignores_silent_and_bare_mentions(text):
    assert not zulip_live_mentions(text), text


# --- the passes, on any text --------------------------------------------------------------------------


def _check_for_zulip(text: str) -> None:
    out = for_zulip(text)
    assert zulip_live_mentions(out) == [], f"for_zulip: {out!r}"
    # nothing invisible, no escapes
    assert out.count("\u200b") <= text.count("\u200b") and out.count("\\") == text.count("\\"), f"for_zulip: {out!r}"


def _check_for_discourse_and_for_plain(text: str) -> None:
    out = for_discourse(text)
    assert discourse_live_mentions(out) == [], f"for_discourse: {out!r}"
    plain = for_plain(text)
    assert zulip_live_mentions(plain) == [] and discourse_live_mentions(plain) == [], f"for_plain: {plain!r}"


def _check_escaped_user_text(text: str, target: str) -> None:
    for out in (escape_inline(text, target=target), safe_markdown(text, target=target),
                link(text, "https://example.org/@x", target=target)):
        if target in ("zulip", "plain"):
            assert zulip_live_mentions(out) == [], f"{target}: {out!r}"
        if target in ("discourse", "plain"):
            assert discourse_live_mentions(out) == [], f"{target}: {out!r}"
        if target == "zulip":
            assert out.count("\\") <= text.count("\\"), f"{target}: {out!r}"  # no backslash escapes added
        assert out.count("\u200b") <= text.count("\u200b"), f"{target}: {out!r}"  # no invisible characters added
    assert zulip_live_mentions(silent_mention(text, 8)) == []


@MENTIONS
@given(hostile_text)
@example("@@**all**")
@example("@*@**all***")
@example("&#6@4;**all**")
@example("&#6@4;here")
@example("a@@here")
@example("https://host/@@here")
def test_the_passes_and_escaping_leave_no_live_mention_in_any_text(text):
    """On each hostile text: ``for_zulip`` leaves no live Zulip mention (and adds no backslash or invisible
    character); ``for_discourse`` no live Discourse mention, ``for_plain`` neither; and user text escaped for
    each target (``escape_inline``, ``safe_markdown``, a link label, a silent mention) pings nobody there.

    One test for all of them, so that the 10,000 texts are generated once: generating an example costs
    hypothesis about 2 ms, checking all of these on it about 0.5 ms."""
    _check_for_zulip(text)
    _check_for_discourse_and_for_plain(text)
    for target in ("zulip", "discourse", "plain"):
        _check_escaped_user_text(text, target)


def test_zulip_text_has_no_backslash_escapes_and_no_invisible_characters():
    out = escape_inline("apt_install 2018-01-04_report.md *now* [x] `y ~~z~~ $$m$$ @all", target="zulip")
    assert out == "apt_install 2018-01-04_report.md *now* [x] `y ~~z~~ $$m$$ all"  # as written, "@all" the word
    assert for_discourse("ping @here and @**all**") == "ping here and all"
    assert for_zulip("@**ALL** @**Everyone|2** @_**topic**") == "ALL Everyone topic"  # wildcards in any case


# --- every section of every digest, every target ------------------------------------------------------

_SECTIONS = {
    "community": ("summary", "meetings", "attendance", "newcomers", "calls_for_help", "upcoming", "links"),
    "technical": ("summary", "releases", "decisions", "agenda", "action_items"),
    "celebratory": ("summary", "shoutouts", "celebrations"),
}
_WINDOW = Window(since=dt.datetime(2025, 6, 1, tzinfo=dt.UTC), until=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))


_SLOTS = ("text", "title", "person", "github", "name", "group", "link", "link_label", "mark", "markdown", "heading",
          "intro", "community", "title_of_digest", "summary", "child")


def _digest(kind: str, section: str, slot: str, text: str) -> Digest:
    """A digest of ``kind`` with one ``section`` that carries ``text`` in one place (``slot``); the rest is ordinary.

    One section per example keeps 10,000 renders quick; the examples cover every section of every kind."""
    value = {slot: text}
    people = (Person(name=value.get("person", "Jane"), kind="zulip", user_id=8),
              Person(name=value.get("github", "Min"), kind="github", handle="minrk"),
              Person(name=value.get("name", "Ann"), kind="name"), Person(name=value.get("group", "docs"), kind="group"))
    child = Entry(text=value.get("child", "a child item"), people=people[:1])
    entry = Entry(text=value.get("text", "an item"), title=value.get("title"), date=dt.date(2025, 6, 3), people=people,
                  credits=people[1:], links=(Link(label=value.get("link_label", "notes"), url="https://x.org/a"),
                                             Link(label=value.get("link", "src"), url=None)),
                  marks=(value.get("mark", "new"),), markdown=(value.get("markdown", "*fine*"),), children=(child,))
    sections = (Section(name=section, heading=value.get("heading", section), intro=value.get("intro"), entries=(entry,)),)
    return Digest(kind=kind, window=_WINDOW, timezone="UTC", community=value.get("community", "Example"),  # type: ignore[arg-type]
                  title=value.get("title_of_digest", "Digest"), period="June 2025", summary=value.get("summary", "Hi."),
                  counts=DigestCounts(meetings=1), sections=sections)


_KIND_SECTION = [(kind, name) for kind, names in _SECTIONS.items() for name in names]


@MENTIONS
@given(hostile_text, st.sampled_from(_KIND_SECTION), st.sampled_from(_SLOTS),
       st.sampled_from(["zulip", "zulip-summary", "discourse", "plain"]))
@example("announce it.@here, ask the_@docs-team and @_name", ("technical", "decisions"), "text", "discourse")
def test_every_section_of_every_digest_pings_nobody(text, kind_section, slot, target):
    """Hostile text in any field of any section of any digest kind, rendered for any target: no live mention."""
    kind, section = kind_section
    digest = _digest(kind, section, slot, text)
    if target.startswith("zulip"):
        mode = "summary" if target == "zulip-summary" else "full"
        rendered = render(digest, target="zulip", stream="general", mode=mode, summary_link="https://d.org/t/1")
        for message in rendered.messages:
            assert zulip_live_mentions(message) == [], message
    elif target == "discourse":
        raw = render(digest, target="discourse", category="News").raw or ""
        assert discourse_live_mentions(raw) == [], raw
    else:
        plain = render(digest, target="plain").text or ""
        assert zulip_live_mentions(plain) == [] and discourse_live_mentions(plain) == [], plain


# --- every reply: hostile text through the real dispatcher and commands --------------------------------

def _reply_chat(directory: str, template: Path) -> Chat:
    """A dispatcher over a fresh copy of the empty, migrated database (``migrated_sqlite`` in conftest.py):
    each example starts from the same state, so a failure replays; copying it takes a millisecond, migrating
    50 ms."""
    from chatops.storage.db import Database

    shutil.copyfile(template, f"{directory}/compass.db")
    return Chat(Database.open(f"sqlite:///{directory}/compass.db", migrate=False), rate_limit=1_000_000, max_length=9000)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
@example("@**all** @*team* @here it.@staff the_@docs-team @_name")
def test_every_reply_to_hostile_text_pings_nobody(migrated_sqlite, text):
    import tempfile

    with tempfile.TemporaryDirectory(prefix="compass-mentions-") as directory:
        chat = _reply_chat(directory, migrated_sqlite)
        try:
            _ask_everything(chat, text)
        finally:
            chat.close()  # the reply ids it holds are recorded now, while the directory is still there
            chat.database.close()


def _ask_everything(chat: Chat, text: str) -> None:
    asks = [(f"shoutout @**Bob Stone|12** for {text}", None), (f"shoutout {text} for the docs", None), (text, None),
            (f"shoutouts {text}", None), (f"undo {text}", None), (f"help {text}", None),
            (f"digest preview {text}", ADA), (f"pause {text}", ADA)]
    before = len(chat.stub.replies)
    for ask, who in asks:
        chat.dispatcher.handle(chat.message(f"@**compass** {ask}", who or (11, "Ann Lee")), chat.stub)
    replies = chat.stub.texts[before:]
    assert len(replies) >= len(asks) - 1  # every command is answered (the bare text may be a mention in passing)
    for reply in replies:
        assert zulip_live_mentions(reply) == [], reply
