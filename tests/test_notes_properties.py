"""Hypothesis properties of the notes parser: any text is safe, links are never lost, output is stable."""

from __future__ import annotations

import re
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
@example("=")  # a lone wiki-heading mark: the compiled parser's byte slice must not run backwards
@example("==\n= =\n=  =\n== a ==\n")
@example("[[|]]\n\n@**|**\n- [DONE]\n")
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


# Template lines taken verbatim from shared/fixtures/notes-patterns (15, 15b, 14, 14b, 12, 19, 20): the lines a
# notes template holds before anyone fills it in.
TEMPLATE_LINES = [
    "**NAME:** What you want to share",
    "[name=yourname] Your news here!",
    "**Name:** Your report or shout-out",
    "**Name:** Your shout-out goes here",
    "None this time",
    "[name=Name] (estimated time): Topic.",
    "[name=Name] (duration): Subject.",
    "_Name (and pronouns if you'd like) / GitHub handle / affiliation_",
    "Your name / GitHub ID / affiliation / Favourite snack?",
    "Name / GitHub ID / affiliation / ?",
    "Name / GitHub user / organisation / ?",
    "name / institution / GitHub handle",
]
_TEMPLATE_WORDS = {"share", "news", "report", "shout", "topic", "subject", "none", "name", "github", "affiliation",
                   "institution", "organisation", "snack", "pronouns", "yourname", "goes"}
SECTIONS = ["## Roll call", "## Attendees", "### Check-in :raising_hand:", "## Quick updates", "## Reports and celebrations",
            "## Agenda items", "### Agenda", "## Decisions", "## Action items", "## Introductions", "## Notes"]
FILLED = ["- **Gil:** shipped the new theme", "- [name=Hana] (5m): Contrast audit", "- Mei / Kestrel / @meiw",
          "- Thanks to Lena for the release", "- Lars will open a PR", "- Agreed to release monthly"]


@st.composite
def templated_documents(draw):
    lines = ["# Team Meeting", "", "Date: 2031-06-03", ""]
    for _ in range(draw(st.integers(1, 6))):
        lines += [draw(st.sampled_from(SECTIONS)), ""]
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.booleans()):
                lines.append("- " + draw(st.sampled_from(TEMPLATE_LINES)))
            else:
                lines.append(draw(st.sampled_from(FILLED)))
        lines.append("")
    return "\n".join(lines)


def _item_texts(meeting) -> list[str]:
    out = [a.title for a in meeting.agenda] + [c.text for c in meeting.celebrations]
    out += [u.text for u in meeting.updates] + [d.text for d in meeting.decisions] + [a.text for a in meeting.action_items]
    out += list(meeting.newcomers) + [a.name or "" for a in meeting.attendees]
    out += [c.by or "" for c in meeting.celebrations] + [u.by or "" for u in meeting.updates]
    out += [a.owner or "" for a in meeting.agenda] + [a.affiliation or "" for a in meeting.attendees]
    return out


@settings(max_examples=120, deadline=None)
@given(templated_documents())
@example("# Team Meeting\n\n## Quick updates\n\n- **NAME:** What you want to share\n\n## Agenda items\n\n"
         "- [name=Name] (estimated time): Topic.\n")
def test_no_template_line_from_the_patterns_is_ever_an_item(text):
    for meeting in parse_notes(text, document="templated.md"):
        for item in _item_texts(meeting):
            words = set(re.findall(r"[a-z]+", item.lower()))
            assert not (words and words <= _TEMPLATE_WORDS | {"your", "what", "you", "want", "to", "here", "or",
                                                              "this", "time", "estimated", "duration", "id", "user",
                                                              "favourite", "and", "if", "d", "like", "handle"}), (item, text)
