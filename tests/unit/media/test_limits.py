"""The payload limit and what it means in seconds of audio (the numbers docs/media.md gives)."""

from __future__ import annotations

import pytest

from pivotkit.media.limits import (
    MAX_MEDIA_BYTES,
    bitrate_kbps,
    default_time_limit,
    max_recording_seconds,
    too_large_message,
)


def test_limit_leaves_room_for_base64_and_the_event_envelope() -> None:
    assert MAX_MEDIA_BYTES == 4_450_848
    base64_size = 4 * -(-MAX_MEDIA_BYTES // 3)
    assert base64_size + 64 * 1024 <= 6_000_000


@pytest.mark.parametrize(
    ("fmt", "rate", "channels", "kbps"),
    [
        ("mp3", 8000, 1, 16),
        ("mp3", 16000, 1, 32),
        ("mp3", 16000, 2, 64),  # Kazoo's record_call default
        ("wav", 8000, 1, 128),
        ("wav", 16000, 1, 256),
        ("wav", 16000, 2, 512),
    ],
)
def test_bitrates(fmt: str, rate: int, channels: int, kbps: int) -> None:
    assert bitrate_kbps(fmt, rate, channels) == kbps  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kbps", "seconds"), [(16, 2114), (32, 1057), (64, 528), (128, 264), (256, 132), (512, 66)]
)
def test_recording_seconds_per_bitrate(kbps: int, seconds: int) -> None:
    assert max_recording_seconds(kbps) == seconds
    # What that many seconds weigh stays under the limit.
    assert seconds * kbps * 1000 / 8 <= MAX_MEDIA_BYTES


def test_default_time_limits_stay_in_kazoo_bounds() -> None:
    assert default_time_limit("mp3", 16000, 2) == 528
    assert default_time_limit("wav", 16000, 2) == 66
    assert default_time_limit("wav", 192_000, 2) == 5  # Kazoo's minimum


def test_too_large_message_says_the_limit_and_what_to_do() -> None:
    message = too_large_message(9_000_000)
    assert "9000000 bytes" in message
    assert str(MAX_MEDIA_BYTES) in message
    assert "time_limit" in message and "s3" in message
