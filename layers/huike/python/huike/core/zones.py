"""Time zones by name, tolerant of bad input (a zone from a payload is never trusted)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_ZONE = ZoneInfo("UTC")


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
    return UTC_ZONE
