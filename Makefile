# wsloop — make targets. `make run` starts the server; `make test` is what CI runs.
GO      ?= go
ADDR    ?= 127.0.0.1:8080
FUZZTIME ?= 60s

.PHONY: run test test-short lint vet cross deps fuzz bench bench-quick conformance loadtest soak build cluster cluster-scale cluster-faults

build:
	$(GO) build -o wsloop ./cmd/wsloop

## run: the server with the demo page, /echo, /chat, /healthz, /metrics (Prometheus), /metrics.json
run:
	$(GO) run ./cmd/wsloop serve -addr $(ADDR)

## test: everything CI runs — lint, race tests of every module, interop with real clients
test: deps lint
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 ./codec/   # allocation counts (meaningless under -race)
	cd bench && $(GO) test -count=1 -timeout 10m ./...

## test-short: the core module's tests without installing interop dependencies
test-short: lint
	WSLOOP_INTEROP=off $(GO) test -race -count=1 ./...

deps:
	bash .ci/install-deps.sh

lint: vet cross
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	cd interop/goclient && $(GO) vet ./...

## cross: vet everything for the other platforms gnet runs on (kqueue), and
## build for windows, where Listen returns engine.ErrPlatform
CROSS ?= darwin/arm64 darwin/amd64 freebsd/amd64
cross:
	@for p in $(CROSS); do echo "go vet ./... for $$p"; GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... || exit 1; done
	GOOS=windows GOARCH=amd64 $(GO) build ./...

## fuzz: each fuzz target for FUZZTIME (default 60s)
fuzz:
	$(GO) test ./codec/ -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME)
	$(GO) test ./codec/ -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./codec/ -run '^$$' -fuzz '^FuzzInflate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./engine/ -run '^$$' -fuzz '^FuzzValidTopic$$' -fuzztime $(FUZZTIME)

## bench: Go micro-benchmarks, then the peer comparison (full, < 30 min)
bench:
	$(GO) test ./codec/ ./engine/ -run '^$$' -bench . -benchmem
	cd bench && $(GO) run ./cmd/benchrun

## bench-quick: the peer comparison's quick mode (< 10 min)
bench-quick:
	cd bench && $(GO) run ./cmd/benchrun -quick

## conformance: the full RFC 6455/7692 suite against ws://, ws:// with permessage-deflate, and wss://
## (reports in bench/results/conformance-*.md; the fast subset also runs in make test)
CONF_PORT ?= 9101
conformance: build
	@./wsloop serve -addr 127.0.0.1:$(CONF_PORT) -log 0 & p1=$$!; \
	./wsloop serve -addr 127.0.0.1:$$(($(CONF_PORT)+1)) -log 0 -compress & p2=$$!; \
	./wsloop serve -addr 127.0.0.1:$$(($(CONF_PORT)+2)) -log 0 -compress -tls-self-signed & p3=$$!; \
	trap 'kill $$p1 $$p2 $$p3 2>/dev/null' EXIT; sleep 1; rc=0; \
	./wsloop conformance -url ws://127.0.0.1:$(CONF_PORT)/echo -report bench/results/conformance-ws.md || rc=1; \
	./wsloop conformance -url ws://127.0.0.1:$$(($(CONF_PORT)+1))/echo -report bench/results/conformance-ws-deflate.md || rc=1; \
	./wsloop conformance -url wss://127.0.0.1:$$(($(CONF_PORT)+2))/echo -insecure -report bench/results/conformance-wss-deflate.md || rc=1; \
	exit $$rc

## loadtest: 10,000 echo connections against a running `make run`
loadtest:
	$(GO) run ./cmd/wsloop loadtest -url ws://$(ADDR)/echo -scenario echo -conns 10000 -duration 30s

## cluster: NATS and three nodes on loopback (demo pages on 127.0.0.1:8081-8083); Ctrl-C stops all.
## The nodes keep retrying until NATS is up, so no start order is needed.
CLUSTER_NATS ?= 127.0.0.1:4222
CLUSTER_HOST ?= 127.0.0.1
cluster: build
	@./wsloop nats -addr $(CLUSTER_NATS) & n=$$!; pids="$$n"; \
	trap 'kill $$pids 2>/dev/null; wait; echo "cluster stopped"' EXIT; trap 'exit 0' INT TERM; \
	for i in 1 2 3; do \
	  ./wsloop serve -addr $(CLUSTER_HOST):808$$i -nats nats://$(CLUSTER_NATS) -node node$$i -log 0 & pids="$$pids $$!"; \
	done; \
	sleep 1; echo; echo "cluster up: NATS on nats://$(CLUSTER_NATS)"; \
	for i in 1 2 3; do echo "  node$$i: demo http://$(CLUSTER_HOST):808$$i/  pub/sub ws://$(CLUSTER_HOST):808$$i/pubsub  chat ws://$(CLUSTER_HOST):808$$i/chat"; done; \
	echo "open two nodes' pages in two tabs and chat; Ctrl-C stops all"; wait

## cluster-scale: NATS and three nodes on 127.0.0.1:18081-18083, 45,000 subscribers of one topic
## from three load processes; prints deliveries/s, latency and each node's CPU-s per million deliveries.
## NODES=1 NATS=0 make cluster-scale runs the single-node baseline (15,000 subscribers).
cluster-scale:
	cluster/scale.sh

## cluster-faults: a pub/sub soak over NATS and three nodes that kills node3 and NATS (-9) and starts them again.
cluster-faults:
	cluster/faults.sh
