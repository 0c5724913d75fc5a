"""Which text encoding an uploaded CSV file uses, decided from its first bytes."""

from __future__ import annotations

import codecs
from typing import Literal

from creditbank.errors import FileFormatError

__all__ = ["Encoding", "detect_encoding", "encoding_head_bytes_min"]

Encoding = Literal["utf-8-sig", "utf-8", "gb18030"]

# Readers collect at least this much (or the whole file) before deciding: a decision taken on a
# few bytes would call a GB18030 file UTF-8 because its first Chinese character is cut in half.
encoding_head_bytes_min = 64 * 1024


def detect_encoding(head: bytes) -> Encoding:
    """Name the encoding of a file from its head, or raise FileFormatError.

    A UTF-8 BOM wins. Otherwise strict UTF-8 is tried before GB18030 because GB18030 accepts most
    byte pairs, so a UTF-8 file would often decode as GB18030 nonsense; the reverse is rare since
    GB18030 text is almost never valid UTF-8. A NUL byte means a binary file (xlsx, UTF-16) that no
    text encoding we accept would produce.
    """
    if b"\x00" in head:
        raise FileFormatError("not_text", "the file contains NUL bytes; save it as CSV text")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    raise FileFormatError("wrong_encoding", "the file is neither UTF-8 nor GB18030 text")


def _decodes(head: bytes, encoding: str) -> bool:
    """Whether head decodes, allowing a multi-byte character cut off at its end."""
    # final=False keeps an incomplete trailing sequence pending instead of rejecting it: the head
    # is an arbitrary prefix of the file and may end in the middle of a character.
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
