"""C2SP tlog checkpoints: exact bodies, strict parsing, signed round trips, typed errors only."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import NoteError
from creditbank.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
)
from creditbank.ledger.note import SignerKey, VerifierKey, sign_note

ORIGIN = "creditbank.test/ledger"
ROOT = hashlib.sha256(b"root").digest()
ROOT_BASE64 = base64.b64encode(ROOT).decode()
SIGNER = SignerKey.generate(ORIGIN)
NEXT_SIGNER = SignerKey.generate(ORIGIN)
URL_SAFE_ROOT = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
VERIFIER = VerifierKey.parse(SIGNER.verifier_key())
NEXT_VERIFIER = VerifierKey.parse(NEXT_SIGNER.verifier_key())

origins = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=40
).filter(lambda origin: origin.strip() != "")
sizes = st.integers(min_value=0, max_value=(1 << 64) - 1)
roots = st.binary(min_size=32, max_size=32)


def test_body_is_three_lines() -> None:
    """The body is origin, decimal size and standard base64 root, each ending in a newline."""
    checkpoint = Checkpoint(origin=ORIGIN, size=20852163, root=ROOT)
    assert checkpoint.body() == f"{ORIGIN}\n20852163\n{ROOT_BASE64}\n"
    assert Checkpoint(origin=ORIGIN, size=0, root=ROOT).body().split("\n")[1] == "0"


@given(origins, sizes, roots)
def test_body_round_trips(origin: str, size: int, root: bytes) -> None:
    """Parsing a body gives back the checkpoint, for any origin, 64-bit size and root."""
    checkpoint = Checkpoint(origin=origin, size=size, root=root)
    assert parse_checkpoint_body(checkpoint.body()) == checkpoint


@given(sizes, roots)
def test_signed_checkpoint_round_trips(size: int, root: bytes) -> None:
    """A checkpoint signed by the log's key opens with that key under its origin."""
    checkpoint = Checkpoint(origin=ORIGIN, size=size, root=root)
    signed = sign_checkpoint(checkpoint, [SIGNER])
    assert signed.startswith(checkpoint.body() + "\n— ")
    assert open_checkpoint(signed, [VERIFIER], ORIGIN) == checkpoint


def test_a_trusted_key_of_another_log_does_not_vouch_for_this_one() -> None:
    """Only keys named after the origin count, even if another log's key is trusted too."""
    other = SignerKey.generate("other.example/log")
    forged = sign_checkpoint(Checkpoint(origin=ORIGIN, size=1, root=bytes(32)), [other])
    trusted = [VERIFIER, VerifierKey.parse(other.verifier_key())]
    with pytest.raises(NoteError):
        open_checkpoint(forged, trusted, ORIGIN)


def test_spec_example_body_parses() -> None:
    """The body of the tlog-checkpoint spec's example parses."""
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = parse_checkpoint_body(body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body() == body


def test_origins_with_spaces_are_accepted() -> None:
    """Origins are opaque: the Go checksum database's 'go.sum database tree' parses."""
    body = f"go.sum database tree\n42\n{ROOT_BASE64}\n"
    assert parse_checkpoint_body(body).origin == "go.sum database tree"


def test_extension_lines_are_accepted_and_ignored() -> None:
    """Non-empty lines after the root are opaque extensions: parsed past, not kept."""
    body = f"{ORIGIN}\n5\n{ROOT_BASE64}\nextension one\n— not a signature\n"
    assert parse_checkpoint_body(body) == Checkpoint(origin=ORIGIN, size=5, root=ROOT)


def test_rotation_checkpoint_opens_with_either_key() -> None:
    """A checkpoint signed by the old and new key opens with either."""
    checkpoint = Checkpoint(origin=ORIGIN, size=3, root=ROOT)
    signed = sign_checkpoint(checkpoint, [SIGNER, NEXT_SIGNER])
    assert open_checkpoint(signed, [VERIFIER], ORIGIN) == checkpoint
    assert open_checkpoint(signed, [NEXT_VERIFIER], ORIGIN) == checkpoint


def test_wrong_origin_is_rejected() -> None:
    """A validly signed checkpoint of another log is refused."""
    signed = sign_checkpoint(Checkpoint(origin="other.example/log", size=1, root=ROOT), [SIGNER])
    with pytest.raises(NoteError, match="expected"):
        open_checkpoint(signed, [VERIFIER], ORIGIN)


def test_tampered_or_unknown_signatures_are_rejected() -> None:
    """A changed size or root, or a signature by an unknown key, does not open."""
    signed = sign_checkpoint(Checkpoint(origin=ORIGIN, size=10, root=ROOT), [SIGNER])
    with pytest.raises(NoteError):
        open_checkpoint(signed.replace("\n10\n", "\n11\n"), [VERIFIER], ORIGIN)
    other_root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(NoteError):
        open_checkpoint(signed.replace(ROOT_BASE64, other_root), [VERIFIER], ORIGIN)
    with pytest.raises(NoteError):
        open_checkpoint(signed, [NEXT_VERIFIER], ORIGIN)


def test_signed_malformed_body_is_rejected() -> None:
    """A properly signed note whose text is not a checkpoint does not open as one."""
    signed = sign_note(f"{ORIGIN}\n007\n{ROOT_BASE64}\n", [SIGNER])
    with pytest.raises(NoteError, match="leading zeros"):
        open_checkpoint(signed, [VERIFIER], ORIGIN)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"{ORIGIN}\n05\n{ROOT_BASE64}\n", id="leading zero"),
        pytest.param(f"{ORIGIN}\n00\n{ROOT_BASE64}\n", id="double zero"),
        pytest.param(f"{ORIGIN}\n+5\n{ROOT_BASE64}\n", id="plus sign"),
        pytest.param(f"{ORIGIN}\n-1\n{ROOT_BASE64}\n", id="negative"),
        pytest.param(f"{ORIGIN}\n 5\n{ROOT_BASE64}\n", id="leading space"),
        pytest.param(f"{ORIGIN}\n5 \n{ROOT_BASE64}\n", id="trailing space"),
        pytest.param(f"{ORIGIN}\n1_000\n{ROOT_BASE64}\n", id="underscore"),
        pytest.param(f"{ORIGIN}\n\u0663\n{ROOT_BASE64}\n", id="arabic digit"),
        pytest.param(f"{ORIGIN}\n\n{ROOT_BASE64}\n", id="empty size"),
        pytest.param(f"{ORIGIN}\n{1 << 64}\n{ROOT_BASE64}\n", id="size beyond 64 bits"),
        pytest.param(f"{ORIGIN}\n{'9' * 5000}\n{ROOT_BASE64}\n", id="huge size"),
        pytest.param(f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", id="31-byte root"),
        pytest.param(f"{ORIGIN}\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", id="33 bytes"),
        pytest.param(f"{ORIGIN}\n5\n{ROOT_BASE64[:-1]}\n", id="root without padding"),
        pytest.param(f"{ORIGIN}\n5\n{ROOT_BASE64[:-2]}B=\n", id="non-canonical root"),
        pytest.param(f"{ORIGIN}\n5\n{URL_SAFE_ROOT}\n", id="url-safe alphabet"),
        pytest.param(f"{ORIGIN}\n5\n {ROOT_BASE64}\n", id="space before root"),
        pytest.param(f"{ORIGIN}\n5\n{ROOT_BASE64}", id="no final newline"),
        pytest.param(f"{ORIGIN}\n5\n", id="two lines"),
        pytest.param(f"\n5\n{ROOT_BASE64}\n", id="empty origin"),
        pytest.param(f" \t\n5\n{ROOT_BASE64}\n", id="whitespace origin"),
        pytest.param(f"{ORIGIN}\n5\n{ROOT_BASE64}\n\nextension\n", id="empty extension line"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_bodies_are_rejected(body: str) -> None:
    """Size, root and origin lines are parsed strictly."""
    with pytest.raises(NoteError):
        parse_checkpoint_body(body)


def test_constructing_an_invalid_checkpoint_is_a_programmer_error() -> None:
    """Our own code builds checkpoints; an impossible one fails an assertion."""
    with pytest.raises(AssertionError):
        Checkpoint(origin=ORIGIN, size=-1, root=ROOT)
    with pytest.raises(AssertionError):
        Checkpoint(origin=ORIGIN, size=1, root=ROOT[:31])
    with pytest.raises(AssertionError):
        Checkpoint(origin=" ", size=1, root=ROOT)


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_raises_only_note_error(text: str) -> None:
    """Parsing or opening arbitrary text never leaks another exception type."""
    for body in (text, f"{ORIGIN}\n{text}\n{ROOT_BASE64}\n", f"{ORIGIN}\n1\n{text}\n"):
        with contextlib.suppress(NoteError):
            parse_checkpoint_body(body)
    with contextlib.suppress(NoteError):
        open_checkpoint(text, [VERIFIER], ORIGIN)
