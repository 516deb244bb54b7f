"""Escaping user text for Zulip and Discourse: no mentions, no HTML, no broken Markdown."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digests.markdown import escape_inline, link, safe_markdown, safe_url, silent_mention

MD = MarkdownIt("commonmark").enable("strikethrough")

# What would notify someone: Zulip mention syntax, and a Discourse/GitHub "@name" after a non-word char.
ZULIP_MENTION = re.compile(r"@_?\*\*|@_?\*[^*\s]")
AT_WORD = re.compile(r"(?<![\w.])@[\w*]")


def inline_html(markdown: str) -> str:
    """The HTML of ``markdown`` as one paragraph's inline content (fails if it is not one paragraph)."""
    tokens = MD.parse(markdown)
    kinds = [t.type for t in tokens]
    assert kinds in (["paragraph_open", "inline", "paragraph_close"], []), f"{markdown!r} made blocks {kinds}"
    return MD.render(markdown)


@pytest.mark.parametrize(
    "text",
    ["@**all** please look", "@**everyone**", "@**channel** hi", "@**topic**", "@*maintainers* ping",
     "@_**Jane Doe|12** silent", "@all and @everyone", "hi @here", "@**Jane Doe**"],
    ids=["all", "everyone", "channel", "topic", "group", "silent_with_id", "discourse_all", "here", "user"],
)
def test_wildcard_and_group_mentions_are_defused(text: str) -> None:
    out = escape_inline(text)
    assert not ZULIP_MENTION.search(out), out
    assert not AT_WORD.search(out), out


def test_mention_keeps_the_name_readable() -> None:
    assert escape_inline("thanks @**Jane Doe** and @*core-team*") == "thanks Jane Doe and core-team"
    # A Discourse-style "@all" loses its "@" (plain and Discourse), visibly and without invisible characters.
    assert escape_inline("ping @all") == "ping all"
    assert escape_inline("ping @all", target="zulip") == "ping all"  # no Zulip mention, but it reads as one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "alert(1)"),  # no HTML reaches a post, and no entity shows
        ("pip install <package>", "pip install \u2039package>"),
        ("a -> b", "a \u2192 b"),
        ("a *b* _c_ `d", "a \\*b\\* \\_c\\_ \\`d"),
        ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
        ("# not a heading", "\\# not a heading"),
        ("- not a list", "\\- not a list"),
        ("1. not a list", "1\\. not a list"),
        ("> not a quote", "\\> not a quote"),
        ("line one\nline two\n\n- item", "line one line two - item"),
        ("~~gone~~ $$x$$", "~\\~gone~\\~ $\\$x$\\$"),
        ("&amp; stays literal", "& stays literal"),
        ("We&#39;ve done it", "We've done it"),
    ],
    ids=["html", "angle_bracket", "arrow", "emphasis", "link_syntax", "heading", "bullet", "ordered", "quote",
         "newlines", "strike_math", "entity", "numeric_entity"],
)
def test_markdown_and_html_in_user_text_is_escaped(text: str, expected: str) -> None:
    assert escape_inline(text) == expected


def test_urls_become_links_and_emoji_survive() -> None:
    out = escape_inline("see https://github.com/a/b_c/pull/1. :tada: ok")
    assert out == "see [b\\_c#1](https://github.com/a/b_c/pull/1). :tada: ok"
    out = escape_inline("docs at https://www.example.org/a_b/, thanks")
    assert out == "docs at [example.org/a\\_b](https://www.example.org/a_b/), thanks"


def test_inline_code_is_kept_verbatim() -> None:
    assert escape_inline("thanks `@bollwyvl` for *tests*", target="zulip") == "thanks `@bollwyvl` for *tests*"  # Zulip: as written
    # Discourse and plain Markdown: the mention pass reads code spans too (never a ping, even if a parser
    # disagrees about where the span ends), so a handle there loses its "@".
    assert escape_inline("thanks `@bollwyvl` for *tests*") == "thanks `bollwyvl` for \\*tests\\*"


def test_limit_cuts_at_a_word_with_an_ellipsis() -> None:
    out = escape_inline("word " * 50, limit=30)
    assert out.endswith("\u2026") and len(out) <= 31 and "wor\u2026" not in out


def test_safe_markdown_keeps_links_and_code_only() -> None:
    out = safe_markdown("Fix `c.Spawner.x` in [#123](https://github.com/a/b/pull/123) by @minrk <b>now</b>")
    assert out == "Fix `c.Spawner.x` in [#123](https://github.com/a/b/pull/123) by minrk now"
    assert safe_markdown("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"


def test_links_accept_only_http() -> None:
    assert link("notes", "https://e.org/a b(c)") == "[notes](https://e.org/a%20b%28c%29)"
    assert link("notes", "javascript:alert(1)") == "notes"
    assert link("a]b", None) == "a\\]b"
    assert safe_url("ftp://x") is None


def test_silent_mentions_never_notify() -> None:
    assert silent_mention("Jane Doe") == "@_**Jane Doe**"
    assert silent_mention("Jane Doe", user_id=8) == "@_**Jane Doe|8**"
    for name in ("all", "everyone", "channel", "topic", "a**b"):
        assert not silent_mention(name).startswith("@"), name


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
@example("@**all**")
@example("<img src=x onerror=alert(1)>")
@example("* [ ] task")
@example("```\ncode\n```")
@example("    indented code")
@example("1) one")
@example("===")
@example("\\@**all**")
@example("@_*group*")
def test_any_text_stays_one_harmless_paragraph(text: str) -> None:
    out = escape_inline(text)
    assert "\n" not in out
    assert not ZULIP_MENTION.search(out), out
    assert not AT_WORD.search(out), out
    html = inline_html("x " + out)  # inside a list item or sentence, as the templates use it
    assert not re.search(r"<(?!/?(p|a|code|s|em|strong|br)\b)", html), html
    assert "<em>" not in html and "<strong>" not in html and "<img" not in html, html
    # only links the escaper made itself (http/https)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("http://", "https://")), href


def test_silent_mention_refuses_names_with_markup() -> None:
    for name in ("@", "a@b", "x`y", "[a]", "<b>"):
        assert not silent_mention(name).startswith("@_**"), name


def test_only_real_shortcodes_keep_their_underscores() -> None:
    assert escape_inline(":speaking_head_in_silhouette: hi") == ":speaking_head_in_silhouette: hi"
    assert escape_inline(":_x_: y") == ":\\_x\\_: y"
    assert "<em>" not in inline_html(escape_inline(":_x_: and :a_b: or _c_"))
