"""Storage: the PynamoDB models and their access patterns, one module per aggregate.

The only package that imports PynamoDB.
"""


def all_models() -> tuple[type, ...]:
    """Every table's model (each aggregate module registers its own on import)."""
    from huike.store import (  # noqa: F401
        agenda,
        api_keys,
        audit,
        carts,
        consent,
        customers,
        identities,
        imports,
        insights,
        orders,
        sends,
        tag_members,
        tenants,
        usage,
    )
    from huike.store.base import MODELS

    return tuple(MODELS)
