"""Project-wide fixtures: `kazoo_errors` validates callflows against Kazoo's schemas."""

from tests.unit.callflow.conftest import kazoo_errors

__all__ = ["kazoo_errors"]
