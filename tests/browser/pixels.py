"""Enough of PNG to tell a screenshot from a blank one: 8-bit RGB(A), no Pillow needed."""

from __future__ import annotations

import statistics
import struct
import zlib
from pathlib import Path

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel (truecolour, with alpha)


def grey_levels(path: Path) -> tuple[int, int, list[int]]:
    """(width, height, one 0-255 grey level per pixel) of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data.startswith(_SIGNATURE), f"{path} is not a PNG"
    offset, idat = len(_SIGNATURE), b""
    width = height = depth = colour = 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert depth == 8 and colour in _CHANNELS, f"unsupported PNG: depth {depth} colour {colour}"
    step = _CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * step
    previous = bytearray(stride)
    levels: list[int] = []
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, step)
        levels.extend((line[i] + line[i + 1] + line[i + 2]) // 3 for i in range(0, stride, step))
        previous = line
    return width, height, levels


def _unfilter(kind: int, line: bytearray, above: bytearray, step: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up = above[i]
        corner = above[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + predictor) & 0xFF
    return line


def assert_not_blank(path: Path, *, min_stdev: float = 12.0, min_levels: int = 16) -> None:
    """A page with content has spread-out grey levels (text, borders, colours); a blank or
    single-colour screenshot has none."""
    width, height, levels = grey_levels(path)
    sample = levels[:: max(1, len(levels) // 200_000)]
    spread = statistics.pstdev(sample)
    distinct = len(set(sample))
    assert spread >= min_stdev and distinct >= min_levels, (
        f"{path.name} ({width}x{height}) looks blank: stdev {spread:.1f}, {distinct} grey levels"
    )
