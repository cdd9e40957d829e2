"""The one switch that lets the builder emit loopback URLs: for the local tools only.

Kazoo refuses ``localhost`` (any case), ``127.0.0.1`` and ``0.0.0.0`` in every URL field
(see docs/kazoo-notes.md), so the builder refuses them too. ``pivotkit serve``, ``call`` and
``replay`` talk to a virtual Kazoo on 127.0.0.1 and turn this on around each handler call;
an import-linter contract keeps ``pivotkit.aws`` (the deployed composition) from importing
this module, so a Lambda can never turn it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ALLOWED: ContextVar[bool] = ContextVar("pivotkit_loopback_urls_allowed", default=False)


def loopback_urls_allowed() -> bool:
    return _ALLOWED.get()


@contextmanager
def allow_loopback_urls() -> Iterator[None]:
    """Within this block (this thread or task only) loopback hosts pass the URL check."""
    token = _ALLOWED.set(True)
    try:
        yield
    finally:
        _ALLOWED.reset(token)
