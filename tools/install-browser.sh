#!/usr/bin/env bash
# Installs Debian's Chromium and a CJK font for tests/test_browser.py, where apt-get can.
# Never fails: where nothing can be installed, that one test is skipped with its reason.
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; } \
    || echo "warning: could not install chromium with apt-get; the browser test will be skipped" >&2
else
  echo "warning: no chromium and no root apt-get; the browser test will be skipped" >&2
fi
exit 0
