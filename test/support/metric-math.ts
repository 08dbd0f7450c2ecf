/**
 * Evaluates the part of CloudWatch metric math the alarms use, one period at a time, as CloudWatch does: numbers,
 * metric ids, + - * /, comparisons (1 or 0), IF(condition, then, else) and FILL(id, value). A missing datum (null)
 * stays missing through arithmetic (an alarm then treats it as missing data) unless FILL replaces it; x / 0 is
 * missing too. A test tool: it reads the expression as the stack writes it, so a percent-versus-fraction slip shows.
 */
export type Datum = number | null;

type Token = { kind: 'number'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))/y;
  let index = 0;
  while (index < expression.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (match === null) {
      if (expression.slice(index).trim() === '') break;
      throw new Error(`metric math: cannot read "${expression.slice(index)}"`);
    }
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'id', value: match[2] });
    else tokens.push({ kind: 'op', value: match[3]! });
  }
  return tokens;
}

const arithmetic = (op: string, a: Datum, b: Datum): Datum => {
  if (a === null || b === null) return null;
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? null : a / b;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    default:
      throw new Error(`metric math: unknown operator ${op}`);
  }
};

/** The expression's value for one period, given each metric id's datum in it. */
export function evaluate(expression: string, values: Readonly<Record<string, Datum>>): Datum {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const take = (value?: string): Token => {
    const token = tokens[position];
    if (token === undefined || (value !== undefined && token.value !== value)) throw new Error(`metric math: expected ${value ?? 'more'} in ${expression}`);
    position += 1;
    return token;
  };
  const isOp = (...ops: string[]) => {
    const token = peek();
    return token?.kind === 'op' && ops.includes(token.value);
  };

  const comparison = (): Datum => {
    const left = additive();
    if (isOp('>=', '<=', '>', '<', '==', '!=')) return arithmetic(take().value as string, left, additive());
    return left;
  };
  const additive = (): Datum => {
    let value = term();
    while (isOp('+', '-')) value = arithmetic(take().value as string, value, term());
    return value;
  };
  const term = (): Datum => {
    let value = factor();
    while (isOp('*', '/')) value = arithmetic(take().value as string, value, factor());
    return value;
  };
  const factor = (): Datum => {
    const token = take();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'op' && token.value === '(') {
      const value = comparison();
      take(')');
      return value;
    }
    if (token.kind === 'op' && token.value === '-') return arithmetic('*', -1, factor());
    if (token.kind === 'id' && isOp('(')) {
      take('(');
      const args = [comparison()];
      while (isOp(',')) {
        take(',');
        args.push(comparison());
      }
      take(')');
      if (token.value === 'IF') {
        const [condition, then, otherwise] = args;
        return condition === null || condition === undefined ? null : condition !== 0 ? (then ?? null) : (otherwise ?? null);
      }
      if (token.value === 'FILL') return args[0] ?? args[1] ?? null;
      throw new Error(`metric math: ${token.value}() is not one the alarms use`);
    }
    if (token.kind === 'id') {
      if (!(token.value in values)) throw new Error(`metric math: no datum for ${token.value}`);
      return values[token.value] ?? null;
    }
    throw new Error(`metric math: unexpected ${token.value} in ${expression}`);
  };

  const value = comparison();
  if (position !== tokens.length) throw new Error(`metric math: trailing input in ${expression}`);
  return value;
}
