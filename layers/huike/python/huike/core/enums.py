"""Every closed set of names the domain uses: channels, purposes, outcomes, reasons, flows.

StrEnum members are their values, so they compare equal to, and serialise as, plain strings in
DynamoDB items, Step Functions state and JSON responses.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    MMS = "mms"
    EMAIL = "email"

    @property
    def family(self) -> Channel:
        """Caps count picture and text messages together: both reach the same phone."""
        return Channel.SMS if self in (Channel.SMS, Channel.MMS) else self

    @property
    def is_phone(self) -> bool:
        return self in (Channel.SMS, Channel.MMS)


class Purpose(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


class SendStatus(StrEnum):
    """A send-ledger record's status. Only deferred and failed keys may be decided again."""

    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    FAILED = "failed"


FINAL_STATUSES = frozenset({SendStatus.SENDING, SendStatus.SENT, SendStatus.SKIPPED})
REDECIDABLE_STATUSES = (SendStatus.DEFERRED, SendStatus.FAILED)


class Outcome(StrEnum):
    """What one attempt or one flow step came to."""

    SENT = "sent"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    EXITED = "exited"
    NEXT = "next"  # a flow step that schedules its next touch
    CONTINUED = "continued"  # the next wake-up is its own execution (or agenda entry): state "next"
    FAILED = "failed"


class SkipReason(StrEnum):
    """Why a send was not made, as written on the ledger."""

    SUPPRESSED = "suppressed"
    OPTED_OUT = "opted-out"
    NO_CONSENT = "no-consent"
    INVALID_RECIPIENT = "invalid-recipient"
    CAPPED = "capped"
    TEMPLATE_ERROR = "template-error"
    INCOMPLETE_CONTENT = "incomplete-content"
    EXITED = "exited"


# Channel-level reasons, strongest first: the ledger records the strongest one met.
CHANNEL_REASON_STRENGTH = (
    SkipReason.SUPPRESSED,
    SkipReason.OPTED_OUT,
    SkipReason.NO_CONSENT,
    SkipReason.INVALID_RECIPIENT,
)


class DeferReason(StrEnum):
    QUIET_HOURS = "quiet-hours"


class FlowName(StrEnum):
    UNPAID_REMINDER = "unpaid_reminder"
    PAYMENT_CONFIRMATION = "payment_confirmation"
    SHIPPING_NOTICE = "shipping_notice"
    DELAYED_SHIPMENT = "delayed_shipment"
    DELIVERY_NOTICE = "delivery_notice"
    REFUND_CARE = "refund_care"
    REVIEW_INVITE = "review_invite"
    CART_ABANDONMENT = "cart_abandonment"
    BROWSE_ABANDONMENT = "browse_abandonment"
    WIN_BACK = "win_back"
    BIRTHDAY = "birthday"


FLOW_NAMES = frozenset(FlowName)

# The timed flow that sends a notice deferred by quiet hours (an execution name, not a setting).
DEFERRED_NOTICE = "notice"

NOTICES = (
    FlowName.PAYMENT_CONFIRMATION,
    FlowName.SHIPPING_NOTICE,
    FlowName.DELIVERY_NOTICE,
    FlowName.REFUND_CARE,
)


class SuppressionReason(StrEnum):
    STOP = "stop"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    SELLER = "seller"  # added by the seller (API): a do-not-contact request made to the shop
    ERASED = "erased"  # the person was erased: only a pseudonym of the address is kept


class OrderStatus(StrEnum):
    """Derived from an order's first-seen timestamps, so deliveries converge in any order."""

    UNKNOWN = "unknown"
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
