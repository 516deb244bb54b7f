"""Schedule presets become cron fields; fire times and periods hold across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chatops.schedules import latest_period, next_fires, parse_schedule, period_ending, previous_fire

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("preset", "fields"),
    [
        ("weekly monday 09:00", {"day_of_week": "mon", "hour": "9", "minute": "0"}),
        ("fortnightly tuesday 17:00", {"day_of_week": "tue", "hour": "17", "minute": "0", "week": "*/2"}),
        ("monthly first tuesday 17:00", {"day": "1st tue", "hour": "17", "minute": "0"}),
        ("monthly last friday", {"day": "last fri", "hour": "9", "minute": "0"}),
        ("monthly 15 08:30", {"day": "15", "hour": "8", "minute": "30"}),
        ("quarterly", {"month": "1,4,7,10", "day": "1", "hour": "9", "minute": "0"}),
        ("daily 07:45", {"hour": "7", "minute": "45"}),
        ("Weekly  Monday 09:00", {"day_of_week": "mon", "hour": "9", "minute": "0"}),
        ("0 9 * * 1", {"minute": "0", "hour": "9", "day_of_week": "mon"}),
        ("30 17 * * 0,6", {"minute": "30", "hour": "17", "day_of_week": "sun,sat"}),
        ("0 9 1 */3 1-5", {"minute": "0", "hour": "9", "day": "1", "month": "*/3", "day_of_week": "mon-fri"}),
    ],
)
def test_presets_and_cron_translate(preset: str, fields: dict[str, str]) -> None:
    assert parse_schedule(preset).fields == fields


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every tuesday", "is neither a cron expression nor a preset"),
        ("weekly funday", "'funday' is not a day of the week"),
        ("weekly monday 25:00", "'25:00' is not a time of day"),
        ("monthly fifth tuesday", "a monthly schedule is 'monthly first tuesday 17:00'"),
        ("61 * * * *", "is not a valid schedule"),
        ("", "is not a schedule"),
    ],
)
def test_bad_schedules_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def local(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("preset", "zone", "after", "expected"),
    [
        pytest.param(
            "weekly sunday 01:30", LONDON, local(LONDON, 2025, 3, 23, 12),
            # 30 March 2025: clocks go 01:00 -> 02:00 in London, so 01:30 does not exist that day.
            ["2025-03-30T02:30:00+01:00", "2025-04-06T01:30:00+01:00"],
            id="spring_skip_hour_weekly",
        ),
        pytest.param(
            "weekly monday 09:00", LONDON, local(LONDON, 2025, 3, 25),
            ["2025-03-31T09:00:00+01:00", "2025-04-07T09:00:00+01:00"],
            id="weekly_keeps_wall_clock_after_spring",
        ),
        pytest.param(
            "monthly first tuesday 17:00", NEW_YORK, local(NEW_YORK, 2025, 10, 15),
            # US clocks go back on 2 November 2025: 17:00 stays 17:00, the UTC offset changes.
            ["2025-11-04T17:00:00-05:00", "2025-12-02T17:00:00-05:00"],
            id="monthly_autumn_fall_back",
        ),
        pytest.param(
            "quarterly 09:00", LONDON, local(LONDON, 2025, 2, 1),
            ["2025-04-01T09:00:00+01:00", "2025-07-01T09:00:00+01:00", "2025-10-01T09:00:00+01:00", "2026-01-01T09:00:00+00:00"],
            id="quarterly_across_both_changes",
        ),
        pytest.param(
            "daily 01:30", NEW_YORK, local(NEW_YORK, 2025, 11, 1, 12),
            # 2 November 2025: 01:30 happens twice in New York; the digest fires once.
            ["2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"],
            id="autumn_repeated_hour_fires_once",
        ),
    ],
)
def test_fire_times_across_daylight_saving(preset: str, zone: ZoneInfo, after: dt.datetime, expected: list[str]) -> None:
    fires = next_fires(parse_schedule(preset), zone, after, len(expected))
    # Compare instants, shown in the zone's wall-clock time.
    assert [f.astimezone(dt.UTC).astimezone(zone).isoformat() for f in fires] == expected


def test_latest_complete_period_is_between_the_last_two_fires() -> None:
    schedule = parse_schedule("monthly first tuesday 17:00")
    since, until = latest_period(schedule, LONDON, local(LONDON, 2025, 4, 20))
    assert (since.isoformat(), until.isoformat()) == ("2025-03-04T17:00:00+00:00", "2025-04-01T17:00:00+01:00")


def test_a_fire_exactly_now_closes_the_period() -> None:
    schedule = parse_schedule("weekly monday 09:00")
    fire = local(LONDON, 2025, 3, 31, 9)
    assert previous_fire(schedule, LONDON, fire) == fire
    since, until = period_ending(schedule, LONDON, fire)
    elapsed = until.astimezone(dt.UTC) - since.astimezone(dt.UTC)
    assert elapsed == dt.timedelta(days=7) - dt.timedelta(hours=1)  # the spring change shortened that week


def test_window_overrides_the_previous_run() -> None:
    schedule = parse_schedule("weekly monday 09:00")
    since, until = latest_period(schedule, LONDON, local(LONDON, 2025, 4, 2), dt.timedelta(days=30))
    assert until - since == dt.timedelta(days=30)
