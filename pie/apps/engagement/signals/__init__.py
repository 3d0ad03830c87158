"""The receivers of the events engagement listens to (``handlers``), connected in ``EngagementConfig.ready``."""
