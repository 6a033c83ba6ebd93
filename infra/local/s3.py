"""S3 as a seller's browser or curl meets it: a PUT to a presigned URL. The object is stored in the
emulated bucket and the bucket's notifications (sources.BucketNotifications) are delivered.

Path-style (http://host/<bucket>/<key>) and virtual-hosted (https://<bucket>.s3.amazonaws.com/<key>)
URLs are both understood. Expiry is checked as S3 does, against the real clock: botocore signs
with the real time, whatever the virtual clock says."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, unquote, urlsplit

from infra.local.apigateway import ApiResponse
from infra.local.sources import BucketNotifications
from infra.local.template import REGION, LocalTemplate


def _error(status: int, code: str, message: str) -> ApiResponse:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return ApiResponse(status, {"Content-Type": "application/xml"}, body)


def bucket_and_key(template: LocalTemplate, url: str) -> tuple[str, str, str] | None:
    """(bucket logical id, bucket name, key) of a URL naming one of the template's buckets."""
    parts = urlsplit(url)
    buckets = {template.physical_name(logical_id): logical_id for logical_id in template.resources_of("AWS::S3::Bucket")}
    host = parts.hostname or ""
    path = unquote(parts.path)
    for name, logical_id in buckets.items():
        if host.startswith(f"{name}.s3"):
            return logical_id, name, path.lstrip("/")
        if path.startswith(f"/{name}/"):
            return logical_id, name, path[len(name) + 2 :]
    return None


def presigned_put(
    template: LocalTemplate,
    notifications: BucketNotifications,
    url: str,
    body: bytes,
    headers: dict[str, str],
) -> ApiResponse:
    import boto3

    located = bucket_and_key(template, url)
    if located is None:
        return _error(404, "NoSuchBucket", "The specified bucket does not exist")
    logical_id, bucket, key = located
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    signed_at, expires = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
    if not signed_at or not expires or "X-Amz-Signature" not in query:
        return _error(403, "AccessDenied", "Only presigned PUTs are accepted here")
    start = dt.datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    if dt.datetime.now(dt.UTC) > start + dt.timedelta(seconds=int(expires)):
        return _error(403, "AccessDenied", "Request has expired")
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    extra = {"ContentType": content_type} if content_type else {}
    stored = boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body, **extra)
    etag = stored["ETag"].strip('"')
    notifications.object_created(logical_id, key, len(body), etag)
    return ApiResponse(200, {"ETag": json.dumps(etag)}, "")
