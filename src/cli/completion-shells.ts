import type { Completion, Shell } from './completion';

/**
 * What differs between the shells: the script each sources, how it hands the
 * words over, and how it reads the answer. The answer is one candidate per
 * line, then one line with the directive (`:files`, `:nospace` or `:plain`),
 * so that an empty answer (roster missing, a failure) is told from "no
 * candidates".
 */

/** Where each shell looks for completion scripts for every user of the host: the help and the manual page say it. */
export const SYSTEM_INSTALL: Record<Shell, string> = {
  bash: 'roster completion bash > /etc/bash_completion.d/roster',
  zsh: 'roster completion zsh > /usr/local/share/zsh/site-functions/_roster',
  fish: 'roster completion fish > /etc/fish/completions/roster.fish',
};

export function completionScript(shell: Shell): string {
  return SCRIPTS[shell];
}

const BASH = `# roster completion for bash.
# Install: ${SYSTEM_INSTALL.bash}
# (or, for one user: echo 'source <(roster completion bash)' >> ~/.bashrc)
_roster_complete() {
    local -a reply
    mapfile -t reply < <(roster completion bash --complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    local count=\${#reply[@]}
    (( count )) || return 0
    COMPREPLY=("\${reply[@]:0:count-1}")
    case \${reply[count-1]} in
        :files) compopt -o default ;;
        :nospace) compopt -o nospace ;;
    esac
}
complete -F _roster_complete roster
`;

const ZSH = `#compdef roster
# roster completion for zsh.
# Install: ${SYSTEM_INSTALL.zsh}, then start a new shell
# (or, for one user: echo 'source <(roster completion zsh)' >> ~/.zshrc, after compinit)
_roster() {
    local -a reply candidates
    reply=("\${(@f)$(roster completion zsh --complete -- "\${(@Q)words[2,CURRENT]}" 2>/dev/null)}")
    local directive=\${reply[-1]}
    candidates=("\${(@)reply[1,-2]}")
    case $directive in
        :files) _files ;;
        :nospace) _describe -t values roster candidates -S '' ;;
        *) _describe -t values roster candidates ;;
    esac
}
if [ "$funcstack[1]" = "_roster" ]; then
    _roster "$@"
else
    compdef _roster roster
fi
`;

const FISH = `# roster completion for fish.
# Install: ${SYSTEM_INSTALL.fish}
function __roster_complete
    command -q roster; or return
    set -l words (commandline -opc)
    set -e words[1]
    set -l typed (commandline -ct)
    set -l reply (roster completion fish --complete -- $words "$typed" 2>/dev/null)
    set -q reply[1]; or return
    set -l directive $reply[-1]
    set -e reply[-1]
    if test "$directive" = :files
        __fish_complete_path "$typed"
    else
        printf '%s\\n' $reply
    end
end
complete -c roster -f -a '(__roster_complete)'
`;

const SCRIPTS: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };

/**
 * The words as roster reads them. bash hands them as typed (quotes and
 * backslashes in place) and splits `--format=cs` into `--format`, `=`, `cs`;
 * zsh hands them unquoted, whole. For bash, `kept` is the part of
 * the joined word that bash does not replace (`--format=`).
 */
export function wordsFromShell(shell: Shell, words: readonly string[]): { words: string[]; kept: string } {
  if (shell === 'zsh') return { words: [...words], kept: '' };
  // fish's script hands the word being typed as typed (commandline -ct), the others unquoted.
  if (shell === 'fish') return { words: [...words.slice(0, -1), unquote(words.at(-1) ?? '')], kept: '' };
  const joined: string[] = [];
  let kept = '';
  for (let i = 0; i < words.length; i++) {
    const word = unquote(words[i]!);
    const last = joined.at(-1);
    if (words[i] === '=' && last?.startsWith('--') && !last.includes('=')) {
      const value = i + 1 < words.length ? unquote(words[++i]!) : '';
      joined[joined.length - 1] = `${last}=${value}`;
      // "=" breaks words for readline too: it replaces only what follows it, even when COMP_WORDS ends with "=".
      kept = `${last}=`;
    } else {
      joined.push(word);
      kept = '';
    }
  }
  return { words: joined, kept };
}

/** The answer, as the shell's script reads it. `kept` is what bash keeps of the word being typed. */
export function renderCompletion(shell: Shell, completion: Completion, kept = ''): string {
  const lines = completion.candidates.map(({ value, description }) => {
    // Terminal control characters in a name from the database never reach the shell.
    const text = value.replace(/[\p{Cc}]/gu, '');
    const about = (description ?? '').replace(/[\p{Cc}]/gu, ' ');
    if (shell === 'bash') return quoteBash(text.startsWith(kept) ? text.slice(kept.length) : text);
    if (shell === 'zsh') return about ? `${text.replace(/[\\:]/g, '\\$&')}:${about}` : text.replace(/[\\:]/g, '\\$&');
    return about ? `${text}\t${about}` : text;
  });
  return [...lines, `:${completion.directive}`].map((line) => `${line}\n`).join('');
}

/** A word as the shell reads it: quotes and backslashes removed, a leading ~/ as the home directory. */
function unquote(word: string): string {
  let text = '';
  let quote: string | undefined;
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < word.length && '"\\$`'.includes(word[i + 1]!)) text += word[++i];
      else text += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\' && i + 1 < word.length) text += word[++i];
    else text += c;
  }
  return text.startsWith('~/') && process.env.HOME ? `${process.env.HOME}${text.slice(1)}` : text;
}

/** A candidate as bash inserts it: characters special to the shell escaped with a backslash. */
function quoteBash(value: string): string {
  return value.replace(/[^\p{L}\p{N}_./:=,@%+-]/gu, '\\$&');
}
