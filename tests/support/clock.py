"""Moments the tests agree on, and the ISO 8601 form the platforms send."""

from __future__ import annotations

import datetime as dt

# 15:00 UTC is 10:00 in New York, the demo buyer's zone: daytime, outside quiet hours.
DAYTIME_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """UTC with a Z, as Shopify and the canonical events write it: 2026-11-23T15:00:00Z."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
