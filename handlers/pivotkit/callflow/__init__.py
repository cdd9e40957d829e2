"""Typed builder for Kazoo callflow JSON: one factory per Kazoo module, named like it.

Keyword arguments are Kazoo's ``data`` keys verbatim. ``node.then(next)`` appends to the
``_`` chain, ``node.on(key, branch)`` sets any other branch, ``render(node)`` gives the bytes
of a Pivot answer. Values Kazoo would reject or misread raise ``CallflowError`` where they
are written; ``raw(module, data)`` covers the modules without a factory.

    tts("Press 1 for sales.").then(collect_dtmf(collection_name="menu", max_digits=1)).then(
        pivot("https://example.com/pivot?step=menu")
        .then(tts("Sorry, something went wrong.")).then(hangup())
    )
"""

from pivotkit.callflow.branches import (
    CALL_REJECTED,
    COMMON_BRIDGE_FAILURES,
    DEFAULT,
    DESTINATION_OUT_OF_ORDER,
    INVALID_NUMBER_FORMAT,
    MATCH,
    MAX_RETRIES,
    NO_ANSWER,
    NO_ROUTE_DESTINATION,
    NO_USER_RESPONSE,
    NOMATCH,
    NORMAL_TEMPORARY_FAILURE,
    ON_FAX,
    ON_VOICE,
    RECOVERY_ON_TIMER_EXPIRE,
    RULE_SET,
    SUBSCRIBER_ABSENT,
    TIMEOUT,
    UNALLOCATED_NUMBER,
    USER_BUSY,
    USER_NOT_REGISTERED,
    sip_code,
)
from pivotkit.callflow.bridging import (
    Endpoint,
    Ringtones,
    device,
    endpoint,
    group,
    offnet,
    page_group,
    resources,
    ring_group,
    user,
)
from pivotkit.callflow.caller_id import (
    CallerId,
    CheckCidCallerId,
    check_cid,
    cidlistmatch,
    dynamic_cid,
    prepend_cid,
    set_cid,
)
from pivotkit.callflow.conference import (
    ConferenceConfig,
    ConferenceParticipant,
    WelcomePrompt,
    conference,
)
from pivotkit.callflow.control import (
    collect_dtmf,
    flush_dtmf,
    hangup,
    pivot,
    response,
    send_dtmf,
    sleep,
)
from pivotkit.callflow.fax import FaxMedia, fax_detect, faxbox, receive_fax
from pivotkit.callflow.features import (
    PresenceStatus,
    call_forward,
    directory,
    disa,
    do_not_disturb,
    eavesdrop,
    group_pickup,
    hotdesk,
    intercept,
    manual_presence,
    webhook,
)
from pivotkit.callflow.modules import KNOWN_MODULES
from pivotkit.callflow.node import JSONValue, Node, raw, render
from pivotkit.callflow.recording import record_call, record_caller, voicemail
from pivotkit.callflow.routing import callflow as callflow  # see the note on __all__
from pivotkit.callflow.routing import menu, temporal_route
from pivotkit.callflow.speech import play, tts
from pivotkit.callflow.variables import language, set_variable, set_variables

# `callflow` (jump to a stored callflow) is importable from here but left out of __all__:
# `from pivotkit.callflow import *` in the `pivotkit` package would otherwise replace the
# `pivotkit.callflow` sub-package attribute with the function.
__all__ = [
    "CALL_REJECTED",
    "COMMON_BRIDGE_FAILURES",
    "DEFAULT",
    "DESTINATION_OUT_OF_ORDER",
    "INVALID_NUMBER_FORMAT",
    "KNOWN_MODULES",
    "MATCH",
    "MAX_RETRIES",
    "NOMATCH",
    "NORMAL_TEMPORARY_FAILURE",
    "NO_ANSWER",
    "NO_ROUTE_DESTINATION",
    "NO_USER_RESPONSE",
    "ON_FAX",
    "ON_VOICE",
    "RECOVERY_ON_TIMER_EXPIRE",
    "RULE_SET",
    "SUBSCRIBER_ABSENT",
    "TIMEOUT",
    "UNALLOCATED_NUMBER",
    "USER_BUSY",
    "USER_NOT_REGISTERED",
    "CallerId",
    "CheckCidCallerId",
    "ConferenceConfig",
    "ConferenceParticipant",
    "Endpoint",
    "FaxMedia",
    "JSONValue",
    "Node",
    "PresenceStatus",
    "Ringtones",
    "WelcomePrompt",
    "call_forward",
    "check_cid",
    "cidlistmatch",
    "collect_dtmf",
    "conference",
    "device",
    "directory",
    "disa",
    "do_not_disturb",
    "dynamic_cid",
    "eavesdrop",
    "endpoint",
    "fax_detect",
    "faxbox",
    "flush_dtmf",
    "group",
    "group_pickup",
    "hangup",
    "hotdesk",
    "intercept",
    "language",
    "manual_presence",
    "menu",
    "offnet",
    "page_group",
    "pivot",
    "play",
    "prepend_cid",
    "raw",
    "receive_fax",
    "record_call",
    "record_caller",
    "render",
    "resources",
    "response",
    "ring_group",
    "send_dtmf",
    "set_cid",
    "set_variable",
    "set_variables",
    "sip_code",
    "sleep",
    "temporal_route",
    "tts",
    "user",
    "voicemail",
    "webhook",
]
