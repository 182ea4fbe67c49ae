# imsg-fetch fish shell completion

function __fish_imsg-fetch_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l attachments -d 'resolve attachments whatever channels.imessage.includeAttachments says (--attachments=false: pass everything through)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l root -r -d 'also read files below `PATTERN` ("*" is one path segment); repeatable'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l max-mb -r -d 'refuse files over `N` MiB (default: channels.imessage.mediaMaxMb, else 16)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l remote-host -r -d 'copy attachments from `HOST` (host or user@host) over SSH (overrides channels.imessage.remoteHost)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l local -d 'the attachments are on this machine: ignore remoteHost and the cliPath wrapper'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l port -r -d 'connect to SSH `PORT` on the Mac'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -l identity -r -d 'log in with the private key in `FILE` (repeatable; default: the SSH agent and ~/.ssh/id_*)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -l known-hosts -r -d 'check the Mac\'s host key against `FILE`'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l connect-timeout -r -d 'give up connecting to the Mac after `DURATION`'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l trust-remote-symlinks -d 'copy remote paths as checked, without asking the Mac where they lead (for a Mac without the sftp subsystem)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l attempts -r -d 'try a missing or incomplete file `N` times'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l retry-delay -r -d 'wait `DURATION` before trying a file again, doubling each time'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l convert-heic -d 'add a JPEG of every HEIC or HEIF image'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -l heic-converter -r -d 'convert with `COMMAND` (run as COMMAND IN OUT; repeatable; default: sips, heif-convert, magick, convert on PATH)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l sips -r -d 'run sips at `PATH` on a remote Mac for --convert-heic ("": never)'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l prune -r -d 'remove cached files unused for `AGE` (30d, 12h, 90m), at start and hourly'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-fetch -n '__fish_imsg-fetch_no_subcommand' -f -l version -s v -d 'print the version'
