#!/usr/bin/env bash
# Debian packages the tests need: a real keychain (gnome-keyring over D-Bus, libsecret for keytar),
# Chromium for the dashboard tests, Xvfb for a desktop display, and the tools tests shell out to
# (openssl for a self-signed TLS server, curl for `curl -H @-`, script for a pty), libfaketime (a wall
# clock moved under a running serve, the monotonic clock left alone), and redis-server, which
# the fleet tests start on their own ports (the system service is never used); and valgrind, whose
# callgrind gives the engine benchmark an instruction count that machine load does not move.
# Skips what is there.
set -euo pipefail
packages=(gnome-keyring dbus dbus-x11 libsecret-1-dev chromium xvfb xauth openssl curl bsdutils redis-server faketime valgrind)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -eq 0 ]; then echo "system packages: all present"; exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
