"""Lambda entry point for Pivot requests (one function per customer when deployed)."""

from pivotkit.aws.lambda_entry import make_pivot_handler

handler = make_pivot_handler()
