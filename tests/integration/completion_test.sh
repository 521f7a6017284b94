#!/usr/bin/env bash
# Drives the generated completion scripts in real bash, zsh and fish.
set -u
task_bin=$(realpath "$1") source_dir=$2
. "$(dirname "$0")/lib.sh"
export PATH="$(dirname "$task_bin"):$PATH"
templates=$("$task_bin" __complete templates | tr '\n' ' ')
templates=${templates% }

bash_complete() {  # bash_complete WORD... ; the last word is the one being completed
  bash --norc --noprofile -c '
    source "$1/completions/task.bash"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
    _task; printf "%s\n" "${COMPREPLY[@]}"' bash "$source_dir" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect_eq "bash: task in" "$(bash_complete task in)" "init"
top_level="agent build builds completion config connect deploy doctor env history init logs promote resume rollback run runs schedule stats status suspend templates undeploy version"
expect_eq "bash: task ''" "$(bash_complete task '')" "$top_level"
expect_eq "bash: task -o ''" "$(bash_complete task -o '')" "json table yaml"
expect_eq "bash: task init x --te" "$(bash_complete task init x --te)" "--template"
expect_eq "bash: task init x --template ''" "$(bash_complete task init x --template '')" "$(tr ' ' '\n' <<<"$templates" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "bash: task init x -t ht" "$(bash_complete task init x -t ht)" "http-health-check"
expect_eq "bash: task -o json in" "$(bash_complete task -o json in)" "init"
expect_contains "bash: task init --" "$(bash_complete task init --)" "--dir"
expect_contains "bash: global flags everywhere" "$(bash_complete task init --)" "--output"

fish_complete() {
  fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C '$1'" | cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'
}
expect_eq "fish: task in" "$(fish_complete 'task in')" "init"
expect_eq "fish: task init x --template ht" "$(fish_complete 'task init x --template ht')" "http-health-check"
expect_eq "fish: task -o " "$(fish_complete 'task -o ')" "json table yaml"
expect_eq "fish: task init x --t" "$(fish_complete 'task init x --te')" "--template"
expect_contains "fish: descriptions" "$(fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C 'task in'")" "Create a task project from a template"

zsh_complete() {  # compinit loads the function; compadd is observed, not replaced in meaning
  zsh -f -c '
    autoload -U compinit && compinit -u -D
    source "$1/completions/_task"; shift
    compadd() { local i=${@[(i)--]}; print -l -- ${(M)@[i+1,-1]:#${words[CURRENT]}*}; }
    _files() { print -- "<files>"; }
    words=("$@"); CURRENT=$#
    _task' zsh "$source_dir" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect_eq "zsh: task in" "$(zsh_complete task in)" "init"
expect_eq "zsh: task ''" "$(zsh_complete task '')" "$top_level"
expect_eq "zsh: task -o ''" "$(zsh_complete task -o '')" "json table yaml"
expect_eq "zsh: task init x --template ''" "$(zsh_complete task init x --template '')" "$(tr ' ' '\n' <<<"$templates" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "zsh: task init x --dir ''" "$(zsh_complete task init x --dir '')" "<files>"
expect_contains "zsh: task init -" "$(zsh_complete task init -)" "--template"
finish
