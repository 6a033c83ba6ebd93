"""Starting Step Functions executions by name (names are built by core.keys.execution_name)."""

from __future__ import annotations

import json
from typing import Any

from huike.aws.clients import client


def start_execution(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
    """Start once by name and return the execution ARN.

    Step Functions treats a repeated start with the same name and input as the same execution,
    and refuses the same name with other input; both mean the flow is already scheduled.
    """
    sfn = client("stepfunctions")
    try:
        response = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except sfn.exceptions.ExecutionAlreadyExists:
        return execution_arn(state_machine_arn, name)
    return str(response["executionArn"])


def stop_execution(state_machine_arn: str, name: str, cause: str) -> bool:
    """Stop a waiting execution by name; False when it is not running (finished, or never started).
    A step already running is not interrupted (its Lambda completes; only the result is dropped)."""
    sfn = client("stepfunctions")
    try:
        sfn.stop_execution(executionArn=execution_arn(state_machine_arn, name), cause=cause)
    except (sfn.exceptions.ExecutionDoesNotExist, sfn.exceptions.InvalidArn):
        return False
    except sfn.exceptions.ClientError as exc:  # stopping a finished execution is refused: nothing to do
        if exc.response.get("Error", {}).get("Code") in ("ValidationException", "ExecutionNotRunning"):
            return False
        raise
    return True


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution `name` of a state machine (names are unique per machine)."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
