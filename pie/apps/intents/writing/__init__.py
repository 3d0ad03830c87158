"""
The write path below ``services``: the SQL that records intents.

``single`` inserts one intent (``services.record_intent``); ``batches`` checks and writes a
stream of them in batches (``services.iter_record_intents``), through the backend's writer
(``writers.batch_writer``: ``sqlite`` or ``mysql``, on ``base``). Nothing here is called but
by ``services`` (``intake.report`` reads the types of its results); the rules an intent's
values must meet stay in ``validation``.
"""
