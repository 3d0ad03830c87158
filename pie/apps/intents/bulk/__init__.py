"""
Bulk loading: what reads warehouse CSV reports and writes intents in batches.

``source`` reads a report, ``report`` and ``progress`` tell the operator how it went;
``batches`` and ``writers`` are the machinery of ``services.iter_record_intents``, the
service layer's batch path. Domain rules stay in ``validation`` and ``services``.
"""
