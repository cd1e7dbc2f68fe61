#!/usr/bin/env bash
# The repository explains itself: no file refers to anything outside it (the team's shared
# folder beside the checkout, or its design notes), every `docs/architecture.md §N` a file cites
# is a section of that page, and every relative link in the Markdown documents leads to a file of
# the repository.
set -uo pipefail
source "$(dirname "$0")/../common.sh"
cd "$ROOT"
failed=0
# The pattern is assembled so that this file does not name what it looks for.
parent='\.\.'; folder='shared'; notes='DESI''GN'
if outside=$(git grep --untracked -n -I -E "$parent/$folder|$notes(\\.md)?( §|\\b)" -- .); then
  echo "FAIL files refer to documents outside the repository (explain it in docs/ instead):"; echo "$outside" | head -20; failed=1
else
  echo "ok   no file refers to the shared folder outside the repository or its design notes"
fi
"$VENV/bin/python" - <<'PY' || failed=1
import pathlib, re, subprocess, sys
files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True).stdout.split()
architecture = pathlib.Path("docs/architecture.md").read_text()
sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", architecture, re.M))
failures, cited = [], 0
for name in files:
    path = pathlib.Path(name)
    if not path.is_file() or path.suffix in {".sqlite", ".png"}:
        continue
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        continue
    for match in re.finditer(r"architecture\.md §(\d+(?:\.\d+)?)(?:[-–](\d+(?:\.\d+)?))?", text):
        for section in filter(None, match.groups()):
            cited += 1
            if section not in sections:
                failures.append(f"{name}: cites docs/architecture.md §{section}, which has no such section")
    if path.suffix == ".md":
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            if not (path.parent / target).resolve().exists():
                failures.append(f"{name}: link to {target}, which is not in the repository")
for failure in failures:
    print(f"FAIL {failure}")
if not failures:
    print(f"ok   {cited} citations of docs/architecture.md name existing sections; every relative Markdown link resolves")
sys.exit(1 if failures else 0)
PY
exit $failed
