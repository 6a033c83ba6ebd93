"""The nightly RFM refresh: started by EventBridge Scheduler (publish each tenant's thresholds,
queue its first chunk), then one SQS message per chunk of 500 customers."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    from huike.customers.refresh import refresh_chunk

    message = json.loads(record.body)
    done = refresh_chunk(str(message["tenant_id"]), message.get("after"), bool(message.get("publish")))
    logger.info("segment refresh chunk", extra={"tenant_id": message["tenant_id"], **done})


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import SegmentRefreshEnvironment, require_environment

    require_environment(SegmentRefreshEnvironment)
    if "Records" not in event:  # the schedule
        from huike.customers.refresh import refresh_all

        started = refresh_all()
        logger.info("segment refresh started", extra=started)
        return started
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
