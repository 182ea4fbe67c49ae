# imsg-agent fish shell completion

function __fish_imsg-agent_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -l config -r -d 'read configuration from `FILE` (JSON5; a missing default file means built-in defaults)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l account -r -d 'use account `ID` (default: channels.imessage.defaultAccount, else "default")'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -l state-dir -r -d 'keep the per-account state database in `DIR`'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l echo -d 'answer with the message text (a built-in agent for demos and tests)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l exec -r -d 'answer with what `CMD` prints, run by sh -c with the record on its stdin'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l openai -r -d 'answer with the OpenAI-compatible chat-completions endpoint at `URL`'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l model -r -d 'ask for model `NAME` (default: the agent\'s agents.list[].model)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -l api-key-file -r -d 'read the API key from `FILE` (default: $OPENAI_API_KEY)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l system -r -d 'start every system prompt with `TEXT`'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l jobs -s j -r -d 'answer up to `N` messages of different sessions at once'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l ordered -d 'write records in input order, each reply in place of its message (for batch runs; a slow answer then delays the records after it)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l timeout -r -d 'give up on one answer (one HTTP attempt) after `DURATION`'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l max-output -r -d 'refuse answers longer than `BYTES`'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l retries -r -d 'retry a 429, 5xx or failed connection `N` times (--openai)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l retry-delay -r -d 'wait `DURATION` before the first retry, doubling each time (--openai)'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l help -s h -d 'show help'
complete -c imsg-agent -n '__fish_imsg-agent_no_subcommand' -f -l version -s v -d 'print the version'
