# Mailwright developer entry points. `make run` to try it, `make test` for the full suite.
SHELL := /bin/bash
.NOTPARALLEL:
.PHONY: deps build build-asan run format format-check test bench clean

JOBS := -j2
SOURCES = $(shell find src tests bench -name '*.h' -o -name '*.cpp' 2>/dev/null | sort)
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0

deps:
	@scripts/install-deps.sh

build: deps
	@test -f build/build.ninja || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	ninja -C build $(JOBS)

build-asan: deps
	@test -f build-asan/build.ninja || \
	  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMW_ASAN=ON
	ninja -C build-asan $(JOBS)

run: build
	mkdir -p data
	build/mailwright migrate
	@echo "Mailwright at http://127.0.0.1:8000 (stop with Ctrl-C)."
	@echo "First admin: build/mailwright createsuperuser --email you@example.com"
	exec build/mailwright serve

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) || \
	  { echo "format-check: the files above are not clang-formatted; run 'make format'." >&2; exit 1; }

# The whole suite in one CTest pass under AddressSanitizer, against throwaway servers.
test: deps format-check build build-asan
	@trap 'scripts/test-servers.sh stop' EXIT; \
	scripts/test-servers.sh start >/dev/null; \
	source build/test-servers/env.sh; \
	ctest --test-dir build-asan --output-on-failure $(JOBS)

bench: build
	@trap 'scripts/test-servers.sh stop' EXIT; \
	scripts/test-servers.sh start >/dev/null; \
	source build/test-servers/env.sh; \
	for b in build/bench_*; do \
	  [[ -x $$b ]] || continue; echo "== $$b"; $$b || exit $$?; \
	done

clean:
	-scripts/test-servers.sh stop
	rm -rf build build-asan
