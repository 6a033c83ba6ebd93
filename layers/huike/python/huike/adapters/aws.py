"""boto3 clients, built on first use and cached for the life of the container."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def client(service: str) -> Any:
    import boto3

    from huike.settings import settings

    return boto3.client(service, region_name=settings().region)
