"""Real audio for media tests: short WAV files made with the standard library."""

from __future__ import annotations

import io
import math
import struct
import wave


def wav_bytes(
    seconds: float = 0.5, *, rate: int = 8000, channels: int = 1, tone_hz: float = 440.0
) -> bytes:
    """A 16-bit PCM WAV of a sine tone (mono at 8 kHz: what a narrow-band call records)."""
    frames = int(seconds * rate)
    samples = bytearray()
    for i in range(frames):
        value = int(12_000 * math.sin(2 * math.pi * tone_hz * i / rate))
        samples += struct.pack("<h", value) * channels
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(samples))
    return out.getvalue()


def wav_of_size(size: int) -> bytes:
    """A valid 8 kHz mono WAV of silence whose file is exactly ``size`` bytes (even sizes;
    an odd size gets one trailing pad byte, as RIFF pads odd chunks)."""
    header = len(wav_bytes(0))
    frames = (size - header) // 2
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0" * (frames * 2))
    data = out.getvalue()
    return data + b"\0" * (size - len(data))


def wav_duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
