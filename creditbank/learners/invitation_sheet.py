"""The sheet of activation codes to print: CSV, UTF-8 with a byte order mark (Excel opens it
as it is), one learner a row: name, the ID number with its middle hidden, the code, its last day.
Used by the pages and by ``creditbank accounts invite``. The headings carry both languages and
the day is ISO (2027-01-05): one sheet reads the same to every learner and every clerk."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

__all__ = ["Invitation", "Invitee", "invitation_csv", "masked_identifier", "parse_identifiers"]


@dataclass(frozen=True, kw_only=True)
class Invitee:
    """A learner to print an activation code for: their ref and what staff may see of them."""

    learner_ref: str
    name: str | None
    identifier: str


@dataclass(frozen=True, kw_only=True)
class Invitation:
    invitee: Invitee
    code: str
    expires_at: datetime.datetime


_ID_TYPES = {"passport", "cn_resident_id"}


def masked_identifier(identifier: str) -> str:
    """Enough of an ID number to hand the paper to the right person, not enough to use it."""
    number = identifier.rsplit(":", 1)[-1]
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def invitation_csv(invitations: list[Invitation]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["姓名 Name", "证件号码 ID number", "激活码 Activation code", "有效期至 Use before"]
    )
    for invitation in invitations:
        writer.writerow(
            [
                invitation.invitee.name or "",
                masked_identifier(invitation.invitee.identifier),
                invitation.code,
                invitation.expires_at.date().isoformat(),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def parse_identifiers(text: str) -> list[tuple[str, str]]:
    """One learner a line: an ID number, or ``passport:NUMBER``."""
    found = []
    for line in text.splitlines():
        kind, _sep, number = line.strip().rpartition(":")
        if number:
            found.append((kind if kind in _ID_TYPES else "cn_resident_id", number))
    return found
