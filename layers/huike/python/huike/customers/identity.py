"""Contact normalisation: phone numbers to E.164 (phonenumbers), emails (email-validator)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Phone:
    raw: str
    e164: str | None
    textable: bool
    timezone: str | None

    @property
    def value(self) -> str:
        """What we store: E.164 when it parsed, else the raw text (kept, but not textable)."""
        return self.e164 or self.raw


def normalise_phone(raw: str | None, default_region: str | None) -> Phone | None:
    """Parse a phone number in the context of the address country.

    Invalid numbers are kept (a seller may want to see them) but marked not textable.
    """
    if not raw or not raw.strip():
        return None
    import phonenumbers
    from phonenumbers import timezone as phone_timezones

    try:
        parsed = phonenumbers.parse(raw, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return Phone(raw=raw.strip(), e164=None, textable=False, timezone=None)
    if not phonenumbers.is_valid_number(parsed):
        return Phone(raw=raw.strip(), e164=None, textable=False, timezone=None)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    number_type = phonenumbers.number_type(parsed)
    textable = number_type in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if "/" in z]
    return Phone(raw=raw.strip(), e164=e164, textable=textable, timezone=_one_offset_zone(zones))


def first_textable(candidates: Iterable[str | None], default_region: str | None) -> Phone | None:
    """The first candidate that can be texted; else the first given at all (kept, not textable),
    so a mistyped number never wins over a working one later in the list."""
    first: Phone | None = None
    for raw in candidates:
        phone = normalise_phone(raw, default_region)
        if phone is None:
            continue
        if phone.textable:
            return phone
        first = first or phone
    return first


def _one_offset_zone(zones: list[str]) -> str | None:
    """A number's zone only when it is unambiguous: one zone, or several that keep the same UTC
    offsets all year (GB's Guernsey/Jersey/London; not Phoenix vs Denver, which differ in summer).
    Otherwise quiet hours fall back to the tenant's zone."""
    if not zones:
        return None
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    winter, summer = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)
    offsets = {(winter.astimezone(ZoneInfo(z)).utcoffset(), summer.astimezone(ZoneInfo(z)).utcoffset()) for z in zones}
    return sorted(zones)[-1] if len(offsets) == 1 else None


@dataclass(frozen=True)
class Email:
    raw: str
    normalized: str | None

    @property
    def valid(self) -> bool:
        return self.normalized is not None

    @property
    def value(self) -> str:
        return self.normalized or self.raw


def normalise_email(raw: str | None) -> Email | None:
    """Validated (email-validator) and lower-cased whole: shops and mailbox providers treat the
    local part case-insensitively, so Ann@Example.com and ann@example.com are one buyer."""
    if not raw or not raw.strip():
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return Email(raw=raw.strip(), normalized=None)
    return Email(raw=raw.strip(), normalized=result.normalized.lower())
