"""How the apps tell their observers about a request: the one loop the Pivot, media and
webhook apps (and their request hooks) report through. A failing observer is logged and
never changes the answer Kazoo gets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

logger = logging.getLogger("pivotkit")

Report = TypeVar("Report")


def notify(observers: Iterable[Callable[[Report], None]], report: Report) -> None:
    """Hand ``report`` to each observer in turn, whatever the ones before it did."""
    for observer in observers:
        try:
            observer(report)
        except Exception:  # observers must never change the answer Kazoo gets
            logger.exception("observer %s failed", getattr(observer, "__qualname__", observer))
