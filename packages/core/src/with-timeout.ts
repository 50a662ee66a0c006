/**
 * Settles as `work` does, or rejects with `timedOut()` once `timeoutMs` has passed first. For
 * calls into a CRM's own SDK (a token request), which the HTTP layer's timeout does not cover.
 * The timer is cleared either way, so it never keeps the process alive; `work` itself is not
 * cancelled (the SDKs offer no way to), only no longer waited for.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
