#!/usr/bin/env bash
# Build the site, strictly and offline, and swap it in only once it is complete.
#
#   tooling/build_docs.sh MKDOCS SITE [MKDOCS_FLAGS...]      (`make docs` runs it)
#
# 1. The build runs with no network but loopback wherever this user may make a network
#    namespace (root or CAP_SYS_ADMIN, as in CI): `unshare -n`, then loopback brought up
#    inside (TensorBoard, Chromium, the scale-out workers talk over 127.0.0.1). Every
#    such build proves that the site needs no network.
# 2. It builds beside SITE, into SITE.new: a failed build keeps the previous site.
# 3. It gets a temporary directory of its own and fails if it leaves anything there.
# 4. The stamp SITE/.built records both (tests/test_build_offline.py reads it).
set -euo pipefail

mkdocs=${1:?usage: tooling/build_docs.sh MKDOCS SITE [MKDOCS_FLAGS...]}
site=${2:?usage: tooling/build_docs.sh MKDOCS SITE [MKDOCS_FLAGS...]}
shift 2
new="$site.new"
old="$site.old"
scratch="$(realpath -m "$site").tmp"

# 1. The network: loopback only where permitted, else this machine's.
if unshare -n ip link set lo up 2>/dev/null; then
    network="loopback only (unshare -n)"
    offline=(unshare -n sh -c 'ip link set lo up && exec "$@"' build)
else
    network="this machine's"
    offline=()
fi

# 2. The build, beside the site.
rm -rf "$new" "$scratch"
mkdir "$scratch"
if ! TMPDIR="$scratch" "${offline[@]}" "$mkdocs" build --strict --site-dir "$new" "$@"; then
    rm -rf "$new" "$scratch"
    exit 1
fi

# 3. Nothing left in its temporary directory.
left="$(ls -A "$scratch")"
rm -rf "$scratch"
if [ -n "$left" ]; then
    rm -rf "$new"
    echo "docs: the build left temporary files: $left" >&2
    exit 1
fi

# 4. The stamp, then the swap.
printf 'network: %s\ntemporary files left: none\n' "$network" >"$new/.built"
rm -rf "$old"
if [ -d "$site" ]; then mv "$site" "$old"; fi
mv "$new" "$site"
rm -rf "$old"
