"""Hypothesis properties of the notes parser: any text is safe, links are never lost, output is stable."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from digests.errors import NotesParseError
from digests.notes import parse_notes

_HOST = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(org|io|com|dev)", fullmatch=True)
_PATH = st.from_regex(r"(/[A-Za-z0-9~%-]{1,8}){0,3}(/|\?q=[a-z0-9]{1,5})?", fullmatch=True)
URLS = st.builds(lambda scheme, host, path: f"{scheme}://{host}{path}", st.sampled_from(["http", "https"]), _HOST, _PATH)
WORDS = st.lists(st.sampled_from(["notes", "Min", "agreed", "to", "**Erik:**", "[name=Ana]", "(5m)", "@minrk",
                                   "_x_", "`code`", "Decision:", "TODO:", "thanks", ":tada:", "Sarah", "/", "-"]),
                 min_size=0, max_size=6).map(" ".join)


def _placed(url: str, how: str, words: str) -> str:
    return {
        "bare": f"{words} {url} {words}",
        "autolink": f"{words} <{url}>",
        "link": f"[{words or 'here'}]({url})",
        "paren": f"({url})",
    }[how]


@st.composite
def documents(draw):
    """Markdown in the shapes notes take, with URLs dropped into every kind of block."""
    lines: list[str] = []
    urls: list[str] = []
    if draw(st.booleans()):
        lines += ["---", "title: Notes", "---", ""]
    for _ in range(draw(st.integers(1, 12))):
        block = draw(st.sampled_from(["heading", "bullet", "nested", "para", "code", "quote", "table", "spoiler", "task"]))
        url = draw(URLS)
        how = draw(st.sampled_from(["bare", "autolink", "link", "paren"]))
        words = draw(WORDS)
        text = _placed(url, how, words)
        urls.append(url)
        if block == "heading":
            level = draw(st.integers(1, 4))
            title = draw(st.sampled_from(["Agenda", "Attendees", "Celebrations :tada:", "Action items", "Notes",
                                          "Quick updates", "Decisions"]))
            lines += [f"{'#' * level} {title} {text}", ""]
        elif block == "bullet":
            lines += [f"- {text}", ""]
        elif block == "nested":
            lines += [f"- {words or 'item'}", f"  - {text}", f"      - {words} {url}", ""]
        elif block == "para":
            lines += [f"{words}", f"{text}", ""]
        elif block == "code":
            lines += ["```", f"{url}", "```", ""]
        elif block == "quote":
            lines += [f"> {text}", ""]
        elif block == "table":
            lines += ["| a | b |", "| - | - |", f"| {words or 'x'} | {url} |", ""]
        elif block == "spoiler":
            lines += [":::spoiler more", f"- {text}", ":::", ""]
        else:
            lines += [f"- [ ] {text}", ""]
    return "\n".join(lines), urls


@settings(max_examples=150, deadline=None)
@given(st.text())
@example("")
@example("# 2025-01-01\n\n## 2025-02-30\n- [name=]\n- **:** \n:::\n:::spoiler\n")
@example("- [ ]\n|a|\n|-|\n| |\n---\ntitle: x\n---\n")
@example("\x00\ud800")
@example("*" * 500 + "[" * 300 + "- " * 200)
def test_any_text_parses_or_raises_notes_parse_error(text):
    try:
        meetings = parse_notes(text, document="fuzz.md")
    except NotesParseError:
        return
    for m in meetings:
        m.to_contract()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=string.printable + "åéß—–•🎉", max_size=400))
def test_markdown_like_noise_never_raises(text):
    try:
        parse_notes(text, document="noise.md")
    except NotesParseError:
        pass


@settings(max_examples=80, deadline=None)
@given(documents())
@example(("See https://a.io/x.\n\n(https://b.io/y), and <https://c.io/z>", ["https://a.io/x", "https://b.io/y", "https://c.io/z"]))
@example(("# Notes https://a.io/2024-01-02\n\n- https://b.io", ["https://a.io/2024-01-02", "https://b.io"]))
def test_every_http_link_in_the_input_is_in_links(doc):
    text, urls = doc
    meetings = parse_notes(text, document="links.md")
    found = [u for m in meetings for u in m.links]
    for url in urls:
        assert url in found, (url, text)
    for m in meetings:
        assert len(set(m.links)) == len(m.links)
    wanted = set(urls)
    assert [u for u in found if u in wanted] == list(dict.fromkeys(urls)), "links keep their order of first appearance"


@settings(max_examples=50, deadline=None)
@given(documents())
def test_parsing_is_deterministic(doc):
    text, _ = doc
    first = [m.model_dump() for m in parse_notes(text, document="d.md")]
    second = [m.model_dump() for m in parse_notes(text, document="d.md")]
    assert first == second
