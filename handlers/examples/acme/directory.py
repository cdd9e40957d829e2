"""Acme's Kazoo ids and demo accounts.

A real deployment looks PINs up in its CRM or database here; the ids are the 32-character
Kazoo document ids of Acme's devices, users and mailboxes.
"""

OPERATOR_DEVICE = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
GENERAL_MAILBOX = "9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f"
SUPPORT_USER = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
SUPPORT_MAILBOX = "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d"
SALES_TEAM = (
    "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a",
    "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b",
)

# PIN -> Acme customer account number (demo data).
ACCOUNTS_BY_PIN = {
    "1234": "10001",
    "4321": "10002",
}
