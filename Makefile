# Recotem in Go: build, test, lint, install. See README.md.

SHELL      := /bin/bash
GO         ?= go
PREFIX     ?= /usr/local
DESTDIR    ?=
BLAS       ?=
# BLAS=openblas links OpenBLAS for the dense level-3 work (cgo). The default
# build is static Go; on amd64 its vector kernels are assembly (AVX2 + FMA,
# chosen at run time), TAGS=purego leaves them out.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X github.com/codelibs/recotem-go/pkg/version.Version=$(VERSION)
SYSTEMDUNITDIR ?= /lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian packages use /usr/share/zsh/vendor-completions.
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
# Where `make build` puts the binaries, and where `make man` puts the man
# pages and completion scripts it generates from them (GENDIR/man,
# GENDIR/completion).
BIN        ?= bin
GENDIR     ?= $(BIN)
UNITS      := recotem-serve.service recotem-train@.service recotem-train@.timer
TAGS       ?= $(if $(filter openblas,$(BLAS)),blas,)
CGO        := $(if $(filter openblas,$(BLAS)),1,0)

# Every binary is its own module; pkg/ holds the shared libraries.
CMDS       := recotem recotem-train recotem-serve recotem-inspect recotem-validate recotem-schema recotem-keygen recotem-source-bigquery
MODULES    := pkg $(CMDS)
# Packages with concurrency, tested again under the race detector.
RACE_PKGS  := ./serve/... ./tune/... ./train/... ./lock/... ./logx/... ./eval/... ./linalg/... ./artifact/... ./fetch/... ./dataset/... ./model/... ./algo/...
PRESENT    := $(foreach c,$(CMDS),$(if $(wildcard $(c)/*.go),$(c)))

.PHONY: all build test lint fmt vet install clean quickstart bench bench-engine bench-serve bench-train man e2e

all: build

build:
	@mkdir -p $(BIN)
	@for c in $(PRESENT); do \
		echo "go build $$c"; \
		CGO_ENABLED=$(CGO) $(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./$$c || exit 1; \
	done

test: build
	@for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && RECOTEM_TEST_EXAMPLES_BIN=$(CURDIR)/bin $(GO) test -count=1 ./...) || exit 1; \
	done
	@echo "== go test -race (concurrent packages)"
	@cd pkg && $(GO) test -race -short -count=1 $(RACE_PKGS)
	@echo "== go test the packages with assembly kernels, pure-Go build (-tags purego)"
	@cd pkg && $(GO) test -tags purego -count=1 ./linalg/ ./algo/ials/ ./algo/bprfm/ ./algo/svd/ ./model/
	@if ldconfig -p 2>/dev/null | grep -q libopenblas; then \
		echo "== go test linalg and DenseSLIM, OpenBLAS kernels (-tags blas)"; \
		cd pkg && CGO_ENABLED=1 $(GO) test -tags blas -count=1 ./linalg/ ./algo/denseslim/; \
	else echo "== skipping the blas build: libopenblas-dev is not installed"; fi
	@if [ -x scripts/e2e.sh ]; then echo "== e2e"; scripts/e2e.sh; fi

lint: fmt vet

fmt:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

# Binaries, systemd units (ExecStart= pointed at $(PREFIX)/bin), a man page
# per binary, bash and zsh completion, the annotated environment file.
# pkg/deploy's TestMakeInstall runs it into a temporary DESTDIR.
install: build man
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BIN)/,$(PRESENT)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
		sed 's#/usr/local/bin/#$(PREFIX)/bin/#g' contrib/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(GENDIR)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0644 $(GENDIR)/completion/recotem.bash $(DESTDIR)$(BASHCOMPDIR)/recotem
	install -m 0644 $(GENDIR)/completion/_recotem $(DESTDIR)$(ZSHCOMPDIR)/_recotem
	install -d $(DESTDIR)$(PREFIX)/share/doc/recotem
	install -m 0644 contrib/env/recotem.env.example $(DESTDIR)$(PREFIX)/share/doc/recotem/

e2e: build
	@scripts/e2e.sh

bench: bench-engine bench-serve bench-train

bench-train: build
	@scripts/bench-train.sh

bench-engine:
	@scripts/bench-engine.sh

bench-serve: build
	@scripts/bench-serve.sh

quickstart: build
	@scripts/quickstart.sh

# One man page per binary (kingpin's --help-man; recotem writes its own),
# and the completion scripts of recotem, which cover every command.
man: build
	@mkdir -p $(GENDIR)/man $(GENDIR)/completion
	@for c in $(PRESENT); do $(BIN)/$$c --help-man > $(GENDIR)/man/$$c.1 || exit 1; done
	@$(BIN)/recotem --completion-script-bash > $(GENDIR)/completion/recotem.bash
	@$(BIN)/recotem --completion-script-zsh > $(GENDIR)/completion/_recotem
	@echo "man pages in $(GENDIR)/man/, completion scripts in $(GENDIR)/completion/"

clean:
	rm -rf bin examples/*/artifacts examples/*/serve.log examples/sql-sqlite/data/*.db
