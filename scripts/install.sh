#!/usr/bin/env bash
# install.sh install|uninstall ROOT -- what `make install` and `make uninstall`
# do; ROOT is $(DESTDIR)$(PREFIX).
#
#   ROOT/bin/martlet                              the release build, rpath $ORIGIN/../lib/martlet
#   ROOT/lib/martlet/libduckdb.so                 DuckDB, private to martlet
#   ROOT/share/man/man1/martlet.1                 the man page (scripts/man.sh)
#   ROOT/share/bash-completion/completions/martlet, ROOT/share/zsh/site-functions/_martlet
#   ROOT/share/martlet/pipelines/...              the shipped pipelines, found by default
#
# install records every file it wrote and every folder it had to create in
# ROOT/share/martlet/installed-files; uninstall removes exactly those (a
# folder only when it is empty), so an install into /usr/local leaves
# /usr/local as it found it. Installing over an earlier install removes
# that one first, so files the new one no longer ships do not linger.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: install.sh install|uninstall ROOT" >&2; exit 2; }
mode=$1
root=$(realpath -m -- "$2")
cd "$(dirname "$0")/.."
manifest=share/martlet/installed-files

uninstall() {
    if [ ! -f "$root/$manifest" ]; then
        echo "install.sh: nothing installed in $root (no $manifest)" >&2
        return 1
    fi
    local kind path
    local -a folders=()
    while IFS=' ' read -r kind path; do
        case $kind in
            file) rm -f -- "$root/$path" ;;
            folder) folders=("$path" "${folders[@]}") ;;   # the deepest, made last, go first
        esac
    done < "$root/$manifest"
    rm -f -- "$root/$manifest"
    for path in "${folders[@]}"; do
        rmdir -- "$root/$path" 2>/dev/null || echo "install.sh: kept $root/$path: it holds files martlet did not install" >&2
    done
    echo "removed martlet from $root"
}

# Folders made so far and files written, relative to root, in order.
recorded=()

# Creates the folders leading to root/relative that are missing, recording each.
make_folders() {
    local relative=$1 path=""
    local -a parts
    IFS=/ read -r -a parts <<< "$relative"
    for part in "${parts[@]}"; do
        path=${path:+$path/}$part
        if [ ! -d "$root/$path" ]; then
            mkdir -- "$root/$path"
            recorded+=("folder $path")
        fi
    done
}

# put MODE SOURCE DESTINATION: copies one file into root, recording it.
put() {
    local mode=$1 source=$2 destination=$3
    make_folders "$(dirname -- "$destination")"
    install -m "$mode" -- "$source" "$root/$destination"
    recorded+=("file $destination")
}

install_all() {
    for needed in build/install/martlet build/man/martlet.1 .deps/lib/libduckdb.so; do
        [ -f "$needed" ] || { echo "install.sh: $needed is missing: run 'make install', not this script" >&2; exit 1; }
    done
    [ -f "$root/$manifest" ] && uninstall
    mkdir -p -- "$root"
    put 0755 build/install/martlet bin/martlet
    put 0644 .deps/lib/libduckdb.so lib/martlet/libduckdb.so
    put 0644 build/man/martlet.1 share/man/man1/martlet.1
    put 0644 completions/martlet.bash share/bash-completion/completions/martlet
    put 0644 completions/_martlet share/zsh/site-functions/_martlet
    while IFS= read -r -d '' file; do
        put 0644 "$file" "share/martlet/$file"
    done < <(find pipelines -type f ! -name '.*' -print0 | sort -z)
    make_folders "$(dirname "$manifest")"
    printf '%s\n' "${recorded[@]}" > "$root/$manifest"
    echo "installed martlet in $root (${#recorded[@]} files and folders; make uninstall PREFIX=... removes them)"
}

case $mode in
    install) install_all ;;
    uninstall) uninstall ;;
    *) echo "usage: install.sh install|uninstall ROOT" >&2; exit 2 ;;
esac
