"""Webhook signatures: Shopify/WooCommerce base64 HMAC and the canonical Huike-Signature."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from huike.ingest.signatures import verify_base64_hmac, verify_canonical
from tests.support.signing import base64_hmac as expected_base64
from tests.support.signing import canonical_header

SECRET = "whsec_test_5f3c"
BODY = b'{"id":450789469,"name":"#1001","total_price":"409.94"}'
NOW = 1_800_000_000


# -- Shopify / WooCommerce: base64 HMAC-SHA256 of the raw body -------------------------------


def test_base64_known_vector_is_accepted():
    header = expected_base64(SECRET, BODY)
    # Cross-checked with: printf '%s' BODY | openssl dgst -sha256 -hmac SECRET -binary | base64
    assert header == "7d5NuQKomt+sxY5KWOkuTTTxR1Ed10BcwEWx3XiaGHE="
    assert verify_base64_hmac(SECRET, BODY, header)


def test_base64_one_byte_change_in_body_is_rejected():
    header = expected_base64(SECRET, BODY)
    tampered = BODY.replace(b"409.94", b"409.95")
    assert not verify_base64_hmac(SECRET, tampered, header)


def test_base64_wrong_secret_is_rejected():
    assert not verify_base64_hmac(SECRET, BODY, expected_base64("another-secret", BODY))


@pytest.mark.parametrize("header", [None, ""])
def test_base64_missing_header_is_rejected(header):
    assert not verify_base64_hmac(SECRET, BODY, header)


def test_base64_empty_secret_is_rejected_even_with_matching_header():
    assert not verify_base64_hmac("", BODY, expected_base64("", BODY))


def test_base64_whitespace_around_header_is_tolerated():
    assert verify_base64_hmac(SECRET, BODY, f"  {expected_base64(SECRET, BODY)}\t\n")


def test_base64_non_ascii_header_is_rejected_not_an_error():
    assert not verify_base64_hmac(SECRET, BODY, "sïgnature")


# -- Canonical Huike-Signature: t=<unix>,v1=<hex HMAC of "<t>.<body>"> -----------------------


@pytest.mark.parametrize("skew", [0, 300, -300])
def test_canonical_within_tolerance_is_accepted(skew):
    assert verify_canonical(SECRET, BODY, canonical_header(SECRET, BODY, NOW + skew), now_unix=NOW)


@pytest.mark.parametrize("skew", [-301, 301], ids=["301s-in-the-past", "301s-in-the-future"])
def test_canonical_outside_tolerance_is_rejected(skew):
    assert not verify_canonical(SECRET, BODY, canonical_header(SECRET, BODY, NOW + skew), now_unix=NOW)


def test_canonical_tampered_body_is_rejected():
    header = canonical_header(SECRET, BODY, NOW)
    assert not verify_canonical(SECRET, BODY + b" ", header, now_unix=NOW)


def test_canonical_signature_must_cover_the_timestamp():
    # The right body HMAC'd without "<t>." must not verify.
    bare = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert not verify_canonical(SECRET, BODY, f"t={NOW},v1={bare}", now_unix=NOW)


@pytest.mark.parametrize(
    "make_header",
    [
        lambda good: good.split(",", 1)[1],  # no t
        lambda good: good.replace(f"t={NOW}", "t=yesterday"),  # non-int t
        lambda good: good.split(",", 1)[0],  # no v1
        lambda good: "",
    ],
    ids=["no-t", "non-int-t", "no-v1", "empty"],
)
def test_canonical_malformed_header_is_rejected(make_header):
    header = make_header(canonical_header(SECRET, BODY, NOW))
    assert not verify_canonical(SECRET, BODY, header, now_unix=NOW)


def test_canonical_multiple_v1_values_one_matching_is_accepted():
    good = canonical_header(SECRET, BODY, NOW).split("v1=", 1)[1]
    stale = canonical_header("rotated-out-secret", BODY, NOW).split("v1=", 1)[1]
    assert verify_canonical(SECRET, BODY, f"t={NOW}, v1={stale}, v1={good}", now_unix=NOW)


def test_canonical_multiple_v1_values_none_matching_is_rejected():
    stale = canonical_header("rotated-out-secret", BODY, NOW).split("v1=", 1)[1]
    assert not verify_canonical(SECRET, BODY, f"t={NOW},v1={stale},v1={'0' * 64}", now_unix=NOW)


def test_canonical_empty_secret_is_rejected():
    assert not verify_canonical("", BODY, canonical_header("", BODY, NOW), now_unix=NOW)
