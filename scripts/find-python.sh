#!/bin/sh
# Print the path of a Python 3.12 or newer, or explain what to install and fail.
# Order: python3.12, then python3 when it is 3.12+, then pyenv's 3.12, then python3.13+.
check='import sys
if sys.version_info < (3, 12): sys.exit(1)
'
for candidate in python3.12 python3 ; do
    path=$("$candidate" -c "${check}print(sys.executable)" 2>/dev/null) && { echo "$path"; exit 0; }
done
root="${PYENV_ROOT:-$HOME/.pyenv}"
for path in "$root"/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do
    [ -x "$path" ] && "$path" -c "$check" 2>/dev/null && { echo "$path"; exit 0; }
done
for candidate in python3.13 python3.14; do
    path=$("$candidate" -c "${check}print(sys.executable)" 2>/dev/null) && { echo "$path"; exit 0; }
done
echo "PIE needs Python 3.12 or newer, and none was found (tried python3.12, python3, pyenv's 3.12)." >&2
echo "Install Python 3.12 (e.g. 'pyenv install 3.12' or your system's python3.12 package)," >&2
echo "or name one: make PYTHON=/path/to/python3.12 ..." >&2
exit 1
