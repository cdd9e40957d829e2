"""The Kazoo documents the switchboard connects to: 32-character ids from Crossbar.

Numbers are E.164. A real deployment keeps these in configuration; they are constants here
so the flow reads top to bottom.
"""

RECEPTION_PHONE = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e01"  # a device
RECEPTION_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e02"
MANAGER = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e03"  # a user: all of their phones ring
MANAGER_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e04"
SALES_DESK_PHONE = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e05"
SALES_LEAD = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e06"
SALES_REPS = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e07"  # a group
SALES_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e08"
SUPPORT_AGENTS = (
    "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e09",
    "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0a",
    "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0b",
)
SUPPORT_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0c"
BILLING_GROUP = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0d"  # a stored group (its own strategy)
BILLING_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"
ALL_HANDS_CONFERENCE = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0f"
FAXBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e10"
GENERAL_MAILBOX = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e11"

HEAD_OFFICE = "+13125550100"  # reached through the account's own carriers
ON_CALL_MOBILE = "+13125550199"  # reached through the system's carriers
