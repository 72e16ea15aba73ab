#!/usr/bin/env bash
# Installs everything martlet needs to build and test on a fresh Debian machine:
# Debian packages through apt (as root, or through sudo) and DuckDB's C library
# and header from the npm registry into .deps/ (ignored by git).
# Safe to run again: it only installs what is missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
duckdb_version=1.4.4
duckdb_bindings="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
# SHA-256 of the two files we take from those packages: a download that does
# not match is refused, and a .deps/ copy that no longer matches is fetched again.
libduckdb_sha256=1ef33048e12235115ac0d277a0aaccbb560e33248144f488b5ac005cd9ba81b5
header_sha256=cbe6a827284375c5a646b8f27dbd3a00808ce8738b5bbb49c190cb1e08540281

# verify FILE SHA256: true when FILE exists and has that digest.
verify() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

packages=(build-essential pkg-config libcriterion-dev libcjson-dev libcurl4-openssl-dev
          libpq-dev postgresql libmicrohttpd-dev curl
          libxml2-dev libssl-dev python3-boto3
          man-db python3-jinja2       # make install's test renders the man page; the Airflow example's test renders its template
          python3-jsonschema          # the tests validate pipeline.json files against docs/pipeline.schema.json
          clang libclang-rt-14-dev    # clang's libFuzzer for make fuzz and the fuzz smoke in make test
          chromium                    # headless browser for tests/ui (charts, martlet serve)
          clickhouse-server clickhouse-client)   # the distributed warehouse's test cluster
# npm comes with Debian's nodejs on a bare machine; images that ship their own node keep it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    # Packages such as clickhouse-server start a system service when installed;
    # tests start their own servers, so services are kept from starting
    # (policy-rc.d answering 101 = "action forbidden") for the install only.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
        "${sudo_cmd[@]}" chmod +x "$policy"
        added_policy=1
    fi
    install_status=0
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || install_status=$?
    [ "$added_policy" -eq 0 ] || "${sudo_cmd[@]}" rm -f "$policy"
    [ "$install_status" -eq 0 ] || exit "$install_status"
fi

if ! verify "$deps/lib/libduckdb.so" "$libduckdb_sha256" || ! verify "$deps/include/duckdb.h" "$header_sha256" \
   || [ "$(cat "$deps/VERSION" 2>/dev/null)" != "$duckdb_version" ]; then
    echo "bootstrap: fetching DuckDB $duckdb_version (library and header) into .deps/"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$deps/lib" "$deps/include"
    (cd "$work" && npm pack --silent --cache "$work/npm-cache" \
        "$duckdb_bindings" "duckdb@$duckdb_version" >/dev/null)
    tar xzf "$work"/duckdb-node-bindings-linux-x64-*.tgz -C "$work" package/libduckdb.so
    tar xzf "$work/duckdb-$duckdb_version.tgz" -C "$work" package/src/duckdb/src/include/duckdb.h
    for pair in "package/libduckdb.so:$libduckdb_sha256" "package/src/duckdb/src/include/duckdb.h:$header_sha256"; do
        if ! verify "$work/${pair%%:*}" "${pair##*:}"; then
            echo "bootstrap: $(basename "${pair%%:*}") does not have the pinned SHA-256; refusing it" >&2
            exit 1
        fi
    done
    mv "$work/package/libduckdb.so" "$deps/lib/libduckdb.so"
    mv "$work/package/src/duckdb/src/include/duckdb.h" "$deps/include/duckdb.h"
    # npm tarballs carry a 1985 mtime; give the files a real one so make sees them as fresh.
    touch "$deps/lib/libduckdb.so" "$deps/include/duckdb.h"
    echo "$duckdb_version" > "$deps/VERSION"
fi

# The S3 test server (tests only): s3rver from the npm registry.
if [ ! -f "$deps/node_modules/s3rver/bin/s3rver.js" ]; then
    echo "bootstrap: installing the s3rver test server into .deps/"
    npm install --silent --no-audit --no-fund --prefix "$deps" --cache "$deps/npm-cache" s3rver@3.7.1 >/dev/null
fi

# The browser tests' driver (tests only): puppeteer-core, pinned with its
# lockfile in tests/ui/; it drives Debian's chromium and downloads no browser.
if [ ! -f "$root/tests/ui/node_modules/puppeteer-core/package.json" ]; then
    echo "bootstrap: installing the browser tests' driver into tests/ui/node_modules"
    (cd "$root/tests/ui" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --silent --no-audit --no-fund \
        --cache "$deps/npm-cache" >/dev/null)
fi
