"""The one clock every handler and flow reads.

In Lambda it is the wall clock. The local runtime installs its virtual clock with `use()`, so
handlers, flows and Step Functions Wait states all agree on "now".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _source() if _source is not None else datetime.now(UTC)


def use(source: Callable[[], datetime] | None) -> None:
    """Install a clock source (None restores the wall clock)."""
    global _source
    _source = source


def to_iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z suffix, the form Step Functions Wait timestamps accept."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_iso_or_none(moment: datetime | None) -> str | None:
    """to_iso, for a time that may be absent (API responses)."""
    return to_iso(moment) if moment is not None else None


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
