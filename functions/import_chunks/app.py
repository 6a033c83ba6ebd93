"""SQS, one message per chunk of an import: apply the chunk's records once. A chunk that fails is
retried by SQS (the message reappears), then moved to the dead-letter queue."""

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
    from huike.imports.jobs import apply_chunk

    message = json.loads(record.body)
    outcome = apply_chunk(str(message["tenant_id"]), str(message["import_id"]), int(message["chunk"]))
    logger.info("import chunk", extra={"import_id": message["import_id"], "outcome": outcome})


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import ImportChunksEnvironment, require_environment

    require_environment(ImportChunksEnvironment)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
