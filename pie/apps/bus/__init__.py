"""
The event plumbing every domain app shares (ADR 25).

``registry``: where each app declares its event kinds (what a kept event writes again) and
its consumers (topic settings, commands); ``recording``: what becomes of an event (written,
skipped, kept to replay) and the replay; ``retry``: how an event waits for the database;
``status``: what operators see of the consumers; ``consuming``: one consumer process;
``producing``: sending events (the demos, the tests). docs/events.rst is the guide.
"""
