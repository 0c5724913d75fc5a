"""The files an import keeps beside its job row: the input as received and the row results.

Both live in ``<data dir>/imports/<job id>/``. The input is kept so the report can give every row
back in the issuer's own template; the results are length-prefixed msgpack frames, one per chunk
of rows, appended as the import goes, so memory stays bounded and a half-finished import still
has a report of the rows it reached.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import struct
from collections.abc import AsyncIterable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from creditbank.errors import FileTooLargeError
from creditbank.imports.classify import RECORDED_STATUSES
from creditbank.imports.row_paths import ImportInput
from creditbank.imports.row_results import RowResult
from creditbank.imports.spreadsheet import open_sheet

__all__ = ["JobFiles", "file_chunks", "file_sha256", "job_input"]

read_chunk_bytes = 1 << 20
_FRAME_LENGTH = struct.Struct(">I")
_SHIFT_FRAME_ROWS = 4_096
_encode_frame = msgspec.msgpack.Encoder().encode
_decode_frame = msgspec.msgpack.Decoder(list[RowResult]).decode


async def job_input(path: Path, file_format: str, progress: list[int]) -> ImportInput:
    """The file's bytes in chunks, or a workbook's sheet: calamine reads it whole, which takes a
    second or more for a large sheet, in a thread (it releases the GIL, so the service goes on
    answering meanwhile)."""
    if file_format == "sheet":
        return await asyncio.to_thread(open_sheet, path, progress=progress)
    return file_chunks(path, progress)


def file_chunks(path: Path, counter: list[int] | None = None) -> Iterator[bytes]:
    """The file's bytes in chunks; ``counter[0]`` counts the bytes read, for progress."""
    with path.open("rb") as handle:
        while chunk := handle.read(read_chunk_bytes):
            if counter is not None:
                counter[0] += len(chunk)
            yield chunk


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in file_chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class JobFiles:
    def __init__(self, root: Path, job_id: str) -> None:
        self.directory = root / "imports" / job_id
        self.input = self.directory / "input"
        self.results = self.directory / "results"

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=False, mode=0o700)

    def keep_input(self, source: Path) -> None:
        """Keep the caller's file as the job's input (a hard link when the file system allows)."""
        try:
            os.link(source, self.input)
        except OSError:
            shutil.copyfile(source, self.input)

    async def receive(self, chunks: AsyncIterable[bytes], bytes_max: int) -> tuple[str, int]:
        """Write an upload to the input file; its SHA-256 (hex) and size."""
        digest = hashlib.sha256()
        size = 0
        with self.input.open("wb") as handle:
            async for chunk in chunks:
                size += len(chunk)
                if size > bytes_max:
                    raise FileTooLargeError(f"an import file is at most {bytes_max} bytes")
                digest.update(chunk)
                handle.write(chunk)
        return digest.hexdigest(), size

    def open_results(self) -> ResultsWriter:
        return ResultsWriter(self.results.open("ab"))

    def read_results(self) -> Iterator[RowResult]:
        if not self.results.exists():
            return
        with self.results.open("rb") as handle:
            while header := handle.read(_FRAME_LENGTH.size):
                if len(header) < _FRAME_LENGTH.size:
                    return  # a frame cut short by a crash: the rows it held were never reached
                (length,) = _FRAME_LENGTH.unpack(header)
                frame = handle.read(length)
                if len(frame) < length:
                    return
                yield from _decode_frame(frame)

    def shift_recorded(self, shift: int) -> None:
        """Move the recorded rows' indices by ``shift``: an import staged against a snapshot
        numbered them from its size, and deposits placed before it moved them on. The file is
        rewritten beside the old one and renamed over it, so a reader sees one or the other."""
        shifted = self.results.with_name("results.shifted")
        writer = ResultsWriter(shifted.open("wb"))
        try:
            batch: list[RowResult] = []
            for result in self.read_results():
                if result.status in RECORDED_STATUSES and result.index is not None:
                    result.index += shift
                batch.append(result)
                if len(batch) >= _SHIFT_FRAME_ROWS:
                    writer.write(batch)
                    batch = []
            if batch:
                writer.write(batch)
        finally:
            writer.close()
        os.replace(shifted, self.results)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class ResultsWriter:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def write(self, results: Iterable[RowResult]) -> None:
        frame = _encode_frame(list(results))
        self._handle.write(_FRAME_LENGTH.pack(len(frame)) + frame)

    def close(self) -> None:
        self._handle.close()
