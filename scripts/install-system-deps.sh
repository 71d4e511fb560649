#!/usr/bin/env bash
# Debian packages the tests need: a real keychain (gnome-keyring over D-Bus, libsecret for keytar),
# Chromium for the dashboard tests and Xvfb for a desktop display. Skips what is already there.
set -euo pipefail
packages=(gnome-keyring dbus dbus-x11 libsecret-1-dev chromium xvfb xauth)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -eq 0 ]; then echo "system packages: all present"; exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
