#!/usr/bin/env bash
# Drives the generated completion scripts in real bash, zsh and fish.
set -u
task_bin=$(realpath "$1") source_dir=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/shells.sh"
export PATH="$(dirname "$task_bin"):$PATH"
templates=$("$task_bin" __complete templates | cut -f1 | tr '\n' ' ')
templates=${templates% }

expect_eq "bash: task in" "$(bash_complete task in)" "init"
top_level="agent build builds completion config connect dashboard deploy doctor env help history init logs promote resume rollback run runs schedule stats status suspend templates undeploy version"
expect_eq "bash: task ''" "$(bash_complete task '')" "$top_level"
expect_eq "bash: task -o ''" "$(bash_complete task -o '')" "json table yaml"
expect_eq "bash: task init x --te" "$(bash_complete task init x --te)" "--template"
expect_eq "bash: task init x --template ''" "$(bash_complete task init x --template '')" "$(tr ' ' '\n' <<<"$templates" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "bash: task init x -t ht" "$(bash_complete task init x -t ht)" "http-health-check"
expect_eq "bash: task help ro" "$(bash_complete task help ro)" "rollback"
expect_eq "bash: task -o json in" "$(bash_complete task -o json in)" "init"
expect_contains "bash: task init --" "$(bash_complete task init --)" "--dir"
expect_contains "bash: global flags everywhere" "$(bash_complete task init --)" "--output"

expect_eq "fish: task in" "$(fish_complete 'task in')" "init"
expect_eq "fish: task init x --template ht" "$(fish_complete 'task init x --template ht')" "http-health-check"
expect_eq "fish: task -o " "$(fish_complete 'task -o ')" "json table yaml"
expect_eq "fish: task init x --t" "$(fish_complete 'task init x --te')" "--template"
expect_contains "fish: descriptions" "$(fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C 'task in'")" "Create a task project from a template"

expect_eq "zsh: task in" "$(zsh_complete task in)" "init"
expect_eq "zsh: task ''" "$(zsh_complete task '')" "$top_level"
expect_eq "zsh: task -o ''" "$(zsh_complete task -o '')" "json table yaml"
expect_eq "zsh: task init x --template ''" "$(zsh_complete task init x --template '')" "$(tr ' ' '\n' <<<"$templates" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "zsh: task init x --dir ''" "$(zsh_complete task init x --dir '')" "<files>"
expect_contains "zsh: task init -" "$(zsh_complete task init -)" "--template"
finish
