# The two commands of the README:
#   make run    installs what is missing, builds, analyses the bundled example network
#   make test   installs what is missing, builds, runs the whole test suite
# Both configure and build incrementally in build/.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
EXAMPLE = examples/fashion_mlp.safetensors
PREFIX ?= /usr/local

.PHONY: all bootstrap build run test test-asan fuzz-smoke bench check clean install

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: bootstrap $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/rmtk analyze $(EXAMPLE) --stats all --out out/example

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# rmtk, librmtk.so/.a, rmtk.h, rmtk.pc and the man page rmtk.1 under $(PREFIX) (DESTDIR honoured).
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The suite built with AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors.
test-asan: bootstrap
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRMTK_SANITIZE=ON -DRMTK_WERROR=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 RMTK_TEST_QUICK=1 ctest --output-on-failure -j $(JOBS)

# Every reader's libFuzzer target (clang, ASan + UBSan) for FUZZ_SECONDS (60) each, in
# build-fuzz/; fails on any crash. Run long: FUZZ_SECONDS=3600 tests/fuzz/run FORMAT.
fuzz-smoke: bootstrap
	tests/fuzz/run

bench: build
	@for b in $(BUILD)/bench-*; do echo "== $$b"; $$b || exit 1; done

check:
	tools/checksrc

clean:
	rm -rf $(BUILD) build-asan build-fuzz
