# Confab. `make demo` and `make test` install what is missing first (scripts/setup.sh).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
DEMO_PORT ?= 8080

.PHONY: all setup dist demo test bench lint fmt clean

all: dist

setup:
	@scripts/setup.sh

dist: setup
	@scripts/dist.sh

demo: dist
	@cargo build -p devserver
	@echo
	@echo "Confab demo: http://127.0.0.1:$(DEMO_PORT)/"
	@echo "(the Iraa demo product is also served from http://127.0.0.1:8081/, another origin)"
	@target/debug/devserver --port 8081 --www www --dist dist & trap "kill $$!" EXIT; \
	  target/debug/devserver --port $(DEMO_PORT) --www www --dist dist

test: setup
	@scripts/test.sh

bench: dist
	@benches/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p confab --target wasm32-unknown-unknown --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf dist target/devserver-*.log
