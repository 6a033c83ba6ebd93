"""Identity claims: which customer of a tenant a phone number or an email address identifies.

Access patterns:
  resolve an event's or a chunk's contacts   BatchGetItem PK claim_key (up to 100 keys a call)
  claim a contact for a customer             UpdateItem SET customer_id = if_not_exists(...), in
                                             the profile's own write (the first claimant keeps it)
  release a customer's claims (erasure)      DeleteItem, condition customer_id = the customer
PK claim_key "<tenant>#<phone|email>#<pseudonym>": one item per contact, so no key is hot, and
a batch of rows resolves in one read instead of a query per contact.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from huike.core import keys
from huike.store.base import BoundTable, Change, register

BATCH = 100


@register
class IdentityClaim(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "identities_table"

    claim_key = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()


def phone_claim(tenant_id: str, phone: str, secret: str) -> str:
    return keys.identity_claim_key(tenant_id, "phone", phone, secret)


def email_claim(tenant_id: str, email: str, secret: str) -> str:
    return keys.identity_claim_key(tenant_id, "email", email, secret)


def claimed(claim_keys: Iterable[str]) -> dict[str, str]:
    """{claim key: customer id} for the keys that are claimed (BatchGetItem, 100 keys a call)."""
    wanted = list(dict.fromkeys(claim_keys))
    return {str(claim.claim_key): str(claim.customer_id) for claim in IdentityClaim.batch_get(wanted)} if wanted else {}


def claim(claim_key: str, customer_id: str) -> Change:
    """Claim a contact for a customer unless another already holds it (never fails)."""
    return Change(IdentityClaim(claim_key), [IdentityClaim.customer_id.set(IdentityClaim.customer_id | customer_id)])


def release(claim_keys: Iterable[str], customer_id: str) -> int:
    """Delete the claims the customer holds among these keys; how many were deleted."""
    from pynamodb.exceptions import DeleteError

    released = 0
    for claim_key in dict.fromkeys(claim_keys):
        try:
            IdentityClaim(claim_key).delete(condition=IdentityClaim.customer_id == customer_id)
            released += 1
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return released
