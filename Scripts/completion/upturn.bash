# bash completion for upturn: subcommands, their options, built-in programs, cue packs and
# ALSA devices. Installed as /usr/share/bash-completion/completions/upturn by Scripts/package;
# by hand: `source Scripts/completion/upturn.bash`. A test checks the option lists against
# each command's usage line.

_upturn_options() {
    case "$1" in
        play) echo "--device --pack --volume --rate --controls --socket --keep-alive --alone --voice-model --angle --help" ;;
        serve) echo "--device --pack --volume --rate --controls --socket --keep-alive --alone --voice-model --web --web-cert --web-key --angle --help" ;;
        angle) echo "--angle --json --once --device --pack --controls --socket --rate --help" ;;
        listen) echo "--device --input --reference --plan --tilted --json --pack --voice-model --no-enrolment --enroll --forget --help" ;;
        render) echo "--output --pack --rate --help" ;;
        show) echo "--json --pack --rate --alone --explain --help" ;;
        say) echo "--device --output --voice --pack --rate --help" ;;
        programs) echo "--print --help" ;;
        ctl) echo "--socket --help" ;;
        pack) echo "--from --voice --output --device --rate --help" ;;
        history) echo "--json --since --help" ;;
        *) echo "--help" ;;
    esac
}

_upturn() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local commands="play render show check programs say voices devices ctl pack packs schema history serve listen web angle"
    if [ "$cword" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    local command=${words[1]} upturn=${words[0]}
    case "$prev" in
        --pack) COMPREPLY=($(compgen -W "$("$upturn" packs 2>/dev/null | awk '{print $1}')" -- "$cur") $(compgen -d -- "$cur")); return ;;
        --device) COMPREPLY=($(compgen -W "$("$upturn" devices 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
        --plan) COMPREPLY=($(compgen -W "$("$upturn" programs 2>/dev/null | awk '{print $1}')" -- "$cur") $(compgen -f -X '!*.json5' -- "$cur") $(compgen -d -- "$cur")); return ;;
        --print) COMPREPLY=($(compgen -W "$("$upturn" programs 2>/dev/null | awk '$1 != "today" {print $1}')" -- "$cur")); return ;;
        --output|-o|--socket|--input|--reference|--voice-model|--web-cert|--web-key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --controls) COMPREPLY=($(compgen -W "keyboard socket evdev: evdev:auto gpio: mpris voice voice: none" -- "$cur")); return ;;
        --voice) COMPREPLY=($(compgen -W "$("$upturn" voices 2>/dev/null | awk '{print $2}')" -- "$cur")); return ;;
        --angle) COMPREPLY=($(compgen -W "iio $(for d in /sys/bus/iio/devices/iio:device*; do [ -r "$d/name" ] && echo "iio:$(cat "$d/name")"; done 2>/dev/null)" -- "$cur")); return ;;
        --volume|--rate|--since|--from|--web) return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_upturn_options "$command")" -- "$cur"))
        return
    fi
    case "$command" in
        play|render|show)
            COMPREPLY=($(compgen -W "$("$upturn" programs 2>/dev/null | awk '{print $1}')" -- "$cur") $(compgen -f -X '!*.json5' -- "$cur") $(compgen -d -- "$cur")) ;;
        ctl) COMPREPLY=($(compgen -W "pause resume toggle skip back stop status start" -- "$cur")) ;;
        pack) [ "$cword" -eq 2 ] && COMPREPLY=($(compgen -W "keys new audition" -- "$cur")) || COMPREPLY=($(compgen -d -- "$cur")) ;;
        schema) COMPREPLY=($(compgen -W "plan pack" -- "$cur")) ;;
        web) [ "$cword" -eq 2 ] && COMPREPLY=($(compgen -W "devices forget" -- "$cur")) ;;
        angle) [ "$cword" -eq 2 ] && COMPREPLY=($(compgen -W "calibrate" -- "$cur")) ;;
        check) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _upturn upturn
