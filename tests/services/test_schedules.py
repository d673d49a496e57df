"""Schedules: presets and cron in the user's zone, across both 2026 DST changes in New York and Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.services import schedules
from app.services.errors import InvalidRequest


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _schedule(preset: str, zone: str, **fields: str) -> schedules.Schedule:
    return schedules.parse_schedule({"preset": preset, "timezone": zone, **fields})


def test_daily_new_york_keeps_wall_time_across_both_2026_changes():
    daily = _schedule("daily", "America/New_York", at="03:30")
    spring = schedules.next_runs(daily, _utc(2026, 3, 6, 12), 3)
    # 03:30 EST is 08:30 UTC; from 8 March it is EDT, 07:30 UTC.
    assert spring == [_utc(2026, 3, 7, 8, 30), _utc(2026, 3, 8, 7, 30), _utc(2026, 3, 9, 7, 30)]
    autumn = schedules.next_runs(daily, _utc(2026, 10, 30, 12), 3)
    assert autumn == [_utc(2026, 10, 31, 7, 30), _utc(2026, 11, 1, 8, 30), _utc(2026, 11, 2, 8, 30)]


def test_skipped_time_at_spring_forward_runs_right_after_the_gap():
    ny = _schedule("daily", "America/New_York", at="02:30")
    # 2026-03-08 02:30 does not exist in New York: it runs at 03:00 EDT = 07:00 UTC, once.
    assert schedules.next_runs(ny, _utc(2026, 3, 7, 12), 3) == [
        _utc(2026, 3, 8, 7, 0),
        _utc(2026, 3, 9, 6, 30),
        _utc(2026, 3, 10, 6, 30),
    ]
    berlin = _schedule("daily", "Europe/Berlin", at="02:15")
    # 2026-03-29 02:15 does not exist in Berlin: 03:00 CEST = 01:00 UTC.
    assert schedules.next_runs(berlin, _utc(2026, 3, 28, 12), 2) == [_utc(2026, 3, 29, 1, 0), _utc(2026, 3, 30, 0, 15)]


def test_repeated_time_at_fall_back_runs_once():
    ny = _schedule("daily", "America/New_York", at="01:30")
    # 01:30 happens twice on 2026-11-01 (EDT, then EST): only the first, 05:30 UTC.
    runs = schedules.next_runs(ny, _utc(2026, 10, 31, 12), 2)
    assert runs == [_utc(2026, 11, 1, 5, 30), _utc(2026, 11, 2, 6, 30)]
    berlin = _schedule("daily", "Europe/Berlin", at="02:30")
    # Berlin repeats 02:00-03:00 on 2026-10-25: 02:30 CEST = 00:30 UTC, not again at 01:30 UTC.
    assert schedules.next_runs(berlin, _utc(2026, 10, 24, 12), 2) == [
        _utc(2026, 10, 25, 0, 30),
        _utc(2026, 10, 26, 1, 30),
    ]


def test_asking_again_from_inside_the_repeated_hour_does_not_run_it_twice():
    ny = _schedule("daily", "America/New_York", at="01:30")
    after_first = _utc(2026, 11, 1, 5, 30)  # the run just happened at 01:30 EDT
    second_reading = _utc(2026, 11, 1, 6, 30)  # 01:30 EST, the same wall time an hour later
    assert schedules.next_run(ny, after_first) == _utc(2026, 11, 2, 6, 30)
    assert schedules.next_run(ny, second_reading) == _utc(2026, 11, 2, 6, 30)


def test_every_15_minutes_through_the_gap_and_the_repeat():
    every = _schedule("every_minutes", "Europe/Berlin", every="15")
    spring = schedules.next_runs(every, _utc(2026, 3, 29, 0, 30), 4)
    # 01:45 CET, then 02:00-02:45 are skipped: one run at 03:00 CEST, then 03:15 CEST.
    assert spring == [
        _utc(2026, 3, 29, 0, 45),
        _utc(2026, 3, 29, 1, 0),
        _utc(2026, 3, 29, 1, 15),
        _utc(2026, 3, 29, 1, 30),
    ]
    autumn = schedules.next_runs(every, _utc(2026, 10, 25, 0, 40), 6)
    # 02:45 CEST (00:45 UTC), then the repeated 02:00-02:45 CET do not run again: next is 03:00 CET.
    assert autumn[:2] == [_utc(2026, 10, 25, 0, 45), _utc(2026, 10, 25, 2, 0)]
    assert len(set(autumn)) == 6 and autumn == sorted(autumn)


def test_cron_weekdays_and_monthly_last_day():
    weekdays = _schedule("cron", "America/New_York", cron="0 9 * * 1-5")
    runs = schedules.next_runs(weekdays, _utc(2026, 3, 6, 15), 2)  # Friday afternoon
    assert runs == [_utc(2026, 3, 9, 13, 0), _utc(2026, 3, 10, 13, 0)]  # Monday 09:00 EDT
    last = _schedule("monthly", "Europe/Berlin", at="23:00", day_of_month="L")
    assert schedules.next_runs(last, _utc(2026, 2, 1), 2) == [_utc(2026, 2, 28, 22, 0), _utc(2026, 3, 31, 21, 0)]


def test_weekly_on_several_days():
    weekly = schedules.parse_schedule(
        {"preset": "weekly", "timezone": "UTC", "at": "06:00"}, weekly_days=["1", "4"]
    )  # Monday and Thursday
    assert weekly.cron == "0 6 * * 1,4"
    assert schedules.next_runs(weekly, _utc(2026, 12, 1), 3) == [
        _utc(2026, 12, 3, 6),
        _utc(2026, 12, 7, 6),
        _utc(2026, 12, 10, 6),
    ]
    assert "Monday, Thursday" in weekly.describe()


def test_start_end_dates_and_max_runs():
    bounded = _schedule("daily", "Europe/Berlin", at="12:00", starts_on="2026-12-10", ends_on="2026-12-12", max_runs="")
    assert bounded.starts_on == date(2026, 12, 10)
    runs = schedules.next_runs(bounded, _utc(2026, 12, 1), 10)
    assert runs == [_utc(2026, 12, 10, 11), _utc(2026, 12, 11, 11), _utc(2026, 12, 12, 11)]
    capped = _schedule("daily", "UTC", at="00:00", max_runs="5")
    assert len(schedules.next_runs(capped, _utc(2026, 1, 1), 10, runs_done=3)) == 2
    assert schedules.next_run(capped, _utc(2026, 1, 1), runs_done=5) is None


def test_clock_jump_back_never_repeats_a_run():
    hourly = _schedule("every_hours", "America/New_York", every="1", at="00:00")
    ran_at = _utc(2026, 6, 1, 12)
    # The scheduler stores the next run after the one it made; a clock that jumps back an hour
    # asks "what is due before now?" with an earlier now: the stored next run is still later.
    stored_next = schedules.next_run(hourly, ran_at)
    assert stored_next == _utc(2026, 6, 1, 13)
    assert stored_next > ran_at > _utc(2026, 6, 1, 11)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"preset": "daily", "timezone": "Mars/Olympus", "at": "03:30"}, "timezone"),
        ({"preset": "daily", "timezone": "UTC", "at": "25:00"}, "at"),
        ({"preset": "every_minutes", "timezone": "UTC", "every": "7"}, "every"),
        ({"preset": "monthly", "timezone": "UTC", "at": "01:00", "day_of_month": "31"}, "day_of_month"),
        ({"preset": "cron", "timezone": "UTC", "cron": "0 0 31 2 *"}, "cron"),
        ({"preset": "cron", "timezone": "UTC", "cron": "0 0 * * * *"}, "cron"),
        (
            {"preset": "daily", "timezone": "UTC", "at": "01:00", "starts_on": "2026-02-02", "ends_on": "2026-01-01"},
            "ends_on",
        ),
        ({"preset": "daily", "timezone": "UTC", "at": "01:00", "max_runs": "0"}, "max_runs"),
        ({"preset": "hourly", "timezone": "UTC"}, "preset"),
        # "²" is a digit to str.isdigit() but not to int(): refused, never a ValueError (a 500).
        ({"preset": "daily", "timezone": "UTC", "at": "0²:30"}, "at"),
        ({"preset": "daily", "timezone": "UTC", "at": "01:00", "max_runs": "²"}, "max_runs"),
        ({"preset": "monthly", "timezone": "UTC", "at": "01:00", "day_of_month": "²"}, "day_of_month"),
    ],
)
def test_bad_schedules_are_refused_with_the_field(fields, field):
    with pytest.raises(InvalidRequest) as caught:
        schedules.parse_schedule(fields)
    assert caught.value.field == field and caught.value.message


def test_describe():
    assert _schedule("daily", "Europe/Berlin", at="3:30").describe() == "Daily at 03:30 (Europe/Berlin)"
    assert _schedule("every_hours", "UTC", every="6", at="00:15").describe() == "Every 6 hours at minute 15 (UTC)"
