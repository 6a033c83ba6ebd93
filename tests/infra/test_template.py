"""template.yaml is the single source of truth: the local runtime and the models must agree with it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import boto3
import pytest

from huike.store import all_models
from infra.local.template import ROOT, local_template

LAYER = ROOT / "layers" / "huike" / "python"


def test_runtime_creates_exactly_the_template_tables(runtime):
    template_tables = local_template().tables()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(t["TableName"] for t in template_tables.values())
    for logical_id, expected in template_tables.items():
        table = dynamodb.describe_table(TableName=expected["TableName"])["Table"]
        assert table["KeySchema"] == expected["KeySchema"], logical_id
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
        actual_indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
        expected_indexes = {i["IndexName"]: i["KeySchema"] for i in expected.get("GlobalSecondaryIndexes", [])}
        assert actual_indexes == expected_indexes, logical_id


def test_models_use_the_template_keys_and_tables(runtime):
    tables = local_template().tables()
    for model in all_models():
        table_name = model.Meta.table_name
        [expected] = [t for t in tables.values() if t["TableName"] == table_name]
        key_schema = {k["KeyType"]: k["AttributeName"] for k in expected["KeySchema"]}
        assert key_schema["HASH"] == model._hash_key_attribute().attr_name
        range_key = model._range_key_attribute()
        assert key_schema.get("RANGE") == (range_key.attr_name if range_key else None)
        for name, index in model._indexes.items():
            assert index.Meta.index_name in {i["IndexName"] for i in expected.get("GlobalSecondaryIndexes", [])}, name


def test_state_machines_are_the_asl_files_with_every_substitution_resolved(runtime):
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machines = local_template().state_machines()
    assert machines, "template.yaml defines no state machine"
    for machine in machines.values():
        deployed = sfn.describe_state_machine(stateMachineArn=machine.arn)["definition"]
        assert deployed == machine.definition
        assert "${" not in deployed
        for name, state in json.loads(deployed)["States"].items():
            if state["Type"] == "Task":
                assert state.get("Retry"), f"{machine.logical_id}.{name} has no Retry"


def test_every_api_route_reaches_a_function_and_local_routes_are_not_deployed():
    template = local_template()
    functions = template.functions()
    routes = template.routes()
    assert routes
    for route in routes:
        assert route.function in functions
        assert not route.path.startswith("/_local")
    assert "/_local" not in (ROOT / "template.yaml").read_text()


def test_no_hard_coded_resource_names():
    for resource in local_template().resources.values():
        properties = resource.get("Properties", {})
        for key in ("TableName", "FunctionName", "StateMachineName", "TopicName", "LayerName"):
            assert key not in properties


FUNCTION_ENVIRONMENTS = {
    "WebhookFunction": "WebhookEnvironment",
    "LifecycleFunction": "LifecycleEnvironment",
    "CustomerCountsFunction": "CustomerCountsEnvironment",
    "InboundFunction": "InboundEnvironment",
    "FlowTaskFunction": "FlowTaskEnvironment",
    "SellerApiFunction": "SellerApiEnvironment",
    "ImportFilesFunction": "ImportFilesEnvironment",
    "ImportChunksFunction": "ImportChunksEnvironment",
    "SegmentRefreshFunction": "SegmentRefreshEnvironment",
    "AgendaSweepFunction": "AgendaSweepEnvironment",
}


def test_each_function_validates_its_own_template_environment():
    from huike.config import env

    functions = local_template().functions()
    assert set(FUNCTION_ENVIRONMENTS) == set(functions)
    for logical_id, model_name in FUNCTION_ENVIRONMENTS.items():
        getattr(env, model_name).model_validate(functions[logical_id].environment)
        handler = (ROOT / "functions").glob("*/app.py")
        assert any(f"require_environment({model_name})" in path.read_text() for path in handler), logical_id


def test_a_handler_refuses_to_run_without_a_name_it_needs(monkeypatch):
    from pydantic import ValidationError

    from huike.core.caches import reset_process_caches
    from infra.local.lambdas import LambdaHost

    host = LambdaHost(local_template().functions())
    for name, value in host.functions["LifecycleFunction"].environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TIMED_FLOW_STATE_MACHINE_ARN")
    reset_process_caches()
    try:
        with pytest.raises(ValidationError, match="TIMED_FLOW_STATE_MACHINE_ARN"):
            host.invoke("LifecycleFunction", {"Records": []})
    finally:
        monkeypatch.undo()
        reset_process_caches()


@pytest.mark.parametrize("value", [None, ""])
def test_a_function_without_a_name_it_needs_fails_at_cold_start(value):
    from pydantic import ValidationError

    from huike.config.env import WebhookEnvironment

    environment = dict(local_template().functions()["WebhookFunction"].environment)
    if value is None:
        del environment["IDEMPOTENCY_TABLE"]
    else:
        environment["IDEMPOTENCY_TABLE"] = value
    with pytest.raises(ValidationError, match="IDEMPOTENCY_TABLE"):
        WebhookEnvironment.model_validate(environment)


def test_layer_requirements_match_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = sorted(d.lower() for d in pyproject["project"]["dependencies"])
    lines = (LAYER / "requirements.txt").read_text().splitlines()
    layer = sorted(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
    assert layer == declared


def test_domain_never_scans_a_table():
    """Not even the tenant list (the admin CLI's and the nightly refresh's): it is an index query."""
    scan_call = re.compile(r"\.scan\(|[\"']Scan[\"']")
    scans = {
        str(path.relative_to(ROOT)): len(scan_call.findall(path.read_text()))
        for path in [*LAYER.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
        if scan_call.search(path.read_text())
    }
    assert scans == {}
    from infra.local.iam import grants

    granted = {grant.action for grant in grants(local_template())}
    assert "dynamodb:Scan" not in granted and "dynamodb:*" not in granted  # no function could scan


def test_functions_never_import_each_other_and_domain_never_imports_functions():
    for path in LAYER.rglob("*.py"):
        assert "functions" not in re.findall(r"^\s*(?:from|import)\s+(\w+)", path.read_text(), re.M)
    for path in (ROOT / "functions").rglob("app.py"):
        imported = set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", path.read_text(), re.M))
        assert not any(name.startswith(("app", "functions")) for name in imported), path


def test_samconfig_has_dev_and_prod():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for stage in ("dev", "prod"):
        deploy = config[stage]["deploy"]["parameters"]
        assert f"Stage={stage}" in deploy["parameter_overrides"]


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make local" in readme and "make test" in readme
    assert Path(ROOT / ".ci" / "run").read_text().count("make test") == 1


def test_event_sources_the_runtime_emulates_come_from_the_template():
    template = local_template()
    streams = {(stream.function, stream.table) for stream in template.stream_sources()}
    assert streams == {("LifecycleFunction", "OrdersTable"), ("CustomerCountsFunction", "CustomersTable")}
    orders = template.resources["OrdersTable"]["Properties"]
    assert orders["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    lifecycle_events = template.resources["LifecycleFunction"]["Properties"]["Events"]
    assert lifecycle_events["OrderChanges"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    topics = {(s.function, s.topic) for s in template.topic_subscriptions()}
    assert topics == {("InboundFunction", "InboundSmsTopic"), ("InboundFunction", "SesNotificationsTopic")}


# -- checkov skips and alarms -------------------------------------------------------------------------
def test_every_checkov_skip_gives_its_reason():
    resources = local_template().resources
    skips = [
        (logical_id, skip)
        for logical_id, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "make lint runs checkov; the template's skips are where its exceptions are explained"
    unexplained = [(logical_id, skip["id"]) for logical_id, skip in skips if len(skip.get("comment", "")) < 30]
    assert unexplained == []


def test_every_function_has_an_errors_alarm_and_every_dead_letter_queue_is_watched():
    resources = local_template().resources
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    watched = {json.dumps(dimension["Value"]) for alarm in alarms for dimension in alarm.get("Dimensions", [])}
    functions = [k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    assert {json.dumps({"Ref": f}) for f in functions} <= watched
    queues = [k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
    dead_letters = {q for q in queues if json.dumps({"Fn::GetAtt": [q, "QueueName"]}) in watched}
    assert dead_letters | {"FailedFlowsQueue"} == set(queues)  # a work queue is watched for its backlog
    assert {"Huike/SendFailed", "AWS/States/ExecutionsFailed"} <= {
        f"{alarm['Namespace']}/{alarm['MetricName']}" for alarm in alarms
    }
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms)


def test_the_order_stream_is_read_in_parallel_within_each_shard():
    resources = local_template().resources
    [event] = resources["LifecycleFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB" and event["Properties"]["ParallelizationFactor"] == 10
    assert event["Properties"]["BisectBatchOnFunctionError"] is True  # a bad record still isolates
