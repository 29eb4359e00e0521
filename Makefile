# QuantFlow - thin wrapper over CMake/CTest. `make run` and `make test` do the
# whole set-up on a fresh Debian 12 machine (scripts/deps.sh installs packages).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=

.PHONY: all deps build test test-unit test-asan run bench fuzz format format-check clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The whole suite: the normal build, then the same tests under ASan+UBSan.
test: test-unit test-asan

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DQF_ASAN=ON -DQF_UBSAN=ON \
	    -DQF_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# The main job on the embedded default store and the bundled data.
run: build
	@bash scripts/run.sh $(BUILD)/quantflow

bench: build
	@bash scripts/bench.sh $(BUILD)

# libFuzzer targets, FUZZ_SECONDS each (CI: 30 s; longer: make fuzz FUZZ_SECONDS=600).
fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DQF_FUZZ=ON -DQF_TESTS=OFF -DQF_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
