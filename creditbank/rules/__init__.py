"""The pure rules engine: conversion standards compiled into a rule book that turns recorded
outcomes into awards and running-total deltas. No I/O, no database, no web framework.

The names below are the public surface; ``engine`` documents the semantics, and ``arithmetic``
and ``matching`` are implementation.
"""

from creditbank.rules.engine import (
    Decision,
    RuleBook,
    TotalKey,
    cap_year_start,
    compile_rulebook,
    credits_text,
    parse_credits,
)

__all__ = [
    "Decision",
    "RuleBook",
    "TotalKey",
    "cap_year_start",
    "compile_rulebook",
    "credits_text",
    "parse_credits",
]
