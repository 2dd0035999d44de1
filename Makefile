# Switchboard. `make run` starts a node with config.hcl; `make test` runs
# everything CI runs.
GO       ?= go
BIN      := bin
PKGS     := ./...
TESTFLAGS ?= -race -count=1 -timeout 8m

.PHONY: all build run cluster test test-js lint fmt bench bench-centrifugo centrifugo bench-go fuzz generate generate-ts clean cluster-pg-soak

all: build

# One router binary (the bundled plugins are its `plugin NAME` subcommand)
# and the load tool.
build:
	$(GO) build -o $(BIN)/ ./cmd/switchboard ./cmd/switchboard-load

run: build
	./$(BIN)/switchboard serve --config config.hcl

# A local three-node cluster (configs in cmd/switchboard-cluster, plugins on
# a shared PostgreSQL when one answers on 127.0.0.1:5432); Ctrl-C stops it.
cluster: build
	$(GO) build -o $(BIN)/ ./cmd/switchboard-cluster
	./$(BIN)/switchboard-cluster --bin $(BIN)/switchboard

test: lint test-js
	$(GO) test $(TESTFLAGS) $(PKGS)

# The TypeScript client (clients/js): npm ci from the committed lockfile
# (again only when package-lock.json is newer than node_modules), the strict
# type-check, then its tests against a node built from this tree. Node.js 20+
# is required.
# Then the web console (clients/console): the same npm ci, its type-check,
# and a fresh build compared with the committed core/console/dist (stale:
# run `npm run build` there and commit the dist).
test-js:
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null && command -v npm >/dev/null || \
	  { echo "test-js: Node.js 20+ and npm are required for clients/js (found: $$(node --version 2>/dev/null || echo none))"; exit 1; }
	$(GO) build -o $(BIN)/switchboard ./cmd/switchboard
	cd clients/js && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	cd clients/js && npm run --silent typecheck && SWITCHBOARD_BIN=$(CURDIR)/$(BIN)/switchboard npm test --silent
	cd clients/console && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	cd clients/console && npm run --silent typecheck && npm run --silent check-dist

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Fuzzing: each native fuzz test for FUZZTIME. `make test` runs their seeds
# (f.Add and testdata/fuzz) as ordinary tests; this explores beyond them.
# A failure writes the input under the package's testdata/fuzz: commit it
# with the fix, and it becomes a seed.
FUZZTIME ?= 30s
FUZZ := \
	./core/internal/ingest:FuzzDecodeJSON \
	./core/internal/api:FuzzDecodePublish \
	./plugins/sdk:FuzzRequestDecode \
	./transports/sse:FuzzParse \
	./transports/ws:FuzzDecodeFrame \
	./core/room:FuzzParse \
	./core/auth:FuzzVerify \
	./schema/hclconf:FuzzParseSize

fuzz:
	@set -e; for t in $(FUZZ); do \
	  echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

# The performance table of issue 10: each workload (connect, fan-out,
# burst, idle, resume storm, scaling) against a fresh node built from this
# tree and against the floor (a bare server, one write per member per
# event), side by side; 10,000 connections, takes a while. BENCHFLAGS adds
# flags, e.g. BENCHFLAGS='--quick' (1,000 connections), '--runs 3',
# '--workloads connect,fanout' or '--other-url http://127.0.0.1:8000'
# (another server speaking our protocol); see `bin/switchboard-load bench --help`.
BENCHFLAGS ?=
bench: build
	./$(BIN)/switchboard-load bench --bin $(BIN)/switchboard $(BENCHFLAGS)

# make bench with a third column: Centrifugo (the version the performance
# issue measured), built from the Go module proxy into bin/ (a few minutes
# the first time) and started fresh for every run like the others.
CENTRIFUGO_VERSION := v6.9.1
centrifugo: $(BIN)/centrifugo
$(BIN)/centrifugo: $(BIN)/.centrifugo-$(CENTRIFUGO_VERSION)
$(BIN)/.centrifugo-$(CENTRIFUGO_VERSION):
	GOBIN=$(abspath $(BIN)) GOFLAGS= $(GO) install github.com/centrifugal/centrifugo/v6@$(CENTRIFUGO_VERSION)
	touch $@

bench-centrifugo: build $(BIN)/centrifugo
	./$(BIN)/switchboard-load bench --bin $(BIN)/switchboard --centrifugo-bin $(BIN)/centrifugo $(BENCHFLAGS)

# Go benchmarks: hub fan-out at 1/100/1000 members and the transports' encoders.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./core/hub/ ./transports/...

# Regenerates the committed plugin protocol code with the generators pinned
# in go.mod (tool directives) and protoc (Debian's protobuf-compiler).
generate: generate-ts
	$(GO) build -o $(BIN)/tools/ google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc
	$(GO) generate ./schema/...

# The bundled PM plugins' event payloads for the TypeScript client
# (clients/js/src/pm.ts); a test fails when they are stale.
generate-ts: build
	./$(BIN)/switchboard catalog --config config.hcl --format typescript --out clients/js/src/pm.ts 2>/dev/null

# Three nodes started together on a fresh PostgreSQL schema, 20 times
# (`make test` does it twice): the plugins' migrations must not race.
# Needs PostgreSQL ($$SWITCHBOARD_TEST_POSTGRES); skips, saying why, without.
cluster-pg-soak:
	SB_PG_STARTS=20 $(GO) test -count=1 -timeout 20m -run '^TestClusterStartsTogetherOnFreshPostgres$$' -v ./test/

clean:
	rm -rf $(BIN) data
