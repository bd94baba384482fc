# The two front-door commands: `make run` and `make test` (see README.md).
# Both install their Debian packages first.
JOBS ?= 2
# Let ccache reuse objects across clones in different directories (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: run demo test deps build build-asan bench clean

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS) --target unit_tests

# Runs the main job on embedded defaults: `trustplane up` with its home in
# ./.trustplane (local bucket directory, SQLite certdb, local key file) until Ctrl-C.
run: build
	@./build/release/trustplane --home $(CURDIR)/.trustplane up

# The onboarding walk-through: a demo tenant's CA onboarded, checked and exported.
demo: build
	@./scripts/demo.sh build/release/trustplane

# Every test: the full suite on the release build, then the unit tests under ASan+UBSan.
test: build build-asan
	@ctest --preset release -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

bench: build
	@./bench/run.sh build/release

clean:
	rm -rf build
