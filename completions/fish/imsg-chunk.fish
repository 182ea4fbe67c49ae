# imsg-chunk fish shell completion

function __fish_imsg-chunk_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l limit -r -d 'split at `N` UTF-16 code units (default: textChunkLimit, else 4000)'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l mode -r -d 'chunk `MODE`: length or newline (default: chunkMode, else length)'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l prefix -r -d 'put `TEXT` before each reply ("auto" and {templates} allowed; default: responsePrefix)'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l tables -r -d 'Markdown tables `MODE`: off, bullets, code or block (default: markdown.tables, else code)'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -l drops -r -d 'append each dropped record, with its reason, to `FILE` as NDJSON'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-chunk -n '__fish_imsg-chunk_no_subcommand' -f -l version -s v -d 'print the version'
