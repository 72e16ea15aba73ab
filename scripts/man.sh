#!/usr/bin/env bash
# man.sh MARTLET -- writes the man page martlet(1), in roff, to stdout.
#
# The page is made from the program's own help: `martlet --help` is its
# description and every `martlet COMMAND --help` a section, so the page says
# exactly what --help says (one text, in src/, for both). Run by make
# (build/man/martlet.1) with the freshly built program.
set -euo pipefail
martlet=$1

# The help must not depend on who builds: no config file of the builder's.
help() { env -u MARTLET_CONFIG HOME=/nonexistent "$martlet" "$@"; }

# Help text as roff lines to be shown as is: backslashes and minus signs
# escaped, a line starting with '.' or "'" kept from being a request.
as_roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

version=$(help --version)
main_help=$(help --help)
# The command names: the lines of the "commands:" list, "  run      run a pipeline ...".
commands=$(printf '%s\n' "$main_help" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ] || { echo "man.sh: no commands in '$martlet --help'" >&2; exit 1; }

cat <<EOF
.TH MARTLET 1 "" "$version" "User Commands"
.SH NAME
martlet \\- a data\\-pipeline engine: SQL pipelines on DuckDB or PostgreSQL
.SH SYNOPSIS
.B martlet
.I COMMAND
.RI [ OPTIONS ]
.br
.B martlet
.I COMMAND
.B \\-\\-help
.SH DESCRIPTION
.nf
EOF
printf '%s\n' "$main_help" | as_roff
echo ".fi"
echo ".SH COMMANDS"
for command in $commands; do
    echo ".SS martlet $command"
    echo ".nf"
    help "$command" --help | as_roff
    echo ".fi"
done
cat <<'EOF'
.SH SEE ALSO
The README.md and docs/ of the martlet sources; the shipped pipelines in
.IR PREFIX /share/martlet/pipelines.
EOF
