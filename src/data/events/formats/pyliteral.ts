/**
 * A parser for the small subset of Python literals that appears in NPY
 * headers: dicts, tuples, lists, strings, integers, True/False/None. Bounded by
 * the input length and a nesting limit, so hostile headers cannot loop or recurse deeply.
 */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export class PyLiteralError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

export function parsePyLiteral(src: string): PyValue {
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 16) throw new PyLiteralError('nesting too deep', i);
    ws();
    const c = src[i];
    if (c === undefined) throw new PyLiteralError('unexpected end', i);
    if (c === '{') {
      i++;
      // No prototype: a '__proto__' key is then an ordinary key, not a way to swap the dict's prototype.
      const out: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
      for (;;) {
        ws();
        if (src[i] === '}') {
          i++;
          return out;
        }
        const k = value(depth + 1);
        if (typeof k !== 'string') throw new PyLiteralError('dict key is not a string', i);
        ws();
        if (src[i] !== ':') throw new PyLiteralError(`expected ':'`, i);
        i++;
        out[k] = value(depth + 1);
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== '}') throw new PyLiteralError(`expected ',' or '}'`, i);
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        ws();
        if (src[i] === close) {
          i++;
          return out;
        }
        out.push(value(depth + 1));
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== close) throw new PyLiteralError(`expected ',' or '${close}'`, i);
      }
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new PyLiteralError('unterminated string', i);
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(src.slice(i, i + 32));
    if (!m) throw new PyLiteralError(`unexpected '${c}'`, i);
    i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };
  const v = value(0);
  ws();
  if (i !== src.length) throw new PyLiteralError('trailing characters', i);
  return v;
}
