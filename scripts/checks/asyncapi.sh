#!/usr/bin/env bash
# docs/api/asyncapi.yaml is a valid AsyncAPI 3.0 document (the asyncapi3 object model) that
# describes every topic of RegistryTopic and every CloudEvents type of EventType, each Kafka
# message's payload being the CloudEvent envelope with that type's JSON Schema as `data`, and
# every $ref in it resolves (inside the document and into the schema files).
set -uo pipefail
source "$(dirname "$0")/../common.sh"
"$VENV/bin/python" -W ignore - "$ROOT" <<'PY'
import json, pathlib, re, sys
import yaml
from asyncapi3.models.asyncapi import AsyncAPI3
root = pathlib.Path(sys.argv[1])
path = root / "docs/api/asyncapi.yaml"
failures = []
document = yaml.safe_load(path.read_text())
try:
    AsyncAPI3.model_validate(document)
    print(f"ok   {path.relative_to(root)} is valid AsyncAPI {document['asyncapi']} ({len(document['channels'])} channels, {len(document['operations'])} operations)")
except Exception as error:
    failures.append(f"not a valid AsyncAPI 3.0 document: {error}")
if document.get("asyncapi") != "3.0.0":
    failures.append(f"asyncapi is {document.get('asyncapi')!r}, not 3.0.0")

schema_module = root / "Shared/RegistrySchema"
topics = re.findall(r'case \w+ = "([a-z.]+\.v\d+)"', (schema_module / "Topics/RegistryTopic.swift").read_text())
types = re.findall(r'case \w+ = "(kz\.registry\.[a-z.-]+\.v\d+)"', (schema_module / "Events/EventType.swift").read_text())
channels = {c["address"]: c for c in document["channels"].values()}
messages = document["components"]["messages"]
missing_topics = [t for t in topics if t not in channels]
extra = [a for a in channels if "{" not in a and a not in topics]
missing_types = [t for t in types if t not in {m.get("name") for m in messages.values()}]
if missing_topics or extra or missing_types:
    failures.append(f"topics missing: {missing_topics}; channels that are no topic: {extra}; event types missing: {missing_types}")
else:
    print(f"ok   every topic ({len(topics)}) is a channel and every event type ({len(types)}) a message")

def resolve(ref, base):
    """The object a $ref points at, or raise."""
    target, _, pointer = ref.partition("#")
    file = (base.parent / target).resolve() if target else base
    node = (yaml.safe_load if file.suffix == ".yaml" else json.loads)(file.read_text()) if target else document
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, file

count = 0
def walk(node, base):
    global count
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                count += 1
                try:
                    resolve(value, base)
                except Exception as error:
                    failures.append(f"$ref {value} does not resolve: {error!r}")
            else:
                walk(value, base)
    elif isinstance(node, list):
        for value in node:
            walk(value, base)
walk(document, path)
print(f"ok   all {count} $refs resolve") if not any("$ref" in f for f in failures) else None

# Each Kafka message: the envelope plus `type` and `data` of its own type.
for channel in document["channels"].values():
    if "{" in channel["address"]:
        continue
    for reference in channel["messages"].values():
        message, _ = resolve(reference["$ref"], path)
        text = json.dumps(message["payload"])
        name = message["name"]
        if f'"const": "{name}"' not in text or f'Schemas/{name}.json' not in text or "Schemas/cloudevent.json" not in text:
            failures.append(f"{channel['address']}: the payload of {name} is not the envelope with {name}.json as data")
        for schema in re.findall(r'Schemas/([^"#]+\.json)', text):
            if not (schema_module / "Resources/Schemas" / schema).exists():
                failures.append(f"{name}: no schema {schema}")
if not any("payload" in f for f in failures):
    print("ok   every Kafka message is the CloudEvent envelope with its type's JSON Schema as data")
for failure in failures:
    print(f"FAIL {failure}")
sys.exit(1 if failures else 0)
PY
