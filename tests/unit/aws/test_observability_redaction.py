"""What logs may carry: token values blanked in any URL or query, known tokens blanked
anywhere (encoded too), caller numbers and names masked."""

from __future__ import annotations

import json

import pytest

from pivotkit.aws.redaction import (
    MASK,
    CallerIdMode,
    LearningTokens,
    Redactor,
    caller_id,
    mask_name,
    mask_number,
)
from pivotkit.customers import StaticTokens

SECRET = "s3cr3t+token/with=odd-chars"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x/pivot/a?token=abc123&step=menu", "https://x/pivot/a?token=***&step=menu"),
        ("GET /pivot/a?step=x&TOKEN=abc", "GET /pivot/a?step=x&TOKEN=***"),
        ('{"voice_url":"https://x/p?token=abc"}', '{"voice_url":"https://x/p?token=***"}'),
        ("u=https%3A%2F%2Fx%2Fp%3Ftoken%3Dabc%26step", "u=https%3A%2F%2Fx%2Fp%3Ftoken%3D***"),
        ("no query here", "no query here"),
        ("token= (empty)", "token= (empty)"),
    ],
)
def test_token_values_are_blanked_whatever_they_are(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


def test_known_tokens_are_blanked_anywhere_raw_or_percent_encoded() -> None:
    redactor = Redactor()
    redactor.learn([SECRET, "short"])
    path = f"/media/acme/{SECRET}/callers/x.mp3 and /media/acme/s3cr3t%2Btoken%2Fwith%3Dodd-chars/y"
    assert redactor(path) == "/media/acme/***/callers/x.mp3 and /media/acme/***/y"
    # A token too short to be a secret is left alone rather than blanked out of every word.
    assert redactor("a short note") == "a short note"


LOCAL = "local-acme"


@pytest.mark.parametrize(
    "spelled",
    [
        "local%2Dacme",  # what serve logged in clear
        "local%2dacme",  # lower-case hex
        "%6Cocal-acme",  # any one character encoded
        "%6c%6F%63%61%6C%2D%61%63%6D%65",  # every one, hex case mixed
        "local%252Dacme",  # encoded twice (a URL inside a URL)
        "loc%252561l-acme",  # encoded three times
    ],
)
def test_a_known_token_is_blanked_however_a_url_spells_it(spelled: str) -> None:
    redactor = Redactor()
    redactor.learn([LOCAL])
    for line in (f"/media/acme/{spelled}/x.mp3", f"GET /pivot/acme?step=x&t={spelled}&a=1"):
        shown = redactor(line)
        assert MASK in shown and spelled not in shown, shown


def test_spaces_and_non_ascii_in_a_token_are_matched_in_their_url_forms() -> None:
    redactor = Redactor()
    secret = "päss word 42"
    redactor.learn([secret])
    utf8_as_latin1 = secret.encode().decode("latin-1")  # http.server's view of raw bytes
    for spelled in ("p%C3%A4ss+word+42", "p%c3%a4ss%20word 42", utf8_as_latin1, secret):
        assert redactor(f"x={spelled}&y") == f"x={MASK}&y"


def test_a_known_token_is_blanked_from_a_finished_json_line() -> None:
    """Powertools writes JSON with ASCII escapes: the line holds ``\u00e4`` and ``\"``."""
    redactor = Redactor()
    secret = 'kéy"with\\odd-chars'
    redactor.learn([secret])
    line = json.dumps({"message": f"media PUT /media/acme/{secret}/x.mp3 -> 400"})
    assert secret not in json.loads(redactor(line))["message"]
    assert json.loads(redactor(line))["message"] == f"media PUT /media/acme/{MASK}/x.mp3 -> 400"


def test_structured_data_is_redacted_recursively() -> None:
    redactor = Redactor()
    redactor.learn([SECRET])
    data = {"token": "anything", "nested": [{"url": f"https://x/?token={SECRET}"}, 3, None]}
    assert redactor.data(data) == {
        "token": "***",
        "nested": [{"url": "https://x/?token=***"}, 3, None],
    }


def test_a_token_source_teaches_the_redactor_what_it_hands_out() -> None:
    redactor = Redactor()
    tokens = LearningTokens(StaticTokens({"acme": [SECRET, "acme-next-token"]}), redactor)
    assert redactor(SECRET) == SECRET
    assert tokens.tokens_for("acme") == (SECRET, "acme-next-token")
    assert redactor(f"{SECRET} acme-next-token") == "*** ***"
    assert tokens.tokens_for("nobody") == ()


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+14155550123", "+14155****23"), ("4155550123", "41555***23"), ("1001", "10**"), ("", "")],
)
def test_numbers_keep_their_prefix_and_last_two_digits(number: str, masked: str) -> None:
    assert mask_number(number) == masked
    assert len(mask_number(number)) == len(number)


def test_names_keep_initials() -> None:
    assert mask_name("John Smith") == "J*** S****"
    assert mask_name("Ana") == "A**"


def test_caller_id_modes_and_length_cap() -> None:
    long_name = "x" * 10_000
    assert caller_id(long_name, CallerIdMode.FULL, is_number=False) == "x" * 128
    assert caller_id("+14155550123", CallerIdMode.NONE, is_number=True) is None
    assert caller_id(None, CallerIdMode.FULL, is_number=True) is None
    assert CallerIdMode.parse(None) is CallerIdMode.MASKED
    assert CallerIdMode.parse(" FULL ") is CallerIdMode.FULL
