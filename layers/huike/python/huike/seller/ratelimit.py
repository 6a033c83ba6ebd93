"""The per-tenant rate limit of the seller API: a fixed one-minute window counted in DynamoDB
(one UpdateItem per request), the limit from the tenant's usage plan. Every answer carries
RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (IETF httpapi-ratelimit-headers); a
request over the limit is 429 with Retry-After and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from huike.core import clock
from huike.core.errors import HuikeError


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class TooManyRequests(HuikeError):
    status = 429

    def __init__(self, allowance: Allowance) -> None:
        super().__init__(
            f"over this tenant's {allowance.limit} requests per minute; retry in {allowance.reset_seconds} s"
        )
        self.allowance = allowance


def admit(tenant_id: str) -> Allowance:
    """Count the request; raises TooManyRequests when it is over the tenant's plan."""
    from huike.store.tenants import usage_plan
    from huike.store.usage import WINDOW, count_request, window_start

    now = clock.now()
    used = count_request(tenant_id, now)
    limit = usage_plan(tenant_id)
    reset = max(1, int((window_start(now) + WINDOW - now).total_seconds() + 0.999))
    allowance = Allowance(limit=limit, remaining=max(0, limit - used), reset_seconds=reset)
    if used > limit:
        raise TooManyRequests(allowance)
    return allowance
