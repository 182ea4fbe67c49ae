# imsg-gate fish shell completion

function __fish_imsg-gate_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -l drops -r -d 'append each dropped record, with its reason, to `FILE` as NDJSON'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l where -r -d 'also require the jq expression `EXPR` to be true of a record (with its gate object) before it is dispatched; false drops it with reason "where"'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l agent -r -d 'use the mention patterns of agent `ID` (default: the default agent)'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l trust-sms -d 'let "open" policies, "*" entries and pairing admit SMS senders (their ids can be spoofed)'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l silent-pairing -d 'record pairing requests without replying to the stranger (approve from imsg-pair list)'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l echo-ttl -r -d 'treat a message with the text the agent sent within `DURATION` as its echo'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-gate -n '__fish_imsg-gate_no_subcommand' -f -l version -s v -d 'print the version'
