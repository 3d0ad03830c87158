"""
The v1 endpoints, one module per resource: ``intents`` (``/api/v1/program_intents/``),
``bulk`` (its ``bulk/`` action), ``program_reads`` (``/api/v1/programs/{program_uuid}/``)
and ``retirement`` (``/api/v1/retire_user/``).
"""
