"""PIE's database backends: Django's own, where PIE needs them to do a little more."""
