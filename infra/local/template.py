"""Reads template.yaml, the single source of truth, and resolves it for the local emulation.

Intrinsic functions resolve to local physical names (huike-local-<LogicalId>) and moto's
account/region, so tables, functions, state machines and environment variables match what
CloudFormation would produce, minus the random suffixes.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
NAME_PREFIX = "huike-local"


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]  # PyYAML has no inline types
    """YAML loader that turns short-form tags (!Ref, !GetAtt, !Sub...) into long form."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type, unused-ignore]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        template: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return template


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout_seconds: int = 3


@dataclass(frozen=True)
class RouteSpec:
    function: str
    method: str
    path: str

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    definition: str
    sm_type: str


@dataclass(frozen=True)
class StreamSourceSpec:
    function: str
    table: str
    batch_size: int


@dataclass(frozen=True)
class QueueSourceSpec:
    function: str
    queue: str
    batch_size: int


@dataclass(frozen=True)
class BucketNotificationSpec:
    function: str
    bucket: str
    prefix: str


@dataclass(frozen=True)
class ScheduleSpec:
    function: str
    expression: str
    input: str | None


@dataclass(frozen=True)
class TopicSubscriptionSpec:
    function: str
    topic: str


# Parameters that only make sense once deployed get a local value.
LOCAL_PARAMETERS = {"PublicBaseUrl": "http://127.0.0.1:3000"}


class LocalTemplate:
    def __init__(self, template: dict[str, Any] | None = None, parameters: dict[str, str] | None = None) -> None:
        self.template = template or load_template()
        self.resources: dict[str, Any] = self.template["Resources"]
        self.parameters = {**LOCAL_PARAMETERS, **(parameters or {})}

    def resources_of(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    # -- physical names ---------------------------------------------------------------
    def physical_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties", {})
        name = properties.get("Name", properties.get("BucketName"))
        return str(self.resolve(name)) if name is not None else f"{NAME_PREFIX}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{self.physical_name(logical_id)}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        raise KeyError(f"no local ARN for {kind}")

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": NAME_PREFIX,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        parameters = self.template.get("Parameters", {})
        if name in parameters:
            return str(parameters[name].get("Default", ""))
        kind = self.resources[name]["Type"]
        if kind in ("AWS::Serverless::StateMachine", "AWS::SNS::Topic"):
            return self.arn(name)
        if kind == "AWS::SQS::Queue":
            return self.queue_url(name)
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("Name", "TopicName", "QueueName"):
            return self.physical_name(logical_id)
        if attribute == "StreamArn":
            return f"stream:{logical_id}"  # the emulation assigns the real ARN at CreateTable
        raise KeyError(f"unsupported GetAtt {logical_id}.{attribute}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.get_att(*argument)
            if key == "Fn::Sub":
                return self._sub(argument)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token:
                return self.get_att(*token.split(".", 1))
            return self.ref(token)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    # -- what the runtime builds -------------------------------------------------------
    def tables(self) -> dict[str, dict[str, Any]]:
        """CreateTable arguments for every AWS::DynamoDB::Table, keyed by logical id."""
        tables = {}
        for logical_id, resource in self.resources_of("AWS::DynamoDB::Table").items():
            props = self.resolve(resource["Properties"])
            request = {
                "TableName": self.physical_name(logical_id),
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PROVISIONED"),
            }
            if props.get("GlobalSecondaryIndexes"):
                request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if props.get("StreamSpecification"):
                request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
            tables[logical_id] = request
        return tables

    def functions(self) -> dict[str, FunctionSpec]:
        globals_ = self.template.get("Globals", {}).get("Function", {})
        base_env = globals_.get("Environment", {}).get("Variables", {})
        specs = {}
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {**base_env, **props.get("Environment", {}).get("Variables", {})}
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                name=self.physical_name(logical_id),
                arn=self.arn(logical_id),
                code_dir=ROOT / props["CodeUri"],
                handler=props.get("Handler", globals_.get("Handler", "app.handler")),
                environment={k: str(self.resolve(v)) for k, v in env.items()},
                timeout_seconds=int(props.get("Timeout", globals_.get("Timeout", 3))),
            )
        return specs

    def routes(self) -> list[RouteSpec]:
        routes = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "Api":
                    props = event["Properties"]
                    routes.append(RouteSpec(logical_id, props["Method"].upper(), props["Path"]))
        return routes

    def stream_sources(self) -> list[StreamSourceSpec]:
        sources = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "DynamoDB":
                    props = event["Properties"]
                    table = self.resolve(props["Stream"]).removeprefix("stream:")
                    sources.append(StreamSourceSpec(logical_id, table, int(props.get("BatchSize", 100))))
        return sources

    def parallelization_factor(self, function: str) -> int:
        """The ParallelizationFactor of the function's DynamoDB stream mapping (1 when unset)."""
        resource = self.resources_of("AWS::Serverless::Function")[function]
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                return int(event["Properties"].get("ParallelizationFactor", 1))
        raise ValueError(f"{function} reads no DynamoDB stream")

    def queue_sources(self) -> list[QueueSourceSpec]:
        sources = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "SQS":
                    props = event["Properties"]
                    queue = props["Queue"]["Fn::GetAtt"][0]
                    sources.append(QueueSourceSpec(logical_id, queue, int(props.get("BatchSize", 10))))
        return sources

    def bucket_notifications(self) -> list[BucketNotificationSpec]:
        notifications = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "S3":
                    props = event["Properties"]
                    rules = props.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                    prefix = next((rule["Value"] for rule in rules if rule["Name"] == "prefix"), "")
                    notifications.append(BucketNotificationSpec(logical_id, props["Bucket"]["Ref"], prefix))
        return notifications

    def schedules(self) -> list[ScheduleSpec]:
        found = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "ScheduleV2":
                    props = event["Properties"]
                    found.append(
                        ScheduleSpec(logical_id, str(self.resolve(props["ScheduleExpression"])), props.get("Input"))
                    )
        return found

    def dead_letter_queue(self, function: str) -> str | None:
        """The queue an asynchronously invoked function's failed events go to (its DeadLetterQueue)."""
        target = self.resources[function]["Properties"].get("DeadLetterQueue", {}).get("TargetArn")
        return target["Fn::GetAtt"][0] if target else None

    def queues(self) -> dict[str, dict[str, str]]:
        """CreateQueue attributes for every AWS::SQS::Queue, keyed by logical id."""
        queues = {}
        for logical_id, resource in self.resources_of("AWS::SQS::Queue").items():
            props = resource.get("Properties", {})
            attributes = {
                key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props
            }
            if "RedrivePolicy" in props:
                policy = props["RedrivePolicy"]
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": self.resolve(policy["deadLetterTargetArn"]),
                        "maxReceiveCount": int(policy["maxReceiveCount"]),
                    }
                )
            queues[logical_id] = attributes
        return queues

    def topic_subscriptions(self) -> list[TopicSubscriptionSpec]:
        subscriptions = []
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == "SNS":
                    topic = event["Properties"]["Topic"]
                    subscriptions.append(TopicSubscriptionSpec(logical_id, topic["Ref"]))
        return subscriptions

    def state_machines(self) -> dict[str, StateMachineSpec]:
        machines = {}
        for logical_id, resource in self.resources_of("AWS::Serverless::StateMachine").items():
            props = resource["Properties"]
            definition = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
            for key, value in self.resolve(props.get("DefinitionSubstitutions", {})).items():
                definition = definition.replace("${" + key + "}", str(value))
            json.loads(definition)
            machines[logical_id] = StateMachineSpec(
                logical_id=logical_id,
                name=self.physical_name(logical_id),
                arn=self.arn(logical_id),
                definition=definition,
                sm_type=props.get("Type", "STANDARD"),
            )
        return machines

    def environment(self) -> dict[str, str]:
        """The union of every function's environment; one process hosts them all."""
        merged: dict[str, str] = {}
        for spec in self.functions().values():
            for key, value in spec.environment.items():
                if merged.get(key, value) != value:
                    raise ValueError(f"functions disagree on {key}; the local runtime shares one environment")
                merged[key] = value
        return merged


@functools.cache
def local_template() -> LocalTemplate:
    return LocalTemplate()
