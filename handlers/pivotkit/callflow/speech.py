"""What the caller hears: ``tts`` and ``play``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import check_dtmf_keys, check_text
from pivotkit.errors import CallflowError

TtsEngine: TypeAlias = Literal["flite", "google", "ispeech", "voicefabric"]
TTS_ENGINES: tuple[str, ...] = ("flite", "google", "ispeech", "voicefabric")
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
    engine's own default, so name the voice when it matters.
    """
    data: dict[str, JSONValue] = {"text": check_text("tts text", text, max_length=TTS_MAX_CHARS)}
    if voice is not None:
        data["voice"] = check_text("tts voice", voice)
    if language is not None:
        data["language"] = check_text("tts language", language)
    if engine is not None:
        if engine not in TTS_ENGINES:
            raise CallflowError(f"tts engine must be one of {', '.join(TTS_ENGINES)}")
        data["engine"] = engine
    if terminators is not None:
        data["terminators"] = list(check_dtmf_keys("tts terminators", terminators))
    if endless_playback is not None:
        data["endless_playback"] = bool(endless_playback)
    return Node("tts", data)
