"""Issuers' signatures over import files (pure).

An issuer that registered an Ed25519 key may sign a file: the signature covers the 32 raw bytes
of the file's SHA-256 and travels in standard base64. The import verifies it before writing
anything and records it in the batch entry, where replay verifies it again from the log alone.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.errors import SignatureError

__all__ = ["verify_file_signature"]


def verify_file_signature(public_key: str | None, signature: str, file_sha256: str) -> None:
    """Raise SignatureError unless ``signature`` is the key's over the file's SHA-256 (hex)."""
    if public_key is None:
        raise SignatureError("the import is signed but the issuer has registered no key")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(raw_signature, bytes.fromhex(file_sha256))
    except (binascii.Error, ValueError, InvalidSignature):
        raise SignatureError("the signature is not the issuer's over this file") from None
