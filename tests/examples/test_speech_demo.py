"""speech_demo: every engine and both ways of playing media, walked by ``pivotkit call``."""

from __future__ import annotations

import pytest

from customers import speech_demo
from tests.examples.support import answered, cli_call, ran, said


def test_a_caller_hears_each_engine_then_media_by_id_and_by_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "speech_demo", "--digits", "1,2,3,4,5,6,9,")

    heard = said(transcript)
    assert "default text to speech voice" in heard
    assert "flite, speaking with its male voice" in heard
    assert "Hello from iSpeech." in heard
    assert "Здравствуйте! Это VoiceFabric." in heard
    assert [e["text"] for e in ran(transcript, "play")] == [
        speech_demo.WELCOME_RECORDING,
        speech_demo.MUSIC_URL,
    ]
    assert "There is no sample 9." in heard
    assert transcript["heard"][-1] == "Goodbye."
    assert transcript["ending"] == "hangup"


def test_named_engines_carry_their_voice_and_language(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "speech_demo", "--digits", "1,2,3,4,")
    engines = {
        data.get("engine"): (data.get("voice"), data.get("language"))
        for data in answered(transcript, "tts")
    }
    # The default voice leaves engine, voice and language to the account's settings.
    assert engines[None] == (None, None)
    assert engines["flite"] == ("male", None)
    assert engines["ispeech"] == ("female", "en-gb")
    assert engines["voicefabric"] == ("female", "ru-ru")


def test_no_key_at_the_menu_says_goodbye(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "speech_demo", "--digits", "")
    assert transcript["heard"][-1] == "Goodbye."
    assert transcript["requests"] == 2
