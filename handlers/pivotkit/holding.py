"""The "please hold" answer a step gives while a background job (``pivotkit.work``) runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pivotkit.callflow import Node, play

if TYPE_CHECKING:
    from pivotkit.flow import Call

DEFAULT_HOLD_SECONDS = 4


def hold(
    call: Call,
    step: str,
    *,
    prompt: Node | None = None,
    music: str | None = None,
    wait_seconds: int = DEFAULT_HOLD_SECONDS,
) -> Node:
    """Ask the caller to hold: ``prompt``, then hold audio, then a pivot to ``step`` (which
    polls the job and answers, or holds again).

    ``music`` is a ``play`` id, most often an ``http(s)://`` URL of a clip about
    ``wait_seconds`` long: Kazoo plays it to its end, then asks ``step``. Without it the
    caller hears ``wait_seconds`` of ``silence_stream://``. Kazoo's own music on hold,
    ``local_stream://default`` (what ecallmgr configures FreeSWITCH's ``hold-music`` to),
    is a stream that never ends: played here, the pivot after it would never be reached.
    """
    if not 1 <= wait_seconds <= 30:
        raise ValueError("wait_seconds must be between 1 and 30")
    if music is not None and music.startswith("local_stream://"):
        raise ValueError(
            "local_stream:// never ends, so the call would never come back: give a clip"
        )
    audio = play(music) if music else play(f"silence_stream://{wait_seconds * 1000}")
    head = audio if prompt is None else prompt.then(audio)
    return head.then(call.goto(step))
