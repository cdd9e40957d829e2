"""Kazoo documents the front desk uses (32-character ids from Crossbar)."""

RECEPTION_PHONE = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f001"  # a device
RECEPTION_MAILBOX = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f002"
STAFF = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f003"  # group: everyone who works here
SUPERVISORS = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f004"  # group: may listen in on calls
SALES = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f005"  # group
OVERHEAD_SPEAKERS = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f006"  # device: the warehouse paging speaker
DIRECTORY = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f007"  # dial-by-name directory
MAIN_MENU = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f008"  # a stored menu (its recorded prompts)
FAXBOX = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f009"
