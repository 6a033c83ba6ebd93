"""Starting Step Functions executions with deterministic names."""

from __future__ import annotations

import json
import re
from typing import Any

from huike.aws.clients import client

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def execution_name(*parts: str) -> str:
    """A deterministic, valid execution name (<= 80 chars of [A-Za-z0-9_-])."""
    name = "-".join(_NAME_UNSAFE.sub("_", part) for part in parts)
    if len(name) > 80:
        import hashlib

        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        name = f"{name[:63]}-{digest}"
    return name


def start_execution(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
    """Start once by name and return the execution ARN.

    Step Functions treats a repeated start with the same name and input as the same execution,
    and refuses the same name with other input; both mean the flow is already scheduled.
    """
    sfn = client("stepfunctions")
    try:
        response = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except sfn.exceptions.ExecutionAlreadyExists:
        return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
    return str(response["executionArn"])
