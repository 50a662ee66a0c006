/**
 * The candidate closest to a mistyped word, for "did you mean …?": the optimal-string-alignment
 * distance (Levenshtein plus swapped neighbours, so `--tiemout` finds `--timeout`), allowing one
 * edit per three characters; failing that, the only candidate the word begins. `undefined` when
 * nothing is close enough to be a likely typo.
 */
export function nearestName(word: string, candidates: readonly string[]): string | undefined {
  let nearest: string | undefined;
  let nearestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < nearestDistance) {
      nearest = candidate;
      nearestDistance = distance;
    }
  }
  if (nearestDistance <= Math.max(1, Math.floor(word.length / 3))) return nearest;
  const extended = candidates.filter((candidate) => word.length >= 2 && candidate.startsWith(word));
  return extended.length === 1 ? extended[0] : undefined;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `from` into `to`. */
export function editDistance(from: string, to: string): number {
  // rows[i][j]: the distance between the first i characters of `from` and the first j of `to`.
  const rows = Array.from({ length: from.length + 1 }, (_, i) =>
    Array.from({ length: to.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= from.length; i += 1) {
    const row = rows[i] as number[];
    for (let j = 1; j <= to.length; j += 1) {
      const cost = from[i - 1] === to[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && from[i - 1] === to[j - 2] && from[i - 2] === to[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(from.length, to.length);
}
