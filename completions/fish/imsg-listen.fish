# imsg-listen fish shell completion

function __fish_imsg-listen_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -l cli-path -r -d 'run `PATH` as imsg (overrides channels.imessage.cliPath)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -l db -r -d 'pass --db `PATH` to imsg (overrides channels.imessage.dbPath)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l max-age -r -d 'journal rows older than `AGE` as stale instead of emitting them; 0 turns the fence off'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l since-rowid -r -d 'start after row `N` this time, whatever the journal says (-1 replays every row, 0 starts at the newest)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l max-redeliveries -r -d 'give up on a message emitted `N` times that no stage finished, once --give-up-after has passed (0: never)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l give-up-after -r -d 'never give up on a message pending for less than `DURATION`, however often the pipeline restarts'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l check-interval -r -d 'probe imsg every `DURATION` for a hung peer or a replaced chat.db (0: never)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l restart-delay -r -d 'wait `DURATION` before restarting a dead imsg rpc; doubles while it keeps dying'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l restart-max-delay -r -d 'never wait longer than `DURATION` between restarts'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l idle-exit -r -d 'exit 0 after `DURATION` without a message (for backfills and tests; default: never)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l attachments -d 'ask imsg for attachment metadata (default: channels.imessage.includeAttachments)'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l reactions -d 'ask imsg for tapbacks (default: on unless reactionNotifications is "off")'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -l drops -r -d 'append each dropped record, with its reason, to `FILE` as NDJSON'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-listen -n '__fish_imsg-listen_no_subcommand' -f -l version -s v -d 'print the version'
