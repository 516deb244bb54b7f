"""What every stage of the notes ``Assembler`` shares: the per-block context, what a meeting accumulates,
the ``Stage`` base class (the document, its anchors, references), and the helpers and patterns the
stages use (placeholders and template text, topics, Markdown links, inline texts of blocks).

See ``digests.notes.meetings`` for the stages and the order they run in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from digests.notes import people as P
from digests.notes.blocks import Block, Document, Heading, Inline, Item, ListBlock, Para, Quote, Raw, Table
from digests.notes.dates import find_date, heading_date
from digests.notes.records import ActionItem, AgendaItem, Attendee, Celebration, Decision, SourceRef, Update
from digests.notes.sections import SectionTable, normalize_heading

# Patterns compiled once (the compiled parser would otherwise look them up in re's cache on every call).
_FRONT_LINE = re.compile(r"^([A-Za-z_][\w\-]*)\s*:\s*(.*?)\s*$")
_WORDS = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+")
_BARE_NAME = re.compile(r"^\[?([^\]:(–—]+?)\]?\s*(?:\(|$)")

_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_PLACEHOLDER_WORDS = {
    "name", "names", "your", "github", "handle", "handles", "username", "user", "affiliation", "affiliations",
    "institution", "organization", "organisation", "org", "company", "pronouns", "role", "email", "update",
    "or", "pass", "and", "optional", "here", "add", "item", "items", "topic", "title", "description",
    "person", "e", "g", "eg", "link", "url", "tbd", "todo", "xx", "xxx", "x", "etc", "gh", "employer",
    "project", "projects", "time", "estimate", "minutes", "notes", "note", "yourself", "the", "a", "an",
}
_PLACEHOLDER_RE = re.compile(
    r"^(?:please\s+)?(?:add|insert|put|write|list|include|enter)\b(?:\s+\S+){0,6}?\s+(?:here|below|above)\b.*$|"
    r"^(?:\.\.\.|…|-|—|–|tbd|tba|n/?a|none|nothing|pass|no update)\.?$",
    re.IGNORECASE,
)
_PLACEHOLDER_START = re.compile(r"^(?:please|add|insert|put|write|list|include|enter|\.|…|-|—|–|tb|n/?a|none|nothing|pass|no)",
                                re.IGNORECASE)
_PLACEHOLDER_FIRST = frozenset("paiwletnPAIWLETN.-")
_WORDS = re.compile(r"[a-z]+")
_DATE_LINE = re.compile(r"^(?:meeting\s+)?(?:date|when|day)\s*(?:\(.*?\))?\s*[:\-–—]\s*(?P<rest>.+)$", re.IGNORECASE)
_LABEL_TAIL = re.compile(r"(?:^|[.!?]\s+|\n)(?P<label>[^.!?\n]{1,60}?)\s*:\s*$")
_INLINE_LABEL = re.compile(r"^([A-Za-z][\w ,\-]{0,30}?)\s*:\s+\S")
_ENUMERATION = re.compile(r"^(?:\d{1,2}[.)]|[a-z][.)]|#\d{1,2}:?)\s+")
_LIST_SEP = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_TITLE_WORD = re.compile(r"[a-z0-9]+")
_PASS_RE = re.compile(r"^(?:pass(?:ed)?|no update|nothing(?: new)?|n/?a|-|—)\.?!?$", re.IGNORECASE)


_NOT_SLUG = re.compile(r"[^\w\- ]")


def slugify(text: str) -> str:
    """GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = (_SHORTCODE.sub("", text) if ":" in text else text).strip().lower()
    text = _NOT_SLUG.sub("", text)
    return text.replace(" ", "-")


# Built-in knowledge of the stand-ins templates use, for a document read alone (a source's own template is
# learnt from its documents, see digests.notes.template).
_TEMPLATE_TEXT = re.compile(
    r"^(?:none|nothing|n/?a)(?:\s+(?:this|that|for\s+now)(?:\s+(?:time|week|month|meeting))?)?[.!]?$|"
    r"\byour\s+(?:news|report|update|shout[- ]?out|topic|item|question|idea|text|comment|celebration|thanks)s?\b"
    r"(?:\s+(?:here|goes\s+here))?|\bgoes\s+here\b|\bwhat\s+you\s+(?:want|would\s+like)\s+to\s+(?:share|discuss|say|add)\b|"
    r"^\(?(?:estimated\s+)?(?:time|duration)\)?\s*:?\s*(?:topic|subject|title)\.?$|^(?:topic|subject|title|description)\.?$",
    re.IGNORECASE,
)
_TEMPLATE_HINTS = ("none", "nothing", "n/a", "your", "here", "what you", "topic", "subject", "title", "description")


_PLACEHOLDER_MEMO: dict[str, bool] = {}


def is_placeholder(text: str) -> bool:
    """Template text left in place: "add item here", "name: update or pass", "_Name / GitHub handle / affiliation_",
    "Your news here!", "None this time". The same texts are asked about several times: answers are remembered."""
    known = _PLACEHOLDER_MEMO.get(text)
    if known is not None:
        return known
    found = _is_placeholder(text)
    if len(_PLACEHOLDER_MEMO) >= 4096:
        _PLACEHOLDER_MEMO.clear()
    _PLACEHOLDER_MEMO[text] = found
    return found


def _is_placeholder(text: str) -> bool:
    t = text.strip(" *_`")
    if not t:
        return True
    if len(t) > 90:  # template lines are short
        return False
    low_t = t.lower()
    if any(h in low_t for h in _TEMPLATE_HINTS) and _TEMPLATE_TEXT.search(t):
        return True
    if ("/" in t or "|" in t) and "name" in low_t and P.column_order(t) is not None:
        return True  # "Name / GitHub handle / affiliation": a roll call's column header
    if t.count("[") >= 2 and _bracket_template(t):
        return True  # "[Name]: thanks [someone] for [something]", "[Name] to [do something]"
    lead = t[0]
    # _PLACEHOLDER_START can only match from these first characters (an ASCII one in any case; a
    # non-ASCII one may have case forms the regex knows, so it is left to the regex).
    start = _PLACEHOLDER_START.match(t) if lead in _PLACEHOLDER_FIRST or not lead.isascii() else None
    if start and _PLACEHOLDER_RE.match(t):
        return True
    low = t.lower()
    first = _WORDS.search(low)
    if first is None or first.group(0) not in _PLACEHOLDER_WORDS:
        return first is None and not any(ch.isdigit() for ch in t) and not t.strip(".…-—– ")
    words = _WORDS.findall(low)
    return bool(words) and all(w in _PLACEHOLDER_WORDS for w in words) and not any(ch.isdigit() for ch in t)


_BRACKETED = re.compile(r"\[([^\[\]]{1,30})\]")
_BRACKET_WORDS = frozenset({
    "name", "names", "your", "yourname", "someone", "somebody", "something", "topic", "update", "item", "handle",
    "github", "org", "organisation", "organization", "affiliation", "x", "n", "minutes", "mins", "min", "time",
    "description", "link", "here", "person", "who", "what", "task", "do", "thing", "date", "title", "text", "news",
    "shout", "out", "shoutout", "question", "action", "owner", "estimated", "optional", "pronouns", "url", "pr",
})


def _bracket_template(text: str) -> bool:
    """Whether two or more "[...]" stand-ins of a template fill the line, and every one of them is template words."""
    found = _BRACKETED.findall(text)
    if len(found) < 2:
        return False
    for inner in found:
        words = _WORDS.findall(inner.lower())
        if not words or not all(w in _BRACKET_WORDS for w in words):
            return False
    rest = _WORDS.findall(_BRACKETED.sub(" ", text).lower())
    return len(rest) <= 4


def _front_matter(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        m = _FRONT_LINE.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2).strip("'\"")
    return out



@dataclass(slots=True)
class _Ctx:
    kind: str | None
    anchor: str | None
    sub: Heading | None = None  # an agenda sub-heading the block sits under
    sub_anchor: str | None = None
    label: str | None = None  # kind given by a "Roll call:" style label just before a list
    person: str | None = None  # "### Chris" above the section: who wrote (or owns) the items below
    topic: str | None = None  # the agenda item or heading the block sits under
    boxes_are_topics: bool = False  # task boxes here are an agenda's bullets, not tasks
    outcome: str | None = None  # "**Accepted**" over a list of proposals: the decision on each of them


@dataclass
class _Build:
    """What one meeting accumulates while its blocks are read."""

    attendees: list[Attendee] = field(default_factory=list)
    newcomers: list[str] = field(default_factory=list)
    celebrations: list[Celebration] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    agenda: list[AgendaItem] = field(default_factory=list)
    fragment_items: dict[str, int] = field(default_factory=dict)  # "#anchor" linked from an agenda item
    list_items: list[int] = field(default_factory=list)  # agenda items that came from list items
    title_words: dict[str, list[int]] = field(default_factory=dict)  # word -> list items whose title has it
    heading_items: dict[int, int] = field(default_factory=dict)  # id(sub-heading) -> agenda item
    # agenda item -> (discussion, links) from the notes under its sub-heading
    more_discussion: dict[int, tuple[list[str], dict[str, None]]] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    links: dict[str, None] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    seen_statements: set[tuple[str, str]] = field(default_factory=set)
    last_para: str = ""  # the agenda's last paragraph, for the topic of the next one
    absent: bool = False  # the roll call's last label said who was absent ("Regrets:", "Directors Absent:")
    motion: tuple[str, str | None] | None = None  # a motion moved and not yet carried, and its topic


_ItemMaker = Callable[[Inline, Block, _Ctx, _Build], None]


# --- helpers -----------------------------------------------------------------------------------

_ADDED_BY = re.compile(r"\s*(?:[-–—]+|\(|\[)?\s*(?:added|posted|submitted|shared|written|suggested)\s+by\s+"
                       r"(?P<who>@?[\w\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z][\w'’\-]*)?)\s*[)\]]?\s*[.!]?$",
                       re.IGNORECASE)
_NAME_ONLY = re.compile(r"^\*{0,2}@?[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*){0,2}\*{0,2}\s*:?$")
def struck(flat: str) -> bool:
    """Whether an item starts with ``~~struck-through~~`` words: withdrawn ("~~Discuss the logo~~ (moved)")."""
    return flat[:2] == "~~" and flat.find("~~", 3) > 2


_WELCOME = re.compile(r"\bwelcome\s+(?!back\b)(?:to\s+)?@?[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?(?:\s*(?:,|and|&)\s*[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?)*"
                      r"(?=\s+(?:to|as|on|onto|into)\b|\s*,\s*(?:our|the|a)\s+new\b)", re.IGNORECASE)
# Verbs a task starts with ("[Lars] Send out the poll"): a topic phrased as an order is also a task.
_IMPERATIVE = re.compile(
    r"^(?:send|write|open|review|draft|update|create|add|fix|check|ask|post|book|merge|archive|move|record|schedule|"
    r"prepare|share|reach\s+out|contact|set\s+up|follow\s+up|file|make|find|plan|organi[sz]e|invite|publish|"
    r"release|test|document|remove|clean\s+up|look\s+into|investigate|reply|email|ping|collect|compile|start|finish|"
    r"coordinate|announce|submit|draft|reserve|order|buy|register|cancel|tag|triage|close|label|upload|migrate|"
    r"deploy|install|configure|rename|delete|benchmark|measure|summari[sz]e|circulate|confirm|arrange|run)\b"
    r"(?:\s+(?:out|up|back|over|down|through|off))?\s+(?:the|a|an|our|this|that|these|those|some|all|it|them|his|her|their|"
    r"my|your|one|two|three|each|every|new|more|any|everyone|people|folks)\b",
    re.IGNORECASE,
)
_BARE_URL_TAIL = re.compile(r"\s*(?:\(?\s*https?://\S+\s*\)?\s*)+$")


_TOPIC_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)])\s+(?![a-z])")  # "4.3 beta release": a version


@lru_cache(maxsize=4096)  # the same titles are made topics for every statement under them
def _topic(text: str | None) -> str | None:
    """A title as the topic of what was recorded under it: without trailing bare links or colons."""
    if not text:
        return None
    if "://" in text and _may_end_in_url(text):
        text = _BARE_URL_TAIL.sub("", text)
    text = _TOPIC_NUMBER.sub("", " ".join(text.split()))
    if text[-1:] == ":" and _SHORTCODE_END.search(text) is None:  # but "1.0 released :tada:" keeps its emoji
        text = text.rstrip(" :")
    return text.rstrip() or None


_SHORTCODE_END = re.compile(r"\s:[a-z0-9_+\-]{1,40}:$")


def _may_end_in_url(text: str) -> bool:
    """Whether ``_BARE_URL_TAIL`` may match: its last link ends the text, but for spaces and a ")" (the
    word holding the link's "://" is the last word, or the one before a lone ")")."""
    words = text.split()
    if not words:
        return False
    return "://" in words[-1] or (words[-1] == ")" and len(words) > 1 and "://" in words[-2])


def _markdown_of(inline: Inline, rest: str) -> str:
    """``rest`` (the item's text, or its end after a lead) with its Markdown links put back."""
    if not inline.link_texts:
        return rest
    out = rest
    pos = 0
    for label, url in inline.link_texts:
        label = " ".join(label.split())
        if not label or label == url or "://" in label:
            continue  # an autolink: the URL is in the text already
        at = out.find(label, pos)
        if at < 0:
            continue
        link = f"[{label}]({url})"
        out = out[:at] + link + out[at + len(label):]
        pos = at + len(link)
    return out


_LOGISTICS = re.compile(
    r"^(?:next\s+(?:call|meeting|sync|session)|(?:meeting\s+)?(?:date|time)|when|where|location|venue|zoom|zoom\s+link|meeting\s+link|"
    r"video\s+link|call\s+link|recording|facilitator|note[- ]?takers?|notes?\s+by|chair|host|moderator)\s*[:\-–—]\s*\S",
    re.IGNORECASE,
)
_KNOWN_DOES = re.compile(r"^([A-Z][\w'’\-]*)\s+[a-z]+s\s+\S")
_UPDATE_BY = re.compile(r"\s+(?:by|from)\s+(?P<who>[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?)\s*[.!]?$")
_CANCELLED = re.compile(
    r"^(?:(?:the\s+)?(?:meeting|call|cafe|café|session|sync)\s+(?:was\s+|is\s+)?)?(?:cancell?ed|called\s+off|skipped)\b|"
    r"^no\s+(?:meeting|call|cafe|café|session|sync)\b|^(?:we\s+)?did\s+not\s+meet\b|^no\s+quorum\b",
    re.IGNORECASE,
)


_GENERIC_NOTES = frozenset({
    "notes", "note", "minutes", "meeting notes", "meeting minutes", "discussion notes", "notes and discussion",
    "notes discussion", "general notes", "other notes", "raw notes", "live notes", "shared notes", "notes minutes",
    "meeting summary", "summary of the meeting", "minutes of the meeting", "meeting log", "meeting record",
})
# Headings and topic lines that name the meeting's procedure, not a topic ("Links", "1. Call to order",
# meetbot's "init process", "Upcoming meetings"): what they hold is not the meeting's business.
PROCEDURE = frozenset({
    "links", "useful links", "meeting links", "important links", "resources", "upcoming meetings", "upcoming meeting",
    "next meeting", "next meetings", "next call", "next sync", "call to order", "adjournment", "adjourn", "adjourned",
    "meeting adjourned", "close of meeting", "end of meeting", "meeting ended", "init process", "init", "roll call",
    "rollcall", "roll-call", "date", "time", "date and time", "date time", "location", "logistics", "goals",
    "meeting goals", "objectives", "meeting info", "meeting information", "meeting details", "zoom", "zoom link",
    "recording", "recordings", "calendar", "absent", "regrets", "apologies", "excused", "not present", "absentees",
    "directors absent", "members absent", "start meeting", "meeting start", "opening", "closing",
    "welcome and apologies", "apologies for absence", "date of next meeting",
    "time and date of next meeting", "date and time of next meeting",
})
_ABSENCE_LABEL = re.compile(
    r"^(?:[\w ]{0,30}\s)?(?:absent|absentees|regrets|apologies|excused|not\s+(?:present|attending)|unable\s+to\s+attend)\s*:?\s*$",
    re.IGNORECASE,
)
# What a section says when nothing was discussed under it: "None.", "Skipped this week.", "Nothing to report".
_EMPTY_BODY = re.compile(
    r"^(?:none|n/?a|tbd|-+|—|nothing(?:\s+(?:new|to\s+(?:report|discuss|add)))?|skipped|no\s+(?:updates?|items?|topics?|news|"
    r"discussion|reports?|changes?))(?:\s+(?:this|for\s+this|for\s+now|today)(?:\s+(?:week|time|month|meeting|quarter))?)?\s*[.!]?$",
    re.IGNORECASE,
)
# A heading that names a repository ("nodejs/node", "kubernetes/website") groups the issues listed under it.
_REPO_HEADING = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


# Headings that sort proposals by their outcome (the Go proposal review minutes, PEP and RFC triage): the items
# under them are topics and, where the word is final, the word is the decision on each.
STATUS_GROUPS: dict[str, str] = {
    "accepted": "Accepted", "declined": "Declined", "approved": "Approved", "rejected": "Rejected",
    "retracted": "Retracted", "withdrawn": "Withdrawn", "merged": "Merged", "likely accept": "", "likely decline": "",
    "on hold": "", "hold": "", "likely accepted": "", "likely declined": "",
}


def is_procedure(text: str) -> bool:
    """"Links", "1. Call to order", "Upcoming Meetings": the meeting's procedure, not a topic."""
    if len(text) > 40:
        return False
    return normalize_heading(_TOPIC_NUMBER.sub("", text)) in PROCEDURE


def is_absence_label(text: str) -> bool:
    """"Regrets:", "Directors Absent:", "Apologies": the names that follow did not attend."""
    return len(text) <= 48 and _ABSENCE_LABEL.match(text.strip(" *_")) is not None


def says_nothing(text: str) -> bool:
    return len(text) <= 48 and _EMPTY_BODY.match(text.strip(" *_")) is not None
_SKIP_HEADINGS = ("missed topics", "missed items", "parking lot", "not discussed", "deferred", "breakout",
                  "break out", "breakouts", "for next time", "next time", "carried over", "leftover")


_NOT_NEW = re.compile(r"\bnot\s+(?:really\s+|actually\s+|so\s+)?new\b|\bnot\s+(?:my\s+)?first\s+time\b|\breturning\b", re.IGNORECASE)


def _line_inlines(inline: Inline) -> list[Inline]:
    """An item's lines as separate texts (a lazy continuation line is the next row of a list)."""
    if "\n" not in inline.text:
        return [inline]
    lines = [line for line in inline.lines if line]
    if len(lines) <= 1:
        return [inline]
    return [Inline(line, [u for u in inline.links if u in line]) if n else
            Inline(line, [u for u in inline.links if u in line], inline.strong_lead, inline.code_lead)
            for n, line in enumerate(lines)]


def _says_cancelled(span: list[Block]) -> bool:
    """Whether the first words of a meeting say it did not take place ("No meeting due to lack of
    attendees", "Cancelled (holiday week)")."""
    seen = 0
    for block in span:
        for inline in _unit_inlines(block, depth=1):
            if _CANCELLED.match(inline.flat.lstrip("*_ ")):
                return True
            seen += 1
            if seen >= 2:
                return False
    return False


_OPEN_QUESTIONS = re.compile(r"^(?:decisions?\s+(?:we\s+)?(?:need(?:ed)?|to\s+(?:make|take))|open\s+questions?|to\s+decide|"
                             r"questions?\s+to\s+decide|pending\s+decisions?)\b", re.IGNORECASE)


@lru_cache(maxsize=4096)  # the same headings come back in every meeting
def _generic_heading(text: str) -> str | None:
    """"notes" for a heading that only says it holds notes ("### Notes", "2031-06-03 notes"), "skip" for one
    whose items were not discussed or are not the meeting's ("Missed topics", "Breakout rooms"), else None."""
    norm = normalize_heading(text)
    if norm in _GENERIC_NOTES:
        return "notes"
    for phrase in _SKIP_HEADINGS:
        if norm.startswith(phrase) or f" {phrase}" in f" {norm}":
            return "skip"
    found = find_date(text)
    if found is not None:
        rest = normalize_heading(text[: found[1]] + " " + text[found[2]:])
        if rest in _GENERIC_NOTES or rest in ("", "meeting", "call", "sync"):
            return "notes"
    return None


def _names_section(text: str, kind: str, table: SectionTable) -> bool:
    """Whether a heading or label is the name of a section, not a topic that holds a section word:
    "Quick updates" or "Check-in :raising_hand:" are; "Quick intros round", "Team check-in on the sprint"
    are not. The words outside the section phrase must be few and not a topic's."""
    norm = normalize_heading(text)
    words = norm.split()
    if len(words) <= 2:
        return True
    return table.classify(" ".join(words[:3])) == kind and len(words) <= 4 or len(words) <= 3 and \
        table.classify(" ".join(words[-2:])) == kind


def _roll_table(block: Table) -> bool:
    """A table whose header names people's columns: a name and a handle or an affiliation."""
    if len(block.rows) < 2:
        return False
    header = [" ".join(_WORDS.findall(c.flat.lower())) for c in block.rows[0]]
    cols = [P.column_order(f"name / {h}") for h in header]
    kinds = {c[1] for c in cols if c and len(c) == 2 and c[1] != "other"}
    named = any(h in ("name", "names", "full name", "your name", "who", "person", "attendee", "attendees")
                for h in header)
    return named and bool(kinds & {"handle", "affiliation", "pronouns"})



def _is_bold_line(block: Para) -> bool:
    lead = block.inline.strong_lead
    return lead is not None and " ".join(lead.split()).strip(" :") == block.inline.flat.strip(" :*")


def split_pseudo_bullets(inline: Inline) -> tuple[Inline, list[str]]:
    """Over-indented sub-bullets are paragraph text to Markdown ("...\n        - Group agreed");
    the writer meant bullets, so lines starting with a bullet marker are split off."""
    if "\n" not in inline.text:
        return inline, []
    lines = inline.text.split("\n")
    head: list[str] = []
    extra: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        if len(stripped) > 2 and stripped[0] in "-*+" and stripped[1] == " ":
            extra.append([stripped[2:]])
        elif extra:
            extra[-1].append(stripped)
        else:
            head.append(line)
    if not extra:
        return inline, []
    head_text = "\n".join(head)
    texts = [" ".join(" ".join(e).split()) for e in extra]
    head_links = [u for u in inline.links if u in head_text] if "://" in head_text else []
    if len(head_links) < len(inline.links):
        # links in markdown link syntax are not visible in the text; keep them with the head
        head_links = [u for u in inline.links if not any(u in t for t in texts)]
    return Inline(head_text, head_links, inline.strong_lead, inline.code_lead, False), texts


def _handle_column(items: list[Item]) -> int | None:
    """The field position that holds handles in most rows that mark them with '@' or a profile link."""
    votes: dict[int, int] = {}
    for item in items:
        if item.inline is None:
            continue
        for i, f in enumerate(P.split_fields(item.inline.flat)):
            if ("@" in f and P.HANDLE_RE.search(f)) or "github.com/" in f:
                votes[i] = votes.get(i, 0) + 1
                break
    if not votes:
        return None
    return max(votes.items(), key=lambda kv: kv[1])[0]


def _newcomer_name(inline: Inline) -> str | None:
    lead = P.split_lead(inline, None, any_name=True)
    if lead.person:
        return lead.person
    flat = inline.flat
    m = _BARE_NAME.match(flat)  # a bare name, maybe "Name (Affiliation)"
    if m and P._is_name_like(m.group(1)):
        return P.clean_name(m.group(1))
    return None


def _child_inlines(item: Item) -> list[Inline]:
    out: list[Inline] = []
    for block in item.blocks:
        out.extend(_unit_inlines(block, depth=99))
    return [i for i in out if i.flat and not is_placeholder(i.flat)]


def _unit_inlines(block: Block, depth: int) -> list[Inline]:
    """Paragraph and item texts in document order, descending ``depth`` list levels."""
    if isinstance(block, Para):
        return [block.inline]
    if isinstance(block, ListBlock):
        out: list[Inline] = []
        for item in block.items:
            if item.inline is not None:
                out.append(item.inline)
            if depth > 1:
                for child in item.blocks:
                    out.extend(_unit_inlines(child, depth - 1))
        return out
    if isinstance(block, Quote):
        return [i for inner in block.blocks for i in _unit_inlines(inner, depth)]
    return []


def _block_links(block: Block) -> list[str]:
    if isinstance(block, (Para, Heading)):
        return block.inline.links
    if isinstance(block, ListBlock):
        out: list[str] = []
        for item in block.items:
            if item.inline is not None:
                out.extend(item.inline.links)
            for child in item.blocks:
                out.extend(_block_links(child))
        return out
    if isinstance(block, Quote):
        return [u for inner in block.blocks for u in _block_links(inner)]
    if isinstance(block, Table):
        return [u for row in block.rows for cell in row for u in cell.links]
    if isinstance(block, Raw):
        return block.links
    return []


def _join(text: str, children: list[Inline], plain: list[Inline] | None = None) -> str:
    """An item's text and its sub-items' on one line: "text — kid; kid". A kid that ends a sentence ("Site
    footers!", "... and Franklin.") is followed by a space, not by "; " after its own stop. ``plain``: the kids'
    plain text when ``children`` are their Markdown (which may end in a link's ")")."""
    text = text.strip()
    pairs = [(c.flat, p.flat) for c, p in zip(children, plain if plain is not None else children) if c.flat]
    if not pairs:
        return text
    parts = [pairs[0][0]]
    for (_, before), (kid, _) in pairwise(pairs):
        parts.append(" " if before.rstrip(" )]\"'’”*_")[-1:] in _SENTENCE_END else "; ")
        parts.append(kid)
    joined = "".join(parts)
    return f"{text} — {joined}" if text else joined


_SENTENCE_END = frozenset(".!?…")


_STOP_WORDS = frozenset({"the", "a", "an", "of", "and", "or", "to", "for", "in", "on", "update", "with"})


@lru_cache(maxsize=4096)  # asked again for each paragraph and heading matched against the agenda's titles
def _title_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _TITLE_WORD.findall(text.lower()) if w not in _STOP_WORDS)


def _dedupe_attendees(attendees: list[Attendee]) -> list[Attendee]:
    seen: set[tuple[str | None, str | None]] = set()
    out = []
    for a in attendees:
        key = (a.handle, None) if a.handle else (None, (a.name or "").lower())
        if key in seen:
            continue
        seen.add(key)
        out.append(a)
    return out


class Stage:
    """What every stage of the ``Assembler`` shares: the document, its heading anchors, the heading table,
    the template text to leave out, and how a block is referred to. Each stage is one subclass, in the order
    the work is done: outcomes (decisions, action items), items (updates, celebrations), agenda, roll call,
    section assignment, and the meetings themselves (``digests.notes.meetings.Assembler``)."""

    def __init__(self, doc: Document, table: SectionTable, document: str, url: str | None,
                 template: frozenset[str] = frozenset()) -> None:
        self.doc = doc
        self.table = table
        self.document = document
        self.url = url
        self.anchors: dict[int, str] = {}
        self._plain: dict[tuple[str | None, str | None, bool], _Ctx] = {}
        self.template: frozenset[str] = template
        if doc.blocks and not any(type(block) is Heading for block in doc.blocks):
            doc.blocks = _bold_headings(doc.blocks)
        counts: dict[str, int] = {}
        for block in doc.blocks:
            if isinstance(block, Heading):
                slug = slugify(block.inline.flat)
                n = counts.get(slug, 0)
                counts[slug] = n + 1
                self.anchors[id(block)] = slug if n == 0 else f"{slug}-{n}"
        self.front = _front_matter(doc.front_matter)

    def _plain_ctx(self, anchor: str | None, topic: str | None = None, boxes_are_topics: bool = False) -> _Ctx:
        """The context of notes nested under an item: no section kind, the item's anchor and topic.
        Contexts are never changed once made, so one per (anchor, topic) serves every nested block."""
        key = (anchor, topic, boxes_are_topics)
        ctx = self._plain.get(key)
        if ctx is None:
            ctx = self._plain[key] = _Ctx(None, anchor, topic=topic, boxes_are_topics=boxes_are_topics)
        return ctx

    def ref(self, block: Block, anchor: str | None) -> SourceRef:
        url = None
        if self.url:
            url = f"{self.url}#{anchor}" if anchor else self.url
        return SourceRef(document=self.document, anchor=anchor, line=self.doc.line_of(block.start), url=url)

    def _is_template(self, text: str) -> bool:
        return text.strip() in self.template

    def _topic_ctx(self, ctx: _Ctx, topic: str | None) -> _Ctx:
        if topic == ctx.topic:
            return ctx
        return _Ctx(ctx.kind, ctx.anchor, ctx.sub, ctx.sub_anchor, ctx.label, ctx.person, _topic(topic) if topic else None)

    # Stages further down call these; the Items stage defines them.
    def _items(self, block: Block, ctx: _Ctx, b: _Build, make: _ItemMaker) -> None:
        raise NotImplementedError

    def _update(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        raise NotImplementedError

    def _celebration(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        raise NotImplementedError


_NUMBERED = re.compile(r"^\*{0,2}(?:\d{1,2}[.)]|\d{1,2}(?:\.\d{1,2})+\.?)\s")


def _bold_headings(blocks: list[Block]) -> list[Block]:
    """A document without headings (a Google Docs export, minutes posted on Discourse) writes its headings as
    bold lines: "**Agenda**", "**1. MSC3916 (authenticated media)**" (numbered: one level down), and its title as
    its first line ("**TAG App Delivery Meeting – March 13, 2024**", "Spec Core Team sync — 2024-05-21")."""
    if sum(1 for b in blocks if isinstance(b, Para) and _is_bold_line(b) and heading_date(b.inline.flat)) >= 2:
        return blocks  # an archive written with "**2024-01-09**" lines: its meetings are told apart by them
    out: list[Block] = []
    changed = False
    for n, block in enumerate(blocks):
        if isinstance(block, Para) and "\n" not in block.inline.text:
            flat = block.inline.flat
            words = len(flat.split())
            if n == 0 and words <= 14 and flat[-1:] not in ".?!:" and (_is_bold_line(block) or find_date(flat)):
                out.append(Heading(block.start, level=1, inline=block.inline))
                changed = True
                continue
            if n > 0 and words <= 12 and _is_bold_line(block) and flat.strip(" *")[-1:] not in ".?!":
                level = 3 if _NUMBERED.match(flat) else 2
                out.append(Heading(block.start, level=level, inline=block.inline))
                changed = True
                continue
        out.append(block)
    return out if changed else blocks
