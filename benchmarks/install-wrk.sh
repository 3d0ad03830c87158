#!/bin/sh
# make bench-api drives the load with wrk: install it when we can (root on Debian/Ubuntu), or say how.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing wrk (the HTTP load generator of make bench-api)..."
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; } && exit 0
fi
echo "make bench-api needs wrk: sudo apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)." >&2
exit 1
