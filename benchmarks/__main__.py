"""`make bench`: AWS calls per event, state transitions per flow, executions per order, cold
imports, cost per 1,000 orders, seller API pages, imports and segments, and scale (open
executions per 1,000 customers, item bytes after 200 orders), and the local runtime against
pending executions. Figures only, no timed assertions.

Everything runs on the local runtime (infra/local: moto, template.yaml, the real handlers, the
virtual clock); AWS calls are counted at the botocore level and attributed to the function that
made them (benchmarks/calls.py).
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks import cold_imports, cold_starts, cost, flows, intelligence, local_runtime, per_event, scale, seller_api
from benchmarks.sessions import recorded
from infra.local.template import REGION, local_template
from tests.support.clock import DAYTIME_UTC


def stored_item(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    import boto3

    response = boto3.client("dynamodb", region_name=REGION).get_item(TableName=table, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def main() -> None:
    base_env = dict(os.environ)  # before the runtime adds moto credentials and template variables

    with recorded(DAYTIME_UTC) as (_, webhooks, recorder):
        measured = per_event.measure(webhooks, recorder)
    cold = cold_starts.measure(base_env)
    with recorded(flows.T0) as (_, webhooks, recorder):
        results = flows.run(webhooks, recorder)
        usage = cost.story_usage(results.story, stored_item)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, recorder):
        pages = seller_api.measure(runtime, webhooks.tenant, recorder)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, recorder):
        imported = intelligence.measure_import(runtime, webhooks.tenant, recorder, intelligence.IMPORT_ROWS)
        peak = intelligence.measure_peak(runtime, webhooks.tenant, recorder, intelligence.PEAK_ORDERS)
        refreshed = intelligence.measure_refresh(runtime, recorder, imported.counts["created"] + peak.orders)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, recorder):
        segments = intelligence.measure_segments(runtime, webhooks.tenant, recorder)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
        opened = scale.measure_open_executions(runtime, webhooks)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
        items = scale.measure_item_bytes(runtime, webhooks)
    pending_runs = []
    for pending in local_runtime.PENDING:
        with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
            pending_runs.append(local_runtime.measure(runtime, webhooks, pending))

    per_event.print_webhook_path(measured)
    per_event.print_stream_consumer(measured)
    per_event.print_stream_throughput(measured, local_template().parallelization_factor("LifecycleFunction"))
    flows.print_transitions(results)
    flows.print_story(results.story)
    cold_imports.print_ratios(*cold_imports.measure(base_env))
    cold_starts.print_figures(cold)
    cost.print_cost(usage)
    seller_api.print_figures(pages)
    intelligence.print_figures(imported, peak, refreshed, segments)
    scale.print_figures(opened, items)
    local_runtime.print_figures(pending_runs)


if __name__ == "__main__":
    main()
