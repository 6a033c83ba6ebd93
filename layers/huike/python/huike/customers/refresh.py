"""The nightly RFM refresh, per tenant and in bounded chunks.

    schedule (EventBridge Scheduler, daily)  refresh_all: per tenant, publish thresholds computed
                                             from its counters (when they changed), queue the
                                             first chunk
    SQS, one chunk each                      refresh_chunk: re-score and re-tag one page of 500
                                             customers; write only those whose scores, segment
                                             or automatic tags moved; queue the next page

Why this is cheap: scores are quintiles, so a customer's recency score changes only when the
cut-off dates move past their last order (the dates move as other customers order), not because
a day passed. A night therefore reads every customer once (a Query page of 500 at a time, ~0.06
RRU per customer) and writes only the few near a moved cut point; an order re-scores its own
customer at once (the customers-stream consumer). Automatic tags do age with the calendar
("new" for 30 days, "lapsing" and "lapsed" against the customer's rhythm), so every night reads
every buyer and rewrites those whose tags changed (a few per thousand a night).
"""

from __future__ import annotations

from typing import Any

PAGE = 500


def _queue_url() -> str:
    from huike.config.env import environment

    url = environment().segment_refresh_queue_url
    if not url:
        raise RuntimeError("SEGMENT_REFRESH_QUEUE_URL is not set for this function (template.yaml)")
    return url


def refresh_all() -> dict[str, Any]:
    """Publish every tenant's thresholds (unless its buyers' stats did not change since the last
    publication: the cuts would be the same) and queue the first chunk of each tenant with
    buyers (automatic tags age even when nobody ordered)."""
    from huike.aws.objects import send_messages
    from huike.customers.counting import publish_thresholds
    from huike.store.insights import published_thresholds
    from huike.store.tenants import list_tenants

    queued, published = [], 0
    tenants = list_tenants()
    for tenant_id, _ in tenants:
        if publish_thresholds(tenant_id, only_if_changed=True) is not None:
            published += 1
        if published_thresholds(tenant_id) is not None:
            queued.append({"tenant_id": tenant_id, "after": None})
    send_messages(_queue_url(), queued)
    return {"tenants": len(tenants), "published": published, "refreshed": len(queued)}


def refresh_tenant(tenant_id: str) -> None:
    """Refresh one tenant now (after an import): its first chunk publishes the thresholds."""
    from huike.aws.objects import send_messages

    send_messages(_queue_url(), [{"tenant_id": tenant_id, "after": None, "publish": True}])


def refresh_chunk(tenant_id: str, after: str | None, publish: bool = False) -> dict[str, Any]:
    """Re-score and re-tag one page of the tenant's customers with its published thresholds
    (published first when asked)."""
    from huike.aws.objects import send_messages
    from huike.customers.counting import (
        keep_scores_current,
        publish_thresholds,
        store_facts_from_document,
        thresholds_from_document,
    )
    from huike.store.customers import customers_page
    from huike.store.insights import published_thresholds

    if publish:
        publish_thresholds(tenant_id)
    document = published_thresholds(tenant_id)
    if document is None:
        return {"read": 0, "rescored": 0}
    thresholds, facts = thresholds_from_document(document), store_facts_from_document(document)
    page, last = customers_page(tenant_id, limit=PAGE, after=after)
    rescored = sum(1 for customer in page if customer.order_count and keep_scores_current(customer, thresholds, facts))
    if last:
        send_messages(_queue_url(), [{"tenant_id": tenant_id, "after": last}])
    return {"read": len(page), "rescored": rescored, "more": bool(last)}
