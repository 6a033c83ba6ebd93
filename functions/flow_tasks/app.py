"""Step Functions tasks of the timed-flow state machine: one step of the flow the state names, or
the record of a step whose retries ran out."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import FlowTaskEnvironment, require_environment

    require_environment(FlowTaskEnvironment)  # once per container: a missing name fails the cold start
    from huike.core.masking import mask_identifiers
    from huike.flows.runner import record_failure, run_step

    if "failure" in event:  # the machine's Catch: the step's retries ran out
        state = record_failure(event["state"], event["failure"])
    else:
        state = run_step(event["state"], event.get("state_machine_arn"))
    logged = {k: state.get(k) for k in ("flow", "step", "outcome", "last")}
    logger.info("flow step", extra={**logged, "subject_id": mask_identifiers(str(state.get("subject_id")))})
    return state
