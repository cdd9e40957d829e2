"""Lambda entry point of a customer's function: Pivot requests and that customer's media."""

from pivotkit.aws.customer_entry import make_customer_handler

handler = make_customer_handler()
