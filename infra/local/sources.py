"""Event sources AWS would run for us: DynamoDB stream -> Lambda (event source mapping) and
SNS -> Lambda subscriptions, both read from template.yaml and delivered in AWS's own formats.

Each pump is given what it uses (the template, the Lambda host, the clock); none knows the
runtime that composes them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from infra.local import moto_compat
from infra.local.lambdas import LambdaHost
from infra.local.template import ACCOUNT_ID, REGION, LocalTemplate

LOG = logging.getLogger("huike.local")
STREAMS_ENDPOINT = f"https://streams.dynamodb.{REGION}.amazonaws.com"
MAX_DELIVERY_ATTEMPTS = 3


class StreamPump:
    """Reads each table stream a function subscribes to and invokes the function with batches,
    honouring ReportBatchItemFailures (failed records are delivered again)."""

    def __init__(self, template: LocalTemplate, lambdas: LambdaHost) -> None:
        self.template = template
        self.lambdas = lambdas
        self._iterators: dict[str, str] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._attempts: dict[str, int] = {}
        self._lock = threading.RLock()
        self._streams: Any = None

    def attach(self) -> None:
        import boto3

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        streams = self._streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=STREAMS_ENDPOINT)
        self._iterators.clear()
        self._pending.clear()
        for source in self.template.stream_sources():
            table = self.template.physical_name(source.table)
            stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
            iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="LATEST")
            self._iterators[source.function] = iterator["ShardIterator"]
            self._pending[source.function] = []

    def drain(self) -> int:
        """Deliver every new record; returns how many records were delivered."""
        delivered = 0
        with self._lock:
            streams = self._streams
            for source in self.template.stream_sources():
                while source.function in self._iterators:  # attached (a failed start never is)
                    response = streams.get_records(ShardIterator=self._iterators[source.function])
                    self._iterators[source.function] = response["NextShardIterator"]
                    self._pending[source.function].extend(moto_compat.without_interim_inserts(response["Records"]))
                    batch = self._pending[source.function][: source.batch_size]
                    if not batch:
                        break
                    self._pending[source.function] = self._pending[source.function][len(batch) :]
                    self._deliver(source.function, source.table, batch)
                    delivered += len(batch)
        return delivered

    def _deliver(self, function: str, table: str, records: list[dict[str, Any]]) -> None:
        stream_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{self.template.physical_name(table)}/stream"
        event_records = [
            {**record, "eventSourceARN": stream_arn, "awsRegion": REGION, "eventSource": "aws:dynamodb"}
            for record in records
        ]
        for record in event_records:
            for key in ("ApproximateCreationDateTime",):
                value = record["dynamodb"].get(key)
                if value is not None and not isinstance(value, int | float):
                    record["dynamodb"][key] = value.timestamp()
        try:
            result = self.lambdas.invoke(function, {"Records": event_records}) or {}
            failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            LOG.exception("stream batch failed in %s", function)
            failures = {r["dynamodb"]["SequenceNumber"] for r in records}
        retry = []
        for record in records:
            sequence = record["dynamodb"]["SequenceNumber"]
            if sequence in failures:
                self._attempts[sequence] = self._attempts.get(sequence, 0) + 1
                if self._attempts[sequence] < MAX_DELIVERY_ATTEMPTS:
                    retry.append(record)
                else:
                    LOG.error(
                        "stream record %s dropped after %d attempts (AWS: the OnFailure queue)",
                        sequence,
                        MAX_DELIVERY_ATTEMPTS,
                    )
        self._pending[function] = retry + self._pending[function]


class TopicDelivery:
    """SNS -> Lambda: publish to the emulated topic, then hand the SNS envelope to each function
    the template subscribes to it."""

    def __init__(self, template: LocalTemplate, lambdas: LambdaHost, now: Callable[[], dt.datetime]) -> None:
        self.template = template
        self.lambdas = lambdas
        self._now = now

    def publish(self, topic_logical_id: str, message: dict[str, Any]) -> str:
        """Returns the SNS message id."""
        import boto3

        topic_arn = self.template.arn(topic_logical_id)
        body = json.dumps(message)
        message_id: str = boto3.client("sns", region_name=REGION).publish(TopicArn=topic_arn, Message=body)["MessageId"]
        now = self._now()
        for subscription in self.template.topic_subscriptions():
            if subscription.topic != topic_logical_id:
                continue
            event = {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "EventVersion": "1.0",
                        "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                        "Sns": {
                            "Type": "Notification",
                            "MessageId": message_id,
                            "TopicArn": topic_arn,
                            "Subject": None,
                            "Message": body,
                            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            "SignatureVersion": "1",
                            "Signature": "local",
                            "SigningCertUrl": "https://sns.local/cert.pem",
                            "UnsubscribeUrl": "https://sns.local/unsubscribe",
                            "MessageAttributes": {},
                        },
                    }
                ]
            }
            self.lambdas.invoke(subscription.function, event)
        return message_id


ASYNC_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first try and two retries


class QueuePump:
    """SQS -> Lambda (event source mapping): receive from each queue a function subscribes to,
    invoke it with AWS's SQS event, delete what succeeded, and make what failed visible again at
    once (the emulated queue's redrive policy moves a message to its dead-letter queue after its
    maxReceiveCount receives)."""

    def __init__(self, template: LocalTemplate, lambdas: LambdaHost) -> None:
        self.template = template
        self.lambdas = lambdas
        self._lock = threading.RLock()
        self._sqs: Any = None
        self._sources = template.queue_sources()

    def attach(self) -> None:
        """Build the pump's client (the operator's, as for the streams)."""
        import boto3

        self._sqs = boto3.client("sqs", region_name=REGION)

    def deliver_one_batch(self) -> int:
        """Deliver one batch from the first queue with visible messages; how many messages.
        (The runtime drains the streams between batches, as a table's stream consumers keep up
        within seconds on AWS while a queue's chunks run.)"""
        with self._lock:
            sqs = self._sqs
            for source in self._sources:
                if sqs is None or not moto_compat.queue_has_visible_messages(self.template.physical_name(source.queue)):
                    continue
                queue_url = self.template.queue_url(source.queue)
                messages = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(10, source.batch_size),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if messages:
                    self._deliver(sqs, source.function, source.queue, queue_url, messages)
                    return len(messages)
        return 0

    def _deliver(self, sqs: Any, function: str, queue: str, queue_url: str, messages: list[dict[str, Any]]) -> None:
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self.template.arn(queue),
                "awsRegion": REGION,
            }
            for message in messages
        ]
        try:
            result = self.lambdas.invoke(function, {"Records": records}) or {}
            failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            LOG.exception("queue batch failed in %s", function)
            failures = {record["messageId"] for record in records}
        for record in records:
            if record["messageId"] in failures:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])


class BucketNotifications:
    """S3 -> Lambda: after an object is created, the functions the template subscribes to its
    bucket (and key prefix) are invoked asynchronously, in S3's event format: a failure is tried
    twice more, then the event goes to the function's dead-letter queue."""

    def __init__(self, template: LocalTemplate, lambdas: LambdaHost, now: Callable[[], dt.datetime]) -> None:
        self.template = template
        self.lambdas = lambdas
        self._now = now

    def object_created(self, bucket_logical_id: str, key: str, size: int, etag: str) -> int:
        """Notify the subscribed functions; returns how many were invoked."""
        from urllib.parse import quote_plus

        bucket = self.template.physical_name(bucket_logical_id)
        event = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventTime": self._now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": "AWS:LOCAL"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16]},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "local",
                        "bucket": {
                            "name": bucket,
                            "ownerIdentity": {"principalId": "LOCAL"},
                            "arn": f"arn:aws:s3:::{bucket}",
                        },
                        "object": {
                            "key": quote_plus(key, safe="/"),
                            "size": size,
                            "eTag": etag,
                            "sequencer": uuid.uuid4().hex[:16],
                        },
                    },
                }
            ]
        }
        invoked = 0
        for notification in self.template.bucket_notifications():
            if notification.bucket != bucket_logical_id or not key.startswith(notification.prefix):
                continue
            invoked += 1
            for attempt in range(1, ASYNC_ATTEMPTS + 1):
                try:
                    self.lambdas.invoke(notification.function, event)
                    break
                except Exception:
                    LOG.exception("%s failed on %s (attempt %d)", notification.function, key, attempt)
            else:
                self._dead_letter(notification.function, event)
        return invoked

    def _dead_letter(self, function: str, event: dict[str, Any]) -> None:
        import boto3

        queue = self.template.dead_letter_queue(function)
        if queue is None:
            LOG.error("%s gave up on an S3 event and has no dead-letter queue", function)
            return
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=self.template.queue_url(queue), MessageBody=json.dumps(event)
        )
