"""Booking's configuration: where the booking service is and how long a caller waits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class BookingConfig(BaseModel):
    # A misspelt key in a config file is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)

    booking_url: HttpUrl
    # The most a caller holds for the booking, in seconds (the job's bound: at most 18).
    wait_seconds: float = Field(default=12.0, gt=0, le=18)
    # A clip played while the caller holds (Kazoo plays it to its end, then asks again);
    # without one, a few seconds of silence. Never local_stream://: it never ends.
    hold_music: HttpUrl | None = None
    # Seconds of silence per lap when there is no clip.
    lap_seconds: int = Field(default=4, ge=1, le=30)
