# Shared by scripts/run and scripts/test: find a Python 3.12+ and make the project's virtualenv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

is_py312() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c v
    for c in python3.14 python3.13 python3.12 python3; do
        if command -v "$c" >/dev/null 2>&1 && is_py312 "$c"; then command -v "$c"; return; fi
    done
    # pyenv shims answer only when a version is selected: ask pyenv for its installed ones.
    if command -v pyenv >/dev/null 2>&1; then
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -rV); do
            c="$(pyenv prefix "$v")/bin/python3"
            if is_py312 "$c"; then echo "$c"; return; fi
        done
    fi
    echo "This project needs Python 3.12 or newer (Django 6). Install it (e.g. apt install python3.12 python3.12-venv, or pyenv install 3.13) and run again." >&2
    exit 1
}

ensure_venv() {
    local extras="$1" stamp="$VENV/.installed-$1"
    if [ ! -x "$VENV/bin/python" ] || ! is_py312 "$VENV/bin/python"; then
        rm -rf "$VENV"
        "$(find_python)" -m venv "$VENV"
    fi
    # Reinstall when pyproject.toml changed since the last install.
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "Installing dependencies into .venv ..."
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -e "$ROOT[$extras]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
        "$VENV/bin/python" -c "import django, rest_framework" || { echo "Dependency install failed" >&2; exit 1; }
        touch "$stamp"
    fi
}
