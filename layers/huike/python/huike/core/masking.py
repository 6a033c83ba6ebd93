"""Contacts as logs may show them: enough to recognise, not enough to reach (no phone number or
email address is logged at INFO)."""

from __future__ import annotations

import re


def mask_phone(phone: str) -> str:
    """+15025550134 -> +150*****134: the country and area prefix and the last three digits."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:4]}{'*' * (len(phone) - 7)}{phone[-3:]}"


def mask_email(email: str) -> str:
    """ann.lee@example.com -> a******@example.com: the first letter and the domain."""
    local, at, domain = email.partition("@")
    if not at:
        return "*" * len(email)
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


_CONTACT_IDS = re.compile(r"(?P<kind>phone|email)-(?P<contact>[^:#\s]+)")


def mask_identifiers(text: str) -> str:
    """Mask the contact inside ids made from one (keys.contact_customer_id: "phone-+1502...")."""

    def mask(match: re.Match[str]) -> str:
        contact = match.group("contact")
        masked = mask_phone(contact) if match.group("kind") == "phone" else mask_email(contact)
        return f"{match.group('kind')}-{masked}"

    return _CONTACT_IDS.sub(mask, text)
