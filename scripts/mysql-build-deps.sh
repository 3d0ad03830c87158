#!/bin/sh
# mysqlclient compiles against the MySQL/MariaDB client headers, found through pkg-config.
# Install them when we can (root on Debian/Ubuntu), or say exactly what to install.
# --check (make run, make migrate, make shell) installs nothing: it names in one line what is
# missing (pkg-config, the client headers, a C compiler, Python's headers), and fails.
if [ "$1" = "--check" ]; then
    missing=
    command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
    if ! command -v pkg-config >/dev/null 2>&1 || \
       ! { pkg-config --exists mysqlclient || pkg-config --exists libmariadb; }; then
        missing="$missing libmariadb-dev"
    fi
    command -v "${CC:-cc}" >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
    include=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
    [ -f "$include/Python.h" ] || missing="$missing python3-dev"
    [ -z "$missing" ] && exit 0
    echo "DATABASE_URL names MySQL, and mysqlclient cannot build here: install$missing (Debian/Ubuntu names; Fedora: pkgconf mariadb-connector-c-devel gcc python3-devel; macOS: brew install pkg-config mysql-client), then run the command again." >&2
    exit 1
fi
if command -v pkg-config >/dev/null 2>&1 && \
   { pkg-config --exists mysqlclient || pkg-config --exists libmariadb; }; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the MySQL/MariaDB client headers that mysqlclient builds against..."
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq pkg-config libmariadb-dev gcc >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq pkg-config libmariadb-dev gcc >/dev/null; }; } && exit 0
fi
cat >&2 <<'MSG'
mysqlclient needs the MySQL/MariaDB client headers and pkg-config to build. Install them:
  Debian/Ubuntu:  sudo apt-get install pkg-config libmariadb-dev gcc
  Fedora/RHEL:    sudo dnf install pkgconf mariadb-connector-c-devel gcc
  macOS:          brew install pkg-config mysql-client
                  (and export PKG_CONFIG_PATH="$(brew --prefix mysql-client)/lib/pkgconfig")
then run the command again.
MSG
exit 1
