"""How much media fits through a synchronous Lambda invocation, and how long a recording that is.

Lambda caps a synchronous invocation at 6 MB for the request event and 6 MB for the response.
API Gateway (HTTP API) and Function URLs hand binary bodies to the function base64-encoded,
which inflates them by 4/3, and the event's JSON envelope (headers, path, query, context) takes
a few KiB more. The same holds for a GET answer carrying audio back to Kazoo. So the largest
media body we can accept or return is

    (6 MB - envelope reserve) * 3 / 4  ~= 4.24 MiB

AWS states the quota as "6 MB"; we take the decimal reading (6,000,000 bytes), the smaller
one, because a response over the real quota fails as a Lambda error (Kazoo sees a 5xx and
the caller's voicemail does not play) while a few hundred KiB of caution costs nothing.

Recording bitrates follow what Kazoo asks FreeSWITCH for (see docs/media.md for sources):
``record_call`` records both legs in stereo at 16 kHz unless told otherwise
(``ecallmgr_call_command.erl``: ``Channels-As-Stereo`` defaults to true,
``record_stereo_sample_rate`` to 16000), and FreeSWITCH's mp3 encoder (mod_shout) uses
16 kbps per 8 kHz of sample rate per channel; WAV is 16-bit PCM.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

LAMBDA_SYNC_PAYLOAD_BYTES = 6_000_000
# Headers, query string and request context of an API Gateway v2 event, with room to spare.
EVENT_ENVELOPE_RESERVE_BYTES = 64 * 1024
# The largest body (as received, before any multipart/base64 unpacking) we accept, and the
# largest object we return inline on GET.
MAX_MEDIA_BYTES = (LAMBDA_SYNC_PAYLOAD_BYTES - EVENT_ENVELOPE_RESERVE_BYTES) * 3 // 4

# Kazoo's schema bounds for record_call / record_caller time_limit (seconds).
KAZOO_MIN_TIME_LIMIT = 5
KAZOO_MAX_TIME_LIMIT = 10_800
# Room for container overhead (ID3 tags, WAV header) and encoder rounding.
SAFETY_MARGIN = 0.95

RecordingFormat: TypeAlias = Literal["mp3", "wav"]

# Kazoo's defaults for record_call (stereo, 16 kHz) and a conservative guess for
# record_caller (mono; 16 kHz covers wide-band G.722 callers, 8 kHz ones fit twice as long).
RECORD_CALL_SAMPLE_RATE = 16_000
RECORD_CALL_CHANNELS = 2
RECORD_CALLER_SAMPLE_RATE = 16_000
RECORD_CALLER_CHANNELS = 1


def bitrate_kbps(format: RecordingFormat, sample_rate: int, channels: int) -> int:
    """The bitrate FreeSWITCH writes ``format`` at (mp3: mod_shout's default; wav: 16-bit PCM)."""
    if sample_rate <= 0 or channels <= 0:
        raise ValueError("sample_rate and channels must be positive")
    if format == "mp3":
        return 16 * (sample_rate // 8000) * channels or 16
    if format == "wav":
        return sample_rate * 16 * channels // 1000
    raise ValueError(f"unknown recording format {format!r}")


def max_recording_seconds(kbps: int, *, limit_bytes: int = MAX_MEDIA_BYTES) -> int:
    """How many seconds at ``kbps`` fit in one upload, with the safety margin applied."""
    if kbps <= 0:
        raise ValueError("kbps must be positive")
    return int(limit_bytes * SAFETY_MARGIN / (kbps * 1000 / 8))


def default_time_limit(format: RecordingFormat, sample_rate: int, channels: int) -> int:
    """A ``time_limit`` for which Kazoo's upload still fits, within Kazoo's own bounds."""
    seconds = max_recording_seconds(bitrate_kbps(format, sample_rate, channels))
    return max(KAZOO_MIN_TIME_LIMIT, min(KAZOO_MAX_TIME_LIMIT, seconds))


def too_large_message(size: int | None = None) -> str:
    """The 413 text: the limit, why, and what to do about it."""
    got = f"{size} bytes; " if size is not None else ""
    return (
        f"media body is {got}the limit is {MAX_MEDIA_BYTES} bytes (about "
        f"{MAX_MEDIA_BYTES / 2**20:.2f} MiB): Lambda takes at most 6 MB per synchronous "
        "request and binary bodies arrive base64-encoded. Record shorter pieces (a lower "
        "time_limit), use mp3 rather than wav or a lower sample rate, or store large media "
        "with Kazoo's own 's3' storage handler instead of this endpoint."
    )
