"""
Sphinx configuration of PIE's documentation: ``make docs`` builds it into docs/_build/html,
nitpicky and with warnings as errors.

The pages link to each other as files (```ADR 3 <decisions/0003-jwt-authentication.rst>`_``),
which is what a repository browser shows; ``setup`` below makes each such link point at the
page built from that file, and makes a link to a file that is not one of these pages a
warning, so it fails the build.
"""

import posixpath

from docutils import nodes
from sphinx.util import logging

project = "PIE: Program Intent and Engagement"
author = "the PIE maintainers"
html_title = "PIE"
html_show_copyright = False

extensions = []
exclude_patterns = ["_build"]
# Every cross-reference must resolve; nothing needs an exception.
nitpicky = True

html_theme = "sphinx_book_theme"
html_theme_options = {
    # No repository or launch buttons: the pages name nothing outside the repository.
    "use_download_button": False,
    "show_toc_level": 2,
}

logger = logging.getLogger(__name__)


def setup(app):
    app.connect("doctree-resolved", _file_links_to_pages)


def _file_links_to_pages(app, doctree, docname):
    """Point each relative link to a ``.rst`` file at the page built from it; warn when there is none."""
    for reference in doctree.findall(nodes.reference):
        uri = reference.get("refuri", "")
        path, hash_sign, anchor = uri.partition("#")
        if not path.endswith(".rst") or "://" in path or path.startswith("/"):
            continue
        page = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path.removesuffix(".rst")))
        if page not in app.env.found_docs:
            logger.warning("a link to %s, which is not a page of these docs", uri, location=reference)
            continue
        reference["refuri"] = app.builder.get_relative_uri(docname, page) + hash_sign + anchor
