"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.

A signed note is a text ending in a newline, a blank line, then one line per signature::

    — <key name> base64(key id[4] || Ed25519 signature[64])

Keys are written as ``golang.org/x/mod/sumdb/note`` writes them, so logs and tools built on that
package read ours and we read theirs:

* verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``;
* signer key ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>``;
* key id = SHA-256(name || 0x0A || 0x01 || public key)[:4].

Opening follows the Go package and the spec: every signature line is parsed strictly, signatures
by unknown keys are ignored (that is how key rotation and witnesses work), a known key's signature
that fails to verify rejects the whole note, and a note no known key verified is rejected. We are
stricter than Go in three places, none of which Go itself ever produces: base64 must be in
canonical form (padding bits zero), key ids in keys must be lowercase hex, and every signature line
from a known key is verified, not only the first. A signature line may decode to as few as four
bytes (the spec's "4+n"; Go asks for five), which only matters for unknown keys.

Every error a caller can cause is a ``NoteError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from creditbank.errors import NoteError, UnknownSignerError

__all__ = [
    "NoteSignature",
    "OpenedNote",
    "SignerKey",
    "VerifierKey",
    "decode_base64",
    "note_signatures_max",
    "open_note",
    "sign_note",
]

note_signatures_max: Final = 100  # as in the Go package: bounds the work one note can cause
key_id_bytes: Final = 4
ed25519_public_key_bytes: Final = 32
ed25519_seed_bytes: Final = 32

_ALGORITHM_ED25519: Final = b"\x01"
_SIGNATURE_PREFIX: Final = "— "  # em dash U+2014, space
_PRIVATE_KEY_PREFIX: Final = "PRIVATE+KEY+"
# Every ASCII control character except newline is forbidden anywhere in a signed note.
_FORBIDDEN_CHARACTER: Final = re.compile("[\x00-\x09\x0b-\x1f]")
_KEY_ID_HEX: Final = re.compile("[0-9a-f]{8}")


def decode_base64(text: str) -> bytes | None:
    """Decode standard padded base64 in canonical form; ``None`` if ``text`` is anything else."""
    if not text.isascii():
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    # Re-encoding rejects non-zero padding bits, so each value has exactly one spelling.
    if base64.b64encode(data).decode("ascii") != text:
        return None
    return data


def _encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_name(name: str) -> None:
    """Key names are non-empty, without Unicode spaces, '+' or control characters."""
    if not name:
        raise NoteError("key name is empty")
    if "+" in name or any(character.isspace() or character < " " for character in name):
        raise NoteError(f"key name {name!r} contains a space, '+' or a control character")
    _encode_utf8(name, "key name")


def _encode_utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8 (lone surrogate)") from None


def _key_id(name: str, public_key: bytes) -> bytes:
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + _ALGORITHM_ED25519 + public_key)
    return digest.digest()[:key_id_bytes]


def _parse_key_id(text: str) -> bytes:
    if not _KEY_ID_HEX.fullmatch(text):
        raise NoteError(f"key id {text!r} is not 8 lowercase hex digits")
    return bytes.fromhex(text)


@dataclass(frozen=True, kw_only=True, repr=False)
class VerifierKey:
    """A named Ed25519 public key that verifies note signatures."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)
    text: str = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        object.__setattr__(self, "public_key", bytes(self.public_key))  # hashable, immutable
        if len(self.public_key) != ed25519_public_key_bytes:
            raise NoteError(f"an Ed25519 public key is {ed25519_public_key_bytes} bytes")
        key_id = _key_id(self.name, self.public_key)
        text = f"{self.name}+{key_id.hex()}+{_encode_base64(_ALGORITHM_ED25519 + self.public_key)}"
        object.__setattr__(self, "key_id", key_id)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    def __repr__(self) -> str:
        return f"VerifierKey({self.text!r})"

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """Parse ``<name>+<hex key id>+<base64(0x01 || public key)>``; NoteError if malformed."""
        name, plus, rest = vkey.partition("+")
        key_id_hex, plus_again, key_base64 = rest.partition("+")
        if not plus or not plus_again:
            raise NoteError("verifier key is not <name>+<key id>+<key>")
        _check_name(name)
        key_id = _parse_key_id(key_id_hex)
        key = decode_base64(key_base64)
        if key is None or len(key) != 1 + ed25519_public_key_bytes:
            raise NoteError("verifier key is not base64 of 33 bytes")
        if key[:1] != _ALGORITHM_ED25519:
            raise NoteError(f"unknown signature algorithm {key[0]:#04x}: only Ed25519 (0x01)")
        parsed = cls(name=name, public_key=key[1:])
        if parsed.key_id != key_id:
            raise NoteError(f"key id {key_id_hex} does not match the key")
        return parsed

    def verifies(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SignerKey:
    """A named Ed25519 private key that signs notes. Its repr never shows the key."""

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, *, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._key = private_key
        self._public_key = private_key.public_key().public_bytes_raw()
        self._key_id = _key_id(name, self._public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def __repr__(self) -> str:
        return f"SignerKey(name={self._name!r}, key_id={self._key_id.hex()!r})"

    @classmethod
    def generate(cls, name: str) -> SignerKey:
        """A new random key named ``name``."""
        return cls(name=name, private_key=Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, text: str) -> SignerKey:
        """Parse ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``; NoteError if bad."""
        if not text.startswith(_PRIVATE_KEY_PREFIX):
            raise NoteError("signer key does not start with PRIVATE+KEY+")
        name, plus, rest = text[len(_PRIVATE_KEY_PREFIX) :].partition("+")
        key_id_hex, plus_again, key_base64 = rest.partition("+")
        if not plus or not plus_again:
            raise NoteError("signer key is not PRIVATE+KEY+<name>+<key id>+<key>")
        _check_name(name)
        key_id = _parse_key_id(key_id_hex)
        key = decode_base64(key_base64)
        if key is None or len(key) != 1 + ed25519_seed_bytes:
            raise NoteError("signer key is not base64 of 33 bytes")
        if key[:1] != _ALGORITHM_ED25519:
            raise NoteError(f"unknown signature algorithm {key[0]:#04x}: only Ed25519 (0x01)")
        signer = cls(name=name, private_key=Ed25519PrivateKey.from_private_bytes(key[1:]))
        # The key id is a hash of the public key, so it can only be checked after deriving it.
        if signer.key_id != key_id:
            raise NoteError(f"key id {key_id_hex} does not match the key")
        return signer

    def to_skey(self) -> str:
        """The Go ``note`` signer key text. It is a secret: store it with care."""
        seed = self._key.private_bytes_raw()
        return (
            f"{_PRIVATE_KEY_PREFIX}{self._name}+{self._key_id.hex()}+"
            f"{_encode_base64(_ALGORITHM_ED25519 + seed)}"
        )

    def verifier_key(self) -> str:
        """The matching verifier key text, ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        return VerifierKey(name=self._name, public_key=self._public_key).text

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic)."""
        return self._key.sign(message)


@dataclass(frozen=True, kw_only=True)
class NoteSignature:
    """One parsed signature line: who claims to have signed, and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, kw_only=True)
class OpenedNote:
    """A note whose signatures from known keys all verified, at least one of them."""

    text: str
    signatures: tuple[NoteSignature, ...]  # every line, known key or not, in order
    verified_by: tuple[VerifierKey, ...]  # each known key that signed, once, in order


def _check_text(text: str, what: str) -> bytes:
    """The UTF-8 bytes of ``text`` if it has no control character other than newline."""
    found = _FORBIDDEN_CHARACTER.search(text)
    if found:
        raise NoteError(f"{what} contains control character {found.group()!r}")
    return _encode_utf8(text, what)


def sign_note(text: str, signers: Sequence[SignerKey]) -> str:
    """``text``, a blank line, and one signature line per signer, in the order given."""
    if not text or not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end with a newline")
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    message = _check_text(text, "note text")
    lines = [
        f"{_SIGNATURE_PREFIX}{signer.name} {_encode_base64(signer.key_id + signer.sign(message))}\n"
        for signer in signers
    ]
    return text + "\n" + "".join(lines)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, _, signature_base64 = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    raw = decode_base64(signature_base64)
    if raw is None or len(raw) < key_id_bytes:
        raise NoteError(f"signature by {name!r} is not base64 of a key id and a signature")
    return NoteSignature(name=name, key_id=raw[:key_id_bytes], signature=raw[key_id_bytes:])


def _index_verifiers(verifiers: Sequence[VerifierKey]) -> dict[tuple[str, bytes], VerifierKey]:
    known: dict[tuple[str, bytes], VerifierKey] = {}
    for key in verifiers:
        previous = known.setdefault((key.name, key.key_id), key)
        if previous != key:
            # Two keys sharing name and id: the key list has been tampered with; give up loudly.
            raise NoteError(f"two verifier keys are both {key.name}+{key.key_id.hex()}")
    return known


def open_note(signed: str, verifiers: Sequence[VerifierKey]) -> OpenedNote:
    """Parse ``signed`` and verify it with the known ``verifiers``; NoteError if it fails."""
    _check_text(signed, "signed note")
    split = signed.rfind("\n\n")
    if split < 0:
        raise NoteError("signed note has no blank line before its signatures")
    text, block = signed[: split + 1], signed[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("signed note does not end with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > note_signatures_max:
        raise NoteError(f"signed note has more than {note_signatures_max} signatures")
    signatures = tuple(_parse_signature_line(line) for line in lines)
    known = _index_verifiers(verifiers)
    message = text.encode("utf-8")
    verified_by: list[VerifierKey] = []
    for signature in signatures:
        key = known.get((signature.name, signature.key_id))
        if key is None:
            continue  # an unknown key: a retired log key, a witness, someone else's
        if not key.verifies(message, signature.signature):
            raise NoteError(f"signature by {key.name}+{key.key_id.hex()} does not verify")
        if key not in verified_by:
            verified_by.append(key)
    if not verified_by:
        raise UnknownSignerError("no signature from a known key")
    return OpenedNote(text=text, signatures=signatures, verified_by=tuple(verified_by))
