"""
CSV in: warehouse reports of intents read into rows for the service layer.

``source`` turns a byte stream (a file, standard input, a request's body; gzip or not) into
rows, for both ``manage.py bulk_insert_intents`` and the bulk API; ``lines`` bounds the
length of what it reads; ``loading`` is the load command that ``bulk_insert_intents`` and
the engagement backfills are, and ``report``, ``progress`` and ``stopping`` its account of a
load, its progress and how an operator stops one. Whether a value is acceptable is for
``validation``, through ``services``.
"""
