"""Counting failed attempts in a sliding window, per key: pure, the clock is passed in.

Sign-in and activation failures are counted per account key and per client address. Kept in
the serving process: a deployment with several workers allows each worker its own count, which
still bounds guessing to a handful per window (documented in the README).
"""

from __future__ import annotations

from collections import deque

__all__ = ["FailureWindow"]

_keys_max = 100_000


class FailureWindow:
    def __init__(self, failures_max: int, window_seconds: float) -> None:
        self._failures_max = failures_max
        self._window = window_seconds
        self._failures: dict[str, deque[float]] = {}

    def wait_seconds(self, key: str, now: float) -> float:
        """How long ``key`` must wait before its next attempt; 0 when it may try now."""
        failures = self._recent(key, now)
        if len(failures) < self._failures_max:
            return 0.0
        return failures[0] + self._window - now

    def fail(self, key: str, now: float) -> None:
        if len(self._failures) >= _keys_max:
            self._failures.clear()  # bounded memory; a flood of keys resets the counts
        self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures
