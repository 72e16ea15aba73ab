# bash completion for martlet -- installed as share/bash-completion/completions/martlet.
# Commands and options are read from martlet's own --help, so they follow
# the program installed; pipeline names are the folders martlet would look in.

# The pipelines martlet would find: $MARTLET_PIPELINES, ./pipelines, or the
# shipped ones beside the program (PREFIX/share/martlet/pipelines).
_martlet_pipelines() {
    local program=$1 folder
    local -a folders=("${MARTLET_PIPELINES:-}" pipelines)
    program=$(command -v "$program" 2>/dev/null) && folders+=("${program%/*}/../share/martlet/pipelines")
    for folder in "${folders[@]}"; do
        [ -n "$folder" ] && [ -d "$folder" ] || continue
        for folder in "$folder"/*/pipeline.json; do
            [ -e "$folder" ] && folder=${folder%/pipeline.json} && printf '%s\n' "${folder##*/}"
        done
        return
    done
}

# The words martlet COMMAND's usage lines hold at positional place N (from
# 0), brackets and "..." taken off: "usage: martlet env ls PIPELINE" gives ls
# at 0 and PIPELINE at 1.
_martlet_usage_words() {
    "$1" "$2" --help 2>/dev/null |
        awk -v command="$2" -v place="$3" '{ sub(/^usage:/, "") } $1 == "martlet" && $2 == command {
            word = $(place + 3); gsub(/[][.]/, "", word); if (word != "") print word }' | sort -u
}

_martlet() {
    local program=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        words=$("$program" --help 2>/dev/null | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
        mapfile -t COMPREPLY < <(compgen -W "$words --help --version" -- "$cur")
        return
    fi
    case $prev in
        --source-dir|--pipelines|--log-dir|--out|--data) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        --output) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --format) mapfile -t COMPREPLY < <(compgen -W "table csv json svg" -- "$cur"); return ;;
        --log-format) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur"); return ;;
    esac
    if [[ $cur == -* ]]; then
        words=$("$program" "${COMP_WORDS[1]}" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
        mapfile -t COMPREPLY < <(compgen -W "$words --help" -- "$cur")
        return
    fi
    # What the command's usage line has at this place (martlet COMMAND --help):
    # PIPELINE completes pipeline names, a lower-case word is an action (env's
    # ls and drop). Positional words are those that are neither an option nor
    # an option's value.
    local position=0 i word candidates=
    for ((i = 2; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -* || ${COMP_WORDS[i-1]} == --* ]] || position=$((position + 1))
    done
    for word in $(_martlet_usage_words "$program" "${COMP_WORDS[1]}" "$position"); do
        if [ "$word" = PIPELINE ]; then candidates+=" $(_martlet_pipelines "$program")"
        elif [[ $word =~ ^[a-z]+$ ]]; then candidates+=" $word"
        fi
    done
    [ -n "$candidates" ] && mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
}
complete -F _martlet martlet
