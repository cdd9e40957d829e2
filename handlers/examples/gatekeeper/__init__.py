"""Gatekeeper: a law firm's line that decides by caller ID who reaches whom.

start ─┬─ a firm phone (Kazoo sends its owner's User-ID) ─► pick the caller ID to present
       │      (dynamic_cid) ─► "number to call?" ─► dial_out ─► the firm's carriers
       ├─ a client, by our own list in Python ─► name shown on the partner's phones (set_cid)
       └─ anyone else: Kazoo decides ─► cidlistmatch: referrers list ─► "Referral: " prefix
                                        (prepend_cid) ─► the partner
                                     └─ check_cid: a local number ─► reception; else ─► messages

The Python list and the Kazoo list do the same job in two places: ``CLIENTS`` changes with a
deploy and can come from a CRM; the CID list is edited in Kazoo by the office. Caller ID is
easy to forge, so it routes calls but never unlocks anything; dialling out is only offered
to the firm's own registered phones.
"""

from pivotkit import (
    MATCH,
    NO_ANSWER,
    NOMATCH,
    USER_BUSY,
    Call,
    Customer,
    Flow,
    Node,
    check_cid,
    cidlistmatch,
    device,
    dynamic_cid,
    hangup,
    prepend_cid,
    resources,
    set_cid,
    tts,
    user,
    voicemail,
)

PARTNER = "6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a01"
PARTNER_MAILBOX = "6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a02"
RECEPTION_PHONE = "6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a03"
MESSAGES_MAILBOX = "6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a04"
REFERRERS_CID_LIST = "6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a05"  # a Kazoo "lists" document

# Clients by E.164 number, as exported from the firm's CRM.
CLIENTS = {
    "+13125550142": "Ada Lovelace",
    "+16175550199": "Grace Hopper",
}
# Local callers: Chicago area codes (a PCRE, as Kazoo's check_cid runs it).
LOCAL_NUMBERS = r"^\+?1?(312|773|872)\d{7}$"
# Staff may present only the firm's own numbers when calling out.
FIRM_LINES = r"^(3125550100|3125550101|3125550102)$"

flow = Flow()


def e164(number: str | None) -> str | None:
    """A North American number as +1NXXNXXXXXX, or None when it is not one."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if len(digits) == 10:
        digits = "1" + digits
    return f"+{digits}" if len(digits) == 11 and digits.startswith("1") else None


def partner() -> Node:
    """The partner's phones; busy or unanswered, the partner's mailbox."""
    ring = user(PARTNER, timeout=25)
    return ring.on(USER_BUSY, voicemail(PARTNER_MAILBOX)).on(NO_ANSWER, voicemail(PARTNER_MAILBOX))


def screened_by_kazoo() -> Node:
    """Kazoo matches the caller against its CID list, then against a regex."""
    referral = prepend_cid(caller_id_name_prefix="Referral: ").then(partner())
    local = device(RECEPTION_PHONE, timeout=20).then(voicemail(MESSAGES_MAILBOX))
    others = tts("Please leave a message and we will call you back.").then(
        voicemail(MESSAGES_MAILBOX)
    )
    by_area = check_cid(regex=LOCAL_NUMBERS).on(MATCH, local).on(NOMATCH, others)
    return cidlistmatch(REFERRERS_CID_LIST).on(MATCH, referral).on(NOMATCH, by_area)


@flow.step()
def start(call: Call) -> Node:
    if call.request.user_ids:
        # Kazoo prompts for the number to present and keeps it only if it matches.
        choose_cid = dynamic_cid(
            action="manual", min_digits=10, max_digits=10, whitelist_regex=FIRM_LINES
        )
        ask = tts("Now enter the number to call, then press pound.")
        return choose_cid.then(call.gather("dial_out", prompt=ask, max_digits=11))
    client = CLIENTS.get(e164(call.request.caller_id_number) or "")
    if client is not None:
        return set_cid(caller_id_name=f"Client {client}").then(partner())
    return screened_by_kazoo()


@flow.step()
def dial_out(call: Call) -> Node:
    number = e164(call.digits)
    if not call.request.user_ids or number is None:
        return tts("That is not a number we can call. Goodbye.").then(hangup())
    sorry = "The call could not be completed."
    return (
        resources(to_did=number, use_local_resources=True, timeout=40)
        .on(USER_BUSY, tts(f"{sorry} The line is busy.").then(hangup()))
        .on(NO_ANSWER, tts(f"{sorry} There was no answer.").then(hangup()))
    )


customer = Customer(slug="gatekeeper", flow=flow)
