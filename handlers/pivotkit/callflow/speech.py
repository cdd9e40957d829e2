"""What the caller hears: ``tts`` and ``play``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.callflow.node import Node
from pivotkit.callflow.types import NodeData, check_text, literal_values

TtsEngine: TypeAlias = Literal["flite", "google", "ispeech", "voicefabric"]
TTS_ENGINES: tuple[str, ...] = literal_values(TtsEngine)
# Kazoo's schema caps tts text at 1000 characters (callflows.tts.json, maxLength).
TTS_MAX_CHARS = 1000


def tts(
    text: str,
    *,
    voice: str | None = None,
    language: str | None = None,
    engine: TtsEngine | None = None,
    terminators: Sequence[str] | None = None,
    endless_playback: bool | None = None,
) -> Node:
    """Speak ``text`` (1-1000 characters).

    Without ``voice`` Kazoo injects its schema default ``female`` (flite ``slt``), not the
    engine's own default, so name the voice when it matters. ``terminators`` are the DTMF
    keys that cut the speech short (Kazoo's default: all twelve).
    """
    return (
        NodeData("tts")
        .put("text", check_text("tts text", text, max_length=TTS_MAX_CHARS))
        .text("voice", voice)
        .text("language", language)
        .choice("engine", engine, TTS_ENGINES)
        .dtmf_keys("terminators", terminators)
        .boolean("endless_playback", endless_playback)
        .node()
    )


def play(
    id: str,
    *,
    loop_count: int | None = None,
    endless_playback: bool | None = None,
    answer: bool | None = None,
    terminators: Sequence[str] | None = None,
) -> Node:
    """Play media ``id``: a media document id, an ``http(s)://`` URL, ``/system_media/...``,
    ``local_stream://...`` or ``silence_stream://...``.

    ``answer=False`` plays without answering (early media). ``terminators`` stop playback.
    """
    return (
        NodeData("play")
        .token("id", id, max_length=2048)
        .integer("loop_count", loop_count, minimum=1)
        .boolean("endless_playback", endless_playback)
        .boolean("answer", answer)
        .dtmf_keys("terminators", terminators)
        .node()
    )
