"""(i) The local runtime against pending work: per-order time with 500 and with 5,000 executions
waiting, and the CPU an idle runtime uses while they wait. Run alone with
`python -m benchmarks.local_runtime`.

The waiting executions are the timed-flow state machine's, started through the Step Functions API
with a wake-up 30 days ahead (none comes due while orders are measured). Each order is a Shopify
orders/create and orders/paid (an unpaid reminder started, then stopped) and ten virtual minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from dataclasses import dataclass

from benchmarks import payloads as p
from benchmarks.deliveries import Webhooks
from benchmarks.tables import print_table
from infra.local.runtime import LocalRuntime
from infra.local.template import REGION

PENDING = (500, 5_000)
ORDERS = 20
WARM_UP_ORDERS = 3
IDLE_SECONDS = 2.0
TARGET_RATIO = 1.5


@dataclass
class PendingRun:
    pending: int
    start_seconds: float  # starting the pending executions
    order_ms: list[float]
    idle_cpu_share: float  # CPU seconds per wall second while idle

    @property
    def median_ms(self) -> float:
        return statistics.median(self.order_ms)


def measure(runtime: LocalRuntime, webhooks: Webhooks, pending: int) -> PendingRun:
    import boto3

    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = runtime.template.arn("TimedFlowStateMachine")
    wake_at = (runtime.clock.now() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    began = time.perf_counter()
    for n in range(pending):
        sfn.start_execution(stateMachineArn=machine, name=f"pending-{n}", input=json.dumps({"wake_at": wake_at}))
    runtime.wait_quiescent(timeout=600)
    start_seconds = time.perf_counter() - began

    cpu = time.process_time()
    time.sleep(IDLE_SECONDS)
    idle_cpu_share = (time.process_time() - cpu) / IDLE_SECONDS

    order_ms = []
    for n in range(WARM_UP_ORDERS + ORDERS):
        began = time.perf_counter()
        at = runtime.clock.now()
        order = p.shopify_new_order(p.Buyer(n % 90 + 1), 9000 + n, at)
        webhooks.shopify("orders/create", order)
        webhooks.shopify("orders/paid", p.shopify_paid(order, at))
        runtime.advance(seconds=600)
        if n >= WARM_UP_ORDERS:
            order_ms.append((time.perf_counter() - began) * 1000)
    return PendingRun(pending, start_seconds, order_ms, idle_cpu_share)


def print_figures(runs: list[PendingRun]) -> None:
    fewest = runs[0]
    rows = []
    for run in runs:
        ratio = run.median_ms / fewest.median_ms
        target = "" if run is fewest else f"< {TARGET_RATIO}"
        verdict = "" if run is fewest else ("ok" if ratio < TARGET_RATIO else "OVER")
        rows.append(
            [
                f"{run.pending:,}",
                f"{run.median_ms:.0f}",
                f"{max(run.order_ms):.0f}",
                f"{ratio:.2f}",
                target,
                verdict,
                f"{run.idle_cpu_share:.1%}",
                f"{run.start_seconds * 1000 / run.pending:.1f}",
            ]
        )
    print_table(
        "(i) Local runtime: per-order time against executions pending (in-process, wall time)",
        [
            f"each order: orders/create + orders/paid + 10 virtual minutes; median of {ORDERS} after {WARM_UP_ORDERS}",
            "pending: timed-flow executions in their Wait, due in 30 days; idle: CPU per wall second, "
            f"{IDLE_SECONDS:.0f} s with nothing due",
            "goal: 5,000 pending < 1.5x the per-order time of 500, and no measurable idle CPU; before: 2,400 pending "
            "took 4-8x per order and an idle runtime burned a core (a thread polling per execution)",
        ],
        ["pending", "order ms (median)", "max", "ratio", "target", "", "idle CPU", "ms per start"],
        rows,
        align="rrrrllrr",
    )


def main() -> None:
    from benchmarks.sessions import recorded
    from tests.support.clock import DAYTIME_UTC

    runs = []
    for pending in PENDING:
        with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
            runs.append(measure(runtime, webhooks, pending))
    print_figures(runs)


if __name__ == "__main__":
    main()
