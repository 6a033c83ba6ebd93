"""The send policy, pure: a decision from facts, no I/O (DESIGN.md, "Sends").

`decide(facts)` checks, in order: a customer to send to; per channel in the flow's order a
valid recipient, consent for the purpose (marketing needs opt-in; transactional goes unless the
person opted out of the channel) and suppression; frequency caps and flow priority (marketing,
per channel, so a capped channel hands over to the next); quiet hours in the recipient's local
time (deferred to the window's end, never dropped). It returns the channels to try in fallback
order, or why nothing is sent. The service (service.py) gathers the facts, including which
candidate addresses are suppressed (`addresses_to_check`), and acts on the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from huike.config.tenant import TenantSettings
from huike.core import keys
from huike.core.enums import CHANNEL_REASON_STRENGTH, Channel, DeferReason, Purpose, SkipReason
from huike.core.zones import recipient_zone

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class RecentSend:
    at: datetime
    channel: Channel
    flow: str


@dataclass(frozen=True)
class CustomerFacts:
    """What the policy needs to know about the recipient."""

    customer_id: str
    phone: str | None = None
    phone_textable: bool = False
    phone_timezone: str | None = None
    email: str | None = None
    email_valid: bool = False
    timezone: str | None = None
    locale: str | None = None
    opted_out: frozenset[Channel] = frozenset()
    marketing_consent: frozenset[Channel] = frozenset()  # channels with current opt-in
    recent_marketing: tuple[RecentSend, ...] = ()  # the last 7 days
    pending: Mapping[str, datetime] = field(default_factory=dict)  # reservation key -> due

    def address(self, channel: Channel) -> str | None:
        if channel.is_phone:
            return self.phone if self.phone and self.phone_textable else None
        return self.email if self.email and self.email_valid else None


@dataclass(frozen=True)
class SendFacts:
    flow: str
    purpose: Purpose
    subject_id: str
    channels: tuple[Channel, ...]
    customer: CustomerFacts | None
    tenant: TenantSettings
    now: datetime
    priorities: Mapping[str, int] = field(default_factory=dict)  # marketing flow -> priority (lower wins)
    suppressed: frozenset[str] = frozenset()  # lower-cased suppressed addresses among the candidates

    @property
    def reservation_key(self) -> str:
        return keys.reservation_key(self.flow, self.subject_id)


class Verdict(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SKIP = "skip"


@dataclass(frozen=True)
class Route:
    channel: Channel
    recipient: str


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    routes: tuple[Route, ...] = ()  # SEND: try in order (MMS -> SMS -> email); DEFER: the first is the plan
    reason: SkipReason | DeferReason | None = None
    detail: str | None = None
    defer_until: datetime | None = None
    release_reservation: bool = False  # a marketing send passed over: free its slot for other flows

    @property
    def first(self) -> Route | None:
        return self.routes[0] if self.routes else None


def addresses_to_check(
    channels: tuple[Channel, ...], purpose: Purpose, customer: CustomerFacts | None
) -> tuple[str, ...]:
    """The addresses whose suppression can change the decision: those of usable channels."""
    if customer is None:
        return ()
    found: list[str] = []
    for channel in channels:
        address = customer.address(channel)
        if address is not None and _permitted(channel, purpose, customer) is None and address not in found:
            found.append(address)
    return tuple(found)


def decide(facts: SendFacts) -> Decision:
    customer = facts.customer
    if customer is None:
        return Decision(Verdict.SKIP, reason=SkipReason.INVALID_RECIPIENT, detail="no customer on the event")
    marketing = facts.purpose is Purpose.MARKETING
    routes, problems = _usable_routes(facts, customer)
    if not routes:
        reason, detail = _strongest(problems)
        return Decision(Verdict.SKIP, reason=reason, detail=detail, release_reservation=marketing)
    if marketing:
        cap_reasons = {route.channel: _cap_reason(facts, customer, route.channel) for route in routes}
        uncapped = [route for route in routes if cap_reasons[route.channel] is None]
        if not uncapped:
            return Decision(
                Verdict.SKIP,
                routes=(routes[0],),
                reason=SkipReason.CAPPED,
                detail=cap_reasons[routes[0].channel],
                release_reservation=True,
            )
        unsuppressed = [route for route in uncapped if not _suppressed(facts, route)]
        if not unsuppressed:
            return Decision(
                Verdict.SKIP,
                routes=(routes[0],),
                reason=SkipReason.SUPPRESSED,
                detail="every channel under its cap is suppressed",
                release_reservation=True,
            )
        routes = unsuppressed
    else:
        routes = [routes[0], *(route for route in routes[1:] if not _suppressed(facts, route))]
    quiet_until = _quiet_hours_end(facts, customer)
    if quiet_until is not None:
        return Decision(Verdict.DEFER, routes=tuple(routes), reason=DeferReason.QUIET_HOURS, defer_until=quiet_until)
    return Decision(Verdict.SEND, routes=tuple(routes))


# -- channels ------------------------------------------------------------------------------------
def _permitted(channel: Channel, purpose: Purpose, customer: CustomerFacts) -> SkipReason | None:
    if purpose is Purpose.TRANSACTIONAL and channel in customer.opted_out:
        return SkipReason.OPTED_OUT
    if purpose is Purpose.MARKETING and not _has_consent(customer, channel):
        return SkipReason.NO_CONSENT
    return None


def _has_consent(customer: CustomerFacts, channel: Channel) -> bool:
    return channel in customer.marketing_consent


def _suppressed(facts: SendFacts, route: Route) -> bool:
    return route.recipient.lower() in facts.suppressed


def _usable_routes(facts: SendFacts, customer: CustomerFacts) -> tuple[list[Route], list[tuple[Channel, SkipReason]]]:
    """Channels with a recipient and permission, in order. Suppression passes over leading
    channels; later ones (fallbacks) are filtered once caps have chosen the first."""
    routes: list[Route] = []
    problems: list[tuple[Channel, SkipReason]] = []
    for channel in facts.channels:
        recipient = customer.address(channel)
        if recipient is None:
            problems.append((channel, SkipReason.INVALID_RECIPIENT))
            continue
        refused = _permitted(channel, facts.purpose, customer)
        if refused is not None:
            problems.append((channel, refused))
            continue
        route = Route(channel, recipient)
        if not routes and _suppressed(facts, route):
            problems.append((channel, SkipReason.SUPPRESSED))
            continue
        routes.append(route)
    return routes, problems


def _strongest(problems: list[tuple[Channel, SkipReason]]) -> tuple[SkipReason, str]:
    if not problems:
        return SkipReason.INVALID_RECIPIENT, "no channel configured"
    strongest = min((reason for _, reason in problems), key=CHANNEL_REASON_STRENGTH.index)
    return strongest, "; ".join(f"{channel}: {reason}" for channel, reason in problems)


# -- frequency caps and priority -----------------------------------------------------------------
def _cap_reason(facts: SendFacts, customer: CustomerFacts, channel: Channel) -> str | None:
    caps = facts.tenant.caps
    window = caps.window(channel)
    now = facts.now
    for sent in customer.recent_marketing:
        if sent.channel.family is channel.family and now - sent.at < window:
            return f"{sent.flow} was sent by {channel.family} within {window}"
    if sum(1 for sent in customer.recent_marketing if now - sent.at < WEEK) >= caps.weekly:
        return f"{caps.weekly} marketing messages in the last 7 days"
    lowest = max(facts.priorities.values(), default=0) + 1
    mine = facts.priorities.get(facts.flow, lowest)
    for key, due in customer.pending.items():
        other = keys.flow_of(key)
        if key == facts.reservation_key or facts.priorities.get(other, lowest) >= mine:
            continue
        if now <= due <= now + window:  # a due time already past is sent, exited or deferred
            return f"yields to {other}, which has priority and is due within {window}"
    return None


# -- quiet hours ---------------------------------------------------------------------------------
def _quiet_hours_end(facts: SendFacts, customer: CustomerFacts) -> datetime | None:
    quiet = facts.tenant.quiet_hours
    if facts.purpose is Purpose.TRANSACTIONAL and not quiet.transactional:
        return None
    local_zone = recipient_zone(customer.timezone, customer.phone_timezone, facts.tenant.timezone)
    return quiet_hours_end(facts.now, local_zone, quiet.start, quiet.end)


def quiet_hours_end(
    moment: datetime,
    local_zone: ZoneInfo,
    start: time = time(21, 0),
    end: time = time(8, 0),
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


# -- content ---------------------------------------------------------------------------------------
def body_for(channel: Channel, text: str, purpose: Purpose, opt_out_text: str, email_footer: str = "") -> str:
    """Marketing texts carry the opt-out wording for their locale (once); marketing email carries
    its footer (a visible unsubscribe link and the seller's postal address)."""
    if purpose is not Purpose.MARKETING:
        return text
    if channel.is_phone:
        return text if opt_out_text in text else f"{text} {opt_out_text}"
    return f"{text}\n\n{email_footer}" if email_footer else text
