"""Phone numbers the tests use. +1 502 555 01xx-style numbers are valid US mobiles in Louisville,
KY, so they resolve to America/New_York (quiet hours 21:00-08:00 there)."""

from __future__ import annotations


def buyer_phone(number: int) -> str:
    """E.164 for 0 <= number <= 9999: buyer_phone(134) == "+15025550134"."""
    return f"+1502555{number:04d}"


def buyer_phone_national(number: int) -> str:
    """As a US shop's checkout form has it: buyer_phone_national(134) == "(502) 555-0134"."""
    return f"(502) 555-{number:04d}"


# The buyer of every fixture in tests/fixtures (Bob Norman).
BUYER_PHONE = buyer_phone(134)
BUYER_PHONE_NATIONAL = buyer_phone_national(134)
# LocalRuntime.seed_tenant's default SMS origination number: STOP and START replies go to it.
SHOP_NUMBER = "+18335550100"
