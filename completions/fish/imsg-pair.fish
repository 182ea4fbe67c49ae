# imsg-pair fish shell completion

function __fish_imsg-pair_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i list approve reject revoke allowed
            return 1
        end
    end
    return 0
end

complete -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -f -l version -s v -d 'print the version'
complete -c imsg-pair -n '__fish_seen_subcommand_from list' -f -l help -s h -d 'show help'
complete -r -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -a 'list' -d 'list the pending pairing requests, oldest first'
complete -c imsg-pair -n '__fish_seen_subcommand_from list' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_seen_subcommand_from list' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_seen_subcommand_from list' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_seen_subcommand_from list' -f -l json -d 'print one JSON object'
complete -c imsg-pair -n '__fish_seen_subcommand_from approve' -f -l help -s h -d 'show help'
complete -r -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -a 'approve' -d 'approve the request with a code: its sender may write from now on'
complete -c imsg-pair -n '__fish_seen_subcommand_from approve' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_seen_subcommand_from approve' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_seen_subcommand_from approve' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_seen_subcommand_from approve' -f -l notify -d 'write a reply record telling the sender (pipe it to imsg-send)'
complete -c imsg-pair -n '__fish_seen_subcommand_from reject' -f -l help -s h -d 'show help'
complete -r -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -a 'reject' -d 'remove the request with a code without approving it'
complete -c imsg-pair -n '__fish_seen_subcommand_from reject' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_seen_subcommand_from reject' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_seen_subcommand_from reject' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_seen_subcommand_from revoke' -f -l help -s h -d 'show help'
complete -r -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -a 'revoke' -d 'take back the approval of a sender (phone number or email, any spelling)'
complete -c imsg-pair -n '__fish_seen_subcommand_from revoke' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_seen_subcommand_from revoke' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_seen_subcommand_from revoke' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_seen_subcommand_from allowed' -f -l help -s h -d 'show help'
complete -r -c imsg-pair -n '__fish_imsg-pair_no_subcommand' -a 'allowed' -d 'list the approved senders'
complete -c imsg-pair -n '__fish_seen_subcommand_from allowed' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-pair -n '__fish_seen_subcommand_from allowed' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-pair -n '__fish_seen_subcommand_from allowed' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-pair -n '__fish_seen_subcommand_from allowed' -f -l json -d 'print one JSON object'
