import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAgentDirectory, type UserLookup } from '../src/agent-directory.js';
import type { CrmUser } from '../src/users.js';

const ann: CrmUser = { id: 'ann', email: 'ann@acme.test', active: true };
const gone: CrmUser = { id: 'gone', email: 'gone@acme.test', active: false };
const merged: CrmUser = { id: 'merged', email: 'support.agent.4@acme.test', active: true };

/** A CRM directory as a lookup table, counting calls (the CRM side is what a plugin provides). */
function crmDirectory(users: CrmUser[]) {
  const lookup = {
    findUserByEmail: vi.fn(async (email: string) => users.find((user) => user.email === email)),
    listAssignableUsers: vi.fn(async () => users),
  } satisfies UserLookup;
  return lookup;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('agent identification', () => {
  it('matches by email case-insensitively', async () => {
    const directory = createAgentDirectory({ lookup: crmDirectory([ann]) });
    await expect(directory.identify({ id: 'p1', emails: ['ANN@Acme.Test'] })).resolves.toEqual({
      status: 'identified',
      user: ann,
    });
  });

  it('an agent with no platform agent is "none"; an unknown email is "unmapped"', async () => {
    const directory = createAgentDirectory({ lookup: crmDirectory([ann]) });
    await expect(directory.identify(undefined)).resolves.toEqual({ status: 'none' });
    await expect(directory.identify({ id: 'p2', emails: ['who@acme.test'] })).resolves.toEqual({
      status: 'unmapped',
      emails: ['who@acme.test'],
    });
  });

  it('never identifies a deactivated CRM user', async () => {
    const directory = createAgentDirectory({ lookup: crmDirectory([gone]) });
    await expect(directory.identify({ id: 'p3', emails: ['gone@acme.test'] })).resolves.toEqual({
      status: 'deactivated',
      user: gone,
    });
  });

  it('an agent with two addresses is found by either; an active match wins over a deactivated one', async () => {
    const directory = createAgentDirectory({ lookup: crmDirectory([gone, ann]) });
    await expect(
      directory.identify({ id: 'p4', emails: ['gone@acme.test', 'ann@acme.test'] }),
    ).resolves.toEqual({
      status: 'identified',
      user: ann,
    });
  });

  it('an explicit alias maps a platform address to a different CRM address (accounts merged after the Chat migration)', async () => {
    const lookup = crmDirectory([merged]);
    const directory = createAgentDirectory({
      lookup,
      aliases: { 'Chat.Agent.4@acme.test': 'SUPPORT.agent.4@acme.test' },
    });
    await expect(directory.identify({ id: 'p5', emails: ['chat.agent.4@acme.test'] })).resolves.toEqual({
      status: 'identified',
      user: merged,
    });
    expect(lookup.findUserByEmail).toHaveBeenCalledWith('support.agent.4@acme.test');
  });

  it('an address listed twice (in two spellings, or as its own alias) is looked up and reported once', async () => {
    const lookup = crmDirectory([ann]);
    const directory = createAgentDirectory({ lookup, aliases: { 'who@acme.test': 'who@acme.test' } });
    await expect(
      directory.identify({ id: 'p6', emails: ['Who@Acme.test', 'who@acme.test', 'other@acme.test'] }),
    ).resolves.toEqual({ status: 'unmapped', emails: ['who@acme.test', 'other@acme.test'] });
    expect(lookup.findUserByEmail.mock.calls).toEqual([['who@acme.test'], ['other@acme.test']]);
  });

  it('caches lookups for their lifetime, then asks again', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    // A fake clock starts at 0, which lru-cache reads as "no start time"; real clocks never do.
    vi.advanceTimersByTime(1_000);
    const lookup = crmDirectory([ann]);
    const directory = createAgentDirectory({ lookup, ttlMs: 60_000 });
    await directory.identify({ id: 'p1', emails: ['ann@acme.test'] });
    await directory.identify({ id: 'p1', emails: ['ann@acme.test'] });
    expect(lookup.findUserByEmail).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_001);
    await directory.identify({ id: 'p1', emails: ['ann@acme.test'] });
    expect(lookup.findUserByEmail).toHaveBeenCalledTimes(2);
  });

  it('collapses concurrent lookups of one email into one CRM call', async () => {
    const lookup = crmDirectory([ann]);
    const directory = createAgentDirectory({ lookup });
    await Promise.all(
      Array.from({ length: 50 }, () => directory.identify({ id: 'p1', emails: ['ann@acme.test'] })),
    );
    expect(lookup.findUserByEmail).toHaveBeenCalledTimes(1);
  });

  it('is bounded: the least recently used emails are forgotten', async () => {
    const users = Array.from({ length: 20 }, (_, index) => ({
      id: `u${index}`,
      email: `u${index}@acme.test`,
      active: true,
    }));
    const lookup = crmDirectory(users);
    const directory = createAgentDirectory({ lookup, maxEntries: 5 });
    for (const user of users) await directory.identify({ id: user.id, emails: [user.email] });
    await directory.identify({ id: 'u0', emails: ['u0@acme.test'] });
    expect(lookup.findUserByEmail).toHaveBeenCalledTimes(21);
  });

  it('clear() while lookups are under way lets them finish with what the CRM answered, uncached', async () => {
    // The connector clears the directory when the CRM refuses an owner; other events may be
    // awaiting a lookup at that moment (found by the fault matrix: lru-cache rejected them with an
    // untyped "deleted" error, which reached the platform).
    let answer: (user: CrmUser | undefined) => void = () => {};
    const lookup = {
      findUserByEmail: vi.fn(() => new Promise<CrmUser | undefined>((resolve) => (answer = resolve))),
      listAssignableUsers: vi.fn(async () => [ann]),
    } satisfies UserLookup;
    const directory = createAgentDirectory({ lookup });
    const pending = directory.identify({ id: 'p1', emails: ['ann@acme.test'] });
    const poolPending = directory.assignablePool();
    directory.clear();
    answer(ann);
    await expect(pending).resolves.toEqual({ status: 'identified', user: ann });
    await expect(poolPending).resolves.toEqual([ann]);
    // What was fetched before the clear is not kept: the next event asks the CRM again.
    lookup.findUserByEmail.mockResolvedValueOnce(gone);
    await expect(directory.identify({ id: 'p1', emails: ['ann@acme.test'] })).resolves.toEqual({
      status: 'deactivated',
      user: gone,
    });
    expect(lookup.findUserByEmail).toHaveBeenCalledTimes(2);
  });

  it('the random pool holds only active users and is cached', async () => {
    const lookup = crmDirectory([ann, gone]);
    const directory = createAgentDirectory({ lookup });
    await expect(directory.assignablePool()).resolves.toEqual([ann]);
    await directory.assignablePool();
    expect(lookup.listAssignableUsers).toHaveBeenCalledTimes(1);
    directory.clear();
    await directory.assignablePool();
    expect(lookup.listAssignableUsers).toHaveBeenCalledTimes(2);
  });
});

describe('the random pool, off the write path', () => {
  const bob: CrmUser = { id: 'bob', email: 'bob@acme.test', active: true };

  /** A listing that stays pending until the test lets it answer. */
  function slowListing(users: CrmUser[]) {
    let release: () => void = () => {};
    const lookup = {
      findUserByEmail: vi.fn(async () => undefined),
      listAssignableUsers: vi.fn(async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return users;
      }),
    } satisfies UserLookup;
    return { lookup, answer: () => release() };
  }

  it('after it expires, the last pool is served while a new listing runs in the background', async () => {
    vi.useFakeTimers();
    const first = slowListing([ann, bob]);
    const directory = createAgentDirectory({ lookup: first.lookup, ttlMs: 1_000 });
    const cold = directory.assignablePool();
    first.answer();
    await expect(cold).resolves.toEqual([ann, bob]);
    await vi.advanceTimersByTimeAsync(1_500);
    // Expired: no write waits for the listing, which answers only later.
    await expect(directory.assignablePool()).resolves.toEqual([ann, bob]);
    expect(first.lookup.listAssignableUsers).toHaveBeenCalledTimes(2);
  });

  it('clear() keeps serving the last pool, minus the user the CRM refused, while it is listed again', async () => {
    const listing = slowListing([ann, bob]);
    const directory = createAgentDirectory({ lookup: listing.lookup });
    const cold = directory.assignablePool();
    listing.answer();
    await cold;
    directory.forgetUser('bob');
    directory.clear();
    await expect(directory.assignablePool()).resolves.toEqual([ann]);
    expect(listing.lookup.listAssignableUsers).toHaveBeenCalledTimes(2);
  });

  it('concurrent first reads share one listing', async () => {
    const listing = slowListing([ann, bob]);
    const directory = createAgentDirectory({ lookup: listing.lookup });
    const reads = [directory.assignablePool(), directory.assignablePool()];
    listing.answer();
    await expect(Promise.all(reads)).resolves.toEqual([
      [ann, bob],
      [ann, bob],
    ]);
    expect(listing.lookup.listAssignableUsers).toHaveBeenCalledTimes(1);
  });

  it('clear() before the pool was ever listed: the next read waits for a listing', async () => {
    const lookup = crmDirectory([ann, gone]);
    const directory = createAgentDirectory({ lookup });
    directory.clear();
    await expect(directory.assignablePool()).resolves.toEqual([ann]);
    expect(lookup.listAssignableUsers).toHaveBeenCalledTimes(1);
  });

  it('the pool is listed again once exactly its lifetime has passed, not before', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lookup = crmDirectory([ann]);
    const directory = createAgentDirectory({ lookup, ttlMs: 1_000 });
    await directory.assignablePool();
    vi.advanceTimersByTime(999);
    await directory.assignablePool();
    expect(lookup.listAssignableUsers).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    await directory.assignablePool();
    expect(lookup.listAssignableUsers).toHaveBeenCalledTimes(2);
  });

  it('a refused user is offered again by a listing started after the refusal', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lookup = crmDirectory([ann, bob]);
    const directory = createAgentDirectory({ lookup });
    await directory.assignablePool();
    directory.forgetUser('bob');
    vi.advanceTimersByTime(1);
    directory.clear();
    // Served at once, without bob, while the new listing runs.
    await expect(directory.assignablePool()).resolves.toEqual([ann]);
    await directory.idle();
    await expect(directory.assignablePool()).resolves.toEqual([ann, bob]);
  });

  it('a listing started before the refusal, or at the same instant, does not bring the user back', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const listing = slowListing([ann, bob]);
    const directory = createAgentDirectory({ lookup: listing.lookup });
    const cold = directory.assignablePool();
    listing.answer();
    await cold;
    // The same instant: the listing may have been answered before the CRM deactivated bob.
    directory.forgetUser('bob');
    directory.clear();
    const served = directory.assignablePool();
    listing.answer();
    await expect(served).resolves.toEqual([ann]);
    await directory.idle();
    await expect(directory.assignablePool()).resolves.toEqual([ann]);
  });
});
