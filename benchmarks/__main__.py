"""AWS calls per webhook, the reminder flow's calls and cost, and cold-import time per function.

Run with `make bench`. It only prints figures (no timed assertions). AWS calls are counted at the
botocore level, so PynamoDB and boto3 calls are both seen; moto stands in for AWS.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

from infra.local.lambdas import LAYER_PATH
from infra.local.runtime import DEMO_TENANT_ID, LocalRuntime
from infra.local.template import NAME_PREFIX, local_template
from tests.conftest import DAYTIME_UTC, ShopifyWebhooks, shopify_order

DYNAMODB_READS = ("GetItem", "Query", "BatchGetItem", "Scan")
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
TARGET_DOMAIN_WRITES_PER_EVENT = 2
TARGET_READS_PER_EVENT = 1
TARGET_COLD_IMPORT_RATIO = 1.3
COLD_IMPORT_RUNS = 5

# Public list prices, us-east-1 (aws.amazon.com/<service>/pricing), used for the cost estimate.
SFN_STANDARD_USD_PER_TRANSITION = 0.025 / 1_000  # Step Functions Standard: $0.025 per 1,000 transitions
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000  # Lambda: $0.20 per 1M requests
LAMBDA_USD_PER_GB_SECOND = 0.0000166667  # Lambda x86 duration
LAMBDA_ASSUMED_GB_SECONDS = 0.5 * 0.1  # assumption, not measured: 512 MB for 100 ms per invocation
DYNAMODB_USD_PER_WRITE_UNIT = 1.25 / 1_000_000  # on-demand: $1.25 per million write request units
DYNAMODB_USD_PER_READ_UNIT = 0.25 / 1_000_000  # on-demand: $0.25 per million read request units
SNS_SMS_US_USD_PER_MESSAGE = 0.00581  # assumption: one-segment SMS to a US number, carrier fees vary
ORDERS = 1_000

Call = tuple[str, str, dict[str, Any]]  # (service, operation, params)


@contextmanager
def counting_aws_calls() -> Iterator[list[Call]]:
    """Record every botocore API call, from any thread, while the block runs."""
    calls: list[Call] = []
    original = BaseClient._make_api_call

    def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append((client.meta.service_model.service_name, operation_name, dict(api_params)))
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def summarise(calls: list[Call]) -> dict[str, float]:
    """Counts by kind; DynamoDB writes split by the TableName they name (domain vs idempotency)."""
    idempotency_table = os.environ["IDEMPOTENCY_TABLE"]
    dynamodb = [(operation, params) for service, operation, params in calls if service == "dynamodb"]
    writes = [params.get("TableName") for operation, params in dynamodb if operation in DYNAMODB_WRITES]
    return {
        "reads": sum(operation in DYNAMODB_READS for operation, _ in dynamodb),
        "scans": sum(operation == "Scan" for operation, _ in dynamodb),
        "domain_writes": sum(table != idempotency_table for table in writes),
        "idempotency_writes": sum(table == idempotency_table for table in writes),
        "stepfunctions": sum(service == "stepfunctions" for service, _, _ in calls),
        "sns": sum(service == "sns" for service, _, _ in calls),
        "lambda": sum(service == "lambda" for service, _, _ in calls),
        "read_units": sum(request_units(operation, params)[0] for operation, params in dynamodb),
        "write_units": sum(request_units(operation, params)[1] for operation, params in dynamodb),
    }


def request_units(operation: str, params: dict[str, Any]) -> tuple[float, float]:
    """(read, write) units; items <= 4 KB read (0.5 if eventually consistent), <= 1 KB written."""
    if operation in DYNAMODB_READS:
        return (1.0 if params.get("ConsistentRead") else 0.5), 0.0
    if operation == "TransactWriteItems":
        return 0.0, 2.0 * len(params["TransactItems"])
    if operation == "BatchWriteItem":
        return 0.0, float(sum(len(requests) for requests in params["RequestItems"].values()))
    return 0.0, (1.0 if operation in DYNAMODB_WRITES else 0.0)


def breakdown(calls: list[Call]) -> str:
    names = Counter(
        f"{service}.{operation}"
        + (f"[{params['TableName'].removeprefix(NAME_PREFIX + '-')}]" if "TableName" in params else "")
        for service, operation, params in calls
    )
    return ", ".join(f"{name} x{count}" for name, count in sorted(names.items())) or "none"


def order(order_number: int, customer_id: int, created_at: dt.datetime, **overrides: Any) -> dict[str, Any]:
    customer = {**shopify_order()["customer"], "id": customer_id}
    stamp = created_at.isoformat().replace("+00:00", "Z")
    return shopify_order(id=order_number, name=f"#{order_number}", created_at=stamp, customer=customer, **overrides)


def deliver(shopify: ShopifyWebhooks, topic: str, payload: dict[str, Any]) -> None:
    response = shopify.post(topic, payload)
    if response.status != 200:
        raise RuntimeError(f"{topic} answered {response.status}: {response.body}")


def measure_webhooks_and_flow() -> tuple[dict[str, list[Call]], list[Call], int, int]:
    with LocalRuntime(start=DAYTIME_UTC) as runtime:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # start() set the template's INFO; handlers load lazily
        shopify = ShopifyWebhooks(runtime, runtime.seed_tenant())
        warm_up = order(9001, 9001, runtime.clock.now())  # another customer: imports, clients, caches
        deliver(shopify, "orders/create", warm_up)
        deliver(shopify, "orders/paid", {**warm_up, "financial_status": "paid"})

        measured = order(1001, 207119551, runtime.clock.now())
        with counting_aws_calls() as create_calls:
            deliver(shopify, "orders/create", measured)
        runtime.advance(seconds=10 * 60)
        with counting_aws_calls() as paid_calls:
            deliver(shopify, "orders/paid", {**measured, "financial_status": "paid"})
        runtime.advance(seconds=3600)  # let the earlier executions wake, see "paid" and finish

        unpaid = order(1002, 207119551, runtime.clock.now())
        deliver(shopify, "orders/create", unpaid)
        sms_before = len(runtime.outbox())
        with counting_aws_calls() as flow_calls:
            runtime.advance(seconds=3600)
        sms_sent = len(runtime.outbox()) - sms_before
        webhook_calls = {"orders/create": create_calls, "orders/paid": paid_calls}
        return webhook_calls, flow_calls, state_transitions(runtime, "shopify-1002"), sms_sent


def state_transitions(runtime: LocalRuntime, order_id: str) -> int:
    """States entered by the order's reminder execution, from the Step Functions history."""
    import boto3

    from huike.adapters.stepfunctions import execution_name
    from huike.flows.unpaid_reminder import FLOW

    name = execution_name(FLOW, DEMO_TENANT_ID, order_id)
    [arn] = [execution["executionArn"] for execution in runtime.executions() if execution["name"] == name]
    pages = boto3.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn)
    return sum(event["type"].endswith("StateEntered") for page in pages for event in page["events"])


def timed_import(code: str, cwd: str, env: dict[str, str]) -> float:
    script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{code!r} failed in {cwd}: {result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def measure_cold_imports(base_env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Median in-process import time per function, against `import boto3` + one client."""
    env = {**base_env, "PYTHONPATH": str(LAYER_PATH), "AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"}
    functions = local_template().functions()
    baseline_code = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
    baseline_runs: list[float] = []
    function_runs: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(COLD_IMPORT_RUNS):  # interleaved, so drift hits both sides alike
        baseline_runs.append(timed_import(baseline_code, str(LAYER_PATH.parent), env))
        for name, spec in functions.items():
            module = spec.handler.rpartition(".")[0]
            function_runs[name].append(
                timed_import(f"import {module}", str(spec.code_dir), {**env, **spec.environment})
            )
    return statistics.median(baseline_runs), {name: statistics.median(runs) for name, runs in function_runs.items()}


def print_webhooks(webhook_calls: dict[str, list[Call]]) -> None:
    print("1. AWS calls per Shopify webhook delivery, one order: orders/create (pending), then orders/paid")
    print("   warm container: another customer's order was created and paid first; counted at botocore level")
    rows = [
        ("DynamoDB reads (GetItem/Query/BatchGetItem/Scan)", "reads", f"<= {TARGET_READS_PER_EVENT}"),
        ("DynamoDB Scan", "scans", "must be 0"),
        ("DynamoDB writes, domain tables", "domain_writes", f"<= {TARGET_DOMAIN_WRITES_PER_EVENT}"),
        ("DynamoDB writes, idempotency table", "idempotency_writes", "-"),
        ("Step Functions calls", "stepfunctions", "-"),
        ("SNS calls", "sns", "-"),
    ]
    summaries = {topic: summarise(calls) for topic, calls in webhook_calls.items()}
    print(f"   {'metric':<50}{'orders/create':>15}{'orders/paid':>13}  target")
    for label, key, target in rows:
        values = "".join(f"{summaries[topic][key]:>{width}}" for topic, width in zip(summaries, (15, 13), strict=True))
        print(f"   {label:<50}{values}  {target}")
    for topic, summary in summaries.items():
        reads, writes, scans = summary["reads"], summary["domain_writes"], summary["scans"]
        within = reads <= TARGET_READS_PER_EVENT and writes <= TARGET_DOMAIN_WRITES_PER_EVENT and scans == 0
        scan_note = "Scan 0, as required" if scans == 0 else "Scan FOUND, must be 0"
        print(f"   {topic}: {'within' if within else 'OVER'} targets; {scan_note}; {breakdown(webhook_calls[topic])}")


def print_flow(flow_calls: list[Call], transitions: int, sms_sent: int) -> dict[str, float]:
    summary = summarise(flow_calls)
    rows = [
        ("Step Functions state transitions (StateEntered)", transitions),
        ("Lambda invocations (Step Functions -> flow task)", summary["lambda"]),
        ("DynamoDB reads by the flow task", summary["reads"]),
        ("DynamoDB writes by the flow task", summary["domain_writes"] + summary["idempotency_writes"]),
        ("SNS calls (Publish)", summary["sns"]),
        ("SMS sent (emulated SNS outbox)", sms_sent),
    ]
    print("\n2. Unpaid reminder flow, one order, clock advanced 3600 s after orders/create, no payment")
    for label, value in rows:
        print(f"   {label:<50}{value:>6}")
    print(f"   calls: {breakdown(flow_calls)}")
    return summary


def print_cold_imports(baseline: float, medians: dict[str, float]) -> None:
    print(f"\n3. Cold import, median of {COLD_IMPORT_RUNS} fresh interpreters (startup excluded), interleaved")
    print(f"   {'import boto3 + dynamodb client (baseline)':<44}{baseline:>9.3f} s")
    for name, seconds in medians.items():
        ratio = seconds / baseline
        print(
            f"   {name + ' (import app)':<44}{seconds:>9.3f} s   ratio {ratio:5.2f}  target <= "
            f"{TARGET_COLD_IMPORT_RATIO}  {'ok' if ratio <= TARGET_COLD_IMPORT_RATIO else 'OVER TARGET'}"
        )


def print_cost(create: dict[str, float], flow: dict[str, float], transitions: int) -> None:
    invocations = 1 + flow["lambda"]  # the orders/create webhook, then each flow task run
    rows = [
        ("Step Functions Standard transitions", transitions, SFN_STANDARD_USD_PER_TRANSITION),
        ("Lambda requests", invocations, LAMBDA_USD_PER_REQUEST),
        ("Lambda GB-s (512 MB x 100 ms assumed)", invocations * LAMBDA_ASSUMED_GB_SECONDS, LAMBDA_USD_PER_GB_SECOND),
        ("DynamoDB write request units", create["write_units"] + flow["write_units"], DYNAMODB_USD_PER_WRITE_UNIT),
        ("DynamoDB read request units", create["read_units"] + flow["read_units"], DYNAMODB_USD_PER_READ_UNIT),
    ]
    print(f"\n4. Estimated cost per {ORDERS:,} unpaid orders (1 reminder SMS per order; list prices, us-east-1)")
    print("   from the counts above: the orders/create webhook plus the flow; items <= 1 KB written, <= 4 KB read")
    print("   (0.5 RRU eventually consistent); API Gateway, CloudWatch Logs and X-Ray are not included")
    print(f"   {'component':<50}{'units':>12}{'USD':>12}")
    total = 0.0
    for label, units_per_order, unit_price in rows:
        usd = units_per_order * ORDERS * unit_price
        total += usd
        print(f"   {label:<50}{units_per_order * ORDERS:>12,.1f}{usd:>12.4f}")
    sms = flow["sns"] * ORDERS * SNS_SMS_US_USD_PER_MESSAGE
    print(f"   {'total excluding SMS':<50}{'':>12}{total:>12.4f}")
    print(f"   {'SNS SMS to US numbers (~$0.00581 each, assumed)':<50}{flow['sns'] * ORDERS:>12,.1f}{sms:>12.4f}")
    print(f"   {'total including SMS':<50}{'':>12}{total + sms:>12.4f}")


def main() -> None:
    base_env = dict(os.environ)  # before the runtime adds moto credentials and template variables
    webhook_calls, flow_calls, transitions, sms_sent = measure_webhooks_and_flow()
    print_webhooks(webhook_calls)
    flow = print_flow(flow_calls, transitions, sms_sent)
    baseline, medians = measure_cold_imports(base_env)
    print_cold_imports(baseline, medians)
    print_cost(summarise(webhook_calls["orders/create"]), flow, transitions)


if __name__ == "__main__":
    main()
