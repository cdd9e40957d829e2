"""Media from Kazoo: recording uploads and the storage-plan ``http`` backend.

- ``paths``: URL shapes, path-trick refusal, S3 keys;
- ``multipart``: Kazoo's ``send_multipart`` bodies and ``base64_encode_data``;
- ``metadata``: Kazoo's fields as S3 object metadata;
- ``store``: the ``MediaStore`` port and ``InMemoryMediaStore``;
- ``limits``: what fits through a synchronous Lambda, and for how many seconds of audio;
- ``app``: ``MediaApp`` (``HttpRequest -> HttpResponse``) and ``StoredMedia`` for hooks.
- ``redaction``: what a log line may show of a path that did not resolve (never the token).

The S3 implementation of the port is ``pivotkit.aws.s3_media``.

Import from the submodules: the package itself loads nothing, so a Pivot request, which
builds media URLs with ``paths`` and ``limits``, loads no upload code (``app``,
``multipart``, ``metadata``).
"""
