"""The agenda sweep, started daily by EventBridge Scheduler: start every timed-flow wake-up kept on
the agenda that falls due through the end of tomorrow (UTC)."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import AgendaSweepEnvironment, require_environment

    require_environment(AgendaSweepEnvironment)
    from huike.flows.agenda import sweep

    done = sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("agenda swept", extra=done)
    return done
