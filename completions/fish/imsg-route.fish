# imsg-route fish shell completion

function __fish_imsg-route_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-route -n '__fish_imsg-route_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-route -n '__fish_imsg-route_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-route -n '__fish_imsg-route_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-route -n '__fish_imsg-route_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-route -n '__fish_imsg-route_no_subcommand' -f -l version -s v -d 'print the version'
