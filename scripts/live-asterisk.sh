#!/usr/bin/env bash
# live-asterisk.sh - install config/asterisk on a real Asterisk 20 built by
# ../shared/asterisk/build.sh and (re)start it, with the AMI secret `make live` logs in with.
#
# Usage (from the project's root): scripts/live-asterisk.sh MIRROR_GIT_DIR [build.sh options]
#   MIRROR_GIT_DIR: a git dir of github:asterisk/asterisk (build.sh builds from it once).
# Environment: AST_AMI_SECRET (ctisecret): replaces the sample's placeholder "change-me" in
#   manager.conf, which the bridge refuses; BUILD_SH (../shared/asterisk/build.sh).
# The sample itself is copied unchanged otherwise, so what runs is what admins get.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_SH=${BUILD_SH:-$ROOT/../shared/asterisk/build.sh}
SECRET=${AST_AMI_SECRET:-ctisecret}
[ $# -ge 1 ] || { sed -n '2,10p' "$0"; exit 2; }
[ -x "$BUILD_SH" ] || { echo "live-asterisk: $BUILD_SH not found (set BUILD_SH)" >&2; exit 1; }

CONF=$(mktemp -d)
trap 'rm -rf "$CONF"' EXIT
cp "$ROOT"/config/asterisk/*.conf "$CONF"/
sed -i "s/^secret = change-me\$/secret = $SECRET/" "$CONF/manager.conf"
grep -q "^secret = $SECRET\$" "$CONF/manager.conf" || { echo "live-asterisk: no secret line in manager.conf" >&2; exit 1; }
AST_CONF_SRC=$CONF AST_AMI_USER=cti AST_AMI_SECRET=$SECRET "$BUILD_SH" "$@"
