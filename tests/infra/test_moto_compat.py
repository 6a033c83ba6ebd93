"""infra/local/moto_compat.py against the installed moto: the pin holds, and every private moto name
the module relies on is there with the shape it expects. A moto upgrade fails here, by name,
rather than somewhere in a flow test."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import time
import tomllib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest

from infra.local import moto_compat
from infra.local.template import ACCOUNT_ID, REGION

ROOT = Path(__file__).resolve().parents[2]


def moto_original(cls: type, name: str) -> Any:
    """moto's own method, whether or not a runtime has installed the Wait patch in this process."""
    return moto_compat.REPLACED.get(f"{cls.__name__}.{name}", inspect.getattr_static(cls, name))


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def wait_for_status(execution_arn: str, status: str) -> None:
    give_up = time.monotonic() + 10
    while True:
        [snapshot] = [e for e in moto_compat.executions() if e.arn == execution_arn]
        if snapshot.status == status:
            return
        assert time.monotonic() < give_up, f"execution still {snapshot.status}, expected {status}"
        time.sleep(0.01)


# -- the pin --------------------------------------------------------------------------------------
def test_the_installed_moto_is_the_pinned_version():
    assert moto.__version__ == moto_compat.PINNED_MOTO_VERSION
    moto_compat.require_pinned_version()


def test_pyproject_pins_the_same_moto_version():
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    [requirement] = [r for r in dev if r.startswith("moto")]
    assert requirement.endswith(f"=={moto_compat.PINNED_MOTO_VERSION}")


def test_another_moto_version_is_refused(monkeypatch):
    monkeypatch.setattr(moto, "__version__", "0.0.0")
    with pytest.raises(RuntimeError, match=r"moto 5\.2\.5.*found moto 0\.0\.0"):
        moto_compat.require_pinned_version()


# -- the Wait patch's targets ---------------------------------------------------------------------
def test_the_wait_patch_targets_have_the_shape_it_replaces():
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    # Replaced: the executor calls _wait_interval(env=, wait_seconds=) and _get_wait_seconds(env=).
    assert parameters(moto_original(WaitFunction, "_wait_interval")) == ["self", "env", "wait_seconds"]
    assert parameters(moto_original(Timestamp, "_get_wait_seconds")) == ["self", "env"]
    assert issubclass(Timestamp, WaitFunction)
    # Used by the replacement for Timestamp waits.
    assert "string" in Timestamp.__annotations__
    assert isinstance(inspect.getattr_static(Timestamp, "_from_timestamp_string"), staticmethod)
    assert parameters(Timestamp._from_timestamp_string) == ["timestamp"]
    assert Timestamp._from_timestamp_string("2026-11-23T15:00:00Z") == dt.datetime(2026, 11, 23, 15, 0)  # naive UTC
    assert parameters(Timestamp._create_failure_event) == ["self", "env", "timestamp_str"]
    assert issubclass(FailureEventException, Exception)
    assert callable(Environment.is_running)
    assert "stack" in Environment.__annotations__


def test_the_retry_backoff_is_the_one_sleep_of_the_retrier():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    source = inspect.getsource(retrier_decl.RetrierDecl._eval_body)
    assert source.count("time.sleep(") == 1 and "time.sleep(interval_seconds)" in source
    replaced = moto_compat.REPLACED.get("retrier_decl.time", retrier_decl.time)
    assert replaced is time and [name for name in vars(retrier_decl) if name == "time"] == ["time"]


def test_the_wait_patch_is_installed_by_a_runtime(runtime):
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    assert set(moto_compat.REPLACED) == {
        "WaitFunction._wait_interval",
        "Timestamp._get_wait_seconds",
        "retrier_decl.time",
        "ExecutionWorker.start",
        "ExecutionWorker._execution_logic",
        "ExecutionWorker.stop",
        "ActionAuthenticatorMixin._authenticate_and_authorize_action",  # the IAM checks (below)
    }
    assert WaitFunction._wait_interval is not moto_compat.REPLACED["WaitFunction._wait_interval"]
    assert Timestamp._get_wait_seconds is not moto_compat.REPLACED["Timestamp._get_wait_seconds"]


def test_the_execution_worker_hooks_have_the_shape_they_wrap():
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker, SyncExecutionWorker

    start = moto_original(ExecutionWorker, "start")
    logic = moto_original(ExecutionWorker, "_execution_logic")
    stop = moto_original(ExecutionWorker, "stop")
    assert parameters(start) == ["self"] and parameters(logic) == ["self"]
    assert parameters(stop) == ["self", "stop_date", "error", "cause"]
    # The worker's thread runs _execution_logic, which ends with the execution's terminal status.
    assert "Thread(target=self._execution_logic" in inspect.getsource(start)
    assert "self._execution_communication.terminated()" in inspect.getsource(logic)
    # stop sets the stop on the worker's env, the env the Wait patch registered the waiter under.
    assert "self.env.set_stop(" in inspect.getsource(stop)
    assert "env" in ExecutionWorker.__annotations__
    # Express (sync) workers run the logic in the caller's thread, without start: never counted.
    assert "start" in vars(SyncExecutionWorker)
    assert "exec_worker.stop(" in inspect.getsource(Execution.stop)


# -- the IAM checks' targets ----------------------------------------------------------------------
def test_the_access_control_patch_targets_have_the_shape_it_uses():
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest

    original = moto_original(ActionAuthenticatorMixin, "_authenticate_and_authorize_action")
    assert parameters(original) == ["self", "iam_request_cls", "resource"]
    assert parameters(IAMRequest.__init__) == [
        "self",
        "account_id",
        "method",
        "path",
        "data",
        "body",
        "headers",
        "action",
    ]
    assert parameters(IAMRequest.check_signature) == ["self"]
    assert parameters(IAMRequest.check_action_permitted) == ["self", "resource"]
    assert "self._action = (" in inspect.getsource(IAMRequest.__mro__[1].__init__)


def test_a_role_scoped_to_one_table_reads_it_and_is_denied_another(runtime):
    """What enforce_access_control adds to moto: per-resource checks (moto alone checks "*")."""
    from infra.local.template import local_template

    customers = local_template().physical_name("CustomersTable")
    ledger = local_template().physical_name("SendLedgerTable")

    def read(table: str) -> str:
        from huike.aws.clients import client

        try:
            client("dynamodb").get_item(TableName=table, Key={"tenant_shard": {"S": "t#00"}, "customer_id": {"S": "c"}})
        except Exception as exc:
            return type(exc).__name__ + str(exc)
        return "allowed"

    # The inbound function may not read customers at all; the flow task may (GetItem on customers).
    assert "AccessDenied" in runtime.lambdas.in_container("InboundFunction", lambda: read(customers))
    assert runtime.lambdas.in_container("FlowTaskFunction", lambda: read(customers)) == "allowed"
    # The webhook function reads customers, but has no access to the send ledger.
    assert runtime.lambdas.in_container("WebhookFunction", lambda: read(customers)) == "allowed"
    assert "AccessDenied" in runtime.lambdas.in_container("WebhookFunction", lambda: read(ledger))


# -- the backends it reads ------------------------------------------------------------------------
def test_the_stepfunctions_backend_is_the_parser_backend():
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[ACCOUNT_ID][REGION]
    assert isinstance(backend, StepFunctionsParserBackend)
    assert callable(backend._get_executions)
    assert parameters(backend.stop_execution) == ["execution_arn"]


def test_executions_are_read_and_stopped(runtime):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    machine = sfn.create_state_machine(
        name="compat-hold", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/x"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="compat-1", input='{"n": 1}')["executionArn"]
    runtime.wait_quiescent()

    [snapshot] = [e for e in moto_compat.executions() if e.arn == arn]
    assert snapshot == moto_compat.ExecutionSnapshot(
        name="compat-1", arn=arn, state_machine_arn=machine, status="RUNNING", input={"n": 1}
    )
    moto_compat.stop_running_executions()
    wait_for_status(arn, "ABORTED")
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_sent_sms_are_read_from_sns(runtime):
    message_id = boto3.client("sns", region_name=REGION).publish(PhoneNumber="+15025550134", Message="hello")[
        "MessageId"
    ]
    assert moto_compat.SentSms(message_id, "+15025550134", "hello") in moto_compat.sent_sms()


def test_sent_emails_are_read_from_ses(runtime):
    sesv2 = boto3.client("sesv2", region_name=REGION)
    sesv2.create_email_identity(EmailIdentity="shop@compat.example.com")
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = "shop@compat.example.com", "buyer@example.com", "Hi"
    mime.set_content("hello")
    message_id = sesv2.send_email(
        FromEmailAddress="shop@compat.example.com",
        Destination={"ToAddresses": ["buyer@example.com"]},
        Content={"Raw": {"Data": mime.as_bytes()}},
    )["MessageId"]

    [sent] = [e for e in moto_compat.sent_emails() if e.message_id == message_id]
    assert isinstance(sent.raw, str)
    assert "Subject: Hi" in sent.raw


def test_hooks_answer_with_a_response_botocore_reads():
    response = moto_compat.aws_response("https://lambda.local/", 400, {"X-Test": "1"}, b'{"ok": false}')
    assert response.status_code == 400
    assert response.headers["X-Test"] == "1"
    assert response.content == b'{"ok": false}'


def test_an_update_that_creates_an_item_is_one_insert_on_its_stream(runtime):
    """moto 5.2.5 emits a keys-only INSERT before the real one; the runtime delivers DynamoDB's one."""
    import boto3

    from infra.local import moto_compat
    from infra.local.sources import STREAMS_ENDPOINT

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = runtime.template.physical_name("CustomersTable")
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=STREAMS_ENDPOINT)
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="LATEST")
    dynamodb.update_item(
        TableName=table,
        Key={"tenant_shard": {"S": "demo#00"}, "customer_id": {"S": "stream-1"}},
        UpdateExpression="SET first_name = :n",
        ExpressionAttributeValues={":n": {"S": "Ann"}},
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT"]  # moto's quirk, still there
    [insert] = moto_compat.without_interim_inserts(records)
    assert insert["dynamodb"]["NewImage"]["first_name"] == {"S": "Ann"}


def test_a_failed_transaction_leaves_no_stream_record_and_copies_no_record(runtime):
    """The snapshot patches: a transaction's rollback copy shares the (immutable) stream records
    and the items it does not touch, and still restores the ones it touched."""
    import copy

    import boto3
    from moto.dynamodb.models.table import StreamShard

    assert getattr(StreamShard, "_huike_snapshot", False)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = runtime.template.physical_name("CustomersTable")
    key = {"tenant_shard": {"S": "demo#00"}, "customer_id": {"S": "tx-1"}}
    dynamodb.put_item(TableName=table, Item={**key, "first_name": {"S": "Ann"}})
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[table].stream_shard
    before = len(shard.items)
    snapshot = copy.deepcopy(shard)
    assert snapshot.items == shard.items and snapshot.items is not shard.items
    assert all(a is b for a, b in zip(snapshot.items, shard.items, strict=True))  # shared, not copied
    other = {"tenant_shard": {"S": "demo#00"}, "customer_id": {"S": "tx-2"}}
    dynamodb.put_item(TableName=table, Item=other)
    before = len(shard.items)
    update = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "SET last_name = :l",
        "ExpressionAttributeValues": {":l": {"S": "Lee"}},
    }
    refused = {"TableName": table, "Key": other, "ConditionExpression": "attribute_not_exists(tenant_shard)"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[{"Update": update}, {"ConditionCheck": refused}])
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[table].stream_shard
    assert len(shard.items) == before  # the rolled-back update emitted nothing
    stored = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert "last_name" not in stored and stored["first_name"] == {"S": "Ann"}  # and changed nothing
