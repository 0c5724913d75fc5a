"""C2SP signed notes: Go-compatible keys and signatures, strict opening, typed errors only."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import NoteError
from creditbank.ledger.note import (
    NoteSignature,
    SignerKey,
    VerifierKey,
    note_signatures_max,
    open_note,
    sign_note,
)

# Copied byte for byte from the published vector sets (golang.org/x/mod/sumdb/note's tests and
# the C2SP signed-note example); their own "source" field says which.
VECTORS = Path(__file__).parent / "vectors"
TEXT = "creditbank.test/ledger\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"

# Generated once: Ed25519 key generation is cheap, but hypothesis runs bodies many times.
OLD = SignerKey.generate("creditbank.test/ledger")
NEW = SignerKey.generate("creditbank.test/ledger")
WITNESS = SignerKey.generate("witness.example/w1")


def vectors() -> list[dict[str, Any]]:
    # No skip: a missing vector file must fail the suite, not quietly shrink it.
    data = json.loads((VECTORS / "signed-note.json").read_text(encoding="utf-8"))
    notes: list[dict[str, Any]] = data["notes"]
    assert notes
    return notes


def verifier(signer: SignerKey) -> VerifierKey:
    return VerifierKey.parse(signer.verifier_key())


def signature_line(name: str, raw: bytes) -> str:
    return f"— {name} {base64.b64encode(raw).decode()}\n"


def test_vector_verifier_keys_parse() -> None:
    """Each vector's verifier key parses, keeps its text and carries the key id it states."""
    for vector in vectors():
        key = VerifierKey.parse(vector["vkey"])
        name, key_id_hex, _ = vector["vkey"].split("+", 2)
        assert (key.name, key.key_id.hex(), key.text) == (name, key_id_hex, vector["vkey"])


def test_vector_notes_open() -> None:
    """Each vector's signed note opens with its key, giving the text before the blank line."""
    for vector in vectors():
        key = VerifierKey.parse(vector["vkey"])
        opened = open_note(vector["signed_note"], [key])
        assert opened.verified_by == (key,)
        assert vector["signed_note"].startswith(opened.text + "\n— ")
        assert [(s.name, s.key_id) for s in opened.signatures] == [(key.name, key.key_id)]


def test_vector_signer_keys_reproduce_the_notes() -> None:
    """From a vector's skey we derive its vkey, re-encode the skey and re-sign the exact note."""
    with_skey = [vector for vector in vectors() if "skey" in vector]
    assert with_skey
    for vector in with_skey:
        signer = SignerKey.from_skey(vector["skey"])
        assert signer.verifier_key() == vector["vkey"]
        assert signer.to_skey() == vector["skey"]
        text = open_note(vector["signed_note"], [VerifierKey.parse(vector["vkey"])]).text
        assert sign_note(text, [signer]) == vector["signed_note"]


def test_generated_keys_round_trip() -> None:
    """generate -> to_skey -> from_skey keeps name, key id and verifier key; vkey text parses."""
    signer = SignerKey.generate("example.com/log")
    again = SignerKey.from_skey(signer.to_skey())
    assert (again.name, again.key_id) == (signer.name, signer.key_id)
    assert again.verifier_key() == signer.verifier_key()
    key = VerifierKey.parse(signer.verifier_key())
    assert (key.name, key.key_id, key.text) == (signer.name, signer.key_id, signer.verifier_key())
    assert key == VerifierKey.parse(key.text)


def test_signer_repr_hides_the_private_key() -> None:
    """A signer's repr and str name the key and never show the private seed, in any encoding."""
    skey = OLD.to_skey()
    # The seed field is the fifth '+'-separated field; base64 may hold '+' itself, so split a
    # fixed number of times from the left rather than taking the text after the last '+'.
    encoded_seed = skey.split("+", 4)[4]
    seed = base64.b64decode(encoded_seed)[1:]
    assert len(seed) == 32
    for shown in (repr(OLD), str(OLD)):
        assert encoded_seed not in shown
        assert skey not in shown
        assert seed.hex() not in shown
        assert base64.b64encode(seed).decode() not in shown
    assert OLD.key_id.hex() in repr(OLD)


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]) | st.just("\n")))
def test_sign_then_open_round_trips(body: str) -> None:
    """Any valid text signed by a key opens with that key and gives back the text."""
    text = body + "\n"
    opened = open_note(sign_note(text, [OLD]), [verifier(OLD)])
    assert opened.text == text
    assert opened.verified_by == (verifier(OLD),)


def test_rotation_signs_with_both_keys_of_one_name() -> None:
    """During rotation a note carries two signatures under one name; either key opens it."""
    signed = sign_note(TEXT, [OLD, NEW])
    assert signed.count(f"— {OLD.name} ") == 2
    for known in ([verifier(OLD)], [verifier(NEW)]):
        assert open_note(signed, known).verified_by == tuple(known)
    both = open_note(signed, [verifier(NEW), verifier(OLD)])
    assert both.verified_by == (verifier(OLD), verifier(NEW))
    assert [s.key_id for s in both.signatures] == [OLD.key_id, NEW.key_id]


def test_unknown_key_signatures_are_ignored() -> None:
    """Signatures by keys the verifier does not know are parsed, listed and not checked."""
    garbage = signature_line("someone.else", b"\x01\x02\x03\x04" + b"\x00" * 64)
    signed = sign_note(TEXT, [WITNESS, OLD]) + garbage
    opened = open_note(signed, [verifier(OLD)])
    assert opened.verified_by == (verifier(OLD),)
    assert [s.name for s in opened.signatures] == [WITNESS.name, OLD.name, "someone.else"]
    assert opened.signatures[2] == NoteSignature(
        name="someone.else", key_id=b"\x01\x02\x03\x04", signature=b"\x00" * 64
    )


def test_no_known_key_is_rejected() -> None:
    """A note signed only by unknown keys does not open."""
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(sign_note(TEXT, [WITNESS]), [verifier(OLD)])
    with pytest.raises(NoteError):
        open_note(sign_note(TEXT, [OLD]), [])


def test_tampered_text_is_rejected() -> None:
    """Changing one character of the text makes the known key's signature fail."""
    signed = sign_note(TEXT, [OLD])
    with pytest.raises(NoteError, match="does not verify"):
        open_note(signed.replace("\n7\n", "\n8\n", 1), [verifier(OLD)])


def test_tampered_signature_is_rejected() -> None:
    """A flipped signature bit, or another key's signature under this key's id, is rejected."""
    message = TEXT.encode()
    flipped = bytearray(OLD.sign(message))
    flipped[10] ^= 1
    forged = NEW.sign(message)
    for signature in (bytes(flipped), forged, b"", OLD.sign(message)[:63]):
        signed = TEXT + "\n" + signature_line(OLD.name, OLD.key_id + signature)
        with pytest.raises(NoteError, match="does not verify"):
            open_note(signed, [verifier(OLD)])


def test_a_bad_signature_rejects_even_beside_a_good_one() -> None:
    """One failing signature from a known key rejects the note although another key verified."""
    bad = signature_line(NEW.name, NEW.key_id + OLD.sign(TEXT.encode()))
    with pytest.raises(NoteError, match="does not verify"):
        open_note(sign_note(TEXT, [OLD]) + bad, [verifier(OLD), verifier(NEW)])


def test_tampered_key_id_is_rejected() -> None:
    """A signature whose key id is changed no longer belongs to a known key."""
    raw = bytearray(OLD.key_id + OLD.sign(TEXT.encode()))
    raw[0] ^= 0xFF
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(TEXT + "\n" + signature_line(OLD.name, bytes(raw)), [verifier(OLD)])


def test_repeated_verifier_key_is_harmless() -> None:
    """The same verifier key listed twice is one known key, verified once."""
    signed = sign_note(TEXT, [OLD])
    assert open_note(signed, [verifier(OLD), verifier(OLD)]).verified_by == (verifier(OLD),)


def good_line() -> str:
    return sign_note(TEXT, [OLD])[len(TEXT) + 1 :]


@pytest.mark.parametrize(
    "signed",
    [
        pytest.param(TEXT + good_line(), id="no blank line"),
        pytest.param(TEXT + "\n" + good_line()[:-1], id="no final newline"),
        pytest.param(TEXT + "\n", id="no signature lines"),
        pytest.param(TEXT + "\n\n" + good_line(), id="empty signature line"),
        pytest.param(TEXT + "\n" + good_line() + "\n", id="blank line after signatures"),
        pytest.param(TEXT + "\n" + good_line().replace("—", "-"), id="hyphen for em dash"),
        pytest.param(TEXT + "\n" + good_line().replace("— ", "—"), id="no space after dash"),
        pytest.param(TEXT + "\n" + good_line().replace(" ", "  ", 1), id="empty name"),
        pytest.param(TEXT + f"\n— {OLD.name} \n", id="empty base64"),
        pytest.param(TEXT + f"\n— {OLD.name}\n", id="no base64"),
        pytest.param(TEXT + "\n" + good_line()[:-2] + "\n", id="truncated base64"),
        pytest.param(TEXT + "\n" + good_line()[:-2] + "!\n", id="bad base64 alphabet"),
        pytest.param(TEXT + "\n" + signature_line("a", b"\x01\x02\x03"), id="under four bytes"),
        pytest.param(TEXT + "\n— a AAAAAB==\n", id="non-canonical base64"),
        pytest.param(TEXT + "\n" + good_line()[:-1] + "\r\n", id="carriage return"),
        pytest.param(TEXT.replace("\n", "\r\n") + "\n" + good_line(), id="CRLF text"),
        pytest.param("a\tb\n\n" + good_line(), id="tab in text"),
        pytest.param("a\x00b\n\n" + good_line(), id="NUL in text"),
        pytest.param("a\ud800\n\n" + good_line(), id="lone surrogate"),
        pytest.param(TEXT + "\n" + good_line().replace(OLD.name, "a\u3000b"), id="space in name"),
        pytest.param(
            TEXT + "\n" + good_line() + signature_line("x", b"\0" * 68) * note_signatures_max,
            id="over 100 signatures",
        ),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_notes_are_rejected(signed: str) -> None:
    """Structure, characters and signature lines are parsed strictly."""
    with pytest.raises(NoteError):
        open_note(signed, [verifier(OLD)])


def test_one_hundred_signatures_are_accepted() -> None:
    """Up to 100 signature lines are allowed (the spec asks for at least 16)."""
    extra = signature_line("x", b"\0" * 68) * (note_signatures_max - 1)
    assert open_note(sign_note(TEXT, [OLD]) + extra, [verifier(OLD)]).text == TEXT


def test_text_may_contain_blank_lines() -> None:
    """The text ends at the last blank line, so texts with blank lines sign and open."""
    text = "a\n\nb\n\n"
    assert open_note(sign_note(text, [OLD]), [verifier(OLD)]).text == text


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\ud800\n"])
def test_sign_note_rejects_texts_that_would_not_open(text: str) -> None:
    """sign_note refuses a text that is empty, unterminated or has forbidden characters."""
    with pytest.raises(NoteError):
        sign_note(text, [OLD])


def test_sign_note_needs_a_signer() -> None:
    """A signed note has at least one signature."""
    with pytest.raises(NoteError):
        sign_note(TEXT, [])


VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


@pytest.mark.parametrize(
    "vkey",
    [
        VKEY.replace("c74f20a3", "c74f20a4"),
        VKEY.replace("c74f20a3", "C74F20A3"),
        VKEY.replace("c74f20a3", "c74f20a"),
        VKEY.replace("+ARpc", "+AhpC"),
        VKEY.replace("+ARpc", "+Apc"),
        VKEY[:-4],
        VKEY + "\n",
        " " + VKEY,
        VKEY.replace("PeterNeumann", ""),
        VKEY.replace("PeterNeumann", "Peter Neumann"),
        VKEY.replace("PeterNeumann", "Peter\u00a0Neumann"),
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "",
        "+" * 5,
        SKEY,
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    """Names, key ids, algorithm byte, key length and base64 are all checked."""
    with pytest.raises(NoteError):
        VerifierKey.parse(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        SKEY.replace("c74f20a3", "c74f20a4"),
        SKEY.replace("PRIVATE+KEY", "PRIVATE+KEYS"),
        SKEY.replace("+AYEK", "+AoEK"),
        SKEY[:-4],
        SKEY + "=",
        SKEY.replace("PeterNeumann", "Peter Neumann"),
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
        VKEY,
        "",
    ],
)
def test_malformed_signer_keys_are_rejected(skey: str) -> None:
    """A signer key's prefix, name, seed and key id (against the derived key) are checked."""
    with pytest.raises(NoteError):
        SignerKey.from_skey(skey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\nb", "\ud800"])
def test_invalid_names_cannot_make_keys(name: str) -> None:
    """Keys cannot be generated under names that no note could carry."""
    with pytest.raises(NoteError):
        SignerKey.generate(name)


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_raises_only_note_error(text: str) -> None:
    """Parsers of notes and keys never leak another exception type on arbitrary text."""
    with contextlib.suppress(NoteError):
        open_note(text, [verifier(OLD)])
    with contextlib.suppress(NoteError):
        VerifierKey.parse(text)
    with contextlib.suppress(NoteError):
        SignerKey.from_skey(text)


@settings(max_examples=300)
@given(st.integers(min_value=0), st.text(max_size=4))
def test_mutated_notes_raise_only_note_error(position: int, inserted: str) -> None:
    """Inserting arbitrary characters anywhere in a signed note opens or raises NoteError."""
    signed = sign_note(TEXT, [OLD, WITNESS])
    at = position % (len(signed) + 1)
    mutated = signed[:at] + inserted + signed[at:]
    try:
        opened = open_note(mutated, [verifier(OLD)])
    except NoteError:
        return
    assert opened.verified_by == (verifier(OLD),)
