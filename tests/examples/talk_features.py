"""The Kazoo features the talk lists, as the builder calls and flow APIs that show them:
the recipes must show each, and each module among them must build and validate."""

from __future__ import annotations

# What the talk lists, as the builder calls and flow APIs that show it.
TALK_FEATURES = {
    "tts", "play", "device", "user", "ring_group", "endpoint", "group", "conference",
    "resources", "voicemail", "faxbox", "collect_dtmf", "manual_presence", "set_cid",
    "dynamic_cid", "prepend_cid", "cidlistmatch", "check_cid", "eavesdrop", "group_pickup",
    "intercept", "page_group", "hotdesk", "call_forward", "do_not_disturb", "directory",
    "disa", "fax_detect", "menu", "webhook", "call.record_call", "Flow", "call.gather", "call.goto",
    "call.request.digits", "is_open",
}  # fmt: skip
