"""An example customer with an ``on_media_stored`` hook: post a line to a chat for each file.

The hook is real code a customer could ship (``post`` would send JSON to a Slack or Teams
webhook); tests pass a list's ``append`` instead. The examples helper will add a customer
package using the same idea.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pivotkit.customers import Customer
from pivotkit.flow import Flow
from pivotkit.media.app import StoredMedia
from pivotkit.media.paths import MediaKind

SLUG = "mediatest"
TOKEN = "tok-media-3f9a"
OTHER_TOKEN = "tok-rotated-77c1"

ChatPost = Callable[[Mapping[str, Any]], None]


def describe(media: StoredMedia) -> str:
    """One chat line: what arrived, from whom, how long, and where it is stored."""
    meta = media.document.get("metadata", {}) if media.document else {}
    caller = media.fields.get("caller_id_number") or meta.get("caller_id_number") or "unknown"
    length_ms = media.fields.get("duration_ms") or meta.get("length")
    what = {
        MediaKind.RECORDING: "Call recording",
        MediaKind.CALLER: "Caller recording",
        MediaKind.STORAGE: "Fax"
        if media.content_type in ("image/tiff", "application/pdf")
        else "Voicemail",
    }[media.kind]
    length_text = str(length_ms or "")
    length = f", {int(length_text) / 1000:.1f} s" if length_text.isdigit() else ""
    return f"{what} from {caller}{length} ({media.size} bytes): {media.key}"


def chat_notifier(post: ChatPost) -> Callable[[StoredMedia], None]:
    def on_media_stored(media: StoredMedia) -> None:
        post({"text": describe(media), "customer": media.customer, "key": media.key})

    return on_media_stored


def media_customer(
    post: ChatPost | None = None, *, allowed_account_ids: frozenset[str] = frozenset()
) -> Customer:
    return Customer(
        slug=SLUG,
        flow=Flow(),
        allowed_account_ids=allowed_account_ids,
        on_media_stored=chat_notifier(post) if post is not None else None,
    )
