"""Speech: Kazoo's text-to-speech engines and voices, and recorded media by id and by URL.

start ─► sample menu ─► sample ─┬─ 1 the account's default engine and voice
              ▲                 ├─ 2 flite (FreeSWITCH, on the Kazoo server) with its male voice
              │                 ├─ 3 iSpeech, British English
              │                 ├─ 4 VoiceFabric, Russian
              │                 ├─ 5 a recording stored in the account (media id)
              │                 └─ 6 an MP3 fetched from a web server (URL)
              └──── after each sample ─┘     no key: goodbye

iSpeech and VoiceFabric are paid services: Kazoo needs the provider's API key
(``system_config/speech``); without it Kazoo falls back to flite. Kazoo looks a voice up as
``<voice>/<language>`` (``female/en-gb`` is iSpeech's ``ukenglishfemale``, ``female/ru-ru``
VoiceFabric's Julia), so name both for those engines.
"""

from pivotkit import Call, Customer, Flow, Node, hangup, play, tts

# A media document uploaded to the Kazoo account (Crossbar /media), by its id.
WELCOME_RECORDING = "5ba5e1c0de5ba5e1c0de5ba5e1c0de01"
# Any http(s) URL Kazoo can fetch; Kazoo caches it.
MUSIC_URL = "https://media.example.com/hold/bossa-nova.mp3"

MENU = (
    "For the default voice, press 1. For flite's male voice, press 2. For iSpeech, press 3."
    " For VoiceFabric, press 4. For a recording, press 5. For music from the web, press 6."
)

flow = Flow()


def sample(choice: str) -> Node | None:
    """The sample for a menu key (a fresh node each time: nodes are built, then chained)."""
    if choice == "1":
        return tts("This is the default text to speech voice of this account.")
    if choice == "2":
        return tts("This is flite, speaking with its male voice.", engine="flite", voice="male")
    if choice == "3":
        return tts("Hello from iSpeech.", engine="ispeech", voice="female", language="en-gb")
    if choice == "4":
        return tts(
            "Здравствуйте! Это VoiceFabric.", engine="voicefabric", voice="female", language="ru-ru"
        )
    if choice == "5":
        return play(WELCOME_RECORDING)
    if choice == "6":
        return play(MUSIC_URL)
    return None


@flow.step()
def start(call: Call) -> Node:
    return call.gather("sample_choice", prompt=tts(f"Welcome to the speech demo. {MENU}"))


@flow.step()
def sample_choice(call: Call) -> Node:
    if not call.digits:
        return tts("Goodbye.").then(hangup())
    chosen = sample(call.digits)
    if chosen is None:
        return call.gather("sample_choice", prompt=tts(f"There is no sample {call.digits}. {MENU}"))
    return chosen.then(call.gather("sample_choice", prompt=tts(MENU)))


customer = Customer(slug="speech_demo", flow=flow)
