"""(e) Cost per 1,000 orders of the typical story, from the calls and transitions measured in (c).

DynamoDB request units are sized from the items themselves: a PutItem by the item it writes, an
UpdateItem by the item as stored at the end of the story (an upper bound: orders and customers
only grow), a read by the item it reads (0.5 RRU per 4 KB eventually consistent, 1 strongly).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from benchmarks.calls import CUSTOMER_COUNTS, FLOW_TASK, LIFECYCLE, WEBHOOK, Call, count
from benchmarks.flows import Story
from benchmarks.tables import print_table
from infra.local.template import NAME_PREFIX

ORDERS = 1_000
GOAL_USD = 0.30  # issue 10: AWS cost per 1,000 typical orders, before message fees
CEILING_USD = 0.60
# Public list prices, us-east-1 (aws.amazon.com/<service>/pricing/); free tiers ignored.
SFN_STANDARD_USD_PER_TRANSITION = 0.025 / 1_000
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_USD_PER_GB_SECOND = 0.0000166667  # x86_64, as template.yaml deploys
LAMBDA_MEMORY_GB = 0.5  # template.yaml Globals: MemorySize 512
LAMBDA_ASSUMED_SECONDS = 0.1  # assumption, not measured: 100 ms billed per invocation
DYNAMODB_USD_PER_WRITE_UNIT = 0.625 / 1_000_000  # on-demand, since the November 2024 price cut
DYNAMODB_USD_PER_READ_UNIT = 0.125 / 1_000_000
SMS_US_USD = 0.00581  # assumption: one-segment SMS to a US number incl. typical carrier fee; varies
SES_USD_PER_EMAIL = 0.10 / 1_000

Stored = Callable[[str, dict[str, Any]], dict[str, Any] | None]  # (table, key) -> item as stored


@dataclass
class Usage:
    """Per order of the typical story."""

    transitions: int
    lambda_requests: dict[str, int]
    read_units: float
    write_units: float
    largest_item: tuple[str, int]  # (table, bytes) of any item the story read or wrote
    sms: int
    mms: int
    email: int
    messages_by: dict[str, int]  # who sent them: the stream consumer's notices, the flows


def story_usage(story: Story, stored: Stored) -> Usage:
    """Must run while the runtime is up: item sizes are read from the emulated tables."""
    flow_task_calls = [call for e in story.executions for call in e.calls]
    calls = story.calls(WEBHOOK) + story.calls(LIFECYCLE) + story.calls(CUSTOMER_COUNTS) + flow_task_calls
    sizer = _Sizer(stored)
    read_units = write_units = 0.0
    for call in calls:
        if call.service == "dynamodb":
            reads, writes = sizer.request_units(call)
            read_units += reads
            write_units += writes
    messages = count(calls)
    notices, flow_messages = count(story.calls(LIFECYCLE)), count(flow_task_calls)
    return Usage(
        transitions=sum(e.transitions for e in story.executions),
        lambda_requests={
            WEBHOOK: story.invocations(WEBHOOK),
            LIFECYCLE: story.invocations(LIFECYCLE),
            CUSTOMER_COUNTS: story.invocations(CUSTOMER_COUNTS),
            FLOW_TASK: sum(e.invocations for e in story.executions),
        },
        read_units=read_units,
        write_units=write_units,
        largest_item=sizer.largest,
        sms=messages.sms,
        mms=messages.mms,
        email=messages.email,
        messages_by={
            "immediate notices": notices.messages,
            "flow messages": flow_messages.messages,
        },
    )


class _Sizer:
    def __init__(self, stored: Stored) -> None:
        self.stored = stored
        self.largest = ("", 0)

    def size(self, table: str, item: dict[str, Any] | None) -> int:
        size = item_size(item or {})
        if size > self.largest[1]:
            self.largest = (table.removeprefix(NAME_PREFIX + "-"), size)
        return size

    def stored_size(self, table: str, key: dict[str, Any]) -> int:
        return self.size(table, self.stored(table, key))

    def request_units(self, call: Call) -> tuple[float, float]:
        params, operation = call.params, call.operation
        table = params.get("TableName", "")
        if operation == "GetItem":
            units = math.ceil(max(self.stored_size(table, params["Key"]), 1) / 4096)
            return units * (1.0 if params.get("ConsistentRead") else 0.5), 0.0
        if operation in ("Query", "Scan", "BatchGetItem"):
            return (1.0 if params.get("ConsistentRead") else 0.5), 0.0  # assumed: results <= 4 KB
        if operation == "PutItem":
            return 0.0, _write_units(self.size(table, params["Item"]))
        if operation == "UpdateItem":
            return 0.0, _write_units(self.stored_size(table, params["Key"]))
        if operation == "DeleteItem":
            return 0.0, 1.0
        if operation == "BatchWriteItem":
            puts = [
                (name, request["PutRequest"]["Item"])
                for name, requests in params["RequestItems"].items()
                for request in requests
                if "PutRequest" in request
            ]
            deletes = sum("DeleteRequest" in r for requests in params["RequestItems"].values() for r in requests)
            return 0.0, sum(_write_units(self.size(name, item)) for name, item in puts) + deletes
        if operation == "TransactWriteItems":
            return 0.0, 2.0 * len(params["TransactItems"])  # assumed: items <= 1 KB
        return 0.0, 0.0


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (docs: "Item sizes and formats")."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    [(kind, data)] = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data) if isinstance(data, bytes) else len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in data)
    if kind == "NS":
        return sum(_number_size(number) for number in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + _value_size(element) for name, element in data.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return 1 + math.ceil(len(digits) / 2)


def print_cost(usage: Usage) -> None:
    requests = sum(usage.lambda_requests.values())
    gb_seconds = requests * LAMBDA_MEMORY_GB * LAMBDA_ASSUMED_SECONDS
    components = [
        (
            "Step Functions Standard state transitions",
            usage.transitions,
            SFN_STANDARD_USD_PER_TRANSITION,
            "$0.025 / 1K",
        ),
        ("Lambda requests", requests, LAMBDA_USD_PER_REQUEST, "$0.20 / 1M"),
        ("Lambda GB-seconds (512 MB x 100 ms assumed)", gb_seconds, LAMBDA_USD_PER_GB_SECOND, "$0.0000166667"),
        ("DynamoDB write request units", usage.write_units, DYNAMODB_USD_PER_WRITE_UNIT, "$0.625 / 1M"),
        ("DynamoDB read request units", usage.read_units, DYNAMODB_USD_PER_READ_UNIT, "$0.125 / 1M"),
    ]
    messages = [
        ("SMS (SNS to US numbers, assumed $0.00581 each)", usage.sms, SMS_US_USD, "$0.00581"),
        ("email (SES)", usage.email, SES_USD_PER_EMAIL, "$0.10 / 1K"),
    ]
    rows: list[list[Any]] = []
    infrastructure = _rows(components, rows)
    rows.append(["total excluding messages", "", "", "", f"{infrastructure:.4f}"])
    sending = _rows(messages, rows)
    rows.append(["total including messages", "", "", "", f"{infrastructure + sending:.4f}"])
    lambdas = ", ".join(f"{name} {n}" for name, n in usage.lambda_requests.items())
    table, size = usage.largest_item
    print_table(
        f"(e) Estimated cost per {ORDERS:,} orders of the typical story in (c) (list prices, us-east-1, no free tier)",
        [
            f"per order: {usage.transitions} state transitions; Lambda requests: {lambdas}",
            "  (one stream batch per delivery); DynamoDB Streams reads by Lambda triggers are free",
            f"DynamoDB units sized from the items (largest: {table}, {size:,} bytes); on-demand prices since Nov 2024",
            "messages per order: " + ", ".join(f"{n} {source}" for source, n in usage.messages_by.items()),
            "not included: API Gateway ($3.50 / 1M REST requests), CloudWatch Logs, X-Ray, storage",
            f"goal: total excluding messages <= ${GOAL_USD:.2f} per {ORDERS:,} orders, never above ${CEILING_USD:.2f}"
            f" (this run: ${infrastructure:.4f}, {'within' if infrastructure <= GOAL_USD else 'OVER'} the goal)",
        ],
        ["component", "per order", f"per {ORDERS:,} orders", "unit price", f"USD per {ORDERS:,} orders"],
        rows,
        align="lrrrr",
    )


def _rows(components: Iterable[tuple[str, float, float, str]], rows: list[list[Any]]) -> float:
    total = 0.0
    for label, per_order, unit_price, price in components:
        usd = per_order * ORDERS * unit_price
        total += usd
        rows.append([label, f"{per_order:g}", f"{per_order * ORDERS:,.0f}", price, f"{usd:.4f}"])
    return total
