"""When an automation runs: presets or a cron expression, in the user's IANA time zone, DST-safe.

Every schedule is compiled to one five-field cron expression and walked in *wall-clock* time
(cronsim, on naive datetimes), then each wall time is turned into a UTC instant in the user's
zone with zoneinfo. That is where daylight saving time is decided, once, for presets and cron
alike (the Vixie cron rules):

- a wall time that does not exist (skipped at spring-forward, e.g. 02:30 in New York on
  2026-03-08) runs right after the gap, at the first instant of the new offset (03:00 EDT);
  several skipped times collapse into that one run;
- a wall time that happens twice (fall-back, 01:30 in New York on 2026-11-01) runs once, at its
  first occurrence.

Globus Timers cannot do this (interval seconds only, no zone), which is why the gateway schedules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

from app.services.errors import InvalidRequest

PRESETS = {
    "every_minutes": "Every N minutes",
    "every_hours": "Every N hours",
    "daily": "Daily at",
    "weekdays": "Weekdays (Monday to Friday) at",
    "weekly": "Weekly on",
    "monthly": "Monthly on",
    "cron": "Cron expression",
}
# Only steps that divide the hour / day evenly, so "every 20 minutes" means :00, :20, :40 always.
MINUTE_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
HOUR_STEPS = (1, 2, 3, 4, 6, 8, 12)
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
LAST_DAY = "L"
# A year of daily runs is ~366 candidates; a skipped or repeated hour costs a handful more.
MAX_CANDIDATES = 100_000
MAX_CRON_LENGTH = 120


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: its preset and fields as typed, the compiled cron, zone and bounds."""

    preset: str
    cron: str
    timezone: str
    every: int | None = None
    at: str = ""  # HH:MM
    days: tuple[int, ...] = ()  # weekly: 0 = Sunday
    day_of_month: str = ""  # monthly: "1".."28" or "L"
    starts_on: date | None = None
    ends_on: date | None = None
    max_runs: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The user's zone."""
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        """A sentence for the pages: "Daily at 03:30 (America/New_York)"."""
        if self.preset == "every_minutes":
            text = f"Every {self.every} minute{'s' if self.every != 1 else ''}"
        elif self.preset == "every_hours":
            text = f"Every {self.every} hour{'s' if self.every != 1 else ''} at minute {self.at[3:]}"
        elif self.preset == "daily":
            text = f"Daily at {self.at}"
        elif self.preset == "weekdays":
            text = f"Weekdays at {self.at}"
        elif self.preset == "weekly":
            text = f"Weekly on {', '.join(WEEKDAYS[d] for d in self.days)} at {self.at}"
        elif self.preset == "monthly":
            day = "the last day" if self.day_of_month == LAST_DAY else f"day {self.day_of_month}"
            text = f"Monthly on {day} at {self.at}"
        else:
            text = f"Cron {self.cron}"
        return f"{text} ({self.timezone})"


def check_timezone(raw: str | None) -> str:
    """An IANA zone name such as Europe/Berlin (what browsers report)."""
    name = (raw or "").strip()
    if not name:
        raise InvalidRequest("Choose a time zone.", field="timezone")
    if name not in zone_names():
        raise InvalidRequest(f"{name[:60]!r} is not an IANA time zone such as Europe/Berlin.", field="timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"The time zone {name!r} is not known on this server.", field="timezone") from None
    return name


_ZONES: list[str] = []


def zone_names() -> list[str]:
    """Every IANA zone this server knows, sorted (read once)."""
    if not _ZONES:
        _ZONES.extend(sorted(available_timezones() | {"UTC"}))
    return _ZONES


def _clock(raw: str | None) -> tuple[int, int]:
    hour, _, minute = (raw or "").strip().partition(":")
    if not (
        hour.isascii()
        and hour.isdigit()
        and minute.isascii()
        and minute.isdigit()
        and len(hour) <= 2
        and len(minute) == 2
    ):
        raise InvalidRequest("Give the time as HH:MM, e.g. 03:30.", field="at")
    if int(hour) > 23 or int(minute) > 59:
        raise InvalidRequest("Give the time as HH:MM from 00:00 to 23:59.", field="at")
    return int(hour), int(minute)


def _choice(raw: str | None, allowed: tuple[int, ...], field: str, unit: str) -> int:
    try:
        value = int((raw or "").strip())
    except ValueError:
        value = -1
    if value not in allowed:
        raise InvalidRequest(f"Every how many {unit}? One of {', '.join(map(str, allowed))}.", field=field)
    return value


def _date(raw: str | None, field: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("Give dates as YYYY-MM-DD.", field=field) from None


def check_cron(raw: str | None) -> str:
    """A five-field cron expression (minute hour day-of-month month day-of-week) that can fire."""
    text = " ".join((raw or "").split())
    if not text:
        raise InvalidRequest("Type a cron expression, e.g. 30 3 * * 1-5.", field="cron")
    if len(text) > MAX_CRON_LENGTH or len(text.split(" ")) != 5:
        raise InvalidRequest(
            "A cron expression has five fields: minute hour day-of-month month day-of-week.", field="cron"
        )
    try:
        CronSim(text, datetime(2026, 1, 1))
    except CronSimError as err:
        raise InvalidRequest(f"That cron expression is not valid: {err}.", field="cron") from None
    return text


def parse_schedule(form: Mapping[str, Any], *, weekly_days: list[str] | None = None) -> Schedule:
    """Validate the schedule fields of the automation form into a Schedule."""
    preset = (form.get("preset") or "").strip()
    if preset not in PRESETS:
        raise InvalidRequest("Choose how often the automation runs.", field="preset")
    zone = check_timezone(form.get("timezone"))
    starts_on = _date(form.get("starts_on"), "starts_on")
    ends_on = _date(form.get("ends_on"), "ends_on")
    max_runs = _max_runs(form.get("max_runs"))
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidRequest("The end date is before the start date.", field="ends_on")
    schedule = _preset_schedule(preset, zone, form, weekly_days)
    return replace(schedule, starts_on=starts_on, ends_on=ends_on, max_runs=max_runs)


def _preset_schedule(preset: str, zone: str, form: Mapping[str, Any], weekly_days: list[str] | None) -> Schedule:
    if preset == "every_minutes":
        every = _choice(form.get("every"), MINUTE_STEPS, "every", "minutes")
        cron = f"*/{every} * * * *" if every > 1 else "* * * * *"
        return Schedule(preset, cron, zone, every=every)
    if preset == "every_hours":
        every = _choice(form.get("every"), HOUR_STEPS, "every", "hours")
        _, minute = _clock(form.get("at") or "00:00")
        return Schedule(preset, f"{minute} */{every} * * *", zone, every=every, at=f"00:{minute:02d}")
    if preset == "cron":
        return Schedule(preset, check_cron(form.get("cron")), zone)
    hour, minute = _clock(form.get("at"))
    at = f"{hour:02d}:{minute:02d}"
    if preset == "daily":
        return Schedule(preset, f"{minute} {hour} * * *", zone, at=at)
    if preset == "weekdays":
        return Schedule(preset, f"{minute} {hour} * * 1-5", zone, at=at)
    if preset == "weekly":
        days = _weekdays(weekly_days if weekly_days is not None else [form.get("days", "")])
        return Schedule(preset, f"{minute} {hour} * * {','.join(map(str, days))}", zone, at=at, days=days)
    day = (form.get("day_of_month") or "").strip().upper()
    if day != LAST_DAY and (not (day.isascii() and day.isdigit()) or not 1 <= int(day) <= 28):
        # 29-31 would silently skip short months; "last day" says what is meant.
        raise InvalidRequest("Choose a day of the month from 1 to 28, or the last day.", field="day_of_month")
    day = day if day == LAST_DAY else str(int(day))
    return Schedule(preset, f"{minute} {hour} {day} * *", zone, at=at, day_of_month=day)


def _weekdays(raw: list[str]) -> tuple[int, ...]:
    days = set()
    for value in raw:
        for part in (value or "").split(","):
            if part.strip():
                if not (part.strip().isascii() and part.strip().isdigit()) or int(part) not in range(7):
                    raise InvalidRequest("Choose days of the week.", field="days")
                days.add(int(part))
    if not days:
        raise InvalidRequest("Choose at least one day of the week.", field="days")
    return tuple(sorted(days))


def _max_runs(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1_000_000:
        raise InvalidRequest("Maximum runs is a whole number from 1 to 1,000,000 (or empty).", field="max_runs")
    return int(text)


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall time in `zone`: a skipped time maps to the end of its gap,
    a repeated time to its first occurrence."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant  # exists (fold=0 is the first of two, when repeated)
    # Skipped: fold=0 read it with the old offset (past the gap), fold=1 with the new (before it).
    # The transition lies between; find its first minute by bisection (works for 30-minute shifts).
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = instant
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def _wall_times(schedule: Schedule, start_wall: datetime) -> Iterator[datetime]:
    iterator = CronSim(schedule.cron, start_wall)
    for _ in range(MAX_CANDIDATES):
        yield next(iterator)


def next_runs(schedule: Schedule, after: datetime, n: int, *, runs_done: int = 0) -> list[datetime]:
    """Up to `n` UTC run times strictly after `after` (aware), within the schedule's dates and
    max runs (`runs_done` already counted); [] when the schedule has ended."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    remaining = n if schedule.max_runs is None else min(n, schedule.max_runs - runs_done)
    if remaining <= 0:
        return []
    zone = schedule.zone
    start = after
    if schedule.starts_on:
        start = max(start, to_utc(datetime.combine(schedule.starts_on, time()), zone) - timedelta(seconds=1))
    end = to_utc(datetime.combine(schedule.ends_on + timedelta(days=1), time()), zone) if schedule.ends_on else None
    # Start one hour early in wall time: an instant inside a repeated hour has two readings, and
    # candidates before `after` are dropped below anyway.
    wall_start = start.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=1)
    found: list[datetime] = []
    for wall in _wall_times(schedule, wall_start):
        instant = to_utc(wall, zone)
        if end is not None and instant >= end:
            break
        if instant <= start or (found and instant <= found[-1]):
            continue  # before the window, or a second skipped time landing on the same instant
        found.append(instant)
        if len(found) == remaining:
            break
    return found


def next_run(schedule: Schedule, after: datetime, *, runs_done: int = 0) -> datetime | None:
    """The first run strictly after `after`, or None when the schedule has ended."""
    runs = next_runs(schedule, after, 1, runs_done=runs_done)
    return runs[0] if runs else None
