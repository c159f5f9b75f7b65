# bash completion for postfinger (written by python -m postfinger_py.manpage)
_postfinger() {
    local cur prev sub i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    sub=_report
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            anonymize|check|logs|trace|qshape|pcap|lookup) sub=${COMP_WORDS[i]}; break;;
            -*) ;;
            *) break;;
        esac
    done
    case "$sub" in
        _report)
            case "$prev" in --anon-key|--anon-map|--anonymize|--bundle|--capture|--config-dir|--format|--keep|--log-file|--mail-to|--only|--output|--pcap|--port|--problems|--replay|--sendmail|--since|--skip|--summary|--summary-file|--trace|-c|-o) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--all --anon-key --anon-map --anonymize --bundle --capture --config-dir --defaultsinmain --format --help --keep --libraries --list-sections --locking --log-file --mail-to --no-anonymize --nowarn --only --output --pcap --permissions --port --probe --problems --replay --sendmail --since --skip --summary --summary-file --tables --trace --verbose --version -c -h -o -v anonymize check logs trace qshape pcap lookup" -- "$cur"));;
        anonymize)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|--memory-entries|--output|--part-size|-c|-o) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --keep --memory-entries --no-anonymize --output --part-size -c -h -o" -- "$cur"));;
        check)
            case "$prev" in --anon-key|--anon-map|--anonymize|--bundle|--capture|--config-dir|--format|--keep|--log-file|--mail-to|--only|--output|--pcap|--port|--problems|--replay|--sendmail|--since|--skip|--summary|--summary-file|--trace|-c|-o) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--all --anon-key --anon-map --anonymize --bundle --capture --config-dir --defaultsinmain --format --help --keep --libraries --list-sections --locking --log-file --mail-to --no-anonymize --nowarn --only --output --pcap --permissions --port --probe --problems --replay --sendmail --since --skip --summary --summary-file --tables --trace --verbose --version -c -h -o -v" -- "$cur"));;
        logs)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|--limit|--log-file|--since|-c) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --json --keep --limit --log-file --no-anonymize --since -c -h" -- "$cur"));;
        trace)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|--log-file|-c) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --keep --log-file --no-anonymize -c -h" -- "$cur"));;
        qshape)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|-N|-b|-c|-m|-n|-t|-w) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --keep --no-anonymize -N -b -c -h -l -m -n -p -s -t -w" -- "$cur"));;
        pcap)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|--port|--sessions|-c) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --json --keep --no-anonymize --port --sessions -c -h" -- "$cur"));;
        lookup)
            case "$prev" in --anon-key|--anon-map|--anonymize|--config-dir|--keep|-c) COMPREPLY=($(compgen -f -- "$cur")); return;; esac
            COMPREPLY=($(compgen -W "--anon-key --anon-map --anonymize --config-dir --help --json --keep --no-anonymize --verbose -c -h -v" -- "$cur"));;
    esac
}
complete -o default -F _postfinger postfinger
