/**
 * Runs one round of each contender, `rounds` times, in an order rotated every round: none always
 * runs right after another's garbage, and all see the sandbox's store (which grows with every
 * write) at the same size on average. `run` gets the contender and the round number.
 */
export async function inRotation<TName extends string>(
  contenders: readonly TName[],
  rounds: number,
  run: (contender: TName, round: number) => Promise<void> | void,
): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    for (let turn = 0; turn < contenders.length; turn += 1) {
      await run(contenders[(round + turn) % contenders.length] as TName, round);
    }
  }
}

/** Runs `count` jobs with `callers` of them in flight at once (each caller takes the next job when its last one is done). */
export async function withCallers(
  callers: number,
  count: number,
  job: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const caller = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(callers, count) }, caller));
}
