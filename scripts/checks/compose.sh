#!/usr/bin/env bash
# The container path, as far as it can be checked without a Docker engine:
#  - docker/compose.yaml parses (Debian's docker-compose) and names every service (the profile
#    `scaled` adds a second instance of each service);
#  - every image tag is pinned (compose and the Dockerfile's FROM lines: a version, never latest);
#  - every long-running service has a healthcheck and a restart policy;
#  - secrets come from files in docker/secrets/ (ignored by git and by the image build) through
#    *_FILE variables, never as values in the file;
#  - every variable compose sets for a registry service is one the service reads;
#  - every variable a service reads (its --help) is documented in docs/;
#  - the Dockerfile has no `|| true` (a failed build must fail the image), creates the data
#    folder and gives it to the non-root user it runs as, and requires librdkafka >= 2.2.
set -uo pipefail
source "$(dirname "$0")/../common.sh"
command -v docker-compose >/dev/null || die "docker-compose is missing; scripts/bootstrap.sh installs it"
BIN=${REGISTRY_BIN_DIR:-$(cd "$ROOT" && swift build --show-bin-path)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=0
if ! docker-compose -f "$ROOT/docker/compose.yaml" --profile observability --profile scaled config > "$dir/compose.yaml" 2> "$dir/errors"; then
  echo "FAIL compose config: $(cat "$dir/errors")"; exit 1
fi
echo "ok   docker-compose config parses docker/compose.yaml"
for service in registration-intake address-index notification audit; do
  "$BIN/$service" --help > "$dir/$service.help" || { echo "FAIL $service --help"; failed=1; }
done

"$VENV/bin/python" - "$ROOT" "$dir" <<'PY' || failed=1
import pathlib, re, subprocess, sys
import yaml
root, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
compose = yaml.safe_load((work / "compose.yaml").read_text())
services = compose["services"]
failures = []
def check(ok, good, bad):
    (print(f"ok   {good}") if ok else failures.append(bad))

registry = ["registration-intake", "address-index", "notification", "audit"]
expected = sorted(registry + [f"{s}-2" for s in registry] + ["kafka", "topics", "prometheus", "grafana"])
check(sorted(services) == expected, f"services: {' '.join(sorted(services))}", f"services are {sorted(services)}, expected {expected}")

def pinned(image):
    name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return bool(tag) and tag != "latest" and re.search(r"\d", tag) is not None
images = {name: spec["image"] for name, spec in services.items()}
dockerfile = (root / "docker/Dockerfile").read_text()
from_images = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
unpinned = [f"{n}: {i}" for n, i in images.items() if not pinned(i)] + [f"Dockerfile FROM {i}" for i in from_images if not pinned(i)]
check(not unpinned, f"every image tag is pinned ({len(set(images.values())) + len(from_images)} images)", f"unpinned images: {unpinned}")

long_running = [n for n in services if n != "topics"]
no_health = [n for n in long_running if "healthcheck" not in services[n]]
no_restart = [n for n in long_running if services[n].get("restart") not in ("always", "unless-stopped", "on-failure")]
check(not no_health and not no_restart, "every long-running service has a healthcheck and a restart policy",
      f"without healthcheck: {no_health}; without restart policy: {no_restart}")

# Secrets: files under docker/secrets/, which git and the image build ignore.
secret_files = {name: pathlib.Path(spec["file"]) for name, spec in compose.get("secrets", {}).items()}
outside = [f"{n}: {p}" for n, p in secret_files.items() if p.parent != root / "docker/secrets"]
ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "docker/secrets/jwt-secret"]).returncode == 0
dockerignore = "docker/secrets" in (root / ".dockerignore").read_text().split()
check(secret_files and not outside and ignored and dockerignore, f"secrets come from files in docker/secrets/ ({', '.join(secret_files)}), ignored by git and docker build",
      f"secret files outside docker/secrets: {outside}; git ignores docker/secrets: {ignored}; .dockerignore has it: {dockerignore}")
literal = [f"{n}: {k}" for n, spec in services.items() for k, v in (spec.get("environment") or {}).items()
           if re.search(r"SECRET|PASSWORD|TOKEN", k) and not k.endswith("_FILE") and not k.endswith("__FILE") and v not in (None, "")]
check(not literal, "no secret value is written into the compose file", f"secret values in compose: {literal}")

# Variables: what compose sets is read; what is read is documented.
def read_by(service):
    help_text = (work / f"{service}.help").read_text()
    names = set(re.findall(r"^  ([A-Z][A-Z0-9_]*\*?)\s", help_text, re.M))
    secrets = re.search(r"<NAME>_FILE, the path of a file holding it.*?:\s*(.*?)\.\s*$", help_text, re.S)
    files = {n.strip() + "_FILE" for n in secrets.group(1).split(",")} if secrets else set()
    return names, files
documented = "\n".join(p.read_text() for p in (root / "docs").glob("*.md"))
unknown, undocumented = [], set()
for service in registry:
    names, files = read_by(service)
    for instance in [service, f"{service}-2"]:
        for variable in services.get(instance, {}).get("environment") or {}:
            if variable not in names and variable not in files and not variable.startswith("KAFKA_"):
                unknown.append(f"{instance}: {variable}")
    undocumented |= {n for n in names if f"`{n}`" not in documented}
    if not files:
        failures.append(f"{service} --help does not list the secrets that may be given as <NAME>_FILE")
check(not unknown, "every variable compose sets for a service is one the service reads", f"variables the services do not read: {unknown}")
check(not undocumented, "every variable the services read (their --help) is documented in docs/", f"not documented in docs/*.md: {sorted(undocumented)}")

# The Dockerfile.
check("|| true" not in dockerfile, "the Dockerfile masks no failure (no `|| true`)", "the Dockerfile has `|| true`: a failed step would not fail the build")
user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
data_dir = re.search(r"DATA_DIR=(\S+)", dockerfile)
runtime = dockerfile.split("\nFROM ")[-1]
creates = data_dir and re.search(rf"mkdir -p [^\n]*{re.escape(data_dir.group(1))}", runtime)
owns = user and re.search(rf"chown -R {user[-1]}:{user[-1]} [^\n]*{re.escape(str(pathlib.PurePath(data_dir.group(1)).parent))}", runtime) if data_dir else None
check(user and user[-1] not in ("root", "0") and creates and owns, f"the image runs as {user[-1] if user else '?'} and creates and owns DATA_DIR ({data_dir.group(1) if data_dir else '?'})",
      f"the runtime image must create DATA_DIR and chown it to its non-root USER (USER {user}, DATA_DIR {data_dir and data_dir.group(1)})")
check(re.search(r"librdkafka1[^\n]*\n(?:.*\n)*?.*dpkg --compare-versions .*librdkafka1.* ge 2\.2", runtime) is not None,
      "the runtime image installs librdkafka1 and refuses one older than 2.2", "the runtime image does not check librdkafka >= 2.2")
set_e = re.search(r"RUN set -e[ux]*;[^\n]*\\\n(?:[^\n]*\\\n)*?[^\n]*swift build -c release", dockerfile)
check(set_e is not None, "the release build runs under `set -e`", "the swift build step must run under `set -e` (a loop reports only its last step)")

for failure in failures:
    print(f"FAIL {failure}")
sys.exit(1 if failures else 0)
PY
exit $failed
