"""Decisions and action items, taken only where the notes frame them so; nothing is inferred.

Decisions: "**Decision** - ...", "Decision: ...", "Agreed to ...", "Group agreed that ...",
"General agreement that ...", "Consensus: ...", "Conclusion was that ...", "We decided ...", "It was agreed
that ...", "Nobody objected to ...", items under a "Decisions:" label or heading; formal minutes' motions
("Motion to X made by A, seconded by B." then "The motion carried.": one decision).

Action items: "Action: ...", "TODO: ...", "AI: ...", items under an "Action points:" / "Action items" /
"Next actions" / "Next steps:" label or heading, unchecked or checked task-list items, and
"X to do Y" where X is someone the notes name (roll call, speakers) or an ``@handle``, "TODO(X): ...".
"""

from __future__ import annotations

import re
from functools import lru_cache

from digests.notes.people import may_hold, owners_ok

_DECISION_LABEL = re.compile(
    r"^(?:decisions?(?:\s+made)?|decided|resolution|resolved|conclusions?|outcome|agreements?|agreed|consensus)\s*(?:[:\-–—]|$)\s*",
    re.IGNORECASE,
)
_DECISION_START = re.compile(
    r"^(?:(?:so\s+|and\s+)?(?:the\s+)?(?:we|group|everyone|everybody|all|team|meeting|committee|council|folks|people|"
    r"maintainers|attendees)\s+(?:have\s+|had\s+|has\s+)?(?:all\s+)?(?:agreed|decided|concluded|resolved)\b|"
    r"agreed\b|decided\b|(?:general|broad|rough|full|unanimous)\s+(?:agreement|consensus)\b|(?:agreement|consensus)\s+(?:that|to|on|was|is|:)|"
    r"(?:the\s+)?(?:conclusion|decision|outcome|resolution)\s+(?:was|is|:)|concluded\b|"
    r"(?:we|the\s+group|the\s+team|everyone)\s+(?:will\s+go|are\s+going|went)\s+with\b|(?:we\s+)?settled\s+on\b|"
    r"(?:we\s+|the\s+\w+\s+)?voted\s+(?:to|for|against)\b|(?:the\s+)?motion\s+(?:passed|carried|approved|adopted|was\s+(?:passed|carried|approved|adopted))\b|"
    r"(?:unanimously|formally)\s+(?:approved|agreed|adopted|accepted)\b|approved\s+(?:unanimously|by\s+(?:all|everyone|consensus))\b|"
    r"it\s+was\s+(?:(?:unanimously|formally|generally)\s+)?(?:agreed|decided|resolved)\s+(?:that|to)\b|"
    r"(?:nobody|no\s+one|no-one)\s+objected\s+to\b|there\s+were\s+no\s+objections\s+to\b)",
    re.IGNORECASE,
)
_ACTION_LABEL = re.compile(
    r"^(?:(?:her|his|their|my|our|the)\s+)?(?:action\s+items?|action\s+points?|actions?|next\s+actions?|next\s+steps?|"
    r"todos?|to-?dos?|ai|ais|follow[- ]?ups?|tasks?)\s*(?:[:\-–—]\s*|$)",
    re.IGNORECASE,
)
_ACTION_LABEL_ONLY = re.compile(
    r"^(?:(?:her|his|their|my|our|the)\s+)?(?:action\s+items?|action\s+points?|actions?|next\s+actions?|next\s+steps?|"
    r"todos?|to-?dos?|ais?|follow[- ]?ups?|tasks?)(?:\s+(?:for\s+\S+(?:\s+\S+)?|from\s+\S+(?:\s+\S+){0,5}))?\s*:?\s*$",
    re.IGNORECASE,
)
_DECISION_LABEL_ONLY = re.compile(
    r"^(?:decisions?(?:\s+made)?|agreements?|conclusions?|outcomes?|resolutions?)\s*:?\s*$", re.IGNORECASE
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z*_\"'(])")
_CONNECTOR = re.compile(r"^(?:otherwise|then|and|also|so|afterwards|after that|meanwhile)\s*,?\s+", re.IGNORECASE)
_CONNECTOR_FIRST = frozenset("otasmOTASM")
_HANDLE_OWNER = re.compile(r"^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\s+(?:to|will|should|can|must)\s+\S")


def is_action_label(text: str) -> bool:
    """"Action points:", "**Sarah:** her action items", "Next actions" (the rest is the list below)."""
    return bool(_ACTION_LABEL_ONLY.match(text.strip(" *_")))


def is_decision_label(text: str) -> bool:
    return bool(_DECISION_LABEL_ONLY.match(text.strip(" *_")))


_AGREED_VERB = re.compile(r"^(?:agreed|decided)\b", re.IGNORECASE)
_WORD_LABEL = re.compile(r"^\w+\s*[:\-–—]")
_SHORT_LABEL = re.compile(r"^\S+(?:\s+\S+)?\s*[:\-–—]")
_NAME_MODAL = re.compile(
    r"^([A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?)\s+(?:to|will|should|can|could|must|is going to|are going to|needs? to)\s+\S"
)
_HANDLE_TO = re.compile(r"^@\S+\s+to\s")
_HANDLE_WILL = re.compile(r"^@\S+\s+(?:will|shall)\s+[a-z]")
_NAMES_TO = re.compile(r"^([A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?(?:\s*(?:,|and|&)\s*[A-Z][\w'’\-]*)*)\s+to\s+[a-z]")
_NAME_SEP = re.compile(r"\s*(?:,|\band\b|&)\s*")


_STEMS_DECIDE = ("decid", "decision", "agree", "conclu", "consensus", "resol", "outcome", "take", "go with", "going with",
                 "went with", "settled", "voted", "motion", "approved", "accepted", "adopted", "passed", "carried", "ratified",
                 "objected", "objections")


def may_decide(text: str) -> bool:
    """Cheap pre-check: without one of these stems no decision pattern can match."""
    low = text.lower()
    return any(stem in low for stem in _STEMS_DECIDE)


# "Takeaway: ...", "Key take-away - ..." give the outcome after the label.
_TAKEAWAY = re.compile(r"^(?:key\s+|main\s+)?take[- ]?aways?\s*(?:[:\-–—]+\s*|\s+(?=is\b|was\b))", re.IGNORECASE)
# "Decide to ...", "Decision on the plugin API -- keep ...", "Consensus this is ...": the whole line is the decision.
_DECISION_WHOLE = re.compile(
    r"^(?:(?:we\s+)?decide\s+(?:to|that|on|against)\b|decision\s+(?:on|about|re|for|regarding)\s+\S.*?(?:--|\s[-–—:]\s|:)\s*\S|"
    r"(?:rough\s+|general\s+|broad\s+)?consensus\b(?!\s+(?:needed|required|wanted)\b)|unanimous(?:ly)?\b)",
    re.IGNORECASE,
)
# Not settled: "We need to decide whether ...", "decision pending", "TBD".
_OPEN_DECISION = re.compile(
    r"\b(?:need|needs|have|has|got)\s+to\s+decide\b|\bdecide\s+(?:whether|if|later|next)\b|\bwhether\b|"
    r"\bto\s+be\s+decided\b|\btbd\b|\bundecided\b|\bno\s+decision\b|\bdecision\s+(?:pending|needed|required)\b|"
    r"\bnot\s+(?:yet\s+)?decided\b|\bno\s+consensus\b|\bconsensus\s+(?:needed|required)\b",
    re.IGNORECASE,
)
# A match of _OPEN_DECISION holds one of these words (any case).
_OPEN_WORDS = ("decide", "decision", "whether", "tbd", "consensus")
# Assent written under a question or proposal: the answer is the decision on that topic.
_ASSENT = re.compile(
    r"^(?:(?:so\s+)?(?:everyone|everybody|all|we|generally|general(?:ly)?|broadly|the\s+group|group|folks|people)\s+)?"
    r"(?:all\s+)?(?:agree[sd]?|agreement)\b|^no\s+(?:one\s+)?objections?\b|^nobody\s+objected\b|"
    r"^triage\s+(?:says|agrees?|decided|decision|consensus)\b|"
    r"^let['’]?s\s+(?:do|go|try|keep|use|drop|switch|move|adopt|start|stop|merge|ship|make)\b|"
    r"^(?:yes|yep|approved|accepted|agreed|confirmed|rejected|declined)\b(?!\s*\?)|^(?:\+1|:\+1:|:thumbsup:|👍|lgtm|sgtm)\s*(?:from\s+)?(?:everyone|everybody|all)\b|"
    r"^(?:the\s+)?(?:vote|voting|poll|deadline)\s+(?:(?:is|was|has\s+been)\s+)?(?:extended|postponed|closed|reopened)\b|"
    r"^(?:everyone|everybody|all)\s+(?:(?:is|are|was|were)\s+)?in\s+favou?r\b|"
    r"^(?:everyone|everybody|all)\s*(?:\+1|:\+1:|:thumbsup:|👍)|^(?:\+1|(?:(?::\+1:|:thumbsup:|👍[\U0001F3FB-\U0001F3FF]?)\s*)+)\s*(?:to|for)\s+\S|"
    r"^(?:consensus|unanimous)\b",
    re.IGNORECASE,
)
# "Cancelled.", "Called off.": the outcome for the topic above, in its first sentence.
_CALLED_OFF = re.compile(r"^(?:cancell?ed|called\s+off|postponed|skipped|dropped|rejected|declined)\b[^.!;]{0,60}[.!]?",
                         re.IGNORECASE)
_MAY_ASSENT = ("agree", "objection", "let", "yes", "yep", "approved", "accepted", "confirmed", "rejected", "declined",
               "+1", "consensus", "unanimous", "favo", "lgtm", "sgtm", "extended", "closed", "reopened", "👍", ":thumbsup:", "cancel", "called off", "postponed", "skipped", "dropped", "nobody", "triage")


@lru_cache(maxsize=4096)
def assent_in(text: str) -> str | None:
    """The decision an answer under a question or proposal states ("Everyone agrees: yes", "No objections
    to dropping it", "Let's do it!", "Cancelled."), or None. Its topic is the item it answers."""
    t = text.strip()
    if not t or t.rstrip()[-1:] == "?" or len(t) > 200:
        return None
    low = t.lower()
    if not any(w in low for w in _MAY_ASSENT):
        return None
    if may_hold(t, _OPEN_WORDS) and _OPEN_DECISION.search(t):
        return None
    m = _CALLED_OFF.match(t)
    if m:
        return m.group(0).strip()
    if _ASSENT.match(t):
        m = _LABELLED.match(t)
        if m:
            return t[m.end():].strip()  # "AGREED: APPROVED (+6, 0, -0)", "Consensus: yes, pending review"
        first = _SENTENCE_SPLIT.split(t)[0]
        return first.strip()
    return None


def may_act(text: str) -> bool:
    """Cheap pre-check for ``action_in``: a label word, or " to " early after a capitalised name."""
    low = text.lower()
    if ("action" in low or "todo" in low or "to-do" in low or "to do" in low or "next" in low
            or "follow" in low or "task" in low or low.startswith("ai")):
        return True
    if text[:1] == "@" or text[:1].islower() and (" will " in low[:48] or " to " in low[:48]):
        return True  # "@turt2live will cut the release", "decathorpe to file the request"
    i = low.find(" to ")
    return 0 < i < 60 and (text[0].isupper() or text[0] == "@")


_STEMS_STATE = ("decid", "decision", "agree", "conclu", "consensus", "resol", "outcome", "take", "action", "todo",
                "to-do", "to do", "next", "follow", "task", " will ", "volunteer", "<-", "->", "←", "→", "=>",
                "objection", "let", "cancel", "called off", "postponed", "yes", "unanimous", "go with", "going with",
                "went with", "settled", "voted", "motion", "approved", "accepted", "adopted", "passed", "carried", "ratified",
                "objected")


_STATE_MEMO: dict[str, bool] = {}


def may_state(text: str) -> bool:
    """``may_decide(text) or may_act(text) or`` a task or assent could match, lowering the text once.
    The same text is asked about several times (as an item, a child, a label): answers are remembered."""
    known = _STATE_MEMO.get(text)
    if known is not None:
        return known
    low = text.lower()
    found = any(stem in low for stem in _STEMS_STATE) or low.startswith("ai")
    if not found:
        i = low.find(" to ")
        found = 0 < i < 60 and (text[0].isupper() or text[0] == "@" or text[0] == "*")
    if len(_STATE_MEMO) >= 4096:
        _STATE_MEMO.clear()
    _STATE_MEMO[text] = found
    return found


# "Consensus: yes, pending review", "AGREED: APPROVED (+6, 0, -0)" (meetbot), "**Outcome:** Postpone": the label
# frames the decision, the rest is the decision.
_LABELLED = re.compile(
    r"^(?:decisions?|decided|agreed|agreements?|consensus|outcomes?|conclusions?|resolutions?|resolved)\s*:\s*(?=\S)",
    re.IGNORECASE,
)
# Formal minutes: "Motion: raise the rate by 5%. Approved unanimously.", "Motion to approve the budget: passed
# unanimously", "Approved by General Consent.", "was approved by Unanimous Vote", "The minutes of ... were approved."
_MOTION_LABEL = re.compile(r"^(?:motion|vote|voting|vote\s+(?:result|outcome|tally)s?|result\s+of\s+the\s+vote)\s*(?:\d+\s*)?"
                           r"[:\-–—]\s*(?=\S)", re.IGNORECASE)
# A resolution as boards record it: "RESOLVED, that the minutes ... are approved" (the rest is the decision).
_RESOLVED = re.compile(r"^(?:(?:now,?\s+)?(?:therefore,?\s+)?(?:be\s+it\s+(?:further\s+)?)?resolved),?\s+(?:that\s+)?(?=\S)",
                       re.IGNORECASE)
_PASSED = re.compile(r"\b(?:passed|carried|approved|adopted|accepted|ratified)\b", re.IGNORECASE)
_FAILED = re.compile(r"\b(?:failed|rejected|withdrawn|defeated|tabled|not\s+(?:passed|carried|approved|adopted))\b",
                     re.IGNORECASE)
_MOTION_PASSED = re.compile(r"^(?:the\s+)?motion\b.{0,160}?\b(?:passed|carried|approved|adopted)\b", re.IGNORECASE)
_APPROVED_BY = re.compile(
    r"\b(?:approved|adopted|accepted|ratified|passed|carried)\s+(?:unanimously\b|by\s+(?:the\s+)?(?:general\s+consent|"
    r"unanimous\s+(?:vote|consent)|(?:a\s+)?(?:majority|vote|consensus|acclamation|show\s+of\s+hands)|"
    r"(?:[\w\-]+\s+){0,2}(?:leads|board|committee|council|directors|members|maintainers|tsc|toc|psc|"
    r"steering\s+committee|core\s+team|all\s+present))\b)",
    re.IGNORECASE,
)
_WERE_APPROVED = re.compile(
    r"^(?:the\s+)?(?:[\w\-]+\s+){0,6}?(?:minutes|motion|resolution|budget|proposal|agenda|charter|amendment|policy|"
    r"request|report|nomination|application|order|jep|pep|rfc|kep|msc|rfd|enhancement\s+proposal)\b[^.;!?]{0,80}?\b(?:was|were|is|are|has\s+been|have\s+been)\s+"
    r"(?:unanimously\s+)?(?:approved|adopted|accepted|ratified|passed|carried)\b",
    re.IGNORECASE,
)


# Formal minutes record a motion and its outcome apart: "Motion to publish X made by A, seconded by B." then the
# votes, then "The motion carried." The outcome alone names no decision: the motion before it is the decision.
_MOTION_MOVED = re.compile(r"^(?:a\s+)?motion\s+(?:to|that)\s+\S", re.IGNORECASE)
_MOTION_OUTCOME = re.compile(
    r"^(?:the\s+)?motion\s+(?:was\s+)?(?:carried|passed|approved|adopted)(?:\s+(?:unanimously|by\s+[\w\s\-]{1,30}))?\s*[.!]?$",
    re.IGNORECASE,
)


def motion_moved(text: str) -> bool:
    """"Motion to publish X made by A, seconded by B.": a motion whose outcome the notes give later."""
    return text[:1] in "MmAa" and _MOTION_MOVED.match(text) is not None and _PASSED.search(text) is None \
        and _FAILED.search(text) is None


def motion_outcome(text: str) -> bool:
    """"The motion carried.": the outcome of the last motion, naming nothing itself."""
    return len(text) <= 60 and _MOTION_OUTCOME.match(text) is not None


def _formal(text: str) -> str | None:
    """The decision formal minutes record in ``text`` (a motion carried, an approval by vote or consent)."""
    m = _MOTION_LABEL.match(text)
    if m:
        rest = text[m.end():].strip()
        return rest if _PASSED.search(rest) and not _FAILED.search(rest) else None
    if _FAILED.search(text):
        return None
    if _MOTION_PASSED.match(text) or _WERE_APPROVED.match(text):
        return text.strip()
    for sentence in _SENTENCE_SPLIT.split(text):
        if _APPROVED_BY.search(sentence):
            return sentence.strip()
    return None


_LEAD_MARKS = re.compile(r"^(?:(?::[a-z0-9_+\-]{1,40}:|[\u2190-\u2bff\u2600-\u27bf\U0001F000-\U0001FAFF\ufe0f\u200d])\s*)+")


def strip_lead_marks(text: str) -> str:
    """``text`` without the emoji and ``:shortcodes:`` that mark it ("✅ Decision: ...", ":pushpin: Action: ...")."""
    m = _LEAD_MARKS.match(text)
    return text[m.end():] if m and m.end() < len(text) else text


@lru_cache(maxsize=4096)  # a text is asked about again as an item, a child and a label
def decision_in(text: str) -> str | None:
    """The decision a unit of text states explicitly, or None."""
    if not text or "?" == text.rstrip()[-1:]:
        return None
    if not may_decide(text):
        return None
    if text[:1] == ":" or not text[:1].isascii():
        text = strip_lead_marks(text)  # ":heavy_check_mark: Decision: ...", "✅ Agreed to ..."
    if may_hold(text, _OPEN_WORDS) and _OPEN_DECISION.search(text):
        # an open question framed as a decision; a later sentence may still settle it ("The Committee discussed
        # whether to charge a fee. It was agreed that certification remains free.")
        for sentence in _SENTENCE_SPLIT.split(text)[1:]:
            if _DECISION_START.match(sentence) and not _OPEN_DECISION.search(sentence):
                return sentence.strip()
        return None
    m = _LABELLED.match(text)
    if m:
        return text[m.end():].strip()
    m = _RESOLVED.match(text) if text[:1] in "RrNnBb" else None
    if m:
        return text[m.end():].strip()
    m = _TAKEAWAY.match(text)
    if m and text[m.end():].strip():
        return text[m.end():].strip()
    if _DECISION_WHOLE.match(text):
        return text.strip()
    m = _DECISION_LABEL.match(text)
    if m and text[m.end():].strip():
        rest = text[m.end():].strip()
        # "Agreed to switch" keeps its verb; "Decision - one more week" drops the label.
        if _AGREED_VERB.match(text) and not _WORD_LABEL.match(text):
            return text.strip()
        return rest
    if _DECISION_START.match(text):
        return text.strip()
    formal = _formal(text)
    if formal:
        return formal
    for sentence in _SENTENCE_SPLIT.split(text)[1:]:
        if sentence.rstrip().endswith("?"):
            continue
        m = _LABELLED.match(sentence)
        if m:
            return sentence[m.end():].strip()  # "Weekly rotation from April 8. Decision: Hannah takes the first week."
        if _DECISION_START.match(sentence):
            return sentence.strip()
    return None


# A speaker's own assent ("scottmcm: agreed, the concern is resolved") is that person's view, not the group's.
_PERSONAL_ASSENT = re.compile(r"^(?:i\s+)?agreed?\s*(?:[,.!;]|$)|^i\s+(?:also\s+)?agree\b|^agree\s+with\b", re.IGNORECASE)


def personal_assent(text: str) -> bool:
    return _PERSONAL_ASSENT.match(text) is not None


_NICK_TASK = re.compile(r"^@?([a-z][\w\-]{1,30})\s+(?:to|will|shall|should|must|is\s+going\s+to|(?:has\s+)?volunteered\s+to|"
                        r"offered\s+to)\s+[a-z]")


def nick_task(text: str, known: set[str]) -> str | None:
    """The owner of "decathorpe to file the orphan request" / "tmandry will write a summary": a lower-case nick
    the notes know (a roll call of IRC or GitHub nicks)."""
    m = _NICK_TASK.match(text) if text[:1].islower() or text[:1] == "@" else None
    if m and m.group(1) in known and m.group(1) not in _NOT_OWNER:
        return m.group(1)
    return None


def split_task(text: str, known: set[str]) -> tuple[str, tuple[str, str] | None]:
    """A decision whose last clause gives someone a task ("Postpone until the survey closes; tmandry will write a
    summary."): the decision without it, and the task with its owner."""
    at = text.find("; ")
    while at > 0:
        clause = text[at + 2:].strip()
        who = nick_task(clause, known)
        found = (clause, who) if who else task_in(clause, known)
        if found is not None and found[0] == clause:
            return text[:at].rstrip(" ,;"), (found[0], found[1])
        at = text.find("; ", at + 2)
    return text, None


_NAME_LEAD = re.compile(r"^(?P<who>@?[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*)?)"
                        r"\s*(?::|\s[-–—])\s+(?P<rest>\S.*)$")
# "TODO(ana): ...", "FIXME(@bo) - ...": a task and its owner, as code comments write them.
_TODO_OWNER = re.compile(r"^(?:TODO|FIXME|todo)\((?P<who>@?[\w.\- ]{1,40})\)\s*[:\-–—]?\s*")


def action_in(text: str, known: set[str]) -> tuple[str, str | None] | None:
    """``(text, owner)`` of an explicitly framed action item in ``text``, or None."""
    if not text:
        return None
    if not may_act(text):
        return None
    if text[:1] == ":" or not text[:1].isascii():
        text = strip_lead_marks(text)  # ":pushpin: Action: ...", "➡️ TODO: ..."
    if text[:5] in ("TODO(", "todo(", "FIXME"):
        m = _TODO_OWNER.match(text)  # "TODO(ana): write the retention script"
        if m and text[m.end():].strip():
            return text[m.end():].strip(), m.group("who").strip().lstrip("@")
    m = _ACTION_LABEL.match(text)
    if m and text[m.end():].strip() and _SHORT_LABEL.match(text):
        rest = text[m.end():].strip()
        lead = _NAME_LEAD.match(rest)  # "TODO: Yuvi — move the chart repo", "Action: Tim: open the PR"
        if lead is not None and owners_ok(lead.group("who"), known, stop=_NOT_OWNER,
                                          strict=rest[lead.end("who"):].lstrip()[:1] == ":"):
            # "Name — task" names a person; "Word: task" only when the notes know that name ("Release: tag 1.0")
            who = lead.group("who")
            return lead.group("rest"), who[1:].lower() if who[:1] == "@" else who
        who = owner_of(rest, known)
        if who is None:
            found = task_in(rest, known)  # "Action: Bo to book a room" (Bo need not be in the roll call)
            who = found[1] if found is not None and rest.startswith(found[0]) else None
        return rest, who
    first = text[:1]
    # _CONNECTOR's words start with one of these letters (a non-ASCII one is left to the regex)
    body = _CONNECTOR.sub("", text, count=1) if first in _CONNECTOR_FIRST or not first.isascii() else text
    owner = _to_do_owner(body, known)
    if owner is not None:
        return body.strip(), owner
    return None


def owner_of(text: str, known: set[str]) -> str | None:
    """"Min can add notes" -> "Min" when Min is known; "@minrk to review" -> "minrk"; "decathorpe to file ..." ->
    "decathorpe" when the notes know that nick."""
    m = _HANDLE_OWNER.match(text)
    if m:
        return m.group(1).lower()
    nick = nick_task(text, known)
    if nick:
        return nick
    m = _NAME_MODAL.match(text)
    if m and _known(m.group(1), known):
        return m.group(1)
    return None


def _to_do_owner(text: str, known: set[str]) -> str | None:
    m = _HANDLE_OWNER.match(text)
    if m and (_HANDLE_TO.match(text) or _HANDLE_WILL.match(text)):
        return m.group(1).lower()
    nick = nick_task(text, known)
    if nick:
        return nick
    m = _NAMES_TO.match(text)
    if m:
        names = [n for n in _NAME_SEP.split(m.group(1)) if n]
        if names and all(_known(n, known) for n in names):
            return m.group(1)
    return None


def _known(name: str, known: set[str]) -> bool:
    low = name.lower()
    return low in known or low.split()[0] in known


# --- tasks given to someone, in the forms notes use ----------------------------------------------

_WHO = r"@?[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*)?"
_WHO_LIST = rf"{_WHO}(?:\s*(?:,|\band\b|&|/|\+)\s*{_WHO})*"
_TASK_VERBS = (r"will|shall|to|has\s+volunteered\s+to|have\s+volunteered\s+to|volunteered\s+to|volunteers\s+to|"
               r"offered\s+to|offers\s+to|is\s+going\s+to|are\s+going\s+to|agreed\s+to|agrees\s+to|needs\s+to|"
               r"takes\s+care\s+of|will\s+take\s+care\s+of|is\s+on\s+it\s+to")
_TASK = re.compile(
    rf"(?:^|(?<=[.;!?])\s+|,\s+|\s--+\s+|\s[—–]\s+)(?P<who>{_WHO_LIST})\s+(?P<verb>{_TASK_VERBS})\s+(?P<next>[a-z][\w'’\-]*)"
)
_TASK_HINT = re.compile(r"[A-Z\u00C0-\u024F@*][\w\u00C0-\u024F'’\-*]*\s+(?:will|shall|to|has|have|volunteer\w*|offer\w*|is|are|agree\w*|needs|takes)\b")
_ARROW_OWNER = re.compile(rf"^(?P<text>.*\S)\s*(?:<-+|←|->|→|=>)\s*(?P<who>{_WHO_LIST})\s*[.!]?$")
# Capitalised words that start sentences such as "Need to ...", "Welcome to ...": never an owner.
_NOT_OWNER = frozenset({
    "need", "needs", "how", "want", "wants", "plan", "plans", "move", "switch", "back", "due", "up", "going",
    "access", "reply", "welcome", "thanks", "thank", "time", "ability", "way", "nothing", "something",
    "everything", "anyone", "someone", "add", "hard", "easy", "important", "happy", "able", "trying", "try",
    "hope", "like", "link", "note", "next", "prefer", "decided", "agreed", "documentation", "docs", "we",
    "i", "you", "they", "it", "this", "that", "there", "he", "she", "who", "what", "where", "when", "why",
    "which", "also", "then", "so", "and", "but", "or", "if", "all", "everyone", "everybody", "nobody", "team",
    "group", "people", "folks", "one", "lots", "more", "most", "some", "many", "any", "each",
    "question", "questions", "issue", "issues", "pr", "prs", "proposal", "goal", "motion", "minutes",
    "idea", "ideas", "answer", "tbd", "todo", "action", "actions", "decision", "agreement", "ask", "asked",
    "asking", "use", "used", "using", "start", "started", "continue", "continued", "glad", "sorry",
    "difficult", "easier", "harder", "better", "best", "good", "great", "nice", "ok", "okay", "yes",
    "no", "not", "maybe", "probably", "perhaps", "let", "lets", "let's", "please", "same", "similar",
    "call", "calls", "planning", "hoping", "looking", "working", "reminder", "remember",
    "ready", "free", "open", "new", "old", "first", "last", "cool", "added", "moved", "changed", "updated",
    "python", "jupyter", "jupyterhub", "github", "binder", "binderhub", "zoom", "slack", "discourse", "zulip",
})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "our", "my", "your", "their", "its",
                          "his", "her", "some", "all", "any", "each", "every", "no", "more", "most"})
_SOFT_NEXT = frozenset({"be", "not", "also", "have", "probably", "likely", "get", "need", "still", "just", "always"})


def _owner_names(who: str, known: set[str], *, strict: bool) -> bool:
    return owners_ok(who, known, strict=strict, stop=_NOT_OWNER)


def _initials_known(who: str, known: set[str]) -> bool:
    """Whether "MRK" are the initials of someone the notes know ("min ragan-kelley")."""
    low = who.lower()
    return any(len(k.split()) > 1 and "".join(w[:1] for w in k.replace("-", " ").split()) == low for k in known)


def task_in(text: str, known: set[str]) -> tuple[str, str] | None:
    """``(task, owner)`` of a task given to someone in ``text``: "Lars will open a PR", "**Mei** will write
    ...", "Mei has volunteered to ...", "Ravi to post ...", "Priya and Lars to sort out ...", "... <- Lars".
    The owner need not be in the roll call; a sentence or clause later in the text counts too
    ("Hackathon next week, Lars will work on ...")."""
    if len(text) > 400:
        return None
    if "<-" in text or "←" in text or "->" in text or "→" in text or "=>" in text:
        m = _ARROW_OWNER.match(text)
        if m and _owner_names(m.group("who"), known, strict=False):
            return m.group("text").strip(" -–—:"), m.group("who").strip()
    low = text.lower()
    if " will " not in low and " to " not in low and " volunteer" not in low and " takes care" not in low:
        return None
    if _TASK_HINT.search(text) is None:
        return None  # no capitalised word or handle right before a task verb: the full pattern cannot match
    for m in _TASK.finditer(text):
        who, verb, nxt = m.group("who"), m.group("verb").split()[0], m.group("next")
        bare_to = verb == "to"
        if (bare_to or verb in ("will", "shall")) and nxt in _SOFT_NEXT and not _known(who.split()[0], known):
            continue
        if not _owner_names(who, known, strict=False):
            continue
        if len(who) >= 3 and who.isalpha() and who.isupper() and not _known(who, known) \
                and not _initials_known(who, known):
            continue  # "OVH offered to host ...", "NSF will announce ...": an organisation, not someone of the meeting
        first_word = who.split()[0].lower()
        if first_word.endswith(("ing", "ed")) and not _known(who.split()[0], known):
            continue  # "Planning to transfer ...", "Related to ...": not a person
        if bare_to and nxt in _DETERMINERS:
            continue  # "Related to the security work": "to" before a noun, not a task
        if bare_to and m.start("who") > 0 and not _owner_names(who, known, strict=True):
            continue  # "... , Python to 3.12": mid-sentence "X to" only for people the notes know
        start = m.start("who")
        rest = text[start:]
        end = _SENTENCE_SPLIT.search(rest)
        task = (rest[: end.start()] if end else rest).strip()
        return task, who.replace("**", "").strip()
    return None


def outcome_after_colon(title: str) -> tuple[str, str] | None:
    """"#53470 deprecate `Base.@pure`: agreed, deprecate in 1.12." -> the topic and the outcome recorded on the same
    line (triage calls write one line per issue); the outcome is "" when the line says nothing was settled."""
    at = title.find(": ")
    if at < 3:
        return None
    head, tail = title[:at].strip(), title[at + 2:].strip()
    if not tail or is_decision_label(head) or is_action_label(head):
        return None
    if _UNSETTLED.match(tail):
        return head, ""  # "no consensus, revisit next week": the topic's note, not a decision
    found = assent_in(tail)
    if found is None or _CALLED_OFF.match(tail):
        return None
    return head, tail


_UNSETTLED = re.compile(r"^(?:no\s+consensus|no\s+decision|undecided|revisit|defer(?:red)?|punt(?:ed)?|needs?\s+more\s+(?:discussion|time|info))\b",
                        re.IGNORECASE)
