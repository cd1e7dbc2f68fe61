#!/usr/bin/env python3
"""make bench: turns the pipeline runs' outputs (in $RUN) into bench/results/latest.json (argv[1])
and prints the Markdown section of BENCHMARKS.md with every docs/architecture.md §9 figure beside its target and
its same-run baseline."""
import datetime
import json
import shutil
import os
import re
import subprocess
import sys

run = os.environ["RUN"]


def last_json(name):
    lines = open(os.path.join(run, name)).read().strip().splitlines()
    return json.loads(lines[-1])


def wrk(name):
    text = open(os.path.join(run, name)).read()
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def ms(value):
        number, suffix = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * unit[suffix]

    percentiles = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    requests = re.search(r"(\d+) requests in", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": percentiles.get("50"),
        "p99_ms": percentiles.get("99"),
        "requests": int(requests.group(1)) if requests else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


raw, fill, e2e, latency = (last_json(f) for f in ("raw.out", "fill.out", "e2e.out", "latency.out"))
topology = last_json("raw-pipeline.out") if os.path.exists(os.path.join(run, "raw-pipeline.out")) else None
sustained = last_json("latency-sustained.out") if os.path.exists(os.path.join(os.environ["RUN"], "latency-sustained.out")) else None
lookup, health = wrk("wrk-lookup.out"), wrk("wrk-health.out")
services = os.environ["SERVICE_NAMES"].split()
rss = dict(zip(services, (int(x) for x in os.environ["RSS_MB"].split())))
cpu = dict(zip(services, (float(x) for x in os.environ["CPU_SECONDS"].split())))
size = int(os.environ["SIZE"])
memory_gib = round(int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)) / 1048576)

results = {
    "e2e_events_per_s": round(e2e["e2e_events_per_s"]),
    "e2e_seconds": round(e2e["e2e_seconds"], 1),
    "e2e_submissions": int(e2e["submissions"]),
    "e2e_accepted": int(e2e["accepted"]),
    "raw_events_per_s": round(raw["raw_events_per_s"]),
    "raw_message_bytes": int(raw["raw_message_bytes"]),
    "e2e_ratio": round(e2e["e2e_events_per_s"] / raw["raw_events_per_s"], 3),
    "latency_offered_per_s": int(os.environ["LATENCY_RATE"]),
    "latency_p50_ms": latency["latency_p50_ms"],
    "latency_p99_ms": latency["latency_p99_ms"],
    "latency_max_ms": latency["latency_max_ms"],
    "latency_samples": int(latency["latency_samples"]),
    "latency_timed_out": int(latency["latency_timed_out"]),
    "lookup_rps": round(lookup["rps"]),
    "lookup_p50_ms": lookup["p50_ms"],
    "lookup_p99_ms": lookup["p99_ms"],
    "lookup_non_2xx": lookup["non_2xx"],
    "health_rps": round(health["rps"]),
    "health_p99_ms": health["p99_ms"],
    "lookup_ratio": round(lookup["rps"] / health["rps"], 3),
    "people_stored": size,
    "fill_events_per_s": round(fill["e2e_events_per_s"]),
    "rss_mb": rss,
    "cpu_seconds_e2e": cpu,
    "broker_cpu_seconds_e2e": float(os.environ["BROKER_CPU_SECONDS"]),
    "broker_rss_mb": int(os.environ["BROKER_RSS_MB"]),
    "settle_seconds": int(os.environ.get("SETTLE_SECONDS") or 0),
    "cpu_us_per_submission": {
        name: round(seconds * 1e6 / int(e2e["submissions"])) for name, seconds in {**cpu, "broker": float(os.environ["BROKER_CPU_SECONDS"])}.items()
    },
    "git_commit": os.environ["GIT_COMMIT"],
    "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
    "machine": {"cores": os.cpu_count(), "memory_gib": memory_gib},
}
if topology:
    results["raw_pipeline_events_per_s"] = round(topology["raw_pipeline_events_per_s"])
    results["e2e_ceiling_ratio"] = round(e2e["e2e_events_per_s"] / topology["raw_pipeline_events_per_s"], 3)
services_us = sum(results["cpu_us_per_submission"][name] for name in services)
results["service_broker_cpu_ratio"] = round(services_us / max(results["cpu_us_per_submission"]["broker"], 1), 2)
results["latency_rate"] = results["latency_offered_per_s"]
results["latency_rate_basis"] = os.environ.get("LATENCY_RATE_BASIS", "given")
results["latency_rate_of_capacity"] = round(results["latency_rate"] / e2e["e2e_events_per_s"], 2)
results["e2e_profiled"] = os.environ.get("PROFILED") == "1"
results["rss_mb_max"] = max(rss.values())
if os.environ.get("STORED_SUBMISSIONS"):
    results["store_bytes"] = int(float(os.environ["STORE_BYTES"]))
    results["stored_submissions"] = int(os.environ["STORED_SUBMISSIONS"])
    results["disk_bytes_per_submission"] = round(results["store_bytes"] / results["stored_submissions"])
if os.environ.get("IDLE_CPU_PERCENT"):
    idle = dict(zip(services, (float(x) for x in os.environ["IDLE_CPU_PERCENT"].split())))
    idle["broker"] = float(os.environ["BROKER_IDLE_CPU_PERCENT"])
    results["idle_cpu_percent_by_process"] = idle
    results["idle_cpu_percent"] = round(sum(idle.values()), 2)
    results["idle_seconds"] = int(os.environ["IDLE_SECONDS"])
def wrk_if_run(name):
    """wrk's figures from `name`, or None when that run did not happen or printed no rate."""
    try:
        return wrk(name) if os.path.exists(os.path.join(run, name)) else None
    except AttributeError:
        return None


if os.path.exists(os.path.join(run, "webhook-stats.json")) and os.path.getsize(os.path.join(run, "webhook-stats.json")) > 0:
    hook = json.load(open(os.path.join(run, "webhook-stats.json")))
    results["webhook_expected"] = int(last_json("webhook-load.out")["accepted"])
    results["webhook_delivered"] = hook["requests"]
    span = hook["last"] - hook["first"]
    results["webhook_seconds"] = round(span, 1)
    results["webhook_per_s"] = round(hook["requests"] / span) if span > 0 else 0
    receiver = wrk_if_run("wrk-webhook-64.out") or wrk_if_run("wrk-webhook.out")
    if receiver and receiver["rps"] > 0:
        results["webhook_receiver_rps"] = round(receiver["rps"])
        results["webhook_ratio"] = round(results["webhook_per_s"] / receiver["rps"], 3)
    concurrency = os.environ.get("WEBHOOK_RECEIVER_CONCURRENCY", "4")
    same = wrk_if_run(f"wrk-webhook-{concurrency}.out")
    if same and concurrency != "64":
        results["webhook_receiver_concurrency"] = int(concurrency)
        results["webhook_receiver_rps_same_concurrency"] = round(same["rps"])
two = last_json("e2e-two.out") if os.path.exists(os.path.join(os.environ["RUN"], "e2e-two.out")) else None
if two:
    results["e2e_two_instances_events_per_s"] = round(two["e2e_events_per_s"])
    results["e2e_two_instances_ratio"] = round(two["e2e_events_per_s"] / e2e["e2e_events_per_s"], 3)
if sustained:
    results["sustained_latency"] = {
        "offered_per_s": int(os.environ["SUSTAINED_RATE"]),
        "p50_ms": sustained["latency_p50_ms"],
        "p99_ms": sustained["latency_p99_ms"],
        "max_ms": sustained["latency_max_ms"],
        "samples": int(sustained["latency_samples"]),
        "timed_out": int(sustained["latency_timed_out"]),
    }
# AuditGrowthBench's figures (audit_*): appending, trails and proofs, without the broker.
if os.path.exists(os.path.join(run, "audit.json")):
    results.update(json.load(open(os.path.join(run, "audit.json"))))
json.dump(results, open(sys.argv[1], "w"), indent=2, sort_keys=True)
open(sys.argv[1], "a").write("\n")
# Each size keeps its own last result, so the growth row can set runs with different SIZEs side by side.
results_dir = os.path.dirname(os.path.abspath(sys.argv[1]))
shutil.copyfile(sys.argv[1], os.path.join(results_dir, f"size-{size}.json"))
by_size = {}
for name in os.listdir(results_dir):
    found = re.fullmatch(r"size-(\d+)\.json", name)
    if found:
        by_size[int(found.group(1))] = json.load(open(os.path.join(results_dir, name)))


def mark(ok):
    return "met" if ok else "**not met**"


r = results
base = by_size.get(100000)
largest = max(by_size)


def normalised(run):
    """A run's end-to-end figure over its own same-run baseline: runs of different sizes are
    separate make bench runs, possibly days apart, on a machine whose speed changes from hour to
    hour; only figures over their own baselines compare."""
    ceiling = run.get("e2e_ceiling_ratio", run.get("e2e_pipeline_ratio"))
    return ("the no-work topology", ceiling) if ceiling else ("raw produce + consume", run["e2e_ratio"])


growth_runs = "; ".join(
    f"{n:,} people: {g['e2e_events_per_s']:,}/s, {normalised(g)[1]} of {normalised(g)[0]} (commit {g['git_commit']}"
    f"{', ' + g['measured_at'][:10] if 'measured_at' in g else ''})" for n, g in sorted(by_size.items()))
growth_verdict = "no run with more people yet"
if base and largest > 100000:
    large = by_size[largest]
    (base_kind, base_ratio), (large_kind, large_ratio) = normalised(base), normalised(large)
    if base_kind != large_kind:
        base_ratio = base["e2e_ratio"]
        large_ratio = large["e2e_ratio"]
    r["growth_ratio"] = round(large_ratio / base_ratio, 3)
    r["growth_people"] = largest
    growth_verdict = (f"{r['growth_ratio']} at {largest:,} people: "
                      + (mark(r["growth_ratio"] >= 0.8) if largest >= 10000000 else "not measured at 10,000,000 (see the reading below)"))
    json.dump(r, open(sys.argv[1], "w"), indent=2, sort_keys=True)
    open(sys.argv[1], "a").write("\n")


def row(key, what, measured, baseline, ratio, target, verdict):
    return f"| `{key}` | {what} | {measured} | {baseline} | {ratio} | {target} | {verdict} |\n"


table = ""
if "e2e_ceiling_ratio" in r:
    profiled = f" (perf sampled the services for {os.environ.get('PROFILE_SECONDS', '20')} s of it; PROFILE=0 runs without)" if r["e2e_profiled"] else ""
    table += row("e2e_ceiling_ratio", f"end to end: {r['e2e_submissions']:,} submissions → {r['e2e_accepted']:,} accepted → index applied → audit recorded{profiled}",
                 f"{r['e2e_events_per_s']:,} submissions/s ({r['e2e_seconds']} s)",
                 f"the same topology with consumers that only forward (four scratch topics, 4 messages and 7 reads per submission): {r['raw_pipeline_events_per_s']:,}/s",
                 r["e2e_ceiling_ratio"], "≥ 0.7", mark(r["e2e_ceiling_ratio"] >= 0.7))
table += row("service_broker_cpu_ratio", "CPU of the four services per submission in the end-to-end run, summed (table below)",
             f"{services_us:,} µs", f"the broker's: {r['cpu_us_per_submission']['broker']:,} µs", r["service_broker_cpu_ratio"], "≤ 1.0",
             mark(r["service_broker_cpu_ratio"] <= 1.0))
basis = "half the end-to-end figure" if r["latency_rate_basis"] == "half" else f"{r['latency_rate_of_capacity']} of the end-to-end figure (LATENCY_RATE)"
table += row("latency_p99_ms", f"submitted → visible in `GET /v1/persons/{{iin}}/registration` at {r['latency_rate']:,}/s offered, {basis} "
             f"({r['latency_samples']} samples, polled every 5 ms, later every twentieth of the wait; {r['latency_timed_out']} not visible within 30 s)",
             f"p50 {r['latency_p50_ms']} ms, p99 {r['latency_p99_ms']} ms, max {r['latency_max_ms']} ms", "—", "—", "p99 ≤ 100 ms",
             mark(r["latency_p99_ms"] <= 100 and r["latency_timed_out"] == 0))
table += row("lookup_ratio", f"registration lookups (wrk, 64 connections, {os.environ['WRK_SECONDS']} s, agency token + purpose, random of {min(size, 100000):,} people; {r['lookup_non_2xx']} non-2xx)",
             f"{r['lookup_rps']:,} req/s, p50 {r['lookup_p50_ms']} ms, p99 {r['lookup_p99_ms']} ms (`lookup_p99_ms`)",
             f"the same server's `/health/live`: {r['health_rps']:,} req/s (p99 {r['health_p99_ms']} ms)", r["lookup_ratio"], "≥ 0.6; p99 ≤ 5 ms",
             f"{mark(r['lookup_ratio'] >= 0.6)}; {mark((r['lookup_p99_ms'] or 1e9) <= 5)}")
if "webhook_per_s" in r:
    same = (f"; with {r['webhook_receiver_concurrency']} connections, as many as notification opens to one receiver "
            f"(`WEBHOOK_RECEIVER_CONCURRENCY`): {r['webhook_receiver_rps_same_concurrency']:,}/s" if "webhook_receiver_rps_same_concurrency" in r else "")
    complete = r["webhook_delivered"] >= r["webhook_expected"]
    table += row("webhook_per_s", f"webhooks to one local keep-alive receiver: every change of {int(os.environ['WEBHOOK_COUNT']):,} submissions, "
                 f"queued while notification was stopped, from the first delivery to the last ({r['webhook_delivered']:,} of {r['webhook_expected']:,} arrived)",
                 f"{r['webhook_per_s']:,}/s ({r['webhook_seconds']} s)",
                 f"wrk POSTing one of those deliveries (same body and headers) to the same receiver, 64 connections: {r.get('webhook_receiver_rps', 0):,}/s{same}",
                 r.get("webhook_ratio", "—"), "≥ 5,000/s; ratio (`webhook_ratio`) ≥ 0.5",
                 f"{mark(complete and r['webhook_per_s'] >= 5000)}; {mark(complete and r.get('webhook_ratio', 0) >= 0.5)}")
elif int(os.environ.get("WEBHOOK_COUNT") or 0) == 0:
    table += row("webhook_per_s", "webhooks to one local keep-alive receiver", "not measured (`WEBHOOK_COUNT=0`)", "—", "—", "≥ 5,000/s; ratio ≥ 0.5", "—")
if "idle_cpu_percent" in r:
    by_process = ", ".join(f"{name} {value}" for name, value in r["idle_cpu_percent_by_process"].items())
    table += row("idle_cpu_percent", f"the broker and the four services with no traffic, {r['idle_seconds']} s", f"{r['idle_cpu_percent']} % of one core ({by_process})",
                 "—", "—", "≤ 2", mark(r["idle_cpu_percent"] <= 2))
else:
    table += row("idle_cpu_percent", "the broker and the four services with no traffic", "not measured (`IDLE_SECONDS=0`)", "—", "—", "≤ 2", "—")
if "disk_bytes_per_submission" in r:
    table += row("disk_bytes_per_submission", f"the four stores (databases and write-ahead logs, the catalog included) after the fill and the end-to-end run",
                 f"{r['disk_bytes_per_submission']:,} bytes ({r['store_bytes'] / 1e6:,.0f} MB for {r['stored_submissions']:,} submissions)", "—", "—", "≤ 5,000",
                 mark(r["disk_bytes_per_submission"] <= 5000))
table += row("rss_mb", "peak RSS of each service under the end-to-end load (table below)", f"at most {r['rss_mb_max']} MB", "—", "—", "≤ 150 each", mark(r["rss_mb_max"] <= 150))
table += row("growth_ratio", "end to end by people already stored, each over its own run's baseline (each size's latest `make bench SIZE=…`)", growth_runs,
             "the 100,000-people run", r.get("growth_ratio", "—"), "≥ 0.8 at 10,000,000", growth_verdict)
s_ = r.get("sustained_latency")
context = f"- One hop of raw librdkafka produce + consume of the same {r['raw_message_bytes']}-byte payloads: {r['raw_events_per_s']:,}/s (end to end: {r['e2e_ratio']} of it).\n"
if s_:
    context += (f"- Latency at {s_['offered_per_s']:,}/s offered ({s_['samples']} samples; {s_['timed_out']} not visible within 30 s): "
                f"p50 {s_['p50_ms']} ms, p99 {s_['p99_ms']} ms, max {s_['max_ms']} ms.\n")
if "e2e_two_instances_events_per_s" in r:
    context += (f"- Two instances of each service on the same two cores (docs/scaling.md), the same {r['e2e_submissions']:,} submissions after the first run: "
                f"{r['e2e_two_instances_events_per_s']:,} submissions/s, {r['e2e_two_instances_ratio']} of one instance's {r['e2e_events_per_s']:,}/s "
                f"(scaling is for availability here: one machine has no more cores to share).\n")
print(f"""## Pipeline (docs/architecture.md §9)

Broker (Tansu), the four services (release build), the load generator (`registryctl load`),
the webhook receiver and wrk all on this one machine. The index held {size:,} people before the
end-to-end run (filled at {r['fill_events_per_s']:,} submissions/s); the catalog has {int(os.environ['ADDRESSES']):,} dwellings.
Every key is in `bench/results/latest.json`.

| key | what | measured | baseline (same run) | ratio | target | |
|---|---|---|---|---:|---|---|
{table}
{context}
Peak memory (VmHWM) and CPU seconds of each service (and of the broker) for the end-to-end run,
counted until every service had caught up ({r['settle_seconds']} s after the end-to-end figure's end;
notification's work is not part of that figure but is part of the cost):

| process | peak RSS MB | target | CPU s (end-to-end run) | CPU µs per submission |
|---|---:|---|---:|---:|""")
for service in services:
    print(f"| {service} | {rss[service]} | ≤ 150 MB: {mark(rss[service] <= 150)} | {cpu[service]} | {r['cpu_us_per_submission'][service]} |")
print(f"| broker (Tansu) | {r['broker_rss_mb']:,} (every message of the run, the baselines' too, in memory) | — | {r['broker_cpu_seconds_e2e']} | {r['cpu_us_per_submission']['broker']} |")

print("""
### Where the time goes (perf, during the end-to-end run)

`perf record -F 199 -g` on each service for 20 s of the end-to-end run; self time by function
(top rows, demangled; full lists in `bench/results/profile-*.txt`).
""")
results_dir = os.path.dirname(os.path.abspath(sys.argv[1]))
if not any(os.path.exists(os.path.join(results_dir, f"profile-{service}.txt")) for service in services):
    print("No profile in this run: `PROFILE=0`, or perf could not attach (see `perf_event_paranoid`).\n")
for service in services:
    path = os.path.join(results_dir, f"profile-{service}.txt")
    if not os.path.exists(path):
        continue
    rows = []
    for line in open(path).read().splitlines()[:8]:
        parts = line.split(None, 3)
        if len(parts) == 4:
            percent, dso, _, symbol = parts
            symbol = re.sub(r"( +-)+$", "", " ".join(symbol.split()))
            rows.append(f"| {percent} | {dso} | `{symbol[:110]}` |")
    print(f"**{service}** (CPU s in the run: {cpu[service]})\n\n| self | library | function |\n|---:|---|---|")
    print("\n".join(rows))
    print()
    inclusive = os.path.join(results_dir, f"profile-{service}-inclusive.txt")
    if os.path.exists(inclusive) and os.path.getsize(inclusive) > 0:
        print("Inclusive (the step and everything it calls), the project's steps and the JSON and SQLite I/O under them:\n")
        print("| with callees | function |\n|---:|---|")
        for line in open(inclusive).read().splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4:
                print(f"| {parts[0]} | `{' '.join(parts[3].split())[:110]}` |")
        print()
