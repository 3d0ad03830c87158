"""
The shape of PIE's code, read from its imports (tests aside): the apps import only downward,
and no module of ``pie/`` imports, however indirectly, one that imports it. And its size: no
module of ``pie/`` (settings, tests and migrations aside) is over ``MAX_MODULE_LINES`` lines.

    api -> engagement -> (catalog, intents -> bus) -> core
"""

import ast
import re
from pathlib import Path

import pytest

PIE = Path(__file__).resolve().parents[1]
# Each app, and the apps it may import. An app not listed here fails the test until it is.
MAY_IMPORT = {
    "core": set(),
    "bus": {"core"},
    "intents": {"core", "bus"},
    "catalog": {"core"},
    "engagement": {"core", "bus", "intents", "catalog"},
    "api": {"core", "intents", "catalog", "engagement"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PIE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _product_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PIE.rglob("*.py")
        if "tests" not in path.relative_to(PIE).parts and "migrations" not in path.relative_to(PIE).parts
    }


MODULES = _product_modules()


def _imports(path: Path) -> set[str]:
    """The modules of pie/ that ``path`` imports, anywhere in it (a function's imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from package import module" imports the module; "from module import name", the module.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "apps" else None


def test_every_app_is_placed_in_the_layers():
    apps = {_app(module) for module in MODULES} - {None}
    assert apps <= set(MAY_IMPORT), f"apps without a layer: {apps - set(MAY_IMPORT)}"


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_an_app_imports_only_the_apps_below_it(app):
    upward = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if _app(module) == app
        for imported in imports
        if _app(imported) not in (None, app) and _app(imported) not in MAY_IMPORT[app]
    )
    assert not upward


def test_no_app_imports_the_project_modules_above_it():
    # pie.urls, pie.wsgi and pie.settings.* assemble the apps; no app reaches up into them
    # but for the settings' own modules that core's checks read (none today).
    upward = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if _app(module) is not None
        for imported in imports
        if _app(imported) is None
    )
    assert not upward


def test_no_app_imports_the_models_of_another():
    # An app reaches another app's data through that app's public modules (services,
    # selectors, the catalog's api): its models are its own business.
    reaching = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        for imported in imports
        if imported.endswith(".models") and _app(imported) not in (None, _app(module))
    )
    assert not reaching


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []
    visiting, done = [], set()

    def visit(node: str) -> None:
        visiting.append(node)
        for imported in sorted(graph.get(node, ())):
            if imported in visiting:
                cycles.append(" -> ".join([*visiting[visiting.index(imported) :], imported]))
            elif imported not in done:
                visit(imported)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            visit(node)
    return cycles


def test_no_module_imports_itself_through_others():
    assert not _cycles(GRAPH)


def _package(module: str) -> str:
    """A module of an app's subpackage stands for its subpackage (pie.apps.intents.writing); others for themselves."""
    parts = module.split(".")
    return ".".join(parts[:4]) if len(parts) > 4 and parts[1] == "apps" else module


def test_no_two_packages_import_each_other():
    # The subpackages of an app (writing, intake, events...) each one node: a subpackage may
    # use the modules of its app, but none of those may use it back through another.
    graph: dict[str, set[str]] = {}
    for module, imports in GRAPH.items():
        node = _package(module)
        graph.setdefault(node, set()).update(_package(imported) for imported in imports)
        graph[node].discard(node)
    assert not _cycles(graph)


def test_the_import_graph_is_read():
    # The reader sees real imports: a test that found none would pass whatever the code did.
    assert "pie.apps.core.lms" in GRAPH["pie.apps.intents.validation"]
    assert "pie.apps.intents.services" in GRAPH["pie.apps.api.v1.views.intents"]
    assert "pie.apps.intents.services" in GRAPH["pie.apps.api.v1.views.bulk"]
    assert "pie.apps.intents.selectors" in GRAPH["pie.apps.api.v1.views.program_reads"]
    assert "pie.apps.api.v1.permissions" in GRAPH["pie.apps.api.v1.views.retirement"]
    assert "pie.apps.api.v1.views.intents" in GRAPH["pie.apps.api.v1.urls"]


# The most lines a module of pie/ may have (settings, tests and migrations aside): a module
# that would grow past it is split by purpose first.
MAX_MODULE_LINES = 300


def _modules_over(limit: int) -> list[str]:
    """The modules of pie/ (settings aside) of more than ``limit`` lines, each with its count."""
    return sorted(
        f"{path.relative_to(PIE.parent)} ({lines} lines)"
        for name, path in MODULES.items()
        if not name.startswith("pie.settings") and (lines := len(path.read_text().splitlines())) > limit
    )


def test_no_module_is_over_the_line_limit():
    over = _modules_over(MAX_MODULE_LINES)
    assert not over, f"over {MAX_MODULE_LINES} lines, to split by purpose: {', '.join(over)}"


def test_the_line_count_is_read():
    # The lines are counted: with no room at all, a module of the product is named.
    assert any(entry.startswith("pie/apps/intents/services.py (") for entry in _modules_over(0))
    assert not any(entry.startswith("pie/settings/") for entry in _modules_over(0))


# What other apps may import of the catalog: its public face, and its signal's definition.
CATALOG_PUBLIC = {"pie.apps.catalog", "pie.apps.catalog.api", "pie.apps.catalog.signals"}


def test_other_apps_reach_the_catalog_only_through_its_public_face():
    reaching = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if _app(module) != "catalog"
        for imported in imports
        if _app(imported) == "catalog" and imported not in CATALOG_PUBLIC
    )
    assert not reaching
    assert "pie.apps.catalog.api" in GRAPH["pie.apps.engagement.services"]


def test_no_module_outside_the_catalog_imports_its_models():
    # Tests included: outside pie/apps/catalog, the catalog's tables are known by its api alone.
    catalog_app = PIE / "apps" / "catalog"
    importing = sorted(
        str(path.relative_to(PIE.parent))
        for path in [*PIE.rglob("*.py"), *BENCHMARKS.glob("*.py")]
        if catalog_app not in path.parents
        and any(
            name == "pie.apps.catalog.models" or name.startswith("pie.apps.catalog.models.")
            for name in _imported_modules(path)
        )
    )
    assert not importing


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports by name, anywhere in it ("from a import b" names a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


BENCHMARKS = PIE.parent / "benchmarks"


def _imported_names(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for each ``from module import name`` of ``path``, anywhere in it."""
    return [
        (node.module, alias.name)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    ]


def test_the_benchmarks_use_only_public_names():
    # The benchmarks are tools over the product: PIE's public functions, and what they share
    # in benchmarks/common.py and serving.py; never a private helper of PIE's or of another benchmark.
    private = sorted(
        f"{path.name} imports {module}.{name}"
        for path in BENCHMARKS.glob("*.py")
        for module, name in _imported_names(path)
        if module.split(".")[0] in ("pie", "benchmarks") and name.startswith("_")
    )
    assert not private
    assert ("benchmarks.common", "generate_rows") in _imported_names(BENCHMARKS / "bench_bulk.py")


def test_the_product_knows_nothing_of_the_benchmarks():
    knowing = sorted(
        str(path.relative_to(PIE.parent))
        for path in PIE.rglob("*.py")
        if "tests" not in path.relative_to(PIE).parts
        and any(word in path.read_text() for word in ("benchmarks", "bare_wsgi", "bare_gunicorn"))
    )
    assert not knowing


def test_the_intents_app_knows_nothing_of_engagement():
    # The bus's registry is where engagement declares its kind of event (ADR 25): intents,
    # below engagement, names no course fact (its migrations keep what history wrote).
    naming = sorted(
        str(path.relative_to(PIE.parent))
        for path in (PIE / "apps" / "intents").rglob("*.py")
        if "migrations" not in path.parts and re.search(r"course.fact", path.read_text(), re.IGNORECASE)
    )
    assert not naming


def _test_imports() -> set[tuple[str, str]]:
    """``(test module, imported module)`` for every import of a module of pie/ by the tests and conftest.py."""
    paths = [path for path in PIE.rglob("*.py") if "tests" in path.relative_to(PIE).parts]
    found = set()
    for path in [*paths, PIE.parent / "conftest.py"]:
        for module, name in _imported_names(path):
            found.update(
                (path.name, imported) for imported in (module, f"{module}.{name}") if imported.startswith("pie.")
            )
    return found


def test_no_test_imports_a_test_module_or_a_conftest():
    # Tests share fixtures through pytest_plugins (pie/tests/support) and helpers through
    # modules that hold no test: a test module imported elsewhere lends its tests too, and an
    # imported conftest's fixtures shadow, or vanish with, the file that defines them.
    shared = sorted(
        f"{path} imports {imported}"
        for path, imported in _test_imports()
        if imported.rsplit(".", 1)[-1].startswith(("test_", "conftest"))
    )
    assert not shared
    assert ("test_auth.py", "pie.tests.support.tokens") in _test_imports()  # the reader sees the imports


# The primitives more than one layer shares, each defined in one home (pie/-relative path),
# found by the names of the functions that define them and by the code that would copy one.
# Each copy was under six lines: the duplicates tool did not see them.
PRIMITIVES = {
    "batches": "apps/core/iterables.py",
    "insert-ignore": "apps/core/sql.py",
    "learner lock": "apps/engagement/services.py",
    "batched evaluation": "apps/engagement/services.py",
}
_PRIMITIVE_NAMES = {
    "batches": re.compile(r"^_*(batches|batched|in_batches|chunks|chunked)$"),
    "insert-ignore": re.compile(r"insert_?(or_)?ignor"),
    "learner lock": re.compile(r"lock.*learner|learner.*lock"),
    "batched evaluation": re.compile(r"evaluat.*(batch|chunk)"),
}
_INSERT_IGNORE_SQL = re.compile(r"INSERT\s+(OR\s+)?IGNORE|ON\s+CONFLICT\s+DO\s+NOTHING", re.IGNORECASE)


def _primitives_in(tree: ast.AST) -> set[str]:
    """The primitives that the code of ``tree`` defines, by name or by a copy of their idiom."""
    found = set()
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.update(kind for kind, name in _PRIMITIVE_NAMES.items() if name.search(node.name))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "islice":
            found.add("batches")  # lists cut from an iterator: the batching idiom
        elif (
            isinstance(node, ast.Attribute) and node.attr == "IGNORE" and getattr(node.value, "id", "") == "OnConflict"
        ):
            found.add("insert-ignore")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if _INSERT_IGNORE_SQL.search(node.value):
                found.add("insert-ignore")
        elif (
            isinstance(node, ast.Attribute) and node.attr == "select_for_update" and "LearnerLock" in ast.unparse(node)
        ):
            found.add("learner lock")
    return found


def _homes_of_primitives() -> dict[str, set[str]]:
    homes: dict[str, set[str]] = {}
    for path in MODULES.values():
        for kind in _primitives_in(ast.parse(path.read_text(), filename=str(path))):
            homes.setdefault(kind, set()).add(str(path.relative_to(PIE)))
    return homes


@pytest.mark.parametrize("kind", sorted(PRIMITIVES))
def test_each_shared_primitive_is_defined_in_its_home_only(kind):
    assert _homes_of_primitives().get(kind) == {PRIMITIVES[kind]}


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("def _batches(rows, size): ...", "batches"),
        ("from itertools import islice\nwhile batch := list(islice(rows, 10)): pass", "batches"),
        ("def _insert_ignoring(model, rows): ...", "insert-ignore"),
        ("sql = db.ops.insert_statement(on_conflict=OnConflict.IGNORE)", "insert-ignore"),
        ("sql = f'INSERT IGNORE INTO {table} VALUES '", "insert-ignore"),
        ("sql = 'INSERT OR IGNORE INTO t VALUES (%s)'", "insert-ignore"),
        ("def _lock(id):\n    LearnerLock.objects.select_for_update().filter(lms_user_id=id).exists()", "learner lock"),
        ("def evaluate_chunks(learners): ...", "batched evaluation"),
    ],
)
def test_a_second_copy_of_a_primitive_is_seen(code, kind):
    # The reader sees a copy however it is written: a test that found none would pass whatever the code did.
    assert kind in _primitives_in(ast.parse(code))


def test_a_docstring_that_names_the_sql_is_not_a_copy():
    assert not _primitives_in(ast.parse('"""Writes with INSERT IGNORE, as bulk_create does."""'))
