"""Step Functions task of the timed-flow state machine: one step of the flow the state names."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from huike.config.env import FlowTaskEnvironment, validate_environment

logger = Logger()
# Fails the cold start, not a flow weeks later, when the template misses a name this function needs.
ENVIRONMENT = validate_environment(FlowTaskEnvironment)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.flows.runner import run_step

    state = run_step(event["state"], event.get("state_machine_arn"))
    logger.info("flow step", extra={k: state.get(k) for k in ("flow", "subject_id", "step", "outcome", "last")})
    return state
