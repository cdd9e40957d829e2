"""Typed builder for Kazoo callflow JSON: one factory per Kazoo module, named like it.

Keyword arguments are Kazoo's ``data`` keys verbatim. ``node.then(next)`` appends to the
``_`` chain, ``node.on(key, branch)`` sets any other branch, ``node.to_dict()`` renders.
"""

from pivotkit.callflow.control import collect_dtmf, hangup, pivot, response
from pivotkit.callflow.node import KNOWN_MODULES, JSONValue, Node, raw, render
from pivotkit.callflow.speech import tts

__all__ = [
    "KNOWN_MODULES",
    "JSONValue",
    "Node",
    "collect_dtmf",
    "hangup",
    "pivot",
    "raw",
    "render",
    "response",
    "tts",
]
