"""The operator's customers: one package ``customers.<slug>`` per customer, each exporting
``customer = pivotkit.Customer(...)``.

Start one with ``pivotkit new customer NAME`` (docs/customers.md). The kit's own example
customers live apart, in ``examples`` (``handlers/examples/``): served locally, deployed
only when asked for (``cdk synth -c examples=acme``).
"""
