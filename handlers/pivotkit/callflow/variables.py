"""Call state: ``set_variables``, ``set_variable``, ``language``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, TypeAlias

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import NodeData, check_safe_name, check_text, literal_values
from pivotkit.errors import CallflowError

VariableChannel: TypeAlias = Literal["a", "both"]
# cf_set_variable maps the name through a fixed table and drops any other name; 4.3 knows
# only call_priority (master adds group_id), so that is the one name that works on both.
SettableVariable: TypeAlias = Literal["call_priority"]

# callflows.language.json: two letters, optionally a dash and two more ("en", "en-us").
_LANGUAGE = re.compile(r"[A-Za-z]{2}(-[A-Za-z]{2})?")


def set_variables(
    custom_application_vars: Mapping[str, str], *, export: bool | None = None
) -> Node:
    """Store ``custom_application_vars`` on the call; every later Pivot request carries them
    as ``Custom-Application-Vars[name]=value``.

    Values must be strings: the 4.3 schema's ``patternProperties`` require it for every name
    made of letters, digits, ``_`` and ``-``, which is also the only shape of name allowed
    here (names become request keys).
    """
    if not isinstance(custom_application_vars, Mapping):
        raise CallflowError("set_variables custom_application_vars must be a mapping")
    values: dict[str, JSONValue] = {}
    for name, value in custom_application_vars.items():
        check_safe_name("set_variables variable name", name)
        if not isinstance(value, str):
            raise CallflowError(
                f"set_variables {name!r} must be a string (Kazoo 4.3 rejects other types), "
                f"got {type(value).__name__}"
            )
        values[name] = value
    return (
        NodeData("set_variables")
        .put("custom_application_vars", values)
        .boolean("export", export)
        .node()
    )


def set_variable(variable: SettableVariable, *, value: str, channel: VariableChannel = "a") -> Node:
    """Set channel variable ``variable`` to ``value`` on the caller leg (``a``) or both.

    Kazoo only understands ``call_priority`` here (any other name is dropped with a
    warning); use ``set_variables`` for your own values.
    """
    return (
        NodeData("set_variable")
        .choice("variable", variable, literal_values(SettableVariable))
        .put("value", check_text("set_variable value", value))
        .choice("channel", channel, literal_values(VariableChannel))
        .node()
    )


def language(language: str) -> Node:
    """Switch the call's language (prompts, tts default), e.g. ``"en-us"`` or ``"fr"``."""
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise CallflowError(f"language must look like 'en' or 'en-us', got {language!r}")
    return NodeData("language").put("language", language).node()
