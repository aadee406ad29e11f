/*
 * A run's `name` becomes one folder name (`runs/<name>-<timestamp>`), so it
 * must stay one path segment: a name such as `../../escaped-run` would put
 * the run folder outside runs/. Names are checked, not rewritten: a config
 * that asks for a path is a mistake to report, and a silently changed name
 * would no longer match what the user searches for.
 */

/** Why `name` cannot be a run name, or null when it can. */
export function runNameProblem(name: string): string | null {
  if (name.length > 100) return `is ${name.length} characters long (at most 100: it becomes a folder name)`;
  if (name === '.' || name === '..') return `'${name}' is not a folder name`;
  if (/[/\\]/.test(name)) return `${JSON.stringify(name)} contains a path separator; the run folder is runs/<name>-<timestamp>, so the name must be one folder name (use --out to choose where a run is written)`;
  // Control characters (NUL included) make names that cannot be created or typed.
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} contains a control character`;
  return null;
}
