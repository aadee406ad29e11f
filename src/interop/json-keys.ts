/*
 * JSON.parse keeps the last of two equal keys, so a safetensors header that
 * names one tensor twice would load whichever entry came last without a
 * word. This scan lists the keys of the top-level object in the order they
 * are written, duplicates included. It runs on text JSON.parse has already
 * accepted, so it only has to skip values, not validate them.
 */

/** The first key written twice in the top-level object of valid JSON `text`, or null. */
export function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return null;
}

/** Keys of the top-level object of valid JSON `text`, in order (none when it is not an object). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return keys;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] !== '"') return keys; // '}' of an empty object, or the end
    const end = stringEnd(text, i);
    keys.push(JSON.parse(text.slice(i, end)) as string);
    i = skipSpace(text, end);
    i++; // ':'
    i = valueEnd(text, skipSpace(text, i));
    i = skipSpace(text, i);
    if (text[i] !== ',') return keys;
    i++;
  }
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Index just past the string literal starting at `i` (a '"'). */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

/** Index just past the value starting at `i`: a string, an object or array (nested), or a scalar. */
function valueEnd(s: string, i: number): number {
  if (s[i] === '"') return stringEnd(s, i);
  if (s[i] === '{' || s[i] === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '"') j = stringEnd(s, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}' && s[j] !== ']' && s[j] !== ' ' && s[j] !== '\n' && s[j] !== '\r' && s[j] !== '\t') j++;
  return j;
}
