# imsg toolkit. Target bodies stay one line; no make magic.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/imsg-toolkit/imsg/lib/tool.Version=$(VERSION)
PREFIX  ?= /usr/local
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MANDIR  := $(DESTDIR)$(PREFIX)/share/man
SHARE   := $(DESTDIR)$(PREFIX)/share

.PHONY: build test test-short golden man completions bench demo lint fmt cover install clean

build: ## build every binary into bin/
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/... && cp scripts/imsg-gateway bin/ 2>/dev/null || true

test: ## run every test (race detector on)
	$(GO) test -race -timeout 20m ./...

test-short: ## unit tests only, no race detector
	$(GO) test -short ./...

golden: ## rewrite goldens (testscripts, man pages, completions); review the diff
	IMSG_UPDATE=1 $(GO) test ./... ; git diff --stat -- testdata man completions

man completions: ## regenerate man pages and completions only
	IMSG_UPDATE=1 $(GO) test -run 'TestManPages|TestCompletions' ./lib/e2e

bench: build ## measure throughput and latency side by side (see scripts/bench)
	sh scripts/bench

demo: build ## run the gateway on the simulator; inject messages and watch the replies
	sh scripts/demo

lint: ## vet, format check, shellcheck
	$(GO) vet ./... && test -z "$$(gofmt -l .)" && shellcheck scripts/imsg-gateway scripts/bench scripts/demo

fmt:
	gofmt -l -w .

cover:
	$(GO) test -coverpkg=./... -coverprofile=cover.out ./...

install: build
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man7 $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions $(SHARE)/fish/vendor_completions.d && install -m 0755 bin/* $(BINDIR) && install -m 0644 man/*.1 $(MANDIR)/man1 && install -m 0644 man/*.7 $(MANDIR)/man7 && install -m 0644 completions/bash/* $(SHARE)/bash-completion/completions && install -m 0644 completions/zsh/* $(SHARE)/zsh/site-functions && install -m 0644 completions/fish/* $(SHARE)/fish/vendor_completions.d

clean:
	rm -rf bin cover.out
