"""The pure ledger core: canonical entry bytes, RFC 9162 hashing and proofs, C2SP checkpoints,
signed notes, tiles and receipts. No I/O, no database, no web framework.

The names below are the public surface; the modules behind them are implementation.
"""

from creditbank.ledger.canonical import canonical_bytes, decode_canonical
from creditbank.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
)
from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hash, node_hash
from creditbank.ledger.merkle import MemoryTree, root_hash, verify_consistency, verify_inclusion
from creditbank.ledger.note import SignerKey, VerifierKey, open_note, sign_note
from creditbank.ledger.proof_text import encode_tlog_proof, parse_tlog_proof, verify_tlog_proof
from creditbank.ledger.tiles import (
    BundleId,
    Segment,
    TileId,
    integrate,
    parse_tile_path,
    root_from_edge,
    tile_path,
)

__all__ = [
    "EMPTY_ROOT",
    "BundleId",
    "Checkpoint",
    "MemoryTree",
    "SealedEntry",
    "Segment",
    "SignerKey",
    "TileId",
    "VerifierKey",
    "canonical_bytes",
    "content_sha256",
    "decode_canonical",
    "encode_tlog_proof",
    "integrate",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_entry",
    "open_note",
    "parse_checkpoint_body",
    "parse_tile_path",
    "parse_tlog_proof",
    "root_from_edge",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "tile_path",
    "verify_consistency",
    "verify_inclusion",
    "verify_tlog_proof",
]
