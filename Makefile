# Mailwright developer entry points. `make run` to try it, `make test` for the full suite.
SHELL := /bin/bash
.NOTPARALLEL:
.PHONY: deps build build-asan run format format-check test bench clean package fuzz fuzz-build

JOBS := -j2
# Warnings are errors in the test build and in CI; a packager's or `make run` build only warns.
WERROR := $(if $(CI),ON,OFF)
SOURCES = $(shell find src tests bench -name '*.h' -o -name '*.cpp' 2>/dev/null | sort)
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0

deps:
	@scripts/install-deps.sh

build: deps
	@test -f build/build.ninja || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMW_WERROR=$(WERROR)
	ninja -C build $(JOBS)

build-asan: deps
	@test -f build-asan/build.ninja || \
	  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMW_ASAN=ON -DMW_WERROR=ON
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
# Servers that fail to start fail the run: without them the PostgreSQL and Redis tests would fail
# (MW_REQUIRE_SERVERS=1), never skip. A failed test runs once more (--repeat until-pass:2): the
# suite times real servers on a shared 2-core machine; a test that fails twice fails the run.
test: deps format-check build build-asan fuzz-build
	@trap 'scripts/test-servers.sh stop' EXIT; \
	scripts/test-servers.sh start >/dev/null || exit 1; \
	source build/test-servers/env.sh || exit 1; \
	export MW_REQUIRE_SERVERS=1; \
	ctest --test-dir build-asan --output-on-failure --repeat until-pass:2 $(JOBS)

bench: build
	@trap 'scripts/test-servers.sh stop' EXIT; \
	scripts/test-servers.sh start >/dev/null || exit 1; \
	source build/test-servers/env.sh || exit 1; \
	for b in build/bench_*; do \
	  [[ -x $$b ]] || continue; echo "== $$b"; $$b || exit $$?; \
	done

# A Debian package (build-release/mailwright_VERSION_ARCH.deb) from a Release build.
package: deps
	@test -f build-release/build.ninja || \
	  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMW_WERROR=$(WERROR)
	ninja -C build-release $(JOBS)
	cd build-release && cpack
	@ls build-release/*.deb

# libFuzzer targets (tests/fuzz), a separate clang build; `make fuzz` runs each FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz-build: deps
	@test -f build-fuzz/build.ninja || \
	  cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++
	ninja -C build-fuzz $(JOBS)

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	-scripts/test-servers.sh stop
	rm -rf build build-asan build-fuzz
