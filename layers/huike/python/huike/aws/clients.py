"""boto3 clients, built on first use and cached for the life of the container.

Each container has its own boto3 session, so its clients carry the credentials the container was
given (Lambda: the function's role, from the environment).
"""

from __future__ import annotations

from typing import Any

from huike.core.caches import process_cache


@process_cache
def session() -> Any:
    import boto3

    from huike.config.env import environment

    return boto3.session.Session(region_name=environment().region)


@process_cache
def client(service: str) -> Any:
    return session().client(service)
