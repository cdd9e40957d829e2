"""Branch keys: which ``children`` keys each Kazoo module actually follows.

Kazoo ignores a child whose key its module never asks for, so a mistyped or meaningless key
is a branch that silently never runs. ``Node.on`` and ``Node.then`` check every key against
the rules below (read from ``applications/callflow/src/module/cf_*.erl`` on 4.3 and master;
which module follows which rule is the table in ``pivotkit.callflow.modules``):

- ``_`` is the default child: ``cf_exe:continue`` runs it.
- ``menu``: the digits pressed, ``timeout``, ``max_retries``.
- ``check_cid``: ``match``/``nomatch`` (in ``use_absolute_mode`` the caller-ID number itself).
- ``cidlistmatch``: ``match``/``nomatch``. ``fax_detect``: ``ON_FAX``/``ON_VOICE``.
- ``temporal_route``: temporal-rule ids and ``rule_set`` (not checked: the keys are ids).
- bridging (``device``, ``user``, ``ring_group``, ``group``, ``hotdesk``): on a failed bridge,
  the hangup cause (``NO_ANSWER``), then the SIP code as FreeSWITCH reports it (``sip:486``),
  then ``_``.
- ``resources``/``offnet``: the cause or the SIP code only. When neither child exists Kazoo
  sends its default response and stops (``cf_resources:handle_bridge_failure/3``): ``_``
  never runs.
- ``hangup``, ``response``, ``conference``, ``faxbox``, ``receive_fax``, ``eavesdrop``,
  ``group_pickup``, ``intercept`` always stop the flow, so no child of theirs ever runs.
- every other module with a typed factory continues only through ``_``.

Modules without a typed factory (reachable through ``raw``) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pivotkit.callflow.modules import modules_where
from pivotkit.errors import CallflowError

DEFAULT = "_"

# Hangup causes (FreeSWITCH names) that bridging modules branch on.
NO_ANSWER = "NO_ANSWER"
USER_BUSY = "USER_BUSY"
NO_USER_RESPONSE = "NO_USER_RESPONSE"
CALL_REJECTED = "CALL_REJECTED"
UNALLOCATED_NUMBER = "UNALLOCATED_NUMBER"
NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
USER_NOT_REGISTERED = "USER_NOT_REGISTERED"
SUBSCRIBER_ABSENT = "SUBSCRIBER_ABSENT"
NORMAL_TEMPORARY_FAILURE = "NORMAL_TEMPORARY_FAILURE"
DESTINATION_OUT_OF_ORDER = "DESTINATION_OUT_OF_ORDER"
INVALID_NUMBER_FORMAT = "INVALID_NUMBER_FORMAT"
RECOVERY_ON_TIMER_EXPIRE = "RECOVERY_ON_TIMER_EXPIRE"

# The usual ways an outbound or internal bridge fails; ``resources``/``offnet`` have no
# catch-all child, so a fallback must be attached under each cause it should handle.
COMMON_BRIDGE_FAILURES: tuple[str, ...] = (
    NO_ANSWER,
    USER_BUSY,
    NO_USER_RESPONSE,
    CALL_REJECTED,
    UNALLOCATED_NUMBER,
    NO_ROUTE_DESTINATION,
    USER_NOT_REGISTERED,
    SUBSCRIBER_ABSENT,
    NORMAL_TEMPORARY_FAILURE,
    DESTINATION_OUT_OF_ORDER,
    INVALID_NUMBER_FORMAT,
    RECOVERY_ON_TIMER_EXPIRE,
)

MATCH = "match"
NOMATCH = "nomatch"
ON_FAX = "ON_FAX"
ON_VOICE = "ON_VOICE"
TIMEOUT = "timeout"
MAX_RETRIES = "max_retries"
RULE_SET = "rule_set"


def sip_code(code: int) -> str:
    """The child key for a failed bridge's SIP status, as Kazoo compares it: ``sip:486``."""
    if isinstance(code, bool) or not isinstance(code, int) or not 300 <= code <= 699:
        raise CallflowError(f"a bridge failure SIP code must be an integer 300-699, got {code!r}")
    return f"sip:{code}"


_HANGUP_CAUSE = re.compile(r"[A-Z][A-Z0-9_]*")
_SIP_CODE_KEY = re.compile(r"sip:[3-6][0-9]{2}")
_MENU_DIGITS = re.compile(r"[0-9*#]+")

# Set look-ups over the one module table (``pivotkit.callflow.modules``): every ``then()``
# and ``on()`` of every answer asks one of them.
_TERMINAL = modules_where("ends")
_BRIDGING = modules_where("bridge")
_BRIDGING_WITHOUT_DEFAULT = modules_where("carrier")
_LINEAR = modules_where("default")


# Modules that never follow ``_``; every other module does (``then()`` checks only this).
_NO_DEFAULT_CHILD = _TERMINAL | _BRIDGING_WITHOUT_DEFAULT


def check_branch_key(module: str, data: Mapping[str, Any], key: str) -> None:
    """Raise ``CallflowError`` unless ``module`` can ever take the child keyed ``key``."""
    if key is DEFAULT and module not in _NO_DEFAULT_CHILD:
        return  # what every then() asks: answered by one set look-up
    if not isinstance(key, str) or not key:
        raise CallflowError("a branch key must be a non-empty string")
    if module in _TERMINAL:
        raise CallflowError(f"{module} ends the callflow; a child {key!r} would never run")
    problem = _branch_problem(module, data, key)
    if problem is not None:
        raise CallflowError(f"{module} never takes a child keyed {key!r}: {problem}")


def _branch_problem(module: str, data: Mapping[str, Any], key: str) -> str | None:
    if module in _BRIDGING_WITHOUT_DEFAULT:
        if key == DEFAULT:
            return (
                "on a failed call Kazoo follows only a hangup-cause key (e.g. NO_ANSWER) or a "
                "SIP-code key (e.g. sip:486) and otherwise ends the call; attach the fallback "
                "under each cause (see COMMON_BRIDGE_FAILURES)"
            )
        return _bridge_key_problem(key)
    if key == DEFAULT:
        return None
    if module in _BRIDGING:
        return _bridge_key_problem(key)
    if module in _LINEAR:
        return "it only continues through '_' (use .then())"
    if module == "menu":
        if key in (TIMEOUT, MAX_RETRIES) or _MENU_DIGITS.fullmatch(key):
            return None
        return "menu children are the digits pressed, 'timeout' or 'max_retries'"
    if module == "check_cid":
        if key in (MATCH, NOMATCH) or data.get("use_absolute_mode") is True:
            return None
        return "check_cid children are 'match' and 'nomatch' (or numbers in absolute mode)"
    if module == "cidlistmatch":
        return None if key in (MATCH, NOMATCH) else "cidlistmatch children are match/nomatch"
    if module == "fax_detect":
        return None if key in (ON_FAX, ON_VOICE) else "fax_detect children are ON_FAX/ON_VOICE"
    return None


def _bridge_key_problem(key: str) -> str | None:
    if _HANGUP_CAUSE.fullmatch(key) or _SIP_CODE_KEY.fullmatch(key):
        return None
    if key.isdigit():
        return f"Kazoo compares SIP codes as 'sip:{key}'"
    return "bridge failure children are hangup causes (NO_ANSWER) or SIP codes (sip:486)"
