"""The store's retryable faults, for the shells (HTTP, CLI, import jobs) that answer them.

``unavailable_for(error)`` is the storage layer's reading of a driver's exception (see
``creditbank.storage.faults``); the shells ask it here, since they do not reach storage.
"""

from __future__ import annotations

from creditbank.storage.faults import unavailable_for

__all__ = ["unavailable_for"]
