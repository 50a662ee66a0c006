/**
 * `load`, run once and its promise shared: every call gets the same promise while it is pending
 * and after it has resolved. A rejection is not kept: the calls that shared it see it, and the
 * next call runs `load` again, so a CRM that was unreachable for one event is asked again for the
 * next instead of failing every later one.
 */
export function cacheOnSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    if (cached === undefined) {
      // A `load` that throws instead of rejecting is treated the same way.
      const attempt = new Promise<T>((resolve) => resolve(load()));
      cached = attempt;
      attempt.catch(() => {
        if (cached === attempt) cached = undefined;
      });
    }
    return cached;
  };
}
