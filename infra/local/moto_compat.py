"""The one module that touches moto's internals (pinned: moto==5.2.5).

Everything the local runtime needs from moto beyond its public API (`mock_aws` and boto3 calls)
is here, as small functions returning plain values: the Wait-state patch that makes executions
wait on the virtual clock, the Step Functions executions, the SMS and email moto recorded, and
the raw response type botocore hooks answer with. tests/infra/test_moto_compat.py checks every
attribute used below, so a moto upgrade fails that test first: re-check this module, then move
the pin here and in pyproject.toml together.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Hashable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

from infra.local.template import ACCOUNT_ID, REGION

PINNED_MOTO_VERSION = "5.2.5"


class WaitClock(Protocol):
    """What the Wait-state patch needs from the virtual clock."""

    def now(self) -> dt.datetime: ...

    def wait_until(
        self, deadline: dt.datetime, keep_waiting: Callable[[], bool], token: Hashable | None = None
    ) -> None: ...

    def release(self, token: Hashable) -> None: ...

    def execution_started(self) -> None: ...

    def execution_ended(self) -> None: ...


@dataclass(frozen=True)
class ExecutionSnapshot:
    name: str
    arn: str
    state_machine_arn: str
    status: str | None  # None: created, its worker not started yet
    input: Any


@dataclass(frozen=True)
class SentSms:
    message_id: str
    phone_number: str
    body: str


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    raw: str  # the MIME message as sent (SESv2 SendEmail with Raw content)


def installed_version() -> str:
    import moto

    return str(moto.__version__)


def require_pinned_version() -> None:
    found = installed_version()
    if found != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"infra/local/moto_compat.py relies on moto {PINNED_MOTO_VERSION}'s internals; "
            f"found moto {found}: re-check the module before changing the pin"
        )


# -- Step Functions: Wait states on the virtual clock ---------------------------------------------
_installed: dict[str, Any] = {}
# moto's own methods the Wait patch replaced, by "Class.method" (for the compat test's checks).
REPLACED: dict[str, Any] = {}


def install_wait_patch(clock: WaitClock) -> None:
    """Make moto's Wait states read `clock` (idempotent; the latest clock wins).

    moto's executor sleeps in WaitFunction._wait_interval and measures Timestamp waits against
    datetime.now(). Both are replaced so that a Wait blocks until the virtual clock reaches its
    deadline (or the execution stops); a Retry's backoff sleep (retrier_decl's time.sleep) waits
    on the virtual clock as well. The execution worker is wrapped, not changed, so the clock
    counts the executions running (start, and the end of its thread) and wakes a stopped one.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    require_pinned_version()
    _installed["clock"] = clock
    if _installed.get("patched"):
        return

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        active: WaitClock = _installed["clock"]
        deadline = active.now() + dt.timedelta(seconds=max(wait_seconds, 0))
        active.wait_until(deadline, env.is_running, token=id(env))

    def timestamp_wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        moment = self._from_timestamp_string(timestamp=timestamp_str)
        if moment is None:
            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        now = _installed["clock"].now().replace(tzinfo=None)  # moto parses to naive UTC
        return int((moment - now).total_seconds())

    REPLACED["WaitFunction._wait_interval"] = wait_function.WaitFunction._wait_interval
    REPLACED["retrier_decl.time"] = vars(retrier_decl)["time"]
    # A Retry's backoff (retrier_decl calls time.sleep(interval)) waits on the virtual clock too.
    setattr(retrier_decl, "time", _VirtualSleep())  # noqa: B010 - the module's own `time` import
    REPLACED["Timestamp._get_wait_seconds"] = timestamp.Timestamp._get_wait_seconds
    wait_function.WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    timestamp.Timestamp._get_wait_seconds = timestamp_wait_seconds  # type: ignore[method-assign]
    _count_executions(ExecutionWorker)
    _installed["patched"] = True


def _count_executions(worker: Any) -> None:
    """Each worker remembers the clock it started under (a runtime started later in the same
    process has its own), counts itself running until its thread ends, and a stop wakes its Wait."""
    start, logic, stop = worker.start, worker._execution_logic, worker.stop
    REPLACED.update(
        {"ExecutionWorker.start": start, "ExecutionWorker._execution_logic": logic, "ExecutionWorker.stop": stop}
    )

    def counted_start(self: Any) -> None:
        self.huike_clock = _installed["clock"]
        self.huike_clock.execution_started()
        try:
            start(self)
        except BaseException:
            self.huike_clock.execution_ended()
            raise

    def counted_logic(self: Any) -> None:
        try:
            logic(self)
        finally:
            started_under: WaitClock | None = getattr(self, "huike_clock", None)  # None: a sync worker
            if started_under is not None:
                started_under.execution_ended()

    def releasing_stop(self: Any, stop_date: dt.datetime, error: str | None, cause: str | None) -> None:
        # moto 5.2.5 fails a StopExecution that arrives before the worker thread has built its
        # environment (env is None: the execution was started a moment ago); Step Functions
        # stops it. Wait for the thread to get that far (it needs no lock the caller may hold).
        give_up = time.monotonic() + 5
        while self.env is None and time.monotonic() < give_up:
            time.sleep(0.001)
        stop(self, stop_date=stop_date, error=error, cause=cause)
        started_under: WaitClock | None = getattr(self, "huike_clock", None)
        if started_under is not None and self.env is not None:
            started_under.release(id(self.env))

    worker.start = counted_start
    worker._execution_logic = counted_logic
    worker.stop = releasing_stop


class _VirtualSleep:
    """Stands in for the `time` module in moto's retrier: its one call, sleep, on the virtual clock."""

    @staticmethod
    def sleep(seconds: float) -> None:
        active: WaitClock = _installed["clock"]
        active.wait_until(active.now() + dt.timedelta(seconds=max(seconds, 0)), lambda: True)


# -- SQS: is there anything to receive? ---------------------------------------------------------------
def queue_has_visible_messages(queue_name: str) -> bool:
    """Read from moto's memory (no request): the runtime's pumps poll this between every step."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT_ID][REGION].queues.get(queue_name)
    return queue is not None and any(message.visible for message in list(queue._messages))


# -- Step Functions: executions -------------------------------------------------------------------
def _stepfunctions_backend() -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return stepfunctions_parser_backends[ACCOUNT_ID][REGION]


def executions() -> list[ExecutionSnapshot]:
    """Every execution of every state machine, in start order per machine."""
    return [
        ExecutionSnapshot(
            name=execution.name,
            arn=execution.exec_arn,
            state_machine_arn=execution.state_machine_arn,
            status=execution.exec_status.value if execution.exec_status is not None else None,
            input=execution.input_data,
        )
        for execution in list(_stepfunctions_backend()._get_executions())
    ]


def stop_running_executions() -> None:
    backend = _stepfunctions_backend()
    for execution in executions():
        if execution.status == "RUNNING":
            backend.stop_execution(execution.arn)


# -- what moto recorded as sent -------------------------------------------------------------------
def sent_sms() -> list[SentSms]:
    """SMS published through SNS to a phone number, in send order."""
    from moto.sns.models import sns_backends

    messages: dict[str, tuple[str, str]] = sns_backends[ACCOUNT_ID][REGION].sms_messages
    return [SentSms(message_id, phone, body) for message_id, (phone, body) in list(messages.items())]


def sent_emails() -> list[SentEmail]:
    """Raw emails SES accepted, in send order."""
    from moto.ses.models import ses_backends

    emails = []
    for sent in list(ses_backends[ACCOUNT_ID][REGION].sent_messages):
        raw = sent.raw_data
        emails.append(SentEmail(str(sent.id), raw if isinstance(raw, str) else raw.decode()))
    return emails


# -- botocore hooks answering for moto ------------------------------------------------------------
def install_stream_snapshot_patch() -> None:
    """moto 5.2.5 deep-copies every table a TransactWriteItems touches (to roll back on failure),
    stream shard included: with a stream on a busy table, each transaction copied every stream
    record ever written (quadratic time, gigabytes of memory at 10,000 customers). Records never
    change once written, so a snapshot of the shard only needs the list of them: rolling back
    still drops the records a failed transaction added."""
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard, "_huike_snapshot", False):
        return

    def snapshot(self: Any, memo: dict[int, Any]) -> Any:
        copy: Any = StreamShard.__new__(StreamShard)
        copy.__dict__.update(self.__dict__)
        copy.table = memo.get(id(self.table), self.table)
        copy.items = list(self.items)
        return copy

    StreamShard.__deepcopy__ = snapshot  # type: ignore[attr-defined]
    StreamShard._huike_snapshot = True  # type: ignore[attr-defined]


_transaction = threading.local()


_MISSING = object()


def install_transaction_snapshot_patch() -> None:
    """moto 5.2.5 rolls back a failed TransactWriteItems by deep-copying every table it touches
    beforehand: O(table) per transaction, so a long run became quadratic. Here the rollback copy
    shares the live table's items and stream, and the items the transaction names (and the
    stream records it adds) are journaled before it runs and restored in place if it fails:
    O(items named) per transaction, with the same outcome as moto's copy."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_huike_snapshot", False):
        return
    install_stream_snapshot_patch()
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        journal: list[tuple[Any, Any, Any, Any]] = []  # (table, hash value, range value, item before)
        streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            if table.range_key_attr:
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
                before = table.items[hash_value].get(range_value, _MISSING) if hash_value in table.items else _MISSING
            else:
                range_value = None
                before = table.items.get(hash_value, _MISSING)
            journal.append((table, hash_value, range_value, before if before is _MISSING else deepcopy(before)))
            if table.stream_shard is not None:
                streams.setdefault(table.name, (table.stream_shard, len(table.stream_shard.items)))
        _transaction.sharing = True
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(journal):
                if table.range_key_attr:
                    bucket = table.items[hash_value]
                    if before is _MISSING:
                        bucket.pop(range_value, None)
                    else:
                        bucket[range_value] = before
                elif before is _MISSING:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            _transaction.sharing = False

    def snapshot(self: Any, memo: dict[int, Any]) -> Any:
        copy_: Any = Table.__new__(Table)
        memo[id(self)] = copy_
        if getattr(_transaction, "sharing", False):  # a transaction's rollback copy: see above
            copy_.__dict__.update(self.__dict__)
            return copy_
        for name, value in self.__dict__.items():  # moto's own deep copy
            setattr(copy_, name, deepcopy(value, memo))
        return copy_

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = snapshot  # type: ignore[attr-defined]
    Table._huike_snapshot = True  # type: ignore[attr-defined]


def without_interim_inserts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream records as DynamoDB emits them. moto 5.2.5's UpdateItem on a new item first puts an
    item of the keys alone (an INSERT record of the keys) and then emits the updated item as a
    second INSERT; DynamoDB emits the one INSERT. Drop a keys-only INSERT followed by an INSERT of
    the same keys."""
    kept = []
    for index, record in enumerate(records):
        change = record.get("dynamodb", {})
        following = records[index + 1] if index + 1 < len(records) else None
        interim = (
            record.get("eventName") == "INSERT"
            and change.get("NewImage") == change.get("Keys")
            and following is not None
            and following.get("eventName") == "INSERT"
            and following.get("dynamodb", {}).get("Keys") == change.get("Keys")
        )
        if not interim:
            kept.append(record)
    return kept


def answer_request(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """moto's answer to one raw AWS request (the URL in AWS's domain), as the in-process mock gives
    botocore: what a process outside this one reaches through an HTTP front (the cold-start
    benchmark's children). None of the runtime's botocore hooks apply."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    prepared = HTTPHeaders()
    for name, value in headers.items():
        prepared[name] = value
    request = AWSPreparedRequest(method=method, url=url, headers=prepared, body=body, stream_output=False)
    answer = botocore_stubber.process_request(request)
    if answer is None:
        return 404, {}, b"not an AWS request moto answers"
    status, response_headers, response_body = answer
    raw = response_body.encode() if isinstance(response_body, str) else bytes(response_body or b"")
    return int(status), {str(k): str(v) for k, v in dict(response_headers).items()}, raw


def aws_response(url: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    """A botocore AWSResponse a before-send hook can return in place of moto's answer."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    return AWSResponse(url, status, headers, MockRawResponse(body))


# -- IAM: functions run under their own roles ------------------------------------------------------
@dataclass(frozen=True)
class AuthorizedCall:
    """A request moto authorized against a role's policies: who, which IAM action, on what."""

    access_key_id: str
    action: str
    resource: str


_enforced: dict[str, Any] = {"keys": frozenset(), "calls": []}

# IAM authorizes a transaction per item, with the item's own action (there is no
# dynamodb:TransactWriteItems permission).
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def enforce_access_control(access_key_ids: frozenset[str]) -> None:
    """Check every request signed with one of `access_key_ids` against its role's policies, with
    moto's own signature check and policy evaluation, per resource.

    S3 requests (moto's S3IAMRequest, with the bucket/key resource moto names) are checked as
    moto does, and recorded. moto 5.2.5 evaluates DynamoDB and Step Functions requests against
    the resource "*" only, so a statement scoped to a table (or an index, or a state machine)
    never matches and a policy cannot be scoped. Here each request is checked once per resource
    it touches, with the action IAM uses for it (a transaction: per item). Requests signed by
    anyone else (the operator: the harness that provisions and inspects) are not checked, as
    moto does by default.
    """
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest

    require_pinned_version()
    _enforced["keys"] = access_key_ids
    if "ActionAuthenticatorMixin._authenticate_and_authorize_action" in REPLACED:
        return
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        authorization = self.headers.get("Authorization") or ""
        key_id = authorization.partition("Credential=")[2].partition("/")[0]
        if key_id not in _enforced["keys"]:
            return original(self, iam_request_cls, resource)
        path = self.raw_path + (f"?{urlparse(self.uri).query}" if urlparse(self.uri).query else "")
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
        request.check_signature()
        if iam_request_cls is not IAMRequest:  # S3: moto passes the bucket/key resource itself
            request.check_action_permitted(resource)
            _enforced["calls"].append(AuthorizedCall(key_id, request._action, resource))
            return None
        service = request._action.partition(":")[0]
        for action, target in _permissions_needed(service, request._action, self.body, resource):
            request._action = action
            request.check_action_permitted(target)
            _enforced["calls"].append(AuthorizedCall(key_id, action, target))

    REPLACED["ActionAuthenticatorMixin._authenticate_and_authorize_action"] = original
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]


def authorized_calls() -> list[AuthorizedCall]:
    """Every request checked by enforce_access_control since the process started (or the last
    forget_authorized_calls)."""
    return list(_enforced["calls"])


def forget_authorized_calls() -> None:
    _enforced["calls"].clear()


def _permissions_needed(service: str, action: str, body: Any, resource: str) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one request needs."""
    if service not in ("dynamodb", "states"):
        return [(action, resource)]
    request = body if isinstance(body, dict) else json.loads(body or "{}")
    if service == "states":
        target = request.get("stateMachineArn") or request.get("executionArn") or resource
        return [(action, target)]
    operation = action.partition(":")[2]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        needed = []
        for item in request.get("TransactItems", []):
            ((kind, detail),) = item.items()
            needed.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(detail["TableName"])))
        return needed
    if "RequestItems" in request:  # BatchGetItem, BatchWriteItem
        return [(action, _table_arn(table)) for table in request["RequestItems"]]
    if "TableName" in request:
        target = _table_arn(request["TableName"])
        if request.get("IndexName"):
            target += f"/index/{request['IndexName']}"
        return [(action, target)]
    return [(action, resource)]


def _table_arn(table: str) -> str:
    return table if table.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"
