"""speech_demo: every engine and both ways of playing media."""

from __future__ import annotations

from examples import speech_demo
from examples.speech_demo import customer
from pivotkit.testing import NO_KEY, call


def test_a_caller_hears_each_engine_then_media_by_id_and_by_url() -> None:
    result = call(customer, digits=["1", "2", "3", "4", "5", "6", "9", NO_KEY])

    result.assert_heard("default text to speech voice")
    result.assert_heard("flite, speaking with its male voice")
    result.assert_heard("Hello from iSpeech.")
    result.assert_heard("Здравствуйте! Это VoiceFabric.")
    assert result.played == [speech_demo.WELCOME_RECORDING, speech_demo.MUSIC_URL]
    result.assert_heard("There is no sample 9.")
    assert result.heard[-1] == "Goodbye."
    assert result.ending == "hangup"


def test_named_engines_carry_their_voice_and_language() -> None:
    result = call(customer, digits=["1", "2", "3", "4", NO_KEY])
    engines = {
        data.get("engine"): (data.get("voice"), data.get("language"))
        for data in result.answered("tts")
    }
    # The default voice leaves engine, voice and language to the account's settings.
    assert engines[None] == (None, None)
    assert engines["flite"] == ("male", None)
    assert engines["ispeech"] == ("female", "en-gb")
    assert engines["voicefabric"] == ("female", "ru-ru")


def test_no_key_at_the_menu_says_goodbye() -> None:
    result = call(customer, digits=[NO_KEY])
    assert result.heard[-1] == "Goodbye."
    assert len(result.requests) == 2
