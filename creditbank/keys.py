"""The deployment's secrets on disk: checkpoint signing keys and the pseudonym secret.

Layout under the keys directory (``CREDITBANK_KEYS_DIR``, default ``<data dir>/keys``)::

    <key id>.skey           an active Ed25519 signing key (C2SP note private-key format), 0600
    retired/<key id>.vkey   the verifier key of a retired signing key (the private part is gone)

Every active key signs every new checkpoint, so during a rotation auditors holding either key
keep verifying. Key names equal the log's origin, as C2SP tlog-checkpoint requires.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from creditbank.errors import ConfigurationError, NotFoundError
from creditbank.ledger.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.note import SignerKey, VerifierKey
from creditbank.privacy import pseudonym_secret_bytes

__all__ = ["KeyRing", "load_or_create_secret", "write_private_file"]

_SKEY_SUFFIX = ".skey"
_VKEY_SUFFIX = ".vkey"


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600) whole or not at all; FileExistsError if it exists.

    The bytes go to a temporary file that is synced and then linked into place, so a process
    racing us never reads a half-written key, and a crash never leaves an empty one.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load_or_create_secret(path: Path, *, create: bool = True) -> bytes:
    """The 32-byte pseudonym secret, created on first use. Losing it unlinks every learner_ref."""
    if not path.exists():
        if not create:
            raise ConfigurationError(
                f"no pseudonym secret at {path}, but learners are already recorded: a new "
                "secret would unlink them all (is CREDITBANK_PSEUDONYM_KEY_FILE right?)"
            )
        # If another process creates it first, read theirs.
        with contextlib.suppress(FileExistsError):
            write_private_file(path, secrets.token_bytes(pseudonym_secret_bytes))
    secret = path.read_bytes()
    if len(secret) != pseudonym_secret_bytes:
        raise ConfigurationError(f"{path} must hold exactly {pseudonym_secret_bytes} bytes")
    return secret


@dataclass(frozen=True, kw_only=True)
class KeyRing:
    """The active signing keys and the verifier keys of retired ones."""

    origin: str
    directory: Path
    signers: tuple[SignerKey, ...]
    retired: tuple[VerifierKey, ...]

    @classmethod
    def load(cls, directory: Path, origin: str, *, create: bool = True) -> KeyRing:
        signers = tuple(
            SignerKey.from_skey(path.read_text().strip())
            for path in sorted(directory.glob(f"*{_SKEY_SUFFIX}"))
        )
        retired = tuple(
            VerifierKey.parse(path.read_text().strip())
            for path in sorted((directory / "retired").glob(f"*{_VKEY_SUFFIX}"))
        )
        for key in signers:
            if key.name != origin:
                raise ConfigurationError(
                    f"signing key {key.key_id.hex()} is named {key.name!r} but the log's origin "
                    f"is {origin!r}: a checkpoint's key name must equal its origin"
                )
        ring = cls(origin=origin, directory=directory, signers=signers, retired=retired)
        if not signers:
            if not create:
                raise ConfigurationError(
                    f"no signing key in {directory} (the service creates one for a new log; "
                    "is CREDITBANK_KEYS_DIR right?)"
                )
            return ring.rotate()
        return ring

    @property
    def verifiers(self) -> tuple[VerifierKey, ...]:
        """Every key a checkpoint of this log may carry a signature from, active first."""
        active = tuple(VerifierKey.parse(key.verifier_key()) for key in self.signers)
        return active + self.retired

    def active_verifier_keys(self) -> list[str]:
        return [key.verifier_key() for key in self.signers]

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str:
        return sign_checkpoint(checkpoint, self.signers)

    def rotate(self) -> KeyRing:
        """Add a new active key; the existing ones stay active until retired."""
        key = SignerKey.generate(self.origin)
        write_private_file(
            self.directory / f"{key.key_id.hex()}{_SKEY_SUFFIX}", key.to_skey().encode()
        )
        return KeyRing.load(self.directory, self.origin, create=False)

    def retire(self, key_id_hex: str) -> KeyRing:
        """Stop signing with a key; keep its verifier key so old checkpoints still verify."""
        path = self.directory / f"{key_id_hex.lower()}{_SKEY_SUFFIX}"
        if not path.exists():
            raise NotFoundError(f"no active signing key {key_id_hex}")
        if len(self.signers) == 1:
            raise ConfigurationError("cannot retire the only active key: rotate first")
        key = SignerKey.from_skey(path.read_text().strip())
        retired_path = self.directory / "retired" / f"{key_id_hex.lower()}{_VKEY_SUFFIX}"
        retired_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        retired_path.write_text(key.verifier_key() + "\n")
        path.unlink()
        return KeyRing.load(self.directory, self.origin, create=False)
