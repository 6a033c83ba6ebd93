"""Every AWS call made while the local runtime runs, attributed to the Lambda function that made it.

Calls are seen at the botocore level (BaseClient._make_api_call), so PynamoDB, Powertools and
boto3 calls are all counted, from any thread. A call is attributed to the function whose handler
was running on that thread (LambdaHost.invoke is wrapped); calls made by the emulated services
themselves (the stream pump's GetRecords, Step Functions' lambda:Invoke) belong to no function.
Flow-task calls also carry the key of the flow execution they ran for (see `flow_key`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from botocore.client import BaseClient

from infra.local.runtime import LocalRuntime
from infra.local.template import NAME_PREFIX, local_template

WEBHOOK = "WebhookFunction"
LIFECYCLE = "LifecycleFunction"
CUSTOMER_COUNTS = "CustomerCountsFunction"
FLOW_TASK = "FlowTaskFunction"

DYNAMODB_READS = ("GetItem", "Query", "BatchGetItem", "Scan")
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass(frozen=True)
class Call:
    function: str | None  # logical id in template.yaml; None: an emulated service's own call
    key: str | None  # the flow execution a flow-task call ran for
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class Invocation:
    function: str
    key: str | None
    records: int = 0  # records in the event (stream and queue batches)
    seconds: float = 0.0  # wall time of the invocation, here


FLOW_KEY_PARTS = ("flow", "tenant_id", "subject_id", "notice", "order_id", "viewed_at", "wake_at")


def flow_key(state: dict[str, Any]) -> str:
    """A flow execution, told apart by its input: the execution name's parts are all in there
    (<flow>-<tenant>-<subject>[-<part>]) and its wake time (a flow's next wake-up is its own
    execution with the same parts, waking later)."""
    return "/".join(str(state.get(part) or "") for part in FLOW_KEY_PARTS)


@dataclass
class Window:
    calls: list[Call] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)

    def of(self, function: str) -> list[Call]:
        return [call for call in self.calls if call.function == function]

    def invocations_of(self, function: str) -> int:
        return sum(invocation.function == function for invocation in self.invocations)


class Recorder:
    """Install once per runtime (`with Recorder(runtime) as recorder:`); read windows of it."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.calls: list[Call] = []
        self.invocations: list[Invocation] = []
        self._running = threading.local()
        self._original_call = BaseClient._make_api_call

    def __enter__(self) -> Recorder:
        recorder, original_call, original_invoke = self, self._original_call, self.runtime.lambdas.invoke

        def counted_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            function, key = recorder._current()
            service = client.meta.service_model.service_name
            recorder.calls.append(Call(function, key, service, operation_name, dict(api_params)))
            return original_call(client, operation_name, api_params)

        def attributed_invoke(logical_id: str, event: Any) -> Any:
            # Step Functions passes {"state": <execution state>, "state_machine_arn": ...}.
            key = flow_key(event["state"]) if logical_id == FLOW_TASK else None
            records = len(event.get("Records", [])) if isinstance(event, dict) else 0
            invocation = Invocation(logical_id, key, records)
            recorder.invocations.append(invocation)
            stack = recorder._stack()
            stack.append((logical_id, key))
            began = time.perf_counter()
            try:
                return original_invoke(logical_id, event)
            finally:
                invocation.seconds = time.perf_counter() - began
                stack.pop()

        BaseClient._make_api_call = counted_call
        self.runtime.lambdas.invoke = attributed_invoke  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: Any) -> None:
        BaseClient._make_api_call = self._original_call
        del self.runtime.lambdas.invoke

    def _stack(self) -> list[tuple[str, str | None]]:
        if not hasattr(self._running, "stack"):
            self._running.stack = []
        return self._running.stack  # type: ignore[no-any-return]

    def _current(self) -> tuple[str | None, str | None]:
        stack = self._stack()
        return stack[-1] if stack else (None, None)

    @contextmanager
    def window(self) -> Iterator[Window]:
        """The calls and invocations recorded while the block runs (filled in when it ends)."""
        window = Window()
        calls, invocations = len(self.calls), len(self.invocations)
        yield window
        window.calls = self.calls[calls:]
        window.invocations = self.invocations[invocations:]

    def flow_task(self, key: str) -> tuple[list[Call], int]:
        """Calls made by, and invocations of, the flow task for one execution."""
        calls = [call for call in self.calls if call.function == FLOW_TASK and call.key == key]
        return calls, sum(i.function == FLOW_TASK and i.key == key for i in self.invocations)


@contextmanager
def streams_paused(runtime: LocalRuntime) -> Iterator[None]:
    """The orders-table stream consumer does not run inside runtime.api() while the block runs."""
    runtime.streams.drain = lambda: 0  # type: ignore[method-assign]
    try:
        yield
    finally:
        del runtime.streams.drain


# -- counting --------------------------------------------------------------------------------------
@dataclass
class Counts:
    reads: int = 0
    scans: int = 0
    domain_writes: int = 0
    idempotency_writes: int = 0
    stepfunctions: int = 0
    sms: int = 0  # SNS Publish to a phone number
    mms: int = 0  # SendMediaMessage (refused locally, so the send falls back)
    email: int = 0  # SES SendEmail

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def writes(self) -> int:
        return self.domain_writes + self.idempotency_writes

    @property
    def messages(self) -> int:
        return self.sms + self.mms + self.email


def count(calls: Iterable[Call]) -> Counts:
    """DynamoDB writes are split by the TableName they name: domain tables vs idempotency."""
    idempotency_table = local_template().physical_name("IdempotencyTable")
    counts = Counts()
    for call in calls:
        if call.service == "dynamodb":
            if call.operation in DYNAMODB_READS:
                counts.reads += 1
                counts.scans += call.operation == "Scan"
            elif call.operation in DYNAMODB_WRITES:
                if call.params.get("TableName") == idempotency_table:
                    counts.idempotency_writes += 1
                else:
                    counts.domain_writes += 1
        elif call.service == "stepfunctions":
            counts.stepfunctions += 1
        elif call.service == "sns" and call.operation == "Publish" and "PhoneNumber" in call.params:
            counts.sms += 1
        elif call.service == "pinpoint-sms-voice-v2" and call.operation == "SendMediaMessage":
            counts.mms += 1
        elif call.service == "sesv2" and call.operation == "SendEmail":
            counts.email += 1
    return counts


def breakdown(calls: Iterable[Call]) -> str:
    """E.g. "GetItem[Tenants], UpdateItem[Orders], sfn.StartExecution": DynamoDB operations with
    the tables they name (stack prefix and "Table" dropped), other services prefixed; xN if repeated."""
    names = Counter(_name(call) for call in calls)
    return ", ".join(name + (f" x{times}" if times > 1 else "") for name, times in sorted(names.items())) or "none"


SERVICE_PREFIXES = {"dynamodb": "", "stepfunctions": "sfn.", "pinpoint-sms-voice-v2": "sms-voice."}


def _name(call: Call) -> str:
    tables = [call.params["TableName"]] if "TableName" in call.params else list(call.params.get("RequestItems", ()))
    short = [table.removeprefix(NAME_PREFIX + "-").removesuffix("Table") for table in tables]
    prefix = SERVICE_PREFIXES.get(call.service, f"{call.service}.")
    return f"{prefix}{call.operation}" + (f"[{','.join(short)}]" if short else "")
