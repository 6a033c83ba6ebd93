"""SNS deliveries: two-way SMS replies (STOP/START) and SES bounce/complaint notifications."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@collector_paused_on_cold_start
@logger.inject_lambda_context
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import InboundEnvironment, require_environment

    require_environment(InboundEnvironment)  # once per container: a missing name fails the cold start
    from huike.consent.inbound import handle_sns_message

    results = [handle_sns_message(record.sns.topic_arn, record.sns.message) for record in event.records]
    logger.info("inbound", extra={"results": results})
    return {"results": results}
