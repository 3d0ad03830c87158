"""
What the tests share: fixtures (each module listed in the root ``conftest.py``'s
``pytest_plugins``), stand-ins and helpers. A test imports from here, from its own app's test
helpers, or from another app's ``factories``; never from a test module or a conftest.
"""
