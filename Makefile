# The two commands of README.md, and a few helpers. Every target installs what it needs.
.PHONY: run test build bootstrap clean help leakcheck bench faults

BROKER_PORT ?= 9092
export BROKER_PORT
# make run publishes the demo data of this seed (registryctl seed); SEED= skips it.
SEED ?= 1
export SEED

help:
	@echo "make run    build, start a local broker, the four services and demo data (Ctrl-C stops all)"
	@echo "make test   build and run every test against a private broker"
	@echo "make build  bootstrap and build (debug)"
	@echo "make bench  release build, run the benchmarks, write BENCHMARKS.md"
	@echo "make faults the fault and adversarial suites at full size, with a summary table"
	@echo "make leakcheck  the Kafka tests under Address/LeakSanitizer"
	@echo "make clean  remove build output, .venv and var/"

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh

faults:
	@scripts/faults.sh

leakcheck:
	@scripts/leakcheck.sh

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	swift build

clean:
	rm -rf .build .build-asan .venv var
