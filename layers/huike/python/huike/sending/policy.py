"""Pure send-policy decisions: quiet hours in the recipient's local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory or an overlong name
        return None


def recipient_zone(*candidates: str | None) -> ZoneInfo:
    """First valid zone of: customer's, phone number's, tenant's; UTC as the last resort."""
    for candidate in candidates:
        found = zone(candidate)
        if found is not None:
            return found
    return ZoneInfo("UTC")


def quiet_hours_end(
    moment: datetime,
    local_zone: ZoneInfo,
    start: time = DEFAULT_QUIET_START,
    end: time = DEFAULT_QUIET_END,
) -> datetime | None:
    """None when `moment` is outside quiet hours, else the instant (UTC-aware) they end."""
    if start == end:
        return None
    local = moment.astimezone(local_zone)
    clock_time = local.time()
    crosses_midnight = start > end
    if crosses_midnight:
        inside = clock_time >= start or clock_time < end
    else:
        inside = start <= clock_time < end
    if not inside:
        return None
    end_day = local.date()
    if crosses_midnight and clock_time >= start:
        end_day += timedelta(days=1)
    # Built as wall time in the zone, so the window ends at 08:00 local across DST changes.
    return datetime.combine(end_day, end, tzinfo=local_zone).astimezone(moment.tzinfo)


def parse_clock_time(text: str | None, default: time) -> time:
    if not text:
        return default
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))
