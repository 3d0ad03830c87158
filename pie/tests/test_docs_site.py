"""
The documentation site as ``make docs`` builds it (docs/conf.py): the README's names of the
guides are links, each page has one table of contents and one search field, section titles
are plain titles, and shell examples are highlighted as shell.

Sphinx comes with requirements/docs.txt (``make docs``); without it these tests are skipped.
"""

import re
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_book_theme")

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from sphinx.cmd.build import build_main

    out = tmp_path_factory.mktemp("html")
    assert build_main(["-W", "-n", "-E", "-q", "-b", "html", str(DOCS), str(out)]) == 0
    return out


def test_the_readme_names_of_the_guides_link_to_their_pages(site):
    overview = (site / "overview.html").read_text()
    for page in ("api", "bulk_load", "domain", "events"):
        link = re.search(
            rf'<a class="reference internal" href="([^"]+)"><code[^>]*><span class="pre">docs/{page}\.rst<', overview
        )
        assert link, page
        assert link[1] == f"{page}.html"
    assert re.search(
        r'<a class="reference internal" href="decisions/index.html"><code[^>]*><span class="pre">docs/decisions/<',
        overview,
    )
    # A name that is not a page stays code text.
    assert '<span class="pre">docs/_build/html</span></code>' in overview
    assert 'href="docs/_build' not in overview


@pytest.mark.parametrize("page", ["overview.html", "api.html", "events.html", "decisions/index.html"])
def test_a_page_has_one_table_of_contents_one_search_field_and_plain_titles(site, page):
    html = (site / page).read_text()
    assert html.count('class="btn search-button-field') == 1
    assert 'class="contents' not in html  # no contents directive beside the theme's own
    assert html.count('id="pst-page-navigation-heading') <= 1
    assert "toc-backref" not in html  # a title is not a link back to a contents list


def test_shell_examples_are_highlighted_as_shell_and_json_as_json(site):
    api = (site / "api.html").read_text()
    blocks = re.findall(r'<div class="highlight-(\w+) notranslate">', api)
    assert blocks.count("bash") >= 10
    assert "json" in blocks
    assert "yaml" in blocks
    assert "javascript" in blocks
    assert "highlight-python" not in api
    assert "highlight-default" not in api
    # The shell's variable is a variable: bash's lexer, not Python's.
    assert '<span class="nv">TOKEN</span>' in api
    css = (site / "_static" / "pie.css").read_text()
    assert "white-space: pre-wrap" in css
    assert "_static/pie.css" in api


def test_the_index_leads_to_the_tutor_page_and_the_change_log(site):
    index = (site / "index.html").read_text()
    assert 'href="tutor.html"' in index
    assert 'href="changelog.html"' in index
    changelog = (site / "changelog.html").read_text()
    assert "Unreleased" in changelog
