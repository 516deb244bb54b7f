"""Decisions and action items, taken only where the notes frame them so; nothing is inferred.

Decisions: "**Decision** - ...", "Decision: ...", "Agreed to ...", "Group agreed that ...",
"General agreement that ...", "Consensus: ...", "Conclusion was that ...", "We decided ...", items
under a "Decisions:" label or heading.

Action items: "Action: ...", "TODO: ...", "AI: ...", items under an "Action points:" / "Action items" /
"Next actions" / "Next steps:" label or heading, unchecked or checked task-list items, and
"X to do Y" where X is someone the notes name (roll call, speakers) or an ``@handle``.
"""

from __future__ import annotations

import re

_DECISION_LABEL = re.compile(
    r"^(?:decisions?(?:\s+made)?|decided|resolution|resolved|conclusions?|outcome|agreements?|agreed|consensus)\s*(?:[:\-–—]|$)\s*",
    re.IGNORECASE,
)
_DECISION_START = re.compile(
    r"^(?:(?:so\s+|and\s+)?(?:the\s+)?(?:we|group|everyone|everybody|all|team|meeting|committee|council|folks|people|"
    r"maintainers|attendees)\s+(?:have\s+|had\s+|has\s+)?(?:all\s+)?(?:agreed|decided|concluded|resolved)\b|"
    r"agreed\b|decided\b|(?:general|broad|rough|full|unanimous)\s+(?:agreement|consensus)\b|(?:agreement|consensus)\s+(?:that|to|on|was|is|:)|"
    r"(?:the\s+)?(?:conclusion|decision|outcome|resolution)\s+(?:was|is|:)|concluded\b)",
    re.IGNORECASE,
)
_ACTION_LABEL = re.compile(
    r"^(?:(?:her|his|their|my|our|the)\s+)?(?:action\s+items?|action\s+points?|actions?|next\s+actions?|next\s+steps?|"
    r"todos?|to-?dos?|ai|ais|follow[- ]?ups?|tasks?)\s*(?:[:\-–—]\s*|$)",
    re.IGNORECASE,
)
_ACTION_LABEL_ONLY = re.compile(
    r"^(?:(?:her|his|their|my|our|the)\s+)?(?:action\s+items?|action\s+points?|actions?|next\s+actions?|next\s+steps?|"
    r"todos?|to-?dos?|ais?|follow[- ]?ups?|tasks?)(?:\s+(?:for\s+\S+(?:\s+\S+)?|from\s+\S+))?\s*:?\s*$",
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
_NAMES_TO = re.compile(r"^([A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?(?:\s*(?:,|and|&)\s*[A-Z][\w'’\-]*)*)\s+to\s+[a-z]")
_NAME_SEP = re.compile(r"\s*(?:,|\band\b|&)\s*")


def may_decide(text: str) -> bool:
    """Cheap pre-check: without one of these stems no decision pattern can match."""
    low = text.lower()
    return ("decid" in low or "decision" in low or "agree" in low or "conclu" in low or "consensus" in low
            or "resol" in low or "outcome" in low)


def may_act(text: str) -> bool:
    """Cheap pre-check for ``action_in``: a label word, or " to " early after a capitalised name."""
    low = text.lower()
    if ("action" in low or "todo" in low or "to-do" in low or "to do" in low or "next" in low
            or "follow" in low or "task" in low or low.startswith("ai")):
        return True
    i = low.find(" to ")
    return 0 < i < 60 and (text[0].isupper() or text[0] == "@")


def may_state(text: str) -> bool:
    """``may_decide(text) or may_act(text)``, lowering the text once."""
    low = text.lower()
    if ("decid" in low or "decision" in low or "agree" in low or "conclu" in low or "consensus" in low
            or "resol" in low or "outcome" in low):
        return True
    if ("action" in low or "todo" in low or "to-do" in low or "to do" in low or "next" in low
            or "follow" in low or "task" in low or low.startswith("ai")):
        return True
    i = low.find(" to ")
    return 0 < i < 60 and (text[0].isupper() or text[0] == "@")


def decision_in(text: str) -> str | None:
    """The decision a unit of text states explicitly, or None."""
    if not text or "?" == text.rstrip()[-1:]:
        return None
    if not may_decide(text):
        return None
    m = _DECISION_LABEL.match(text)
    if m and text[m.end():].strip():
        rest = text[m.end():].strip()
        # "Agreed to switch" keeps its verb; "Decision - one more week" drops the label.
        if _AGREED_VERB.match(text) and not _WORD_LABEL.match(text):
            return text.strip()
        return rest
    if _DECISION_START.match(text):
        return text.strip()
    for sentence in _SENTENCE_SPLIT.split(text)[1:]:
        if _DECISION_START.match(sentence) and not sentence.rstrip().endswith("?"):
            return sentence.strip()
    return None


def action_in(text: str, known: set[str]) -> tuple[str, str | None] | None:
    """``(text, owner)`` of an explicitly framed action item in ``text``, or None."""
    if not text:
        return None
    if not may_act(text):
        return None
    m = _ACTION_LABEL.match(text)
    if m and text[m.end():].strip() and _SHORT_LABEL.match(text):
        rest = text[m.end():].strip()
        return rest, owner_of(rest, known)
    first = text[:1]
    # _CONNECTOR's words start with one of these letters (a non-ASCII one is left to the regex)
    body = _CONNECTOR.sub("", text, count=1) if first in _CONNECTOR_FIRST or not first.isascii() else text
    owner = _to_do_owner(body, known)
    if owner is not None:
        return body.strip(), owner
    return None


def owner_of(text: str, known: set[str]) -> str | None:
    """"Min can add notes" -> "Min" when Min is known; "@minrk to review" -> "minrk"."""
    m = _HANDLE_OWNER.match(text)
    if m:
        return m.group(1).lower()
    m = _NAME_MODAL.match(text)
    if m and _known(m.group(1), known):
        return m.group(1)
    return None


def _to_do_owner(text: str, known: set[str]) -> str | None:
    m = _HANDLE_OWNER.match(text)
    if m and _HANDLE_TO.match(text):
        return m.group(1).lower()
    m = _NAMES_TO.match(text)
    if m:
        names = [n for n in _NAME_SEP.split(m.group(1)) if n]
        if names and all(_known(n, known) for n in names):
            return m.group(1)
    return None


def _known(name: str, known: set[str]) -> bool:
    low = name.lower()
    return low in known or low.split()[0] in known
