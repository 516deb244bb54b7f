"""People notation in notes: who wrote an item, who owns it, who is thanked, who was there.

Understood forms:

- leads: ``**Min:** text``, ``**Min** (5m): text``, ``**Sarah (10 mins):** text``, ``[name=Min] text``,
  ``[Zach - 1 min] text``, `` `agoose77` — text``, ``[Chris](https://...): text``, and ``Min: text`` /
  ``Min - text`` when "Min" is someone the notes already know (or any name where a name is expected);
- roll-call rows: ``Min / Simula / @minrk``, ``Name / GitHub handle / affiliation`` in any order (the
  order of a template line such as ``_Name / GitHub handle / affiliation_`` is honoured),
  ``Name (@handle)``, ``Name, Affiliation``, GitHub profile links, ``\\@handle``;
- thanks: ``@handle``, GitHub profile links, "thanks to William Stein", "Thank you Yuvi for",
  "Yuvi, Min and Simon for ...", "Simon did a great job".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from digests.notes.blocks import Inline, find_urls

# Patterns compiled once (the compiled parser would otherwise look them up in re's cache on every call).
_NOT_LETTER = re.compile(r"[^a-z ]")
_HEADER_SPLIT = re.compile(r"[/|,]")
_NAME_SEPARATORS = re.compile(r"\s*(?:,|&|\+|\band\b)\s*")

HANDLE_RE = re.compile(r"(?<![\w@./])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![\w@])")
GITHUB_PROFILE_RE = re.compile(r"^https?://(?:www\.)?github\.(?!io/)[a-z]{2,}/([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})/?$",
                               re.IGNORECASE)
GROUP_MENTIONS = frozenset({"all", "everyone", "channel", "here", "stream", "topic", "team", "everybody"})
_GITHUB_RESERVED = {
    "orgs", "features", "marketplace", "sponsors", "settings", "about", "pricing", "topics", "collections",
    "explore", "notifications", "issues", "pulls", "login", "join", "enterprise", "security", "trending",
    "search", "apps", "new", "organizations", "site", "contact", "readme", "events",
}
_HACKMD_NAME = re.compile(r"^\[name\s*=\s*([^\]]+)\]\s*[:\-–—]?\s*", re.IGNORECASE)
_HACKMD_NAME_END = re.compile(r"\s*\[name\s*=\s*([^\]]+)\]\s*$", re.IGNORECASE)
_BRACKET_LEAD = re.compile(
    r"^\[(?P<name>[^\]\d][^\]]*?)\s*(?:[-–—,:]\s*(?P<min>\d+)(?:\s*[-–]\s*(?P<max>\d+))?\s*(?:m|mins?|minutes?)\.?)?\]\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
MINUTES_RE = re.compile(
    r"^[(\[]?\s*~?(?P<min>\d{1,3})(?:\s*(?:-|–|to)\s*(?P<max>\d{1,3}))?\s*(?:m|mins?|minutes?|')\.?\s*[)\]]?(?![\w])",
    re.IGNORECASE,
)
_TRAILING_MINUTES = re.compile(
    r"\s*[(\[]\s*(?:(?P<name>[^()\[\]\d,]{1,40}?)\s*[,;:\-–—]\s*)?~?(?P<min>\d{1,3})(?:\s*(?:-|–|to)\s*(?P<max>\d{1,3}))?\s*(?:m|mins?|minutes?)\.?\s*[)\]]\s*$",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^(?:[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*|@[\w-]+|[a-z]{1,3}|(?:van|von|de|da|der|den|di|le|la|du|bin|al)|[A-Z]\.)$")
_LABEL_WORDS = {
    "date", "time", "when", "where", "location", "github issue", "issue", "calendar", "your timezone", "note",
    "notes", "decision", "decisions", "resolution", "resolutions", "motion",
    "vote", "votes", "action", "actions", "action items", "action item", "action points", "todo",
    "question", "questions", "q", "a", "answer", "update", "updates", "summary", "context", "background",
    "proposal", "outcome", "conclusion", "agreed", "result", "results", "status", "fyi", "link", "links", "pr",
    "goal", "goals", "next steps", "next step", "reminder", "important", "warning", "tl;dr", "tldr", "agenda",
    "discussion", "follow up", "followup", "notes taker", "facilitator", "host", "chair", "minutes", "zoom",
    "meeting link", "video", "recording", "slides", "deadline", "problem", "solution", "idea", "ideas", "pros",
    "cons", "edit", "edited", "call to action", "attendees", "present", "regrets", "apologies",
    "topic", "topics", "owner", "who", "what", "why", "how", "resolved", "decided", "agreement", "consensus",
    "tbd", "todo:", "done", "new", "old", "yes", "no", "maybe", "ok", "thanks", "thank you", "welcome",
}
_NOT_A_NAME = {
    "this", "that", "there", "these", "those", "it", "we", "they", "he", "she", "i", "you", "our", "their",
    "the", "a", "an", "everyone", "everybody", "team", "lots", "new", "all", "many", "some", "thanks", "thank",
    "congrats", "congratulations", "shout", "kudos", "big", "huge", "massive", "special", "also", "and", "or",
    "if", "when", "please", "great", "nice", "awesome", "amazing", "welcome", "hello", "hi", "happy", "finally",
    "today", "yesterday", "tomorrow", "now", "then", "here", "so", "but", "just", "my", "your", "his", "her",
    "its", "us", "them", "me", "who", "what", "why", "how", "where", "which", "while", "after", "before",
    "since", "during", "folks", "people", "community", "contributors", "maintainers", "organizers",
    "organisers", "volunteers", "speakers", "reviewers", "mentors", "members", "staff", "none", "nobody",
    "somebody", "someone", "anyone", "one", "both", "each", "other", "others", "another", "more", "most",
    "much", "very", "well", "good", "better", "best", "first", "last", "next", "release", "released", "version",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "pr", "prs", "issue", "issues", "github", "pypi", "ci", "docs", "to", "for", "with", "from",
}
NOT_A_NAME = _NOT_A_NAME
# Verbs that say what a person did; other subjects ("Grants landed", "Tests went green") must be people the
# notes already know.
_PERSONAL_VERBS = frozenset({
    "wrote", "gave", "helped", "led", "leads", "organized", "organised", "hosted", "presented", "reviewed",
    "contributed", "joined", "became", "won", "did", "made", "makes", "stepped", "spent", "worked", "ran",
    "fixed", "created", "built", "implemented", "improved", "published", "had", "has", "have", "were", "was",
})
_SUBJECT_VERBS = (
    "is", "are", "has", "have", "had", "did", "does", "was", "were", "made", "makes", "gave", "wrote", "fixed",
    "added", "released", "set", "led", "leads", "organized", "organised", "helped", "created", "built",
    "ran", "hosted", "stepped", "took", "finished", "completed", "shipped", "landed", "merged", "joined",
    "became", "got", "won", "presented", "published", "reviewed", "contributed", "started", "launched",
    "improved", "implemented", "migrated", "moved", "worked", "spent", "pulled", "put", "went", "opened",
)
_NAME_SEQ = r"[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*){0,2}"
_NAME_AT_END = re.compile(rf"({_NAME_SEQ})$")
_NAME_LIST = rf"(?P<names>{_NAME_SEQ}(?:\s*(?:,|&|\+|\band\b)\s*(?:and\s+)?{_NAME_SEQ})*)"
# "Simon did a great job", "Lena and Kofi were both a huge help" (not "Lena is making progress": a status report)
_SUBJECT_RE = re.compile(
    rf"^{_NAME_LIST}(?:\s*\((?P<paren>[^)]*)\))?\s+(?:both\s+|all\s+|also\s+|really\s+)?(?:" + "|".join(_SUBJECT_VERBS) + r")\b"
)
_THANKS_RE = re.compile(
    rf"(?i:\bthank(?:s|ful|ing)?(?:\s+(?:you|so much|a lot))?(?:\s+(?:to|goes to|for(?=\s+[A-Z][\w\-]*['’])))?|\bshout[- ]?outs?\s+(?:to|for)|\bkudos\s+to|\bcongrat(?:ulation)?s(?:\s+to)?|"
    rf"\bgratitude\s+to|\bappreciation\s+(?:to|for)|\bgrateful\s+(?:to|for)|\beffort\s+(?:from|by)|\bwork\s+(?:from|by)|\bhelp\s+(?:from|of)|\bthanks\s+go(?:es)?\s+to|"
    rf"\bhappy\s+birthday|\bwelcome(?:\s+back)?|\b(?:happy|glad|thrilled|excited|proud|pleased)\s+(?:that|to\s+see(?:\s+that)?))\s+{_NAME_LIST}"
)
# "To Omar for ...", "To lena, kofi and dana for ...": names as written, lower case too.
_TO_FOR = re.compile(
    r"^(?:to|for)\s+(?P<names>[\w\u00C0-\u024F'’\-]+(?:\s+[A-Z][\w'’\-]*)?(?:\s*(?:,|&|\+|\band\b)\s*(?:and\s+)?[\w\u00C0-\u024F'’\-]+(?:\s+[A-Z][\w'’\-]*)?)*)\s+for\b",
    re.IGNORECASE,
)
_LEADING_LIST_FOR = re.compile(rf"^{_NAME_LIST}\s+for\b")
_NAME_LIKE = re.compile(r"^[A-Za-z\u00C0-\u024F@][\w\u00C0-\u024F'’.\- ]{0,60}$")


_BOT_NAME = re.compile(r"(?:bot|\[bot\])$", re.IGNORECASE)
_BOTS = frozenset({"opendevmeet", "meetingology", "meetbot", "openstack", "limnoria", "supybot", "ubottu", "zodbot",
                   "github-actions", "dependabot", "renovate", "mergify", "k8s-ci-robot", "bors", "rustbot", "rfcbot"})


def is_bot(name: str) -> bool:
    """"zodbot", "opendevmeet", "dependabot[bot]": a bot in a list of people is not a person."""
    low = name.lower().lstrip("@")
    return low in _BOTS or " " not in low and _BOT_NAME.search(low) is not None


def _is_name_like(text: str, *, max_words: int = 4) -> bool:
    text = text.strip()
    if not text or not _NAME_LIKE.match(text) or text.lower() in _LABEL_WORDS:
        return False
    words = text.split()
    if len(words) > max_words:
        return False
    if words[0].lower() in _NOT_A_NAME and not (len(words) == 1 and words[0].isupper() and len(words[0]) <= 3):
        return False  # (but "AN", "JB": initials)
    return all(_NAME_WORD.match(w) for w in words) and (words[0][0].isupper() or words[0][0] == "@")


is_name_like = _is_name_like


def clean_name(text: str) -> str:
    """Tidy a person's name; a lone ``@handle`` becomes the bare, lower-case handle."""
    name = " ".join(text.replace("**", "").strip(" :-–—,.*`").split())
    if name[:1] == "_" or name[-1:] == "_" and not name[-2:-1].isalnum():
        name = name.strip(" :-–—,.*_`")  # "_Name_" (an emphasis left as text), but a nick "di_" keeps its "_"
    if name.startswith("@") and " " not in name:
        return name[1:].lower()
    return name


def github_handle(url: str) -> str | None:
    if url.isascii():
        # A profile URL has nothing after the user name but one "/": most links (repositories, issues)
        # are told apart here, before the regex backtracks through them. (Non-ASCII text goes to the
        # regex, whose case-insensitive matching knows non-ASCII forms of some letters.)
        low = url.lower()
        at = low.find("github.")
        if at < 0 or low.startswith("github.io", at):
            return None
        slash = low.find("/", at)
        if slash < 0:
            return None
        tail = url[slash + 1:]
        if "/" in (tail[:-2] if tail.endswith("\n") else tail[:-1]):  # ("$" also matches before a final newline)
            return None
    m = GITHUB_PROFILE_RE.match(url)
    if m and m.group(1).lower() not in _GITHUB_RESERVED:
        return m.group(1).lower()
    return None


@dataclass(slots=True)
class Lead:
    """Who an item starts with and what follows."""

    person: str | None
    rest: str
    minutes: int | None = None
    explicit: bool = False  # from **Name**, [name=X] or [X - 5 min]: no need to know the person already


def _minutes(m: re.Match[str]) -> int | None:
    hi = m.group("max") or m.group("min")
    return int(hi) if hi else None


_STRONG_NAME = re.compile(r"^(?P<name>[^()\[\]:]+?)\s*(?:[(\[](?P<extra>[^)\]]*)[)\]])?\s*:?\s*$")
_SEP_AFTER_CODE = re.compile(r"^\s*[:\-–—]")
_CODE_HANDLE = re.compile(r"^@?[\w\-]{1,39}$")
_PLAIN_LEAD = re.compile(r"^(?P<name>[^:–—\n]{1,40}?)\s*(?::|\s[-–—]\s)\s*")


def split_lead(inline: Inline, known: set[str] | None = None, *, any_name: bool = False) -> Lead:
    """Split the person notation off the start of an item (see the module docstring).

    The result is remembered on the ``Inline`` for as long as ``known`` keeps its size (it only grows).
    """
    cached = inline.lead_cache
    if cached is not None:
        key, lead = cached
        if key is None or key == (len(known) if known is not None else -1, any_name):
            return lead  # type: ignore[no-any-return]
    lead, depends = _split_lead(inline, known, any_name)
    # Only the plain "Name: text" form depends on who is known; the rest never changes.
    inline.lead_cache = ((len(known) if known is not None else -1, any_name) if depends else None, lead)
    return lead


def _split_lead(inline: Inline, known: set[str] | None, any_name: bool) -> tuple[Lead, bool]:
    flat = inline.flat
    if (inline.strong_lead is None and inline.code_lead is None and not inline.all_emphasis
            and flat[:1] != "[" and "[name" not in flat):
        head = flat[:46]
        if ":" not in head and " - " not in head and " – " not in head and " — " not in head:
            return Lead(None, flat), False
    if inline.all_emphasis:
        flat = flat.strip("_* ")
    bracket = flat[:1] == "["
    m = _HACKMD_NAME.match(flat) if bracket else None
    if m:
        return _with_minutes(Lead(clean_name(m.group(1)), flat[m.end():], explicit=True)), False
    m = _BRACKET_LEAD.match(flat) if bracket else None
    if m and _is_name_like(m.group("name")) and (m.group("min") or m.end() < len(flat)):
        lead = Lead(clean_name(m.group("name")), flat[m.end():], explicit=True)
        if m.group("min"):
            lead.minutes = _minutes(m)
        return _with_minutes(lead), False
    strong = inline.strong_lead
    strong_maybe = False  # a bold name-like lead that becomes a person once the notes know them
    if strong is not None and flat.startswith(strong.strip()[:1] or "\0"):
        s = " ".join(strong.split())
        inner = _STRONG_NAME.match(s)
        if inner and _is_name_like(inner.group("name")):
            rest = flat[len(s):] if flat.startswith(s) else flat.split(s, 1)[-1]
            name = clean_name(inner.group("name"))
            extra = inner.group("extra")
            mm = MINUTES_RE.match(extra.strip()) if extra else None
            # "**Min:**", "**Sarah (10 mins):**", "**Min** (5m):" name a person; a bold "**Upgrade**"
            # before "(see #123):" is a topic unless the notes know someone by that name.
            person_like = (s.endswith(":") or mm is not None or any_name
                           or MINUTES_RE.match(rest.lstrip(" :-–—")) is not None)
            if person_like or (known is not None and _is_known(name, known)):
                lead = Lead(name, rest, explicit=True)
                if mm:
                    lead.minutes = _minutes(mm)
                return _with_minutes(lead), not person_like
            strong_maybe = True
    code = inline.code_lead
    if code is not None and flat.startswith(f"`{code}`"):
        rest = flat[len(code) + 2:]
        if _SEP_AFTER_CODE.match(rest) and _CODE_HANDLE.match(code):
            return Lead(code.lstrip("@").lower(), rest, explicit=True), False
    m = _HACKMD_NAME_END.search(flat) if "[name" in flat else None
    if m:
        return Lead(clean_name(m.group(1)), flat[: m.start()], explicit=True), False
    m = _PLAIN_LEAD.match(flat)
    if m and flat[m.end("name"):m.end()].lstrip()[:1] == ":" and _SHORTCODE_OPEN.match(flat, flat.index(":", m.end("name"))):
        m = None  # "@GeorgianaElena :heart: for the docs": an emoji shortcode, not "Name:"
    if m:
        raw = m.group("name").strip()
        if HANDLE_RE.fullmatch(raw):
            return Lead(raw[1:].lower(), flat[m.end():], explicit=True), False
        if raw[-1:] == ")" and "(@" in raw:
            nh = _NAME_AND_HANDLE.match(raw)  # "Stephannie (@steff456): working on ...": a name and its handle
            if nh is not None and _is_name_like(nh.group(1)):
                return Lead(clean_name(nh.group(1)), flat[m.end():], explicit=True), False
        name = clean_name(raw)
        if _is_name_like(name) and (any_name or (known is not None and _is_known(name, known))):
            return Lead(name, flat[m.end():], explicit=False), True
        if known is not None and name in known and name.islower() and " " not in name:
            return Lead(name, flat[m.end():], explicit=False), True  # "bjoern: rotate ...": a nick the roll call has
    return Lead(None, flat), m is not None or strong_maybe


_NAME_AND_HANDLE = re.compile(r"^([^()@:]{1,40}?)\s*\(\s*@[A-Za-z0-9][\w-]{0,38}\s*\)$")
_SHORTCODE_OPEN = re.compile(r":[a-z0-9_+\-]{1,40}:")
_PAREN_BEFORE_SEP = re.compile(r"^\(([^)]{0,60})\)\s*(?=[:\-–—])")


def _with_minutes(lead: Lead) -> Lead:
    rest = lead.rest.lstrip(" :-–—")
    m = MINUTES_RE.match(rest)
    if m:
        if lead.minutes is None:
            lead.minutes = _minutes(m)
        rest = rest[m.end():]
    else:
        m2 = _PAREN_BEFORE_SEP.match(rest) if rest[:1] == "(" else None  # "(probably following on from X):"
        if m2:
            rest = rest[m2.end():]
    lead.rest = rest.lstrip(" :-–—")
    return lead


def trailing_owner(text: str) -> tuple[str, str | None, int | None]:
    """``"Topic (Min, 5m)"`` -> ``("Topic", "Min", 5)``."""
    end = text.rstrip()[-1:]
    m = _TRAILING_MINUTES.search(text) if end in (")", "]") else None
    if not m:
        return text, None, None
    name = m.group("name")
    owner = clean_name(name) if name and _is_name_like(clean_name(name)) else None
    return text[: m.start()].rstrip(" -–—:"), owner, _minutes(m)


_INNER_PAREN = re.compile(
    r"\s*[(\[]\s*(?:(?P<name>[^()\[\]\d,]{1,40}?)\s*(?:[,;:\-–—]\s*)?)?(?:~?(?P<min>\d{1,3})(?:\s*(?:-|–|to)\s*(?P<max>\d{1,3}))?\s*(?:m|mins?|minutes?)\.?)?\s*[)\]]\s*:?",
    re.IGNORECASE,
)


def inner_owner(title: str, known: set[str]) -> tuple[str, str | None, int | None]:
    """A "(Name, 10 min)" / "(10m)" / "(Name)" group early in an agenda title, where Name is known."""
    if "(" not in title[:120] and "[" not in title[:120]:
        return title, None, None
    for m in _INNER_PAREN.finditer(title[:160]):
        name = m.group("name")
        minutes = _minutes(m) if m.group("min") else None
        owner = None
        if name:
            cleaned = clean_name(name)
            handle = HANDLE_RE.fullmatch(name.strip()) is not None  # "(@zsailer)"
            if handle or (_is_name_like(cleaned) and (minutes is not None or _is_known(cleaned, known))):
                owner = cleaned
        if owner is None and minutes is None:
            continue
        left, right = title[: m.start()].strip(), title[m.end():].strip()
        joiner = ": " if m.group(0).rstrip().endswith(":") else " "
        rest = f"{left}{joiner}{right}" if left and right else left or right
        return " ".join(rest.split()).lstrip(":-–— ") or title, owner, minutes
    return title, None, None


def _is_known(name: str, known: set[str]) -> bool:
    low = name.lower().lstrip("@")
    return low in known or low.split()[0] in known


def known_forms(name: str | None, handle: str | None = None) -> set[str]:
    out: set[str] = set()
    if name:
        low = name.lower()
        out.add(low)
        first = low.split()[0]
        if len(first) > 1:
            out.add(first)
    if handle:
        out.add(handle.lower())
    return out


# --- roll-call rows -----------------------------------------------------------------------------

_COLUMN_WORDS = {
    "name": "name", "names": "name", "full name": "name", "person": "name", "who": "name",
    "github": "handle", "github handle": "handle", "handle": "handle", "username": "handle",
    "github username": "handle", "gh": "handle", "gh handle": "handle", "github user": "handle",
    "affiliation": "affiliation", "institution": "affiliation", "organisation": "affiliation",
    "organization": "affiliation", "org": "affiliation", "company": "affiliation", "employer": "affiliation",
    "affiliation optional": "affiliation", "institution optional": "affiliation", "team": "affiliation",
}
_SPLIT_SPACED = re.compile(r"\s+/\s*|\s*/\s+|\s+\|\s+")


# Words of a column header or template row ("Your name / GitHub ID / affiliation / Favourite snack?").
_HEADER_VOCAB = frozenset({
    "your", "name", "names", "full", "first", "last", "preferred", "display", "github", "gh", "id", "handle",
    "handles", "user", "username", "account", "affiliation", "affiliations", "institution", "organisation",
    "organization", "org", "company", "employer", "team", "pronouns", "pronoun", "optional", "and", "if", "you",
    "d", "like", "e", "g", "eg", "or", "email", "role", "where", "from", "who", "person", "the", "are",
})


def _header_column(part: str) -> str | None:
    words = part.split()
    if not words:
        return None
    if not all(w in _HEADER_VOCAB for w in words):
        return None
    if "name" in words or "names" in words or words == ["who"] or words == ["person"]:
        return "name"
    if "github" in words or "gh" in words or "handle" in words or "handles" in words or "username" in words \
            or "user" in words or "account" in words or "id" in words:
        return "handle"
    if "pronouns" in words or "pronoun" in words:
        return "pronouns"
    if {"affiliation", "affiliations", "institution", "organisation", "organization", "org", "company",
            "employer", "team", "from"} & set(words):
        return "affiliation"
    return "other"


def column_order(text: str) -> list[str] | None:
    """``"Name / GitHub handle / affiliation"`` -> ``["name", "handle", "affiliation"]``; a column nobody
    fills with people's data ("Favourite snack?", "?") is ``"other"``."""
    if len(text) > 100 or ("name" not in text and "Name" not in text and "NAME" not in text):
        return None
    parts = [" ".join(_NOT_LETTER.sub(" ", _PAREN.sub(lambda m: " " + m.group(0)[1:-1] + " ", p.lower())).split())
             for p in _HEADER_SPLIT.split(text)]
    cols: list[str] = []
    unknown = 0
    for part in parts:
        col = _COLUMN_WORDS.get(part) or _header_column(part)
        if col is None:
            if len(part.split()) > 3:
                return None
            unknown += 1
            col = "other"
        cols.append(col)
    known = [c for c in cols if c != "other"]
    if len(cols) >= 2 and "name" in cols and len(known) >= 2 and unknown * 2 < len(cols):
        return cols
    return None


_PAREN = re.compile(r"\([^()]*\)")


@dataclass(slots=True)
class Row:
    name: str | None
    handle: str | None
    affiliation: str | None
    pronouns: str | None = None
    new: bool = False  # marked as new ("first meeting") beside the name


@lru_cache(maxsize=4096)  # asked for each roll-call line twice: for the handle column, then for the row
def split_fields(text: str) -> tuple[str, ...]:
    # Every separator holds a "/" or a "|": without one, the split finds nothing (and costs a scan).
    fields = _SPLIT_SPACED.split(text) if "/" in text or "|" in text else [text]
    if len(fields) == 1 and "/" in text and "://" not in text:
        fields = text.split("/")
    if len(fields) == 1 and "|" in text:
        fields = text.split("|")
    if len(fields) == 1:
        m = _NAME_PAREN.match(text) if text.endswith(")") else None  # Name (Affiliation or @handle)
        if m:  # "Min (@minrk, Simula)": the parenthesis may hold both
            fields = [m.group("a"), *m.group("b").split(",")]
        elif "," in text:
            fields = text.split(",")
        elif " - " in text or " – " in text or " — " in text:
            fields = _DASH_SEP.split(text)  # "Eve Moreau - QuantStack - @evem"
            if len(fields) > 3:
                fields = _DASH_SEP.split(text, maxsplit=1)
    return tuple(f.strip() for f in fields if f.strip())


_DISPLAY_MENTION = re.compile(r"^@[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*){1,3}$")
_NAME_PAREN = re.compile(r"^(?P<a>[^()]+?)\s*\((?P<b>[^()]+)\)\s*$")
_DASH_SEP = re.compile(r"\s[-–—]\s")


# Roles people hold in a meeting, written after their names in a roll call.
_ROLES = frozenset({
    "chair", "co-chair", "cochair", "vice-chair", "vice chair", "chairperson", "secretary", "treasurer", "president",
    "vice president", "vice-president", "scribe", "note taker", "notetaker", "note-taker", "notes", "minutes",
    "facilitator", "host", "moderator", "guest", "observer", "staff", "convener", "convenor", "clerk", "lead",
})
_TRAILING_NOTE = re.compile(r"\s*\(([^()]*)\)\s*$")
_PRONOUNS = re.compile(r"^\s*(?:he|she|they|ze|xe|it|any)(?:\s*/\s*(?:him|her|them|his|hers|theirs|hir|zir|xem|its|any|all))+\s*$",
                       re.IGNORECASE)
_PRONOUN_PAREN = re.compile(
    r"\(\s*((?:he|she|they|ze|xe|it|any)(?:\s*/\s*(?:he|she|they|him|her|them|his|hers|theirs|hir|zir|xem|its|any|all))+)"
    r"\s*(?:[,;](?P<rest>[^()]*))?\)",
    re.IGNORECASE,
)
_ABSENT = re.compile(
    r"\b(?:absent|regrets|apologies|apologises|apologizes|not\s+(?:attending|present|here)|can['’]?t\s+make\s+it|"
    r"cannot\s+(?:make\s+it|attend)|couldn['’]?t\s+(?:make\s+it|attend)|excused|unable\s+to\s+(?:attend|join))\b",
    re.IGNORECASE,
)
# A match of _ABSENT holds one of these words (any case).
_ABSENT_WORDS = ("absent", "regret", "apolog", "not", "can", "couldn", "excused", "unable")
_DECORATION = re.compile(r":[a-z0-9_+\-]+:|[\u2600-\u27bf\U0001F000-\U0001FAFF\ufe0f\u200d]+")
_LOOKS_HANDLE = re.compile(r"^@?[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_EMPTY_FIELD = {"-", "—", "–", "n/a", "na", "none", "", "?", "tbd"}


def parse_row(inline: Inline, columns: list[str] | None, handle_column: int | None) -> Row | None:
    """One roll-call line -> name, handle, affiliation (None when the line names nobody)."""
    text = inline.flat
    m = _HACKMD_NAME.match(text) if text[:1] == "[" else None
    if m:
        text = m.group(1) + " / " + text[m.end():]
    if not text.isascii() or ":" in text:
        text = _DECORATION.sub(" ", text).strip()  # emoji and :shortcodes: beside a name
    if may_hold(text, _ABSENT_WORDS) and _ABSENT.search(text):
        return None  # "Ivo Lind (absent: sends greetings)": marked as not there
    pronouns: str | None = None
    if "/" in text and "(" in text:
        pm = _PRONOUN_PAREN.search(text)
        if pm:
            pronouns = " ".join(pm.group(1).split()).replace(" / ", "/")
            more = (pm.group("rest") or "").strip()
            rest = f" ({more})" if more else ""  # "(he/him, WMF)": the rest stays
            text = (text[: pm.start()] + rest + text[pm.end():]).strip()
    note = _TRAILING_NOTE.search(text) if text.endswith(")") else None
    if note and "@" not in note.group(1) and (note.group(1).count(" ") >= 2 or ":" in note.group(1)
                                               or _PRONOUNS.match(note.group(1))):
        text = text[: note.start()]  # "(will be late)", "(just want to learn/observe)", "(away: ...)"
    elif note and "@" not in note.group(1) and note.group(1).count(" ") >= 1 and note.start() > 0 \
            and "@" in text[: note.start()]:
        text = text[: note.start()]  # "... / @priya-k (greetings from the conference)"
    # "Gil Ode (Simula)": a parenthesis without "@" holds an affiliation, never a bare handle
    plain_paren = "@" not in text and text.rstrip(" .;").endswith(")")
    text = text.strip(" .;")
    if not text:
        return None
    link_handles = [h for h in (github_handle(u) for u in inline.links) if h]
    fields = split_fields(text)
    if not fields:
        return None
    handle: str | None = None
    name: str | None = None
    affiliation_parts: list[str] = []
    pending: list[tuple[int, str]] = []
    for i, f in enumerate(fields):
        f = f.strip("`* ")
        hm = HANDLE_RE.search(f) if "@" in f else None  # a handle needs its "@"
        gh = None
        for u in find_urls_in(f):
            gh = github_handle(u) or gh
        if f[:1] == "@" and " " in f and _DISPLAY_MENTION.match(f):
            pending.append((i, f[1:]))  # "@Priya Raman": a mention of someone's display name (Confluence, Jira)
            continue
        if handle is None and (gh or (hm and hm.group(0).strip() == f.strip())
                               or (hm and (len(f.split()) <= 3 or f.endswith(hm.group(0))))):
            handle = (gh or (hm.group(1) if hm else "")).lower() or None
            leftover = HANDLE_RE.sub("", f).strip()
            pm = _NAME_PAREN.match(leftover) if leftover.endswith(")") and not gh else None
            if pm and _is_name_like(pm.group("a")) and "(" not in leftover[:pm.start("b") - 1]:
                pending.append((i, pm.group("a")))  # "Zach Sailer (Apple) @Zsailer": a name, its organisation
                affiliation_parts.append(pm.group("b").strip())
                continue
            leftover = leftover.strip(" ()")
            if leftover and not gh and _is_name_like(leftover):
                pending.append((i, leftover))
            continue
        if f.startswith(("https://github.com/", "http://github.com/")):
            continue
        if f.lower() in _EMPTY_FIELD:
            pending.append((i, ""))
            continue
        pending.append((i, f))
    if handle is None and link_handles:
        handle = link_handles[0]
    if handle in GROUP_MENTIONS:
        handle = None
    for i, f in pending:
        col = columns[i] if columns and i < len(columns) else None
        if col == "other":
            continue
        if col == "pronouns" or (pronouns is None and _PRONOUNS.match(f)):
            pronouns = pronouns or (f or None)
            continue
        if handle is None and f and ((col == "handle") or (columns is None and handle_column == i and i > 0
                                                             and not plain_paren)) \
                and _LOOKS_HANDLE.match(f) and not f.isupper():
            handle = f.lstrip("@").lower()
            continue
        if col == "handle":
            continue
        if not f:
            continue
        if name is None and (col in (None, "name")):
            name = f
        elif col == "name" and name is not None:
            name = f"{name} {f}"
        elif f[:1].islower() and f.count(" ") >= 2 and not columns:
            continue  # "Hana Park - will be late": a remark, not an organisation
        elif col is None and f.lower() in _ROLES:
            continue  # "Ann Lee (Chair)", "Ruth Mensah (Secretary)": a role in the meeting, not an organisation
        else:
            affiliation_parts.append(f)
    if name is not None:
        name = clean_name(name.replace("[", "").replace("]", "")) or None
    if name is not None and is_placeholder_name(name):
        return None  # "[name=Name] ...", "Name / ...": a template row
    if name is None and handle is None:
        return None
    if name is not None and not handle and not affiliation_parts and len(name.split()) > 5:
        return None  # a sentence, not a person
    affiliation = " / ".join(affiliation_parts) or None
    return Row(name, handle, affiliation, pronouns)


def find_urls_in(text: str) -> list[str]:
    return find_urls(text) if "://" in text else []


# --- people thanked -----------------------------------------------------------------------------


def thanked_people(inline_texts: list[Inline], known: set[str], exclude: str | None = None) -> list[str]:
    """Handles and names of the people an item thanks; a sentence's subject ("Simon did ...") counts
    only in the item's own text, not in its sub-bullets."""
    out: list[str] = []
    seen: set[str] = set()
    named_handles: set[str] = set()

    def add(value: str) -> None:
        key = value.lower()
        if key in GROUP_MENTIONS:
            return  # "@all", "@everyone": a crowd, not a person (and never to be echoed as a mention)
        if key not in seen and (exclude is None or key != exclude.lower()):
            seen.add(key)
            out.append(value)

    for index, inline in enumerate(inline_texts):
        text = inline.flat
        found: list[tuple[int, str]] = []  # (position in the text, person), in reading order
        labelled = {url: " ".join(label.split()) for label, url in inline.link_texts}
        for n, url in enumerate(inline.links):
            h = github_handle(url)
            if h:
                label = labelled.get(url)
                at = text.find(label) if label else -1
                found.append((at if at >= 0 else len(text) + n, h))
        for label, url in inline.link_texts:
            if github_handle(url):
                named_handles.add(" ".join(label.split()).lower())
        for m in HANDLE_RE.finditer(text) if "@" in text else ():
            found.append((m.start(), m.group(1).lower()))
            # "Simon Li (@manics)": the name is the handle's owner, not a second person.
            before = text[: m.start()].rstrip(" (`")
            nm = _NAME_AT_END.search(before)
            if nm:
                named_handles.add(nm.group(1).lower())
        for name in _names_in(text, known, subjects=index == 0):
            if name.lower() not in named_handles:
                at = text.find(name)
                found.append((max(at, 0), name))
        found.sort(key=lambda p: p[0])
        for _, value in found:
            add(value)
    return out


# A match of _THANKS_RE holds one of these words (any case). Checked on ASCII text only: the regex's
# case-insensitive matching also knows non-ASCII forms of some letters (U+212A for "k", U+017F for "s").
_THANKS_WORDS = ("thank", "shout", "kudos", "congrat", "gratitude", "appreciation", "effort", "work", "help", "grateful",
                 "birthday", "welcome", "happy", "glad", "thrilled", "excited", "proud", "pleased")


def _may_thank(text: str) -> bool:
    return may_hold(text, _THANKS_WORDS)


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """Whether a case-insensitive pattern every match of which holds one of ``words`` (lower-case ASCII)
    may match ``text``: a cheap test before a regex that would scan the whole text. Non-ASCII text always
    may: the regex's case-insensitive matching also knows non-ASCII forms of some letters (U+212A for
    "k", U+017F for "s", U+0131 for "i")."""
    if not text.isascii():
        return True
    low = text.lower()
    for word in words:
        if word in low:
            return True
    return False


def _names_in(text: str, known: set[str], subjects: bool = True) -> list[str]:
    found: list[tuple[int, str]] = []
    for m in _THANKS_RE.finditer(text) if _may_thank(text) else ():
        for name in _split_names(m.group("names")):
            found.append((m.start("names"), name))
    lm = _LEADING_LIST_FOR.match(text) if "for" in text else None
    if lm:
        for name in _split_names(lm.group("names")):
            found.append((0, name))
    tm = _TO_FOR.match(text) if text[:3].lower() in ("to ", "for") else None
    if tm:
        for name in _split_names(tm.group("names"), any_case=True):
            found.append((0, name))
    sm = _SUBJECT_RE.match(text) if subjects else None
    if sm is not None:
        verb = text[sm.end():].split(None, 1)
        after = text[sm.end("names"):sm.end()].split()
        personal = bool(after) and after[-1] in _PERSONAL_VERBS
        if after and after[-1] in ("is", "are", "was", "were"):
            nxt = verb[0].lower() if verb else ""
            # "Erik is a force of nature" praises; "Lena is making progress", "Dana is here to ..." report
            personal = not (nxt.endswith("ing") or nxt in ("here", "there", "now", "still", "back", "away", "out",
                                                           "going", "also", "not", "currently", "on", "in"))
            if not personal:
                sm = None
        for name in _split_names(sm.group("names")) if sm is not None else ():
            if _is_known(name, known) or (personal and not (name.endswith("s") and not name.endswith("ss")
                                                            and " " not in name)):
                found.append((0, name))
        del verb
    found.sort(key=lambda p: p[0])
    return [n for _, n in found]


_POSSESSIVE = re.compile(r"['’]s?$")


def _split_names(seq: str, *, any_case: bool = False) -> list[str]:
    out = []
    for part in _NAME_SEPARATORS.split(seq):
        part = part.strip()
        if part.lower().startswith("and "):
            part = part[4:]
        if not part:
            continue
        words = part.split()
        if words:
            words[-1] = _POSSESSIVE.sub("", words[-1])  # "Omar's patient reviews", "Kofi' triage"
        if any_case:
            if len(words) > 2 or not words or words[0].lower() in _NOT_A_NAME or not words[0].isalpha():
                continue
            out.append(" ".join(words))
            continue
        # "Stefan for helping" never reaches here; trim trailing lowercase words just in case.
        while words and not words[-1][:1].isupper():
            words.pop()
        part = " ".join(words)
        if part and _is_name_like(part, max_words=3) and not any(ch.isupper() for w in words for ch in w[1:]):
            out.append(part)
    return out


# --- agenda owners in the notations notes use ---------------------------------------------------------

_OWNER_WORD = r"(?:@?[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*|[a-z][a-z\-]{1,20})"
_OWNER_NAME = rf"{_OWNER_WORD}(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*)?"
_OWNER_LIST = rf"{_OWNER_NAME}(?:\s*(?:/|,|&|\band\b|\bc/o\b|\+)\s*{_OWNER_NAME})*"
_CAPS_LABEL = re.compile(r"^[A-Z][A-Z0-9 ]{2,30}:\s+(?=\S)")
_HACKMD_ANYWHERE = re.compile(r"\s*\[name\s*=\s*([^\]]+)\]\s*", re.IGNORECASE)
_MIN_TEXT = r"~?(?P<min>\d{1,3})(?:\s*(?:-|–|to)\s*(?P<max>\d{1,3}))?\s*(?:m|mins?|minutes?)\.?\??"
_LEAD_OWNER = re.compile(rf"^(?P<who>{_OWNER_LIST})\s*(?:\(\s*(?:{_MIN_TEXT})?[^)]*\))?\s*:\s*(?P<rest>\S.*)$")
_TRAIL_BRACKET = re.compile(rf"\s*\[\s*(?P<who>{_OWNER_LIST})?\s*(?:[-–—,:]?\s*{_MIN_TEXT})?\s*\]\s*:?\s*$")
_TRAIL_PAREN = re.compile(rf"\s*\(\s*(?P<who>{_OWNER_LIST})\s*(?:\+\??|\?)?\s*(?:[,;:\-–—]\s*{_MIN_TEXT})?\s*\)\s*:?\s*$")
_TRAIL_DASH_OWNER = re.compile(rf"\s+[-–—]\s+(?P<who>{_OWNER_LIST})\s*$")
_TRAIL_MIN = re.compile(rf"\s*[(\[]\s*{_MIN_TEXT}\s*[)\]]\s*:?\s*$", re.IGNORECASE)
_LEAD_MIN = re.compile(rf"^\s*[(\[]\s*{_MIN_TEXT}\s*[)\]]\s*", re.IGNORECASE)
_LEAD_PAREN_OWNER = re.compile(rf"^\(\s*(?P<who>{_OWNER_LIST})\s*\)\s*:?\s*(?=\S)")
_BY_OWNER = re.compile(rf"\s+(?:by|from|with)\s+(?P<who>{_OWNER_LIST})\s*:?\s*$")
_GROUP_OWNERS = frozenset({"all", "everyone", "everybody", "team"})


_OWNER_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b|\bc/o\b|\+)\s*")


def owners_ok(who: str, known: set[str], *, strict: bool = False, stop: frozenset[str] = frozenset(),
              groups: bool = False) -> bool:
    """Whether every name of an owner notation ("Priya/Lars", "Priya and Lars", "@mei") can be a person:
    someone the notes know, a handle, or (unless ``strict``) a name-like word not in ``stop``; with
    ``groups``, "All" alone counts too."""
    parts = [p for p in _OWNER_SPLIT.split(who) if p]
    if not parts:
        return False
    for part in parts:
        low = part.lower().lstrip("@")
        if part.startswith("@") or _is_known(part, known):
            continue
        if groups and low in _GROUP_OWNERS and len(parts) == 1:
            continue
        if strict or part[:1].islower() or low.split()[0] in stop or not _is_name_like(part, max_words=2):
            return False
    return True


def _owner_ok(who: str, known: set[str]) -> bool:
    return owners_ok(who, known, groups=True)


def _all_known(who: str, known: set[str]) -> bool:
    """Every name of an owner notation is someone the notes know (or "All")."""
    parts = [p for p in _OWNER_SPLIT.split(who) if p]
    return bool(parts) and all(p.startswith("@") or _is_known(p, known) or p.lower() in _GROUP_OWNERS for p in parts)


def _span_minutes(m: re.Match[str]) -> int | None:
    hi = m.group("max") or m.group("min")
    return int(hi) if hi else None


def _begins_handle(name: str, known: set[str]) -> bool:
    """"Jason" when the roll call gives only handles and one is "jasongrout": a first name its handle starts with."""
    low = name.strip().lower()
    if len(low) < 3 or not low.isalpha():
        return False
    return any(k.startswith(low) and " " not in k and len(k) > len(low) for k in known)


def agenda_owner(title: str, known: set[str]) -> tuple[str, str | None, int | None]:
    """Owner and minutes from an agenda title in the notations notes use, the title without them:
    ``"Quarterly roadmap review [Priya/Lars - 5 mins?]"``, ``"[Caching proposal] [Rui K]"``,
    ``"LATE ADDITION: mei: retire the old wiki?"``, ``"Docs sprint planning [name=Lars] (10 mins)"``,
    ``"Outreach budget (Mei +?, 10 min)"``, ``"Lars (5-10 min): Flaky test triage"``, ``"All: Check-ins"``,
    ``"Priya c/o Mei (10m): Federation partner onboarding"``, ``"Steering report by Ada:"``."""
    owner: str | None = None
    minutes: int | None = None
    text = title.strip()
    m = _CAPS_LABEL.match(text)
    if m:
        text = text[m.end():]
    if "[name" in text.lower():
        hm = _HACKMD_ANYWHERE.search(text)
        if hm:
            owner = clean_name(hm.group(1))
            text = (text[: hm.start()] + " " + text[hm.end():]).strip()
    m = _LEAD_MIN.match(text) if text[:1] in "([" else None
    if m:
        minutes = _span_minutes(m)
        text = text[m.end():]
    m = _LEAD_PAREN_OWNER.match(text) if text[:1] == "(" else None
    if m and owner is None and _owner_ok(m.group("who"), known):
        owner, text = clean_name(m.group("who")), text[m.end():]  # "(Teo) Budget for the spring sprint"
    if owner is None and ":" in text[:60]:
        m = _LEAD_OWNER.match(text)
        if m and _owner_ok(m.group("who"), known) and (m.group("min") or _all_known(m.group("who"), known)):
            owner = clean_name(m.group("who"))
            if m.group("min"):
                minutes = minutes or _span_minutes(m)
            text = m.group("rest")
    for _ in range(2):
        end = text.rstrip(" :")[-1:]
        if end == "]":
            m = _TRAIL_BRACKET.search(text)
            if m and (m.group("who") is None or _owner_ok(m.group("who"), known)) and (m.group("who") or m.group("min")):
                if m.group("who") and owner is None:
                    owner = clean_name(m.group("who"))
                if m.group("min"):
                    minutes = minutes or _span_minutes(m)
                text = text[: m.start()]
                continue
        if end == ")":
            m = _TRAIL_MIN.search(text)
            if m:
                minutes = minutes or _span_minutes(m)
                text = text[: m.start()]
                continue
            m = _TRAIL_PAREN.search(text)
            if m and owner is None and _owner_ok(m.group("who"), known) and (m.group("min") or "+" in m.group(0)
                                                                              or _is_known(m.group("who"), known)
                                                                              or _begins_handle(m.group("who"), known)):
                owner = clean_name(m.group("who"))
                if m.group("min"):
                    minutes = minutes or _span_minutes(m)
                text = text[: m.start()]
                continue
        break
    if owner is None and (" — " in text or " – " in text or " - " in text):
        m = _TRAIL_DASH_OWNER.search(text)  # "JupyterHub 0.9.3 release — Min": someone the notes know
        if m and _all_known(m.group("who"), known):
            owner = clean_name(m.group("who"))
            text = text[: m.start()]
    if owner is None and (" by " in text or " from " in text):
        m = _BY_OWNER.search(text)
        if m and text.rstrip().endswith(":") and _owner_ok(m.group("who"), known):
            owner = clean_name(m.group("who"))
            text = text[: m.start()]
    text = text.strip()
    if text[-1:] == ":" and not _SHORTCODE_END.search(text):
        text = text.rstrip(":").strip()
    return text, owner, minutes


_SHORTCODE_END = re.compile(r"\s:[a-z0-9_+\-]{1,40}:$")  # "1.0 released :tada:": an emoji, not a label's colon


_PLACEHOLDER_NAMES = frozenset({
    "name", "names", "yourname", "your name", "your-name", "your_name", "you", "person", "someone", "firstname",
    "first name", "first last", "username", "user", "handle", "github handle", "x", "xx", "xxx", "tbd", "name surname",
    "full name", "speaker", "presenter", "owner", "who", "your handle", "me",
})


def is_placeholder_name(name: str) -> bool:
    """"Name", "NAME", "yourname", "Your Name": a template's stand-in for a person."""
    return " ".join(name.lower().replace("_", " ").split()).strip("@ ") in _PLACEHOLDER_NAMES
