"""``whois NAME``: who someone is to compass (names, GitHub handle, first and last seen), for anyone to ask.

Reads the people registry; a person who opted out is never described, and a name that fits several people
lists them so the asker can be precise.
"""

from __future__ import annotations

from chatops.commands.base import Command, CommandContext, CommandError, Reply
from chatops.commands.mentions import parse_recipients
from digests.markdown import escape_inline

USAGE = "whois NAME | @**Name** | @handle"


def run(ctx: CommandContext, args: str) -> Reply:
    from chatops.people import rules_from_config
    from chatops.storage.people import load_registry, person_activity

    text = args.strip()
    if not text:
        raise CommandError(f"Who? Usage: `{USAGE}`, e.g. `whois Simon` or `whois @manics`.")
    query = text
    recipients, rest = parse_recipients(text)
    if recipients and not rest and recipients[0].kind == "user":
        query = f"zulip:{recipients[0].user_id}" if recipients[0].user_id is not None else recipients[0].name
    registry = load_registry(session=ctx.session, rules=rules_from_config(ctx.config), sightings=False)
    found = [p for p in registry.find(query) if not p.opted_out]
    if not found and query.startswith("zulip:") and recipients:
        found = [p for p in registry.find(recipients[0].name) if not p.opted_out]
    shown = escape_inline(text, limit=60, target='zulip')
    if not found:
        return Reply(f"I don't know anyone I can name as {shown}. People enter my records from meeting notes, "
                     "shout-outs and releases.")
    if len(found) > 1:
        lines = [f"{shown} may be {len(found)} people:"]
        for person in found[:10]:
            handle = f" (GitHub @{escape_inline(person.handle, target='zulip')})" if person.handle else ""
            lines.append(f"- {escape_inline(person.canonical(), target='zulip')}{handle}")
        lines.append("Ask with a full name or an `@handle` to know more.")
        return Reply("\n".join(lines))
    person = found[0]
    count, last = person_activity(session=ctx.session, person_id=person.id)
    parts = [f"**{escape_inline(person.canonical(), target='zulip')}**"]
    if person.handle:
        parts.append(f"GitHub [@{escape_inline(person.handle, target='zulip')}](https://github.com/{person.handle})")
    if person.pronouns:
        parts.append(escape_inline(person.pronouns, target='zulip'))
    lines = [", ".join(parts)]
    if person.first_seen is not None:
        lines.append(f"First seen {person.first_seen.date().isoformat()} ({escape_inline(person.first_label or '', target='zulip')})"
                     + (f", last seen {last.date().isoformat()}" if last is not None else "")
                     + f"; {count} {'sighting' if count == 1 else 'sightings'} in notes, chat and releases.")
    others = sorted({str(v[0]) for v in person.names.values()} - {person.canonical()})
    if others:
        lines.append("Also written as: " + ", ".join(escape_inline(o, target='zulip') for o in others[:8]) + ".")
    affiliations = [str(v[0]) for v in sorted(person.affiliations.values(), key=lambda v: v[2])]  # type: ignore[arg-type, return-value]
    if affiliations:
        lines.append("Affiliations: " + ", ".join(escape_inline(a, target='zulip') for a in affiliations[-3:]) + ".")
    return Reply("\n".join(lines))


COMMAND = Command(name="whois", usage=USAGE, summary="who someone is: names, GitHub handle, first and last seen",
                  run=run, aliases=("who",))
