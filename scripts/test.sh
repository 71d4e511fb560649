#!/usr/bin/env bash
# npm test: lint, type-check, build, the Electron security scan, then every test under node's test
# runner, inside a private D-Bus session with an unlocked gnome-keyring so keytar uses a real keychain.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TOKENTRAY_TEST_DBUS:-}" ]; then
  export TOKENTRAY_TEST_DBUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi

# A throwaway keyring (its own data folder, password and service name): tests never touch a person's
# real entries, and an existing login keyring with another password cannot leave the collection locked.
XDG_DATA_HOME="$(mktemp -d -t tokentray-keyring.XXXXXX)"
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
eval "$(printf '%s' tokentray-test | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
export TOKENTRAY_KEYCHAIN_SERVICE="tokentray-test-$$"
export TOKENTRAY_TEST_ARTIFACTS="${TOKENTRAY_TEST_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$TOKENTRAY_TEST_ARTIFACTS"

if [ "${1:-}" != "--no-checks" ]; then
  echo "== lint"; npx eslint --max-warnings 0 .
  echo "== typecheck"; npm run --silent typecheck
  echo "== build"; npm run --silent build
  # The CLI tests start the real bin over this fresh build instead of compiling TypeScript per process.
  export TOKENTRAY_TEST_BUILT=1
  if [ -f scripts/security-scan.mjs ]; then echo "== electron security scan"; node scripts/security-scan.mjs; fi
else
  shift
fi

mapfile -t files < <(find test -type f \( -name '*.test.ts' -o -name '*.test.tsx' \) | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
echo "== tests (${#files[@]} files)"
node --import tsx --test --test-reporter=spec --test-timeout=600000 "${files[@]}"
