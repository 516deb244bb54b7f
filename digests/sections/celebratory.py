"""The celebratory digest's sections: thanks from chat and notes, merged and grouped by person; celebrated wins.

Two thanks to the same people with similar words, given within ``MERGEDAYS`` of each other, are one
thank-you (a chat shout-out and the meeting note about the same work), crediting every giver.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from digests.digest import Budget, CommunityInfo, Entry, Link, Person, Section
from digests.model import Celebration, Meeting, Shoutout
from digests.people import Directory, is_group, meeting_key, name_key
from digests.sections.common import is_label_or_filler, is_template_owner, source_link
from digests.sections.inputs import Inputs

__all__ = ["MERGEDAYS", "MERGE_SIMILARITY", "sections", "similar_text"]

MERGEDAYS = 7  # two thanks to the same people with similar words this close together are one thank-you
MERGE_SIMILARITY = 0.5

_STOP = frozenset(["a", "an", "and", "the", "to", "for", "of", "in", "on", "at", "with", "by", "from", "is", "was", "were", "be", "been", "it", "this", "that", "thanks", "thank", "you", "your", "our", "we", "us", "all", "so", "very", "much", "great", "awesome", "huge", "shoutout", "shout", "out"])


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The meaningful words of a text, as a set and in order (stop words and single letters left out)."""
    words = tuple(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1 and w not in _STOP)
    return frozenset(words), words


def similar_text(a: str, b: str) -> float:
    """How alike two thank-you texts are, 0..1: the share of the shorter text's meaningful words ("thanks",
    "for", "the"... left out) that the other one says too. A short chat thank-you and the longer note
    about the same work score high; thanks for different things score low."""
    (ta, _), (tb, _) = _words(a), _words(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


@dataclass
class _Thanks:
    people: list[Person]
    keys: frozenset[str]
    text: str
    givers: list[Person]
    links: list[Link]
    when: dt.datetime
    chat: bool


@functools.lru_cache(maxsize=4096)
def _chat_person(name: str, kind: str, user_id: int | None) -> Person:
    """A person named in chat; frozen, so the same value serves every shout-out that names them."""
    return Person(name=name, kind="zulip" if kind == "user" else "group" if kind == "group" else "name",
                  user_id=user_id)


def _shoutout_thanks(shoutout: Shoutout, directory: Directory) -> _Thanks:
    named = [_chat_person(r.name, r.kind, r.user_id) for r in shoutout.recipients]
    link = Link(label="message", url=shoutout.permalink) if shoutout.permalink else Link(
        label=f"chat, #{shoutout.stream} > {shoutout.topic}" if shoutout.stream else "chat", url=None)
    return _Thanks(
        people=[directory.shown(p) for p in named],
        keys=frozenset(directory.canonical(p) for p in named),
        text=shoutout.text,
        givers=[directory.shown(_chat_person(shoutout.giver, "user", shoutout.giver_id))],
        links=[link],
        when=shoutout.created_at,
        chat=True,
    )


def _celebration_thanks(celebration: Celebration, meeting: Meeting, directory: Directory,
                        community: CommunityInfo, zone: ZoneInfo) -> _Thanks:
    place = meeting_key(meeting)
    people = [directory.person(p, place=place) for p in celebration.people if not is_group(p)]
    assert meeting.date is not None
    return _Thanks(
        people=people,
        keys=frozenset(directory.canonical(p) for p in people),
        # the item's own links ("See it here", "List of PRs") are the point of it: kept in its Markdown
        text=celebration.rich,
        givers=[directory.person(celebration.by, place=place)] if celebration.by else [],
        links=list(source_link(celebration.source, meeting, community)),
        when=dt.datetime.combine(meeting.date, dt.time(12), tzinfo=zone),
        chat=False,
    )


def _merge_thanks(thanks: list[_Thanks]) -> list[_Thanks]:
    """Merge thanks to the same people with similar words given within ``MERGEDAYS`` of each other."""
    merged: list[_Thanks] = []
    by_people: dict[frozenset[str], list[_Thanks]] = {}
    close = dt.timedelta(days=MERGEDAYS)
    for item in sorted(thanks, key=lambda t: (t.when, not t.chat)):
        candidates = by_people.setdefault(item.keys, [])
        match = None
        for kept in reversed(candidates):  # newest first: older ones are further away in time
            if item.when - kept.when > close:
                break
            if similar_text(kept.text, item.text) >= MERGE_SIMILARITY:
                match = kept
                break
        if match is None:
            new = _Thanks(list(item.people), item.keys, item.text, list(item.givers), list(item.links),
                          item.when, item.chat)
            merged.append(new)
            candidates.append(new)
            continue
        for giver in item.givers:
            if all(name_key(g.name) != name_key(giver.name) for g in match.givers):
                match.givers.append(giver)
        for link in item.links:
            if link not in match.links:
                match.links.append(link)
        if len(item.text) > len(match.text) and not match.chat:
            match.text = item.text
    return merged


def _join_names(people: Sequence[Person]) -> str:
    names = [p.name for p in people]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_TEAM = re.compile(r"\b(?:team|teams|group|everyone|everybody|all|folks|community|organi[sz]ers|maintainers|"
                   r"contributors|reviewers|volunteers|committee|council)\b", re.IGNORECASE)


def _is_team(person: Person) -> bool:
    """A team, a group or "everyone": thanked, but not a person."""
    return person.kind == "group" or is_group(person.name) or bool(_TEAM.search(person.name))


# What a "reports, updates and celebrations" list holds besides wins: questions ("Ask the funder if ...?"),
# status reports ("Lena is making progress on ...", "Infra budget update by Kofi"), announcements of what is
# still to come ("Dana is here to announce ...") and reminders ("don't forget to vote").
_QUESTION = re.compile(r"^[^.!]*\?")
_NOT_A_WIN = re.compile(
    r"\b(?:is|are|am)\s+(?:still\s+)?(?:making\s+(?:good\s+|some\s+)?progress|working\s+on|looking\s+into|"
    r"investigating|continuing|here\s+to\s+(?:announce|share|talk|present|ask))\b"
    r"|\b(?:updates?|report|status)\s+(?:by|from)\s+\S"
    r"|\b(?:don'?t|do\s+not)\s+forget\b|\bremember\s+to\b|^\s*reminder\b",
    re.IGNORECASE,
)


_TEAM_THANKED = re.compile(
    r"^\W*(?:(?:a\s+)?(?:huge|big|many|special|massive|warm)\s+)?(?:thanks?(?:\s+you)?|shout[- ]?outs?|kudos)\s+"
    r"(?:(?:to|for)\s+)?(?P<who>everyone|everybody|all\s+of\s+you|the\s+(?:[\w-]+\s+){0,2}team|(?:[\w-]+\s+){0,2}team)\b"
    r"|^\W*(?P<all>everyone|everybody)\s+(?:for|who)\b",
    re.IGNORECASE,
)


def thanked_team(text: str) -> str | None:
    """The team or "everyone" a thank-you without a person names first ("Thanks to the docs team ..."), or None."""
    found = _TEAM_THANKED.match(text)
    if found is None:
        return None
    who = " ".join((found.group("who") or found.group("all")).split())
    return "everyone" if who.lower() in ("everyone", "everybody", "all of you") else who


def is_win(text: str) -> bool:
    """Whether a celebration without a person thanked reads as a win worth celebrating."""
    return not (_QUESTION.match(text) or _NOT_A_WIN.search(text))


def _thanks_sections(meetings: Sequence[Meeting], shoutouts: Sequence[Shoutout], directory: Directory,
                     community: CommunityInfo, zone: ZoneInfo, limit: int = 3) -> tuple[Section, Section, int, int]:
    thanks = [_shoutout_thanks(s, directory) for s in shoutouts if s.recipients]
    wins: list[Entry] = []
    celebrations = 0
    for meeting in meetings:
        for celebration in meeting.celebrations:
            celebrations += 1
            if celebration.people:
                thanks.append(_celebration_thanks(celebration, meeting, directory, community, zone))
            elif is_label_or_filler(celebration.text) or is_template_owner(celebration.by):
                continue  # a bare link or a placeholder says nothing on its own
            elif (named_team := thanked_team(celebration.text)) is not None:
                # "Huge thanks to the docs team!", "Everyone for a great year": thanks to a team, not a win
                thanks.append(replace(_celebration_thanks(celebration, meeting, directory, community, zone),
                                      people=[Person(name=named_team)], keys=frozenset({f"team:{name_key(named_team)}"})))
            elif not is_win(celebration.text):
                continue  # a question, a status report or a reminder in a "reports and celebrations" list
            else:
                wins.append(Entry(text=celebration.text, markdown=(celebration.rich,), date=meeting.date,
                                  credits=(directory.person(celebration.by, place=meeting_key(meeting)),) if celebration.by else (),
                                  links=source_link(celebration.source, meeting, community)))
    merged = _merge_thanks(thanks)
    groups: dict[frozenset[str], list[_Thanks]] = {}
    for item in merged:
        groups.setdefault(item.keys, []).append(item)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].when, _join_names(g[0].people).lower()))
    entries: list[Entry] = []
    teams: list[Entry] = []
    thanked: set[str] = set()
    for group in ordered:
        # People thanked, each once however they were named; teams and user groups are not people.
        thanked.update(directory.canonical(p) for p in group[0].people if not _is_team(p))
        children = tuple(
            Entry(text=t.text, markdown=() if t.chat else (t.text,), date=t.when.astimezone(zone).date(),
                  credits=tuple(t.givers), links=tuple(t.links))
            for t in group[:limit]
        )
        team = all(_is_team(p) for p in group[0].people)
        entry = Entry(title=_join_names(group[0].people), people=tuple(group[0].people), children=children,
                      marks=("team",) if team else ())
        (teams if team else entries).append(entry)
    entries.extend(teams)  # teams after people: a team is thanked, but is not a person
    shoutouts_section = Section(name="shoutouts", heading="Thank you", entries=tuple(entries))
    celebrations_section = Section(name="celebrations", heading="Celebrations", entries=tuple(wins),
                                   intro="Wins the community celebrated at its meetings:")
    return shoutouts_section, celebrations_section, len(thanked), celebrations


def sections(chosen: Iterable[str], inputs: Inputs,
             budget: Budget = Budget()) -> tuple[list[Section], int, int]:  # noqa: B008 - a frozen value
    """The chosen celebratory sections, in order, with the number of people thanked and of celebrations."""
    thanks, wins, thanked, celebrations = _thanks_sections(
        inputs.held, inputs.shoutouts, inputs.directory, inputs.community, inputs.zone, budget.thanks_per_person)
    by_name = {"shoutouts": thanks, "celebrations": wins}
    return [by_name[name] for name in chosen if name in by_name], thanked, celebrations
