"""
Sphinx configuration of PIE's documentation: ``make docs`` builds it into docs/_build/html,
nitpicky and with warnings as errors.

The pages link to each other as files (```ADR 3 <decisions/0003-jwt-authentication.rst>`_``),
which is what a repository browser shows; ``setup`` below makes each such link point at the
page built from that file, and makes a link to a file that is not one of these pages a
warning, so it fails the build. The README names the guides as code (````docs/api.rst````):
PyPI renders it too, where a relative link leads nowhere; here each such name of a page
(``docs/<page>.rst``, ``docs/decisions/``, ``README.rst``) becomes a link to it.

One table of contents a page (the theme's, on the right: the pages have no ``contents``
directive) and one search field (the sidebar's). Literal blocks (``::``) are shell unless
they say otherwise (``.. code-block:: json``); a long line wraps (``_static/pie.css``).
"""

import posixpath
import re

from docutils import nodes
from sphinx.util import logging

project = "PIE: Program Intent and Engagement"
author = "the PIE maintainers"
html_title = "PIE"
html_show_copyright = False

extensions = []
exclude_patterns = ["_build"]
# A literal block with no language is a shell example; the others name theirs.
highlight_language = "bash"
# Every cross-reference must resolve; nothing needs an exception.
nitpicky = True

html_theme = "sphinx_book_theme"
html_theme_options = {
    # No repository or launch buttons: the pages name nothing outside the repository.
    "use_download_button": False,
    "show_toc_level": 2,
    # The sidebar's search field is the page's only one: no second one in a header bar.
    "navbar_persistent": [],
}
html_static_path = ["_static"]
html_css_files = ["pie.css"]

logger = logging.getLogger(__name__)


def setup(app):
    app.connect("doctree-resolved", _file_links_to_pages)
    app.connect("doctree-resolved", _page_names_to_links)


# A repository path that is one of these pages, as the README writes it: the page's name.
_PAGE_PATHS = {"README.rst": "overview", "docs/decisions/": "decisions/index", "docs/decisions": "decisions/index"}
_DOCS_PAGE = re.compile(r"docs/(?P<page>[\w/-]+)\.rst")


def _page_names_to_links(app, doctree, docname):
    """Make each code-text name of a page (````docs/api.rst````) a link to that page."""
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, nodes.reference):
            continue
        text = literal.astext()
        match = _DOCS_PAGE.fullmatch(text)
        page = match["page"] if match else _PAGE_PATHS.get(text)
        if page is None or page not in app.env.found_docs or page == docname:
            continue
        reference = nodes.reference("", "", internal=True, refuri=app.builder.get_relative_uri(docname, page))
        literal.replace_self(reference)
        reference.append(literal)


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
