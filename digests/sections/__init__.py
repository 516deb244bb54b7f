"""The sections of each digest kind: the list, defined once, and one module of builders per kind.

``SECTIONS[kind]`` names a kind's sections in reading order; configuration validation
(``chatops.config``), the pipeline's section selection and ``digests.compile`` all read it here.
``community``, ``technical`` and ``celebratory`` build the sections of their kind from ``Inputs``;
``common`` holds what they share (links back to the sources, plural words).

A new section is a name in ``SECTIONS``, a builder in its kind's module and a block in the kind's template.
"""

from __future__ import annotations

__all__ = ["KINDS", "SECTIONS"]

# The sections of each kind, in reading order.
SECTIONS: dict[str, tuple[str, ...]] = {
    "community": ("summary", "meetings", "attendance", "newcomers", "returning", "news", "calls_for_help", "deployments",
                  "upcoming", "links", "activity_status"),
    "technical": ("summary", "releases", "merged_work", "conversations", "decisions", "agenda", "action_items",
                  "activity_status"),
    "celebratory": ("summary", "shoutouts", "celebrations"),
}
KINDS: tuple[str, ...] = tuple(SECTIONS)
