# SPDX-License-Identifier: GPL-2.0-only
# bash completion for leaktrace(8): options, their values, pids, the
# command after --, and `leaktrace report` with its options and recordings. tests/e2e/test_docs.py checks that every option of
# --help is here. Installed as
# $(PREFIX)/share/bash-completion/completions/leaktrace.

_leaktrace()
{
	local cur prev words cword i
	_init_completion -n = || return

	# after --, the words are a command of its own
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_command_offset $((i + 1))
			return
		fi
	done

	if [[ ${words[1]-} == report ]] && ((cword > 1)); then
		_leaktrace_report
		return
	fi

	local opts="-p --pid --system --pages --exact --exact-top --exact-for --exact-min --check
		-i --interval -d --duration -n --top
		-w --window --json -o --output --folded --pprof --html --fail-on-growth --sources --lib
		--census --no-census --backrefs --backrefs-dot
		--stack-depth --max-allocs --max-stacks --sample --sample-bytes
		--unwind --unwind-rows --btf --debug-dir --probe-at --floor
		--no-uprobe-multi -v --verbose -h -? --help --usage -V --version"

	local split=false
	_split_longopt && split=true

	case $prev in
	-p | --pid)
		_pids
		return
		;;
	-o | --output | --folded | --pprof | --html | --btf | --backrefs-dot)
		_filedir
		return
		;;
	--lib)
		_filedir 'so?(.*)'
		return
		;;
	--debug-dir)
		_filedir -d
		return
		;;
	--sources)
		local list="auto libc mmap python gl fd pages none"
		local prefix=
		[[ $cur == *,* ]] && prefix=${cur%,*},
		COMPREPLY=($(compgen -P "$prefix" -W "$list" -- "${cur##*,}"))
		compopt -o nospace
		return
		;;
	--unwind)
		COMPREPLY=($(compgen -W "tables fp" -- "$cur"))
		return
		;;
	--probe-at)
		COMPREPLY=($(compgen -W "auto entry" -- "$cur"))
		return
		;;
	-i | --interval | -d | --duration | -n | --top | -w | --window | \
		--fail-on-growth | --stack-depth | --max-allocs | --max-stacks | \
		--sample | --sample-bytes | --unwind-rows | --backrefs | \
		--exact-top | --exact-for | --exact-min)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
	elif ((cword == 1)); then
		COMPREPLY=($(compgen -W "report" -- "$cur"))
	fi
} &&
	complete -F _leaktrace leaktrace

# leaktrace report [OPTIONS] FILE.jsonl...: called by _leaktrace with its
# variables set.
_leaktrace_report()
{
	local opts="-n --top -w --window --at --from --to --json --folded --pprof --html
		-v --verbose -h -? --help --usage -V --version"
	local split=false
	_split_longopt && split=true

	case $prev in
	--folded | --pprof | --html)
		_filedir
		return
		;;
	-n | --top | -w | --window | --at | --from | --to)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
	else
		_filedir 'json?(l)'
	fi
}
