/**
 * What the two instruction counters share (count-instructions.ts, the whole server; count-in-process.ts,
 * the application alone): candidates named on the command line, and one request's work worked out
 * from two runs of different lengths, each printed with its ratio to the last candidate. In one
 * place, so that the two read their arguments and print their results alike, and a table in
 * docs/performance.md can hold counts from either.
 */

/** A candidate: a name and the environment it adds to the demo's. */
export interface CountCandidate {
  readonly name: string;
  readonly env: Record<string, string>;
}

/** `NAME=VAR=VALUE,VAR=VALUE` per argument; `defaults` when there is none. */
export function candidatesFrom(args: readonly string[], defaults: CountCandidate[]): CountCandidate[] {
  if (args.length === 0) return defaults;
  return args.map((arg) => {
    const [name, ...rest] = arg.split('=');
    const assignments = rest.join('=').split(',').filter((part) => part !== '');
    return { name: name!, env: Object.fromEntries(assignments.map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)])) };
  });
}

/**
 * Counts each candidate with `count(candidate)`, which gives the totals of a run of `few` and one of
 * `many` requests. Their difference over the difference of the requests is one request's work:
 * start-up, and most of the compiling, cancel out. Prints each, then each against the last.
 */
export async function printPerRequest<Candidate extends { readonly name: string }>(
  candidates: readonly Candidate[],
  few: number,
  many: number,
  count: (candidate: Candidate) => Promise<readonly [number, number]>,
): Promise<void> {
  const results: { name: string; perRequest: number }[] = [];
  for (const candidate of candidates) {
    const [fewTotal, manyTotal] = await count(candidate);
    const perRequest = (manyTotal - fewTotal) / (many - few);
    results.push({ name: candidate.name, perRequest });
    console.log(`${candidate.name}: ${Math.round(perRequest).toLocaleString('en')} instructions per request (${fewTotal.toLocaleString('en')} for ${few}, ${manyTotal.toLocaleString('en')} for ${many})`);
  }
  const base = results.at(-1)!;
  for (const { name, perRequest } of results.slice(0, -1)) {
    console.log(`${name} / ${base.name}: ${(perRequest / base.perRequest).toFixed(3)}× the instructions per request`);
  }
}
