# Browser tests (issue 15): the dev phone and the call inspector of `pivotkit serve`, driven in
# headless Chromium from Debian's packages by Playwright for Python (a dev dependency; it never
# downloads a browser of its own: the tests launch /usr/bin/chromium).
#   make browser        install chromium (and chromium-driver) with apt-get if missing (root)
#   make test-browser   the browser tests; screenshots land in .artifacts/browser/
# Plain `pytest` skips these tests when /usr/bin/chromium is absent. `make unit` (and so
# `make test` and CI) installs chromium first when it runs as root: apt-get plus the tests
# take under a minute (docs/local.md), and for anyone else it warns and the tests skip.

CHROMIUM := /usr/bin/chromium

.PHONY: browser test-browser

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "warning: $(CHROMIUM) is missing and only root can apt-get it" \
			"(apt-get install chromium chromium-driver); the browser tests will skip" >&2; \
	else \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; \
	fi

browser: $(CHROMIUM)

unit: $(CHROMIUM)

test-browser: setup $(CHROMIUM)
	@test -x $(CHROMIUM) || { echo "make test-browser: $(CHROMIUM) is not installed" >&2; exit 1; }
	PIVOTKIT_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -p no:cacheprovider -m browser tests/browser
