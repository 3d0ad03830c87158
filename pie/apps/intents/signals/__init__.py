"""The receivers of the Open edX events PIE listens to (``handlers``), connected in ``IntentsConfig.ready``."""
