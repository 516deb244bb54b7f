"""What every section builder reads: the window's meetings, releases and shout-outs, already filtered (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digests.activity import Activity, Limits
from digests.digest import CommunityInfo, UpcomingMeeting
from digests.model import Meeting, Release, Shoutout, Window
from digests.people import Directory, PeopleSnapshot

__all__ = ["Inputs"]

_NO_ACTIVITY = Activity()
_DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Inputs:
    """The inputs of one digest, as ``digests.compile.compile_digest`` prepared them."""

    window: Window
    held: Sequence[Meeting]  # meetings in the window, by date
    previous: Sequence[Meeting]  # meetings of the window before (the attendance comparison)
    releases: Sequence[Release]  # releases in the window
    shoutouts: Sequence[Shoutout]  # shout-outs given in the window
    upcoming: Sequence[UpcomingMeeting]
    community: CommunityInfo
    directory: Directory
    zone: ZoneInfo
    people: int  # distinct people at the meetings held
    activity: Activity = _NO_ACTIVITY  # GitHub and Discourse activity of the window (chatops.sources.activity)
    limits: Limits = _DEFAULT_LIMITS
    snapshot: PeopleSnapshot | None = None  # the people registry's answer for the window (None: notes only)
    cancelled: Sequence[Meeting] = ()  # meetings in the window the notes say did not take place
