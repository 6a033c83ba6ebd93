"""Each function runs under its own role, as SAM deploys it: template.yaml is transformed by SAM's
own translator (samtranslator), each function's execution role is created on the emulated account
with the inline policies the transform wrote (policy templates expanded), and the function's
invocations are signed with credentials of that role (sts:AssumeRole). moto then checks every
call the function makes against those policies (moto_compat.enforce_access_control).

AWS managed policies SAM attaches (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess, the
stream-reader role) cover what the Lambda service does for the function (logs, traces, reading
the stream), not calls the handler makes, so they are not attached here.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from infra.local import moto_compat
from infra.local.template import ACCOUNT_ID, REGION, LocalTemplate

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_PACKAGED_PROPERTIES = ("CodeUri", "ContentUri", "DefinitionUri")


@dataclass(frozen=True)
class Grant:
    """One (action, resource pattern) a statement allows; `not_resource` for NotResource."""

    function: str
    action: str
    resource: str
    not_resource: bool = False

    def covers(self, action: str, resource: str) -> bool:
        if not fnmatchcase(action.lower(), self.action.lower()):
            return False
        matched = fnmatchcase(resource, self.resource)
        return not matched if self.not_resource else matched


@dataclass(frozen=True)
class FunctionIdentity:
    function: str
    role_arn: str
    environment: dict[str, str]  # the credentials Lambda would put in the function's environment


def translated(template: LocalTemplate) -> dict[str, Any]:
    """template.yaml after SAM's transform, as `sam deploy` would hand it to CloudFormation."""
    return _translate(json.dumps(template.template, sort_keys=True))


@functools.cache
def _translate(template_json: str) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = json.loads(template_json)
    for resource in document["Resources"].values():
        for name in _PACKAGED_PROPERTIES:  # what `sam package` does: local paths become S3 URIs
            if name in resource.get("Properties", {}):
                resource["Properties"][name] = "s3://local-artifacts/packaged"
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(None, Parser(), boto_session=session)
    return translator.translate(document, {}, get_managed_policy_map=dict)  # type: ignore[no-any-return]


def function_policies(template: LocalTemplate) -> dict[str, list[dict[str, Any]]]:
    """Each function's inline policy documents, resolved to local names, keyed by logical id."""
    resources = translated(template)["Resources"]
    policies: dict[str, list[dict[str, Any]]] = {}
    for logical_id in template.functions():
        role_ref = resources[logical_id]["Properties"]["Role"]
        role = resources[role_ref["Fn::GetAtt"][0]]
        documents = [copy.deepcopy(policy["PolicyDocument"]) for policy in role["Properties"].get("Policies", [])]
        policies[logical_id] = [template.resolve(document) for document in documents]
    return policies


def grants(template: LocalTemplate) -> list[Grant]:
    """Every (action, resource) each function's policies allow."""
    found = []
    for function, documents in function_policies(template).items():
        for document in documents:
            for statement in _listed(document["Statement"]):
                if statement.get("Effect") != "Allow":
                    continue
                not_resource = "NotResource" in statement
                patterns = _listed(statement["NotResource"] if not_resource else statement["Resource"])
                for action in _listed(statement["Action"]):
                    found += [Grant(function, action, pattern, not_resource) for pattern in patterns]
    return found


def provision_identities(template: LocalTemplate) -> dict[str, FunctionIdentity]:
    """Create each function's role on the emulated account, assume it, and start checking every
    call signed with those credentials."""
    import boto3

    iam, sts = boto3.client("iam", region_name=REGION), boto3.client("sts", region_name=REGION)
    identities = {}
    for function, documents in function_policies(template).items():
        role_name = f"{template.physical_name(function)}-role"
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        for number, document in enumerate(documents):
            # SAM writes no Version; IAM then reads the document as 2008-10-17, which moto refuses.
            versioned = {"Version": "2012-10-17", **document}
            iam.put_role_policy(RoleName=role_name, PolicyName=f"policy{number}", PolicyDocument=json.dumps(versioned))
        role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}"
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=function)["Credentials"]
        identities[function] = FunctionIdentity(
            function,
            role_arn,
            {
                "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"],
            },
        )
    moto_compat.enforce_access_control(
        frozenset(identity.environment["AWS_ACCESS_KEY_ID"] for identity in identities.values())
    )
    return identities


def calls_by_function(identities: dict[str, FunctionIdentity]) -> dict[str, list[moto_compat.AuthorizedCall]]:
    """The authorized calls each function made, as moto checked them."""
    by_key = {identity.environment["AWS_ACCESS_KEY_ID"]: function for function, identity in identities.items()}
    calls: dict[str, list[moto_compat.AuthorizedCall]] = {function: [] for function in identities}
    for call in moto_compat.authorized_calls():
        if call.access_key_id in by_key:
            calls[by_key[call.access_key_id]].append(call)
    return calls


_remembered: set[tuple[str, str, str]] = set()


def remember_calls(identities: dict[str, FunctionIdentity]) -> None:
    """Keep (function, action, resource) of every call this runtime's functions made; resources
    have the same local names in every runtime, so stories run in separate runtimes add up."""
    for function, calls in calls_by_function(identities).items():
        _remembered.update((function, call.action, call.resource) for call in calls)


def unused_grants(template: LocalTemplate) -> list[Grant]:
    """Grants no remembered call needed: each is a permission the function could lose."""
    return [
        grant
        for grant in grants(template)
        if not any(
            function == grant.function and grant.covers(action, resource) for function, action, resource in _remembered
        )
    ]


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Iterable) and not isinstance(value, (str, dict)) else [value]
