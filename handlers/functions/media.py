"""Lambda entry point for media: recording uploads and the storage-plan backend."""

from pivotkit.aws.media_entry import make_media_handler

handler = make_media_handler()
