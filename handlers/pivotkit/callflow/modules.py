"""One table of the Kazoo callflow modules the kit knows, and what each does with a call.

The builder (which modules exist), the branch checks (which children a module can ever
follow) and the virtual Kazoo of the local tools (which modules connect the caller to
someone, and where a failure goes) all read this table, so they cannot disagree.

Which modules exist: those with a ``callflows.<module>.json`` schema on both 4.3 and master
(docs/kazoo-notes.md, "The schemas"); ``answer``, ``function``, ``noop``, ``notification``
and ``wait_for_hangup`` exist on master only and are left out. How each follows its children
was read from its ``applications/callflow/src/module/cf_<module>.erl``:

- ``default``: continues only through ``_`` (``cf_exe:continue``).
- ``ends``: always stops the flow (``hangup``, ``response``, ``conference``, ...): no child of
  theirs ever runs.
- ``bridge``: on a failed bridge, the child keyed by the hangup cause (``NO_ANSWER``), then
  by the SIP code as FreeSWITCH reports it (``sip:486``), then ``_``
  (``cf_util:handle_bridge_failure``); a bridge that is answered ends the flow.
- ``carrier``: the cause or SIP-code child only; without one Kazoo sends its default response
  and stops (``cf_resources:handle_bridge_failure/3``), so ``_`` never runs.
- ``menu``, ``check_cid``, ``cidlistmatch``, ``fax_detect``: their own keys (see
  ``pivotkit.callflow.branches``), and ``_``.
- ``unchecked``: module-specific keys the kit does not check (``temporal_route`` rule ids,
  ``branch_variable`` values, modules reachable only through ``raw``).

``connects`` marks the modules that put the caller through to someone or something (a phone,
a carrier, a conference, a mailbox): the virtual Kazoo asks the script how that went
(answered, busy, no answer...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

Children: TypeAlias = Literal[
    "default", "ends", "bridge", "carrier", "menu", "check_cid", "cidlistmatch", "fax_detect",
    "unchecked",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    children: Children
    connects: bool = False


# Continue through "_" only.
_CONTINUE_ONLY = (
    "tts", "play", "collect_dtmf", "flush_dtmf", "send_dtmf", "pivot", "sleep", "set_variables",
    "set_variable", "language", "set_cid", "prepend_cid", "dynamic_cid", "manual_presence",
    "record_call", "record_caller", "webhook", "call_forward", "do_not_disturb", "directory",
    "disa", "callflow",
)  # fmt: skip
# Only reachable through raw(), or with keys that are ids: not checked.
_NOT_CHECKED = (
    "acdc_agent", "acdc_member", "acdc_queue", "acdc_wait_time", "after_bridge", "audio_macro",
    "branch_bnumber", "branch_variable", "call_waiting", "camping_feature", "conference_feature",
    "dead_air", "eavesdrop_feature", "edr", "group_pickup_feature", "intercept_feature",
    "intercom", "lookupcidname", "missed_call_alert", "move", "nomorobo", "park", "privacy",
    "ring_group_toggle", "route_to_cid", "set", "set_alert_info", "temporal_route", "transfer",
)  # fmt: skip

MODULES: Mapping[str, ModuleSpec] = {
    # Connect the caller to someone.
    "device": ModuleSpec("bridge", connects=True),
    "user": ModuleSpec("bridge", connects=True),
    "ring_group": ModuleSpec("bridge", connects=True),
    "group": ModuleSpec("bridge", connects=True),
    "resources": ModuleSpec("carrier", connects=True),
    "offnet": ModuleSpec("carrier", connects=True),
    "page_group": ModuleSpec("default", connects=True),
    "voicemail": ModuleSpec("default", connects=True),
    "conference": ModuleSpec("ends", connects=True),
    "faxbox": ModuleSpec("ends", connects=True),
    "receive_fax": ModuleSpec("ends", connects=True),
    "hotdesk": ModuleSpec("bridge"),
    # End the flow.
    "hangup": ModuleSpec("ends"),
    "response": ModuleSpec("ends"),
    "eavesdrop": ModuleSpec("ends"),
    "group_pickup": ModuleSpec("ends"),
    "intercept": ModuleSpec("ends"),
    # Branch on their own keys.
    "menu": ModuleSpec("menu"),
    "check_cid": ModuleSpec("check_cid"),
    "cidlistmatch": ModuleSpec("cidlistmatch"),
    "fax_detect": ModuleSpec("fax_detect"),
    **dict.fromkeys(_CONTINUE_ONLY, ModuleSpec("default")),
    **dict.fromkeys(_NOT_CHECKED, ModuleSpec("unchecked")),
}


def modules_where(children: Children) -> frozenset[str]:
    """The modules whose children follow ``children`` (set look-ups for the hot paths)."""
    return frozenset(name for name, spec in MODULES.items() if spec.children == children)


KNOWN_MODULES: frozenset[str] = frozenset(MODULES)
CONNECTING_MODULES: frozenset[str] = frozenset(n for n, s in MODULES.items() if s.connects)
