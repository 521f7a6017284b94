# The generated completion scripts driven in real bash, zsh and fish: each prints the
# candidates offered, sorted, on one line. Needs $source_dir (where completions/ is) and
# task on PATH.

bash_complete() {  # bash_complete WORD... ; the last word is the one being completed
  bash --norc --noprofile -c '
    source "$1/completions/task.bash"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
    _task; printf "%s\n" "${COMPREPLY[@]}"' bash "$source_dir" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

fish_complete() {
  fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C '$1'" | cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'
}

zsh_complete() {  # compinit loads the function; compadd is observed, not replaced in meaning
  zsh -f -c '
    autoload -U compinit && compinit -u -D
    source "$1/completions/_task"; shift
    compadd() { local i=${@[(i)--]}; print -l -- ${(M)@[i+1,-1]:#${words[CURRENT]}*}; }
    _files() { print -- "<files>"; }
    words=("$@"); CURRENT=$#
    _task' zsh "$source_dir" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
