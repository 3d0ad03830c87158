"""
What becomes of the events PIE's receivers hand over (``signals.handlers``).

``recording`` records an event's intent, skips what does not map, and keeps in the
failed-event store what it could not record; ``retry`` is how an event waits for the
database; ``status`` is what operators see of the consumers; ``producing`` sends the demo
event. docs/events.rst is the guide.
"""
