# Browser tests (issue 15): the dev phone and the call inspector of `pivotkit serve`, driven in
# headless Chromium from Debian's packages by Playwright for Python (a dev dependency; it never
# downloads a browser of its own: the tests launch /usr/bin/chromium).
#   make browser        install chromium (and chromium-driver) with apt-get if missing (root)
#   make test-browser   the browser tests; screenshots land in .artifacts/browser/
# Plain `pytest` skips these tests when /usr/bin/chromium is absent.

CHROMIUM := /usr/bin/chromium

.PHONY: browser test-browser

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make browser: $(CHROMIUM) is missing; as root: apt-get install chromium chromium-driver" >&2; \
		exit 1; \
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium chromium-driver >/dev/null

browser: $(CHROMIUM)

test-browser: setup $(CHROMIUM)
	PIVOTKIT_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -p no:cacheprovider -m browser tests/browser
