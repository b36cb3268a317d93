/**
 * .dockerignore as the builder reads it (moby's patternmatcher): one pattern a line, `#`
 * comments, a leading `/` ignored, `*` and `?` within one path segment, `**` across any
 * number of them, `!` re-includes, the last matching line wins, and a path is excluded
 * when it or any directory above it matches.
 */

interface Pattern {
  exclude: boolean;
  regex: RegExp;
}

/** A predicate telling whether a context-relative path (`src/app.ts`) is left out of the context. */
export function parseDockerignore(text: string): (relativePath: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line): Pattern => {
      const exclude = !line.startsWith('!');
      const body = cleanPath(exclude ? line : line.slice(1).trim());
      return { exclude, regex: patternToRegex(body) };
    });
  return (relativePath) => {
    const candidates = ancestorsAndSelf(cleanPath(relativePath));
    let excluded = false;
    for (const pattern of patterns) {
      if (pattern.exclude !== excluded && candidates.some((candidate) => pattern.regex.test(candidate))) excluded = pattern.exclude;
    }
    return excluded;
  };
}

function cleanPath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/\/+/g, '/')
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/$/, '');
}

/** `a/b/c` → [`a`, `a/b`, `a/b/c`]. */
function ancestorsAndSelf(path: string): string[] {
  const segments = path.split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

function patternToRegex(pattern: string): RegExp {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      regex += i + 1 >= pattern.length ? '.*' : '(?:.*/)?';
    } else if (char === '*') {
      regex += '[^/]*';
    } else if (char === '?') {
      regex += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`.dockerignore: unclosed [ in "${pattern}"`);
      regex += `[${pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else {
      regex += char.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${regex}$`);
}
