"""The kit's example customers, one package ``examples.<slug>`` each (docs/recipes.md).

``pivotkit serve``, ``call`` and ``replay`` serve them beside the operator's own customers
(``customers.*``), so a new user can dial ``acme`` at once; ``cdk synth``/``deploy`` leave
them out unless asked for (``-c examples=acme,hours`` or ``-c examples=all``).
"""
