#!/bin/bash
# Makes the project's virtual environment .venv from python/requirements.txt. On machines whose pip is set up
# with local package folders (file:// indexes, find-links), it installs from those only, offline; elsewhere
# from PyPI. Never touches the system Python (Debian's PyTorch lives there).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  python3 -m venv .venv || { echo "structflow: python3 -m venv failed: apt-get install python3-venv" >&2; exit 1; }
fi
args=()
local_only=1
for u in $(pip config get global.extra-index-url 2>/dev/null) $(pip config get global.index-url 2>/dev/null); do
  case "$u" in file://*) args+=(--extra-index-url "$u") ;; *) local_only=0 ;; esac
done
for f in $(pip config get global.find-links 2>/dev/null); do args+=(--find-links "$f"); done
if [ ${#args[@]} -gt 0 ] && [ $local_only = 1 ]; then
  # a file:// index first: pip must not wait on PyPI from a machine without internet
  first=${args[1]}
  args=(--index-url "$first" "${args[@]:2}")
fi
# pip warns about every missing per-package folder of a partial local index: noise, not news
.venv/bin/pip install --quiet --disable-pip-version-check "${args[@]}" -r python/requirements.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
# the sandboxed programs' own packages (python/programs-requirements.txt), mounted read-only in the sandbox
.venv/bin/pip install --quiet --disable-pip-version-check --upgrade --target .sandbox-site "${args[@]}" \
  -r python/programs-requirements.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
.venv/bin/python - <<'EOF'
import importlib.metadata as m
names = ["torch", "transformers", "trl", "datasets", "pyarrow"]
print("structflow: .venv ready (" + ", ".join(f"{n} {m.version(n)}" for n in names) + ")")
EOF
