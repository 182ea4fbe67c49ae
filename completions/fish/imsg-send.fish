# imsg-send fish shell completion

function __fish_imsg-send_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -l cli-path -r -d 'run `PATH` as imsg (overrides channels.imessage.cliPath)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -l db -r -d 'pass --db `PATH` to imsg (overrides channels.imessage.dbPath)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l send-timeout -r -d 'give up waiting for a send after `DURATION` (its outcome is then settled from messages.history)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l attempts -r -d 'send a part at most `N` times before giving up'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l retry-delay -r -d 'wait `DURATION` after the first failed send, doubling up to 30s'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l settle-wait -r -d 'look for a send of unknown outcome in messages.history for `DURATION` before sending it again'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l chat-rate -r -d 'send at most `RATE` (N/s, N/m, N/h, N/d; 0: no limit) to one chat'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l chat-burst -r -d 'let `N` sends to a quiet chat go at once'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l global-rate -r -d 'send at most `RATE` over all chats (0: no limit)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l global-burst -r -d 'let `N` sends go at once after a quiet spell'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l daily-cap -r -d 'refuse sends beyond `N` in any 24 hours (0: no cap)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l media-max-mb -r -d 'refuse attachments over `MB` (default: channels.imessage.mediaMaxMb, 16; 0: no limit)'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -l drops -r -d 'append each dropped record, with its reason, to `FILE` as NDJSON'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-send -n '__fish_imsg-send_no_subcommand' -f -l version -s v -d 'print the version'
